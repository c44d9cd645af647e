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
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._files import atomic_write

if TYPE_CHECKING:
    from kotodoc.run._check import CaseReport

MANIFEST = ".kotodoc-manifest.jsonl"




def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Manifest:
    """Per case file: the fingerprint its outputs were made from, and their digests (JSON lines)."""

    def __init__(self, out_dir: Path):
        """Read the manifest of `out_dir` (a missing or damaged line is ignored)."""
        self.path = out_dir / MANIFEST
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[entry["case"]] = entry
                except (ValueError, KeyError, TypeError):
                    continue

    def unchanged(self, key: str, fingerprint: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of a case made from the same inputs whose outputs are still intact, else None."""
        entry = self.entries.get(key)
        if not entry or entry.get("fingerprint") != fingerprint or not entry.get("outputs"):
            return None
        for name, digest in entry["outputs"].items():
            target = out_dir / name
            if not target.is_file() or sha256_file(target) != digest:
                return None
        return entry

    def record(self, key: str, fingerprint: str, report: CaseReport) -> None:
        """Append a finished case at once: an interrupted batch keeps what it finished."""
        entry = {"case": key, "fingerprint": fingerprint, "case_id": report.case_id, "kind": report.kind,
                 "outputs": dict(report.digests)}
        with self._lock:
            self.entries[key] = entry
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def compact(self) -> None:
        """Rewrite the manifest with one line per case."""
        lines = "".join(json.dumps(e, sort_keys=True) + "\n" for _, e in sorted(self.entries.items()))
        atomic_write(self.path, lines.encode("utf-8"))
