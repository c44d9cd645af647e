"""Writing files so that nothing half-written ever sits under its final name."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from kotodoc.errors import OutputDirError


def private_dir(path: Path) -> Path:
    """Create a directory (and its missing parents) readable by the owner only: documents hold personal data.

    A directory that already exists keeps its mode: it is the user's to decide.

    Raises:
        OutputDirError: the directory cannot be created, or cannot be written to.
    """
    if path.exists() and not path.is_dir():
        raise OutputDirError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for directory in reversed(missing):
            directory.mkdir(mode=0o700, exist_ok=True)
            directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    except OSError as e:
        raise OutputDirError(e.errno, e.strerror, str(path)) from None
    # Checked before anything is written (found by tests/test_faults.py): a read-only directory
    # failed at the first working file, as "internal error (OSError)" without naming it. access()
    # tells a read-only file system even to root, whom a directory's mode does not stop.
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        code = errno.EROFS if os.statvfs(path).f_flag & os.ST_RDONLY else errno.EACCES
        raise OutputDirError(code, os.strerror(code), str(path))
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
