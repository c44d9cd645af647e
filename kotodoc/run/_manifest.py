"""The manifest of an output directory: which case file each set of outputs was made from.

`.kotodoc-manifest.jsonl` holds one JSON line per finished case: the case file, a fingerprint of
what its documents depend on (the case file's bytes, the templates, the kotodoc version, formats,
languages, rule data and a pinned `SOURCE_DATE_EPOCH`) and the sha256 of each output. A batch's
rerun skips a case whose fingerprint is unchanged and whose outputs are intact.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import re
import stat
import threading
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._files import atomic_open
from kotodoc.run._find import Store, sorted_runs

if TYPE_CHECKING:
    from kotodoc.run._check import CaseReport

MANIFEST = ".kotodoc-manifest.jsonl"




# The manifest lives in a folder others may write to: a line is used only when every field has the
# type kotodoc writes, and an output only when it is a plain name of a file directly in the folder.
_DIGEST = re.compile(r"[0-9a-f]{64}")
_MAX_BYTES = 256_000_000  # some 300 bytes a case: far more than any batch


def sha256_file(path: Path, *, follow: bool = True) -> str:
    """The sha256 of a file, read in blocks (with `follow=False`, never through a symlink)."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
    with os.fdopen(fd, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def plain_name(name: object) -> bool:
    """Whether `name` names a file directly in a folder: no separator, not `.`, `..` or absolute."""
    return (isinstance(name, str) and 0 < len(name) <= 255 and name not in (".", "..")
            and not any(c in name for c in "/\\\0"))


def _problem(entry: object) -> str | None:
    """What is wrong with a manifest line's data, or None when it has the shape kotodoc writes."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    for key in ("case", "fingerprint"):
        if not isinstance(entry.get(key), str):
            return f"{key} is not a string"
    for key in ("case_id", "kind"):
        if not isinstance(entry.get(key), (str, type(None))):
            return f"{key} is not a string"
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict) or not all(
            plain_name(k) and isinstance(v, str) and _DIGEST.fullmatch(v) for k, v in outputs.items()):
        return "outputs is not a mapping of file names in the folder to sha256 digests"
    return None


class KeyTable:
    """Text keys to numbers (0 or more), 16 bytes a slot: a 64-bit hash of the key and its number.

    For what a run keeps per case for the whole run (the manifest's lines, the case ids seen): a
    dict of 10,000 keys holds some 1.5 MB of key strings, table and numbers; this open-addressing
    table, at most two thirds full, some 240 KB. Keys are not kept: two keys with the same 64-bit
    hash (about 1 in 10^11 among 10,000) are one key here, so a caller that can check, checks.
    """

    def __init__(self) -> None:
        self._hashes = array("q", [0]) * 64
        self._numbers = array("q", [-1]) * 64  # -1: a free slot
        self._used = 0

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                              "big", signed=True)

    def _slot(self, digest: int) -> int:
        mask = len(self._numbers) - 1
        slot = digest & mask
        while self._numbers[slot] >= 0 and self._hashes[slot] != digest:
            slot = (slot + 1) & mask
        return slot

    def get(self, key: str) -> int | None:
        """The number of `key`, if it has one."""
        number = self._numbers[self._slot(self._hash(key))]
        return number if number >= 0 else None

    def put(self, key: str, number: int, *, replace: bool = True) -> int:
        """Give `key` this number (with `replace=False`, only if it has none); returns its number."""
        digest = self._hash(key)
        slot = self._slot(digest)
        if self._numbers[slot] >= 0:
            if replace:
                self._numbers[slot] = number
            return self._numbers[slot]
        self._hashes[slot], self._numbers[slot] = digest, number
        self._used += 1
        if 3 * self._used > 2 * len(self._numbers):
            hashes, numbers = self._hashes, self._numbers
            self._hashes = array("q", [0]) * (2 * len(hashes))
            self._numbers = array("q", [-1]) * (2 * len(numbers))
            for old_digest, old_number in zip(hashes, numbers, strict=True):
                if old_number >= 0:
                    new_slot = self._slot(old_digest)
                    self._hashes[new_slot], self._numbers[new_slot] = old_digest, old_number
        return number

    def numbers(self) -> Iterator[int]:
        """Every key's number, in no order."""
        return (n for n in self._numbers if n >= 0)

    def __len__(self) -> int:
        return self._used


SYNC_EVERY = 1.0  # seconds: the appended lines are flushed to the disk at most this often, and at the end


class Manifest:
    """Per case file: the fingerprint its outputs were made from, and their digests (JSON lines).

    Nothing in it is trusted: a damaged or tampered line is ignored with a warning, and an entry's
    outputs are reused only when each is a regular file directly in the output folder (not a
    symlink) whose sha256 matches. No write follows a symlink.

    Its lines are not kept in memory (a rerun of 10,000 cases held some 12 MB of them): the good
    lines as read at the start go to an anonymous temporary file, and a table keeps where each
    case's latest one is (`KeyTable`, `Store`). The run's own lines are appended to the manifest only.
    """

    def __init__(self, out_dir: Path):
        """Read the manifest of `out_dir` (a missing manifest is empty; a damaged line is ignored)."""
        self.path = out_dir / MANIFEST
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._untidy = False  # lines to drop when compacting: damaged, or a case recorded again
        self._synced = time.monotonic()  # when the lines appended were last flushed to the disk
        self._unsynced = False
        self._lines, self._store = self._index(self.warnings)

    def _index(self, warnings: list[str]) -> tuple[KeyTable, Store]:
        """The manifest's good lines in a store, and where each case's latest line is."""
        lines, store = KeyTable(), Store()
        for key, line in self._read(warnings):
            data = line.encode("utf-8", "surrogatepass")
            self._untidy |= lines.get(key) is not None  # recorded again: the older line goes when compacting
            lines.put(key, store.add(data) << 32 | len(data))
        return lines, store

    def _entry(self, key: str) -> dict[str, Any] | None:
        """The latest good line of case `key`, as read at the start."""
        where = self._lines.get(key)
        if where is None:
            return None
        entry: dict[str, Any] = json.loads(self._store.read(where >> 32, where & 0xFFFFFFFF))
        return entry if entry["case"] == key else None  # a hash shared by two keys (see KeyTable)

    def _read(self, warnings: list[str]) -> Iterator[tuple[str, str]]:
        """The manifest's good lines, in order, with their case; what is wrong with the others goes to `warnings`."""
        try:
            text = _text(self.path)
            for number, line in enumerate(text, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    problem: str | None = "not JSON"
                else:
                    problem = _problem(entry)
                if problem is not None:
                    warnings.append(f"{self.path}:{number}: line ignored: {problem}")
                    self._untidy = True
                    continue
                yield entry["case"], line
        except FileNotFoundError:
            return
        except OSError as e:
            warnings.append(f"{self.path}: ignored: {e.strerror}")
            self._untidy = True
            return

    def __contains__(self, key: object) -> bool:
        """Whether the manifest had a good line for case file `key` when it was read."""
        return isinstance(key, str) and self._lines.get(key) is not None

    def __len__(self) -> int:
        """How many case files the manifest had good lines for when it was read."""
        return len(self._lines)

    def unchanged(self, key: str, fingerprint: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of a case made from the same inputs whose outputs are still intact, else None."""
        entry = self._entry(key)
        if not entry or entry.get("fingerprint") != fingerprint or not entry.get("outputs"):
            return None
        for name, digest in entry["outputs"].items():
            target = out_dir / name
            try:
                if not stat.S_ISREG(target.lstat().st_mode) or sha256_file(target, follow=False) != digest:
                    return None
            except OSError:
                return None
        return entry

    def record(self, key: str, fingerprint: str, report: CaseReport) -> None:
        """Append a finished case at once: an interrupted batch keeps what it finished.

        Raises:
            OSError: the manifest cannot be written, or is a symlink (which is not followed).
        """
        entry = {"case": key, "fingerprint": fingerprint, "case_id": report.case_id, "kind": report.kind,
                 "outputs": dict(report.digests)}
        with self._lock:
            # Not kept in memory (a batch of 10,000 cases would hold them all): a rerun reads them.
            self._untidy |= self._lines.get(key) is not None
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
                fh.flush()
                # A line is in the file (and survives kotodoc being killed) once written; fsync only
                # guards it against the machine going down. The documents a line names are not synced
                # either (a rerun checks their sha256 and redoes a case whose files are not whole), so
                # a line lost with the last second's is a case redone, never one wrongly taken as
                # done. Syncing every line cost 3–5 ms a case in the thread that feeds the workers:
                # DOCX-only batches were held near 100 documents a second by it.
                self._unsynced = True
                if time.monotonic() - self._synced >= SYNC_EVERY:
                    os.fsync(fh.fileno())
                    self._synced, self._unsynced = time.monotonic(), False

    def sync(self) -> None:
        """Flush the lines appended since the last sync to the disk (at the end of a run).

        Raises:
            OSError: the manifest cannot be opened (gone, or replaced by a symlink).
        """
        with self._lock:
            if not self._unsynced:
                return
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced, self._unsynced = time.monotonic(), False

    def compact(self) -> None:
        """Rewrite the manifest with one line per case, the latest, sorted by case (a rename: a
        symlink is replaced, not followed); only when a case was recorded again or a line was damaged.

        Line by line, as it was read: the latest line of each case goes to a temporary file, and
        they are sorted by case a run at a time (`sorted_runs`), not all held at once.
        """
        if not self._untidy:
            return  # one good line per case already: nothing to drop
        latest, store = KeyTable(), Store()
        for key, line in self._read([]):
            # The case's key first (its length, then its text: it sorts as the text does), then the line.
            case = key.encode("utf-8", "surrogatepass")
            record = len(case).to_bytes(4, "big") + case + line.encode("utf-8", "surrogatepass")
            latest.put(key, store.add(record) << 32 | len(record))
        places = array("q", latest.numbers())

        def read(i: int) -> tuple[bytes, bytes]:
            record = store.read(places[i] >> 32, places[i] & 0xFFFFFFFF)
            size = int.from_bytes(record[:4], "big")
            return record[4:4 + size], record[4 + size:]

        with atomic_open(self.path) as fh:
            for i in sorted_runs(range(len(places)), lambda i: read(i)[0]):
                entry = json.loads(read(i)[1])
                fh.write((json.dumps(entry, sort_keys=True) + "\n").encode("utf-8"))


def _text(path: Path) -> Iterator[str]:
    """The lines of a manifest, read a block at a time, as `read_user_file` and `str.splitlines` give them.

    `read_user_file` reads the whole file: a manifest of 10,000 cases is some 3 MB, and its text
    and lines as much again. The same checks: a regular file, not a symlink, opened without
    blocking, within `_MAX_BYTES`.

    Raises:
        OSError: as `read_user_file`.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "it is a symbolic link", str(path)) from None
        raise
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket")
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file", str(path))
        if st.st_size > _MAX_BYTES:
            raise OSError(errno.EFBIG, f"it is larger than {_MAX_BYTES} bytes", str(path))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        carry, size = "", 0
        while block := fh.read(min(1 << 20, _MAX_BYTES + 1 - size)):
            size += len(block)
            if size > _MAX_BYTES:
                raise OSError(errno.EFBIG, f"it is larger than {_MAX_BYTES} bytes", str(path))
            lines = (carry + decoder.decode(block)).splitlines(keepends=True)
            # The last piece may go on in the next block: it has no line break yet, or its "\r"
            # may be the first half of "\r\n".
            last = lines[-1] if lines else ""
            carry = lines.pop() if last and (last.splitlines()[0] == last or last.endswith("\r")) else ""
            for line in lines:
                yield line.splitlines()[0]  # without its line break, as `splitlines()` gives it
        rest = carry + decoder.decode(b"", final=True)
        yield from rest.splitlines()
