"""Stage 1: read a case file as YAML, keeping the line and column of every key and value.

ruamel.yaml's round-trip loader records positions on its container types; we copy the document
into plain dicts, lists and scalars and keep the positions in a side table keyed by YAML path, so
that later stages (the model, the rules) can report `FILE:LINE:COL` for any field they name.

Limits (documented in the README): a case file is at most `MAX_BYTES`, nests at most `MAX_DEPTH`
levels and expands to at most `MAX_NODES` nodes, which stops alias bombs; a recursive anchor is an
error. Text may not hold characters that XML 1.0 forbids, since they would break the DOCX.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.timestamp import TimeStamp

from kotodoc.errors import CaseError, Finding, Severity

MAX_BYTES = 2_000_000
MAX_DEPTH = 32
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]
# XML 1.0 allows TAB, LF and CR but no other C0 control character.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def dotted(path: PathKey) -> str:
    """Render a path tuple as `person.other_languages.0.level`."""
    return ".".join(str(p) for p in path)


@dataclass
class Positions:
    """Line and column (1-based) of keys and values, by YAML path."""

    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey, *, key: bool = False) -> tuple[int, int] | None:
        """Find the nearest known position for a path, walking up to its parents."""
        table = self.keys if key else self.values
        probe = path
        while True:
            if probe in table:
                return table[probe]
            if probe in self.keys:
                return self.keys[probe]
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
        return finding.located(str(self.file), *(pos if pos else (None, None)))


class _Converter:
    """Copy a ruamel document into plain data, recording positions and enforcing limits."""

    def __init__(self) -> None:
        self.positions = Positions()
        self.findings: list[Finding] = []

    def convert(self, node: Any, path: PathKey, depth: int) -> Any:
        # Recursion, depth and size were checked on the node graph (`_check_nodes`) before this.
        if isinstance(node, CommentedMap):
            return self._mapping(node, path, depth)
        if isinstance(node, CommentedSeq):
            return self._sequence(node, path, depth)
        return self._scalar(node, path)

    def _mapping(self, node: CommentedMap, path: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in node:
            # Keys that come from a merge (`<<`) have no position of their own: use the mapping's.
            line, col = _position(node, key, "key")
            if not isinstance(key, str):
                # Keys of the format are names; a number or date as a key is a typo.
                self._error(path, line, col, f"a key must be text, not {type(key).__name__}")
                continue
            child = (*path, key)
            self.positions.keys[child] = (line + 1, col + 1)
            vline, vcol = _position(node, key, "value")
            self.positions.values[child] = (vline + 1, vcol + 1)
            out[key] = self.convert(node[key], child, depth + 1)
        return out

    def _sequence(self, node: CommentedSeq, path: PathKey, depth: int) -> list[Any]:
        out = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            self.positions.values[(*path, i)] = (line + 1, col + 1)
            out.append(self.convert(item, (*path, i), depth + 1))
        return out

    def _scalar(self, node: Any, path: PathKey) -> Any:
        if isinstance(node, (TimeStamp, dt.datetime)):
            # A time of day has no place in the format; keep the value for the model to reject.
            return dt.datetime(node.year, node.month, node.day, node.hour, node.minute)
        if isinstance(node, ScalarFloat):
            # Keep the float's written digits: money is parsed from them as Decimal, never float.
            return _FloatText(node)
        if node is None or isinstance(node, (bool, int, str, dt.date)):
            if isinstance(node, str) and (bad := _XML_INVALID.search(node)):
                pos = self.positions.values.get(path, (None, None))
                self.findings.append(
                    Finding(
                        Severity.ERROR,
                        dotted(path),
                        f"control character U+{ord(bad.group()):04X} at offset {bad.start()} "
                        "cannot go into a document",
                        line=pos[0],
                        column=pos[1],
                    )
                )
            return str(node) if isinstance(node, str) else node
        # Tagged scalars (!python/object, !!binary...) are not part of the format.
        pos = self.positions.values.get(path, (None, None))
        self.findings.append(
            Finding(
                Severity.ERROR,
                dotted(path),
                f"unsupported YAML value of type {type(node).__name__}",
                line=pos[0],
                column=pos[1],
            )
        )
        return None

    def _error(self, path: PathKey, line: int, col: int, message: str) -> None:
        self.findings.append(Finding(Severity.ERROR, dotted(path), message, line=line + 1, column=col + 1))


def _position(node: CommentedMap, key: Any, which: str) -> tuple[int, int]:
    try:
        line, col = getattr(node.lc, which)(key)
        return int(line), int(col)
    except (KeyError, TypeError, AttributeError):
        return int(node.lc.line or 0), int(node.lc.col or 0)


class _FloatText(float):
    """A float that remembers how it was written, so `132.50` can become `Decimal("132.50")`."""

    text: str

    def __new__(cls, value: ScalarFloat) -> Self:
        obj = super().__new__(cls, float(value))
        obj.text = _float_text(value)
        return obj


def _float_text(value: ScalarFloat) -> str:
    # ScalarFloat keeps width and precision of the source; fall back to repr.
    prec = getattr(value, "_prec", None)
    width = getattr(value, "_width", None)
    if isinstance(prec, int) and isinstance(width, int) and prec >= 0:
        decimals = max(width - prec - 1, 0)
        return f"{float(value):.{decimals}f}"
    return repr(float(value))


def _compose_and_construct(file: Path, text: str) -> Any:
    """Parse once: compose the node graph, check it, then construct the data from the same nodes.

    The node graph is checked before constructing: ruamel turns a recursive alias into null and
    raises an unlocated ValueError for an impossible date; the nodes still know where they are.
    Parsing is most of a case's validation time (pure-Python ruamel), so it is done only once; this
    is what `YAML.load` does, with the check in between.
    """
    yaml = YAML(typ="rt")
    constructor, parser = yaml.get_constructor_parser(text)
    try:
        node = constructor.composer.get_single_node()
        problem = _check_nodes(node)
        if problem is not None:
            message, path, line, column = problem
            raise CaseError(file, [Finding(Severity.ERROR, dotted(path), message, file=str(file), line=line,
                                           column=column)])
        return None if node is None else constructor.construct_document(node)
    finally:
        parser.dispose()


def load_case(file: Path, text: str | None = None) -> LoadedCase:
    """Read a case file.

    Args:
        file: the case file's path (also used in messages).
        text: the file's text, when the caller already has it.

    Returns:
        The document as plain data with positions.

    Raises:
        CaseError: the file cannot be read or is not a YAML mapping within the limits.
    """
    name = str(file)

    def fail(message: str, line: int | None = None, column: int | None = None) -> CaseError:
        return CaseError(file, [Finding(Severity.ERROR, "", message, file=name, line=line, column=column)])

    if text is None:
        try:
            raw = file.read_bytes()
        except OSError as e:
            raise fail(f"cannot read the file: {e.strerror}") from None
        if len(raw) > MAX_BYTES:
            raise fail(f"the file is larger than {MAX_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")  # a byte-order mark is harmless; drop it
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + 1
            column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
            raise fail("the file is not valid UTF-8 text", line, column) from None
    if not text.strip():
        raise fail("the file is empty")

    try:
        doc = _compose_and_construct(file, text)
    except DuplicateKeyError as e:
        # ruamel's own message repeats both values, which may be personal data.
        mark = e.problem_mark
        key = _duplicate_key_name(str(e.problem))
        raise fail(f"duplicate key {key!r}", *_mark(mark)) from None
    except ReaderError as e:
        line, column = _offset_to_line_col(text, e.position)
        raise fail(f"character U+{e.character:04X} is not allowed in YAML" if isinstance(e.character, int)
                   else "a character is not allowed in YAML", line, column) from None
    except MarkedYAMLError as e:
        problem = (e.problem or "invalid YAML").strip()
        if "\t" in text and "tab" in problem.lower() or "'\\t'" in problem:
            problem += " (tabs cannot indent YAML; use spaces)"
        raise fail(f"YAML syntax error: {problem}", *_mark(e.problem_mark or e.context_mark)) from None
    except (YAMLError, RecursionError, ValueError) as e:
        raise fail(f"YAML error: {type(e).__name__}") from None

    if not isinstance(doc, CommentedMap):
        kind = "a list" if isinstance(doc, CommentedSeq) else f"a {type(doc).__name__}"
        raise fail(f"a case file must be a mapping of keys to values, not {kind}", 1, 1)

    conv = _Converter()
    conv.positions.values[()] = (1, 1)
    try:
        data = conv.convert(doc, (), 0)
    except RecursionError:
        raise fail(f"the document nests deeper than {MAX_DEPTH} levels") from None
    if conv.findings:
        raise CaseError(file, [f.located(name, f.line, f.column) for f in conv.findings])
    return LoadedCase(file, data, conv.positions)


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _check_nodes(root: Node | None) -> tuple[str, PathKey, int, int] | None:
    """Find a recursive anchor, an alias bomb or an impossible date in the composed document."""
    count = 0
    stack: list[tuple[Node, PathKey, frozenset[int]]] = [(root, (), frozenset())] if root is not None else []
    while stack:
        node, path, ancestors = stack.pop()
        count += 1
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if count > MAX_NODES:
            return f"the document expands to more than {MAX_NODES} nodes (alias bomb?)", path, line, column
        if len(ancestors) > MAX_DEPTH:
            return f"the document nests deeper than {MAX_DEPTH} levels", path, line, column
        if isinstance(node, ScalarNode):
            if node.tag == _TIMESTAMP and not _valid_timestamp(node.value):
                return f"{node.value} is not a valid date", path, line, column
            continue
        if id(node) in ancestors:
            return "a recursive anchor refers to itself", path, line, column
        inner = ancestors | {id(node)}
        if isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((key, path, inner))
                stack.append((value, (*path, name), inner))
        elif isinstance(node, SequenceNode):
            stack.extend((child, (*path, i), inner) for i, child in enumerate(node.value))
    return None


def _valid_timestamp(value: str) -> bool:
    try:
        dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return False
    return True


def _mark(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _duplicate_key_name(problem: str) -> str:
    m = re.search(r'duplicate key "([^"]*)"', problem)
    return m.group(1) if m else "?"
