"""The manifest of an output directory: which case file each set of outputs was made from.

`.kotodoc-manifest.jsonl` holds one JSON line per finished case: the case file, a fingerprint of
what its documents depend on (the case file's bytes, the templates, the kotodoc version, formats,
languages, rule data and a pinned `SOURCE_DATE_EPOCH`) and the sha256 of each output. A batch's
rerun skips a case whose fingerprint is unchanged and whose outputs are intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._files import atomic_write, read_user_file

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


class Manifest:
    """Per case file: the fingerprint its outputs were made from, and their digests (JSON lines).

    Nothing in it is trusted: a damaged or tampered line is ignored with a warning, and an entry's
    outputs are reused only when each is a regular file directly in the output folder (not a
    symlink) whose sha256 matches. No write follows a symlink.
    """

    def __init__(self, out_dir: Path):
        """Read the manifest of `out_dir` (a missing manifest is empty; a damaged line is ignored)."""
        self.path = out_dir / MANIFEST
        self.entries: dict[str, dict[str, Any]] = {}  # as read at the start; the run's own lines are not kept
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._untidy = False  # lines to drop when compacting: damaged, or a case recorded again
        for entry in self._read(self.warnings):
            self._untidy |= entry["case"] in self.entries
            self.entries[entry["case"]] = entry

    def _read(self, warnings: list[str]) -> Iterator[dict[str, Any]]:
        """The manifest's good lines, in order; what is wrong with the others goes to `warnings`."""
        try:
            raw = read_user_file(self.path, limit=_MAX_BYTES, follow=False)
        except FileNotFoundError:
            return
        except OSError as e:
            warnings.append(f"{self.path}: ignored: {e.strerror}")
            self._untidy = True
            return
        for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
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
            yield entry

    def __contains__(self, key: object) -> bool:
        """Whether the manifest had an entry for case file `key` when it was read."""
        return key in self.entries

    def unchanged(self, key: str, fingerprint: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of a case made from the same inputs whose outputs are still intact, else None."""
        entry = self.entries.get(key)
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
            self._untidy |= key in self.entries
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def compact(self) -> None:
        """Rewrite the manifest with one line per case, the latest, sorted by case (a rename: a
        symlink is replaced, not followed); only when a case was recorded again or a line was damaged.
        """
        if not self._untidy:
            return  # one good line per case already: nothing to drop
        latest = {entry["case"]: entry for entry in self._read([])}
        lines = "".join(json.dumps(e, sort_keys=True) + "\n" for _, e in sorted(latest.items()))
        atomic_write(self.path, lines.encode("utf-8"))
