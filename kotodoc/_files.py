"""Writing files so that nothing half-written ever sits under its final name."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create a directory (and its missing parents) readable by the owner only: documents hold personal data.

    A directory that already exists keeps its mode: it is the user's to decide.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it, then rename it into place.

    The file is readable by its owner only: documents hold personal data.
    """
    private_dir(path.parent)
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
    private_dir(dst.parent)
    src.chmod(0o600)
    try:
        src.replace(dst)
    except OSError:
        atomic_write(dst, src.read_bytes())
        src.unlink(missing_ok=True)
