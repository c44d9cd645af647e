"""Prepared templates kept on disk, so that a template is scanned, joined and compiled once, not once per process.

Preparing a template costs far more than rendering it: the safety scan (`_safety`), docxcompose's
join of a bilingual pair (`_compose`), docxtpl's XML patching and Jinja's compiler take 0.3-1 s a
template, against some 30 ms to render a document from it. Every worker process of a run, and
every run, used to pay it again. A prepared template (`Prepared`: the joined package of a pair,
the patched Jinja source of each part, and Jinja's compiled code for each piece) is kept in a
folder:

- the user's cache, `$XDG_CACHE_HOME/kotodoc/templates` (else `~/.cache/kotodoc/templates`),
  shared by every run of the user (`KOTODOC_CACHE=off` turns it off: `_cache_place.cache_folder`);
- else the run's own private working folder, so that the workers of one run share it.

An entry's name is a digest of the templates' bytes (both of a pair, and the languages), of the
versions of kotodoc, Python, Jinja, docxtpl, docxcompose, python-docx and lxml, and of the source
of this package (the scan, the sandbox, the preparation): an edited template, or a kotodoc whose
scan or sandbox changed, never finds an old entry. An entry is written only for a template that
passed the safety scan, so finding it is the scan's verdict on those very bytes; the bytes
rendered from are the template file's own, read again (a pair's joined package is in the entry).

Compiled code in a cache is code: whoever can write it can run code as the user. So a folder is
used only if it belongs to the user and neither group nor others can write to it (it is created
owner-only), an entry only if it is a regular file of the user's that group and others cannot
write, and its bytes only if they match the digest it carries and name the entry they are
stored under; anything else is passed over (never an error) and prepared afresh. Entries are
written under a temporary name and renamed, so a reader sees a whole entry or none. Jinja's own
bytecode cache (`jinja2.BytecodeCache`, its `Bucket`s) stores and checks the compiled code (the
Python version and the source's checksum); this module only keeps its buckets in one entry.

The cache holds templates only, never a case's data.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import stat
import struct
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2

from kotodoc._version import __version__

# The name of the hidden bookmark that closes each version of a joined template but the last
# (`_compose`); the preparation (`_render.prepare`) cuts the joined body there, one piece a version.
VERSION_MARK = "_kotodoc_version_end"
_MAGIC = b"kotodoc prepared template\n"
_SUFFIX = ".template"
_KEEP = 200  # entries; beyond it the oldest go (a template author makes one per edit)
_LIBRARIES = ("jinja2", "docxtpl", "docxcompose", "python-docx", "lxml")


# ---------------------------------------------------------------------------------------------
# What is kept: a prepared template


@dataclass(frozen=True)
class Part:
    """One XML part of a template as Jinja source: the text around it and its pieces, by version."""

    name: str  # the ZIP entry, "word/document.xml"
    before: str
    after: str
    fix_tables: bool  # `{%tc %}` column loops: docxtpl's fix_tables repairs the grid after rendering
    pieces: tuple[tuple[int, str], ...]  # (version, Jinja source); a joined body has one per version

    def piece_name(self, index: int) -> str:
        """The name a piece's compiled code is kept under (Jinja's bucket key is made from it)."""
        return f"{self.name}#{index}"


@dataclass
class Prepared:
    """A template scanned, joined (a pair), patched and compiled: everything a render needs but the template's bytes."""

    package: bytes | None  # a pair's joined template; None: the template file's own bytes
    versions: int
    logo: tuple[str, ...]  # the ZIP entries of the headers' logo pictures
    parts: tuple[Part, ...]
    codes: dict[str, bytes] = field(default_factory=dict)  # Jinja buckets (code with its checks), by key


class PieceCodes(jinja2.BytecodeCache):
    """Jinja's bytecode cache over one prepared template's pieces, held in memory and stored with the entry.

    Jinja's `Bucket` writes the code with its own header (Jinja's bytecode format and the Python
    version) and the checksum of the source it was compiled from, and loads nothing that does not
    match both: a stale piece is compiled again.
    """

    def __init__(self, codes: dict[str, bytes]):
        """Keep buckets in `codes` (bucket key -> bucket bytes)."""
        self.codes = codes

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket from the stored bytes, if any."""
        data = self.codes.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Store a freshly compiled bucket."""
        self.codes[bucket.key] = bucket.bytecode_to_string()


def entry_key(templates: Sequence[bytes], langs: Sequence[str]) -> str:
    """The name of the entry for `templates` (a pair's, in order) in `langs`, under this kotodoc and its libraries."""
    h = hashlib.sha256(_environment())
    h.update("+".join(langs).encode())
    for data in templates:
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


@functools.cache
def _environment() -> bytes:
    """What a prepared template depends on besides the template: versions and the preparing code."""
    h = hashlib.sha256()
    h.update(f"kotodoc {__version__}\0python {sys.version}\0{sys.implementation.cache_tag}\0".encode())
    for name in _LIBRARIES:
        try:
            h.update(f"{name} {version(name)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{name} ?\0".encode())
    # The scan, the sandbox and the preparation are this package's code (and the languages' tags the
    # join writes): a source tree changed without a new version must not find entries of the old.
    here = Path(__file__).resolve().parent
    for source in (*sorted(here.glob("*.py")), here.parent / "_languages.py"):
        h.update(source.name.encode() + b"\0" + hashlib.sha256(source.read_bytes()).digest())
    return h.digest()


def dumps(key: str, prepared: Prepared) -> bytes:
    """An entry: magic, the body's SHA-256, then the body (a JSON header and the binary pieces)."""
    blobs = [prepared.package or b"", *prepared.codes.values()]
    header = json.dumps({
        "key": key,
        "package": prepared.package is not None,
        "versions": prepared.versions,
        "logo": list(prepared.logo),
        "parts": [[p.name, p.before, p.after, p.fix_tables, [list(piece) for piece in p.pieces]]
                  for p in prepared.parts],
        "codes": list(prepared.codes),
        "sizes": [len(b) for b in blobs],
    }).encode()
    body = b"".join([struct.pack(">Q", len(header)), header, *blobs])
    return _MAGIC + hashlib.sha256(body).digest() + body


def loads(key: str, entry: bytes) -> Prepared | None:
    """The prepared template in an entry; None if the entry is damaged, altered or another's."""
    start = len(_MAGIC) + 32
    if not entry.startswith(_MAGIC) or len(entry) < start + 8:
        return None
    body = memoryview(entry)[start:]
    if hashlib.sha256(body).digest() != entry[len(_MAGIC):start]:
        return None
    try:
        (length,) = struct.unpack(">Q", body[:8])
        header: dict[str, Any] = json.loads(bytes(body[8:8 + length]))
        if header["key"] != key:
            return None  # an entry copied or renamed onto another template's name
        blobs, at = [], 8 + length
        for size in header["sizes"]:
            blobs.append(bytes(body[at:at + size]))
            at += size
        parts = tuple(Part(name, before, after, bool(fix), tuple((int(v), str(s)) for v, s in pieces))
                      for name, before, after, fix, pieces in header["parts"])
        return Prepared(blobs[0] if header["package"] else None, int(header["versions"]),
                        tuple(header["logo"]), parts, dict(zip(header["codes"], blobs[1:], strict=True)))
    except (ValueError, KeyError, TypeError, struct.error):
        return None


# ---------------------------------------------------------------------------------------------
# Where it is kept: a folder of the user's own


class Store:
    """A folder of prepared templates, opened once it is known to be the user's and closed to others."""

    def __init__(self, folder: Path, fd: int):
        """Use the open, checked folder `fd` (see `open_store`)."""
        self.folder = folder
        self._fd = fd

    def load(self, key: str) -> Prepared | None:
        """The entry `key`, if there is one that is the user's own, closed to others and intact."""
        try:
            fd = os.open(key + _SUFFIX, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self._fd)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or not _own_and_closed(st):
                return None
            with os.fdopen(os.dup(fd), "rb") as fh:
                return loads(key, fh.read())
        except OSError:
            return None
        finally:
            os.close(fd)

    def save(self, key: str, prepared: Prepared) -> None:
        """Write the entry `key` under a temporary name and rename it into place; a failure is no error."""
        tmp = f".{key}.{secrets.token_hex(6)}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                         dir_fd=self._fd)
            with os.fdopen(fd, "wb") as fh:
                fh.write(dumps(key, prepared))
            os.replace(tmp, key + _SUFFIX, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self._fd)
            return
        self._prune()

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold the entry's lock: a second process needing the same template waits for the first's entry."""
        # Without a lock (a lock file that cannot be made, a file system without locks) at worst two
        # processes prepare the same template.
        try:
            fd: int | None = os.open(key + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                                     dir_fd=self._fd)
        except OSError:
            fd = None
        try:
            if fd is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fd is not None:
                os.close(fd)

    def _prune(self) -> None:
        """Remove the oldest entries (and their locks) beyond the last `_KEEP`."""
        try:
            names = [n for n in os.listdir(self._fd) if n.endswith(_SUFFIX)]  # noqa: PTH208 (by the open folder)
            if len(names) <= _KEEP:
                return
            aged = sorted(names, key=lambda n: os.stat(n, dir_fd=self._fd, follow_symlinks=False).st_mtime_ns)
            for name in aged[: len(names) - _KEEP]:
                os.unlink(name, dir_fd=self._fd)
                with contextlib.suppress(OSError):
                    os.unlink(name.removesuffix(_SUFFIX) + ".lock", dir_fd=self._fd)
        except OSError:
            return


@contextlib.contextmanager
def open_store(*folders: Path | None) -> Iterator[Store | None]:
    """The first of `folders` that can be used: created owner-only if missing, the user's, closed to others.

    A folder that belongs to someone else, or that the group or others can write to, is passed over
    (never changed): entries there could have been written by someone else.
    """
    for folder in folders:
        if folder is None:
            continue
        fd = _open_folder(folder)
        if fd is None:
            continue
        try:
            yield Store(folder, fd)
        finally:
            os.close(fd)
        return
    yield None


def _open_folder(folder: Path) -> int | None:
    try:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for directory in reversed(missing):
            with contextlib.suppress(FileExistsError):
                directory.mkdir(mode=0o700)  # the umask can only take bits away
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    if _own_and_closed(os.fstat(fd)) and os.access(folder, os.W_OK | os.X_OK):
        return fd
    os.close(fd)
    return None


def _own_and_closed(st: os.stat_result) -> bool:
    """The file is the user's, and neither its group nor others may write to it."""
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
