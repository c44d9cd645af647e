"""Writing files so that nothing half-written ever sits under its final name."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it, then rename it into place.

    The file is readable by its owner only: documents hold personal data.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kotodoc-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_move(src: Path, dst: Path) -> None:
    """Move a finished file into place under its final name (same file system: a rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    src.chmod(0o600)
    try:
        src.replace(dst)
    except OSError:
        atomic_write(dst, src.read_bytes())
        src.unlink(missing_ok=True)
