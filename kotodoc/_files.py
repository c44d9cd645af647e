"""Reading the files a user names, and writing files so that nothing half-written ever sits under its
final name, nothing is written through a symlink or over a device, and nothing is left behind."""

from __future__ import annotations

import errno
import fcntl
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

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


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, flush it, then rename it into place.

    The file is readable by its owner only: documents hold personal data. `sync=False` leaves out
    the `fsync` (see `atomic_open`).
    """
    with atomic_open(path, sync=sync) as fh:
        fh.write(data)


@contextmanager
def atomic_open(path: Path, *, sync: bool = True) -> Iterator[BinaryIO]:
    """`atomic_write` for a file written in pieces: renamed into place only when the block ends well.

    `sync=False`: no `fsync` before the rename, for a run's own working files. The fsync waits some
    5 ms a file for the disk; a working file that a power failure damages is in a working folder the
    next run removes, or, once published, has a sha256 in the manifest that no longer matches, and a
    rerun makes it again.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".kotodoc-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if sync:
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


# ---------------------------------------------------------------------------------------------
# Files the user names: case, profile, claimant, configuration, password file


def read_user_file(path: Path, *, limit: int, overflow: bool = False, follow: bool = True) -> bytes:
    """The bytes of a regular file named by the user, at most `limit` of them.

    A FIFO would block for ever and `/dev/zero` would be read until memory runs out, so only a
    regular file is read; it is opened without blocking (a FIFO with no writer) and checked on the
    open descriptor, so it cannot be swapped between the check and the read.

    Args:
        path: the file.
        limit: the most bytes it may hold.
        overflow: return the first `limit + 1` bytes of a larger file instead of refusing it (for
            a caller that says where the limit was passed).
        follow: False to refuse a symlink (a file of kotodoc's own in a folder others can write to).

    Raises:
        OSError: it cannot be read, is not a regular file, or is larger than `limit`; `strerror`
            says which, in words for a message.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP and not follow:
            raise OSError(errno.ELOOP, "it is a symbolic link", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket")
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        if st.st_size > limit and not overflow:
            raise OSError(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
        chunks: list[bytes] = []
        size = 0
        # Read to the end, not to st_size: a file that grows (or a /proc file, of size 0) stays bounded.
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit and not overflow:
            raise OSError(errno.EFBIG, f"it is larger than {limit} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_output_file(path: Path) -> None:
    """Refuse to write a user-named file (`--report`, `-o`, `--bundle`) over a symlink or a device.

    atomic_write's rename would replace a symlink, a FIFO or `/dev/null` with a regular file: a
    symlink planted in a shared folder would still have decided where the data lands, and a device
    the user named by mistake would be gone.

    Raises:
        OSError: the path is a symlink or exists and is not a regular file.
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise OSError(errno.ELOOP, "it is a symbolic link; name the file itself", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "it exists and is not a regular file", str(path))


def write_user_file(path: Path, data: bytes) -> None:
    """`atomic_write` to a file the user named, never over a symlink or a device (`check_output_file`)."""
    check_output_file(path)
    atomic_write(path, data)


@contextmanager
def open_user_file(path: Path) -> Iterator[TextIO]:
    """`write_user_file` for text written in pieces (UTF-8): a large report is never whole in memory."""
    check_output_file(path)
    with atomic_open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        yield text
        text.flush()
        text.detach()  # `atomic_open` closes the file itself, after its fsync


# ---------------------------------------------------------------------------------------------
# Working directories: owner-only, removed by the run, or by the next run if this one was killed

WORK_PREFIX = ".kotodoc-work-"
_OWNER = ".owner"  # a working directory's lock file: it holds the pid and stays locked while it runs
_held: dict[Path, int] = {}


def make_work_dir(out_dir: Path) -> Path:
    """A private working directory in `out_dir`, after removing those of earlier runs that were killed.

    The run holds an exclusive lock on `.owner` inside it (and writes its pid there) for its
    whole life; the kernel drops the lock when the process dies, however it dies. A working
    directory whose lock can be taken belongs to no live run: a killed run's DOCX and (unencrypted)
    PDF files, which are removed. Creating a directory and locking it happen under a lock on
    `out_dir` itself, which the clean-up takes too, so two runs in one folder never remove each
    other's work.
    """
    with _dir_lock(out_dir):
        remove_stale_work_dirs(out_dir)
        old = os.umask(0o077)  # owner-only from the first byte, not chmod-ed afterwards
        try:
            work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=out_dir))
            fd = os.open(work / _OWNER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        finally:
            os.umask(old)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held[work] = fd
        try:
            os.write(fd, f"{os.getpid()}\n".encode())  # for a person looking; the lock is what counts
        except OSError:
            pass  # a full disk: the run fails on its documents, with a message, not here
    return work


def remove_work_dir(work: Path) -> None:
    """Remove a working directory made by `make_work_dir`, and release its lock."""
    shutil.rmtree(work, ignore_errors=True)
    fd = _held.pop(work, None)
    if fd is not None:
        os.close(fd)


def remove_stale_work_dirs(out_dir: Path) -> list[Path]:
    """Remove the working directories in `out_dir` that no live run holds; return them.

    The caller holds the lock on `out_dir` (see `make_work_dir`).
    """
    removed: list[Path] = []
    try:
        entries = list(out_dir.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(WORK_PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            fd = os.open(entry / _OWNER, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            fd = None  # killed before it locked (or made by a kotodoc before this lock): nobody's
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live run holds it
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            if fd is not None:
                os.close(fd)
    return removed


@contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on a directory (flock on its descriptor): no file is added to it."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
