"""What both loading paths share: the limits, the positions of keys and values, the loaded case.

The careful path (`_careful`) and the fast path (`_fast`) both build a `LoadedCase`; neither
imports the other's internals. The limits are read at call time (`_positions.MAX_NODES`), so a
test or a deployment that changes one changes it for both paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kotodoc.errors import Finding

MAX_BYTES = 2_000_000
MAX_DEPTH = 32
# A plan has some 300-650 nodes, but an interpretation claim of a few thousand rows has 25 a row.
# ruamel.yaml composes some 20,000 nodes a second, so a file just over the limit without aliases
# is refused in about ten seconds; an alias bomb at once, since an alias counts as its whole node.
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]
# XML 1.0 allows TAB, LF and CR but no other C0 control character, no surrogate (a YAML escape
# "\ud800" gives a lone one, which cannot even be written as UTF-8) and not U+FFFE or U+FFFF.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def dotted(path: PathKey) -> str:
    """Render a path tuple as `person.other_languages.0.level`."""
    return ".".join(str(p) for p in path)


@dataclass
class Positions:
    """Line and column (1-based) of keys and values, by YAML path."""

    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # Paths whose values came from another file (a profile's authority), with that file.
    origins: dict[PathKey, str] = field(default_factory=dict)

    def origin(self, path: PathKey) -> str | None:
        """The file a path's value came from, when not the case file itself."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.origins:
                return self.origins[path[:n]]
        return None

    def locate(self, path: PathKey, *, key: bool = False) -> tuple[int, int] | None:
        """Find the nearest known position for a path, walking up to its parents."""
        table = self.keys if key else self.values
        probe = path
        while True:
            # An item of a sequence has no key: its value's position stands for it.
            for known in (table, self.keys, self.values):
                if probe in known:
                    return known[probe]
            if not probe:
                return None
            probe = probe[:-1]


@dataclass
class LoadedCase:
    """A case file read into plain Python data, with its positions."""

    file: Path
    data: dict[str, Any]
    positions: Positions

    def place(self, finding: Finding, *, key: bool = False) -> Finding:
        """Give a finding the file, line and column of its path."""
        path: PathKey = tuple(int(p) if p.isdigit() else p for p in finding.path.split(".") if p)
        pos = self.positions.locate(path, key=key)
        return finding.located(self.positions.origin(path) or str(self.file), *(pos if pos else (None, None)))
