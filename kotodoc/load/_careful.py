"""Stage 1: read a case file as YAML, keeping the line and column of every key and value.

ruamel.yaml's round-trip loader records positions on its container types; we copy the document
into plain dicts, lists and scalars and keep the positions in a side table keyed by YAML path, so
that later stages (the model, the rules) can report `FILE:LINE:COL` for any field they name.

Limits (documented in the README): a case file is at most `MAX_BYTES`, nests at most `MAX_DEPTH`
levels and expands to at most `MAX_NODES` nodes, which stops alias bombs; a recursive anchor is an
error. The limits are checked on the parser's events as the composer takes them: ruamel.yaml's
composer recurses once per level (a few hundred `[` ended in a RecursionError) and would build
the whole of an alias bomb. Text may not hold characters that XML 1.0 forbids, since they would
break the DOCX.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedOrderedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.timestamp import TimeStamp

from kotodoc._files import read_user_file
from kotodoc._i18n import N_
from kotodoc.errors import CaseError, Finding, Message, Severity
from kotodoc.load import _positions as limits
from kotodoc.load._fast import fast_load
from kotodoc.load._positions import XML_INVALID, LoadedCase, PathKey, Positions, dotted


class _Converter:
    """Copy a ruamel document into plain data, recording positions and enforcing limits."""

    def __init__(self) -> None:
        self.positions = Positions()
        self.findings: list[Finding] = []

    def convert(self, node: Any, path: PathKey, depth: int) -> Any:
        # Recursion, depth and size were checked on the parser's events (`_EventCheck`) before this.
        tag = getattr(getattr(node, "tag", None), "value", None)
        if isinstance(node, (CommentedMap, CommentedSeq)) and (tag or isinstance(node, CommentedOrderedMap)):
            # `!!python/object/apply:...`, `!!omap`, `!custom` on a mapping or list: not part of the format.
            pos = self.positions.values.get(path, (None, None))
            shown = tag if tag and re.fullmatch(r"[!\w:/.,-]{1,60}", tag) else "!!omap" if not tag else None
            message = (Message(N_("unsupported YAML value with tag {tag}"), {"tag": shown}) if shown
                       else Message(N_("unsupported YAML value with this tag")))
            self.findings.append(Finding(Severity.ERROR, dotted(path), message.msgid, params=message.params,
                                         code="FORMAT-YAML", line=pos[0], column=pos[1]))
            return None
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
                self._error(path, line, col, Message(N_("a key must be text, not {kind}"), {"kind": _kind_of(key)}),
                            "FORMAT-STRUCTURE")
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
            # ruamel records no item positions in some sequences (a tagged one): use the sequence's.
            line, col = node.lc.item(i) or (node.lc.line or 0, node.lc.col or 0)
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
            if isinstance(node, str) and (bad := XML_INVALID.search(node)):
                pos = self.positions.values.get(path, (None, None))
                self.findings.append(
                    Finding(
                        Severity.ERROR,
                        dotted(path),
                        N_("{what} U+{code} at offset {offset} cannot go into a document"),
                        params={"what": _char_kind(bad.group()), "code": f"{ord(bad.group()):04X}",
                                "offset": bad.start()},
                        code="FORMAT-CHARACTER",
                        line=pos[0],
                        column=pos[1],
                    )
                )
            return str(node) if isinstance(node, str) else node
        if isinstance(node, float):
            # `.inf` and `.nan` (ScalarFloat keeps only finite numbers): no amount or count is infinite.
            pos = self.positions.values.get(path, (None, None))
            self.findings.append(Finding(Severity.ERROR, dotted(path),
                                         N_("expected a finite number, not .inf or .nan"), code="FORMAT-DECIMAL",
                                         line=pos[0], column=pos[1]))
            return None
        # Tagged scalars (!python/object, !!binary...) are not part of the format.
        pos = self.positions.values.get(path, (None, None))
        self.findings.append(
            Finding(
                Severity.ERROR,
                dotted(path),
                N_("unsupported YAML value {kind}"),
                params={"kind": _kind_of(node)},
                code="FORMAT-YAML",
                line=pos[0],
                column=pos[1],
            )
        )
        return None

    def _error(self, path: PathKey, line: int, col: int, message: Message, code: str) -> None:
        self.findings.append(Finding(Severity.ERROR, dotted(path), message.msgid, params=message.params, code=code,
                                     line=line + 1, column=col + 1))


_KINDS = {"int": N_("a number"), "float": N_("a number"), "bool": N_("true or false"), "NoneType": N_("null"),
          "CommentedKeySeq": N_("a list"), "CommentedKeyMap": N_("a mapping")}
_TAGGED = {"bytes": "!!binary", "CommentedSet": "!!set"}


def _kind_of(value: Any) -> Message:
    """What a key or value is, in the words of a message (never its content)."""
    tag = getattr(getattr(value, "tag", None), "value", None)
    if not (isinstance(tag, str) and re.fullmatch(r"[!\w:/.,-]{1,60}", tag)):
        tag = _TAGGED.get(type(value).__name__)
    if tag:
        return Message(N_("with tag {tag}"), {"tag": tag})
    name = type(value).__name__
    return Message(_KINDS[name]) if name in _KINDS else Message(N_("of type {type}"), {"type": name})


def _char_kind(char: str) -> Message:
    if "\ud800" <= char <= "\udfff":
        return Message(N_("surrogate"))
    return Message(N_("non-character") if char > "\ud7ff" else N_("control character"))


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

    def fail(message: str, line: int | None = None, column: int | None = None, code: str = "FORMAT-FILE",
             **params: object) -> CaseError:
        return CaseError(file, [Finding(Severity.ERROR, "", message, file=name, line=line, column=column,
                                        params=params, code=code)])

    if text is None:
        try:
            # A FIFO or a device is refused, and no more than the limit is read (see `read_user_file`).
            raw = read_user_file(file, limit=limits.MAX_BYTES, overflow=True)
        except OSError as e:
            raise fail(N_("cannot read the file: {reason}"), reason=e.strerror) from None
        if len(raw) > limits.MAX_BYTES:
            # Point at the first character beyond the limit, so the message is located like any other.
            line, column = _byte_position(raw, limits.MAX_BYTES)
            raise fail(N_("the file is larger than {limit} bytes"), line, column, limit=limits.MAX_BYTES)
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(raw):
            raise fail(N_("the file is UTF-16 text; save it as UTF-8"), 1, 1)
        try:
            text = raw.decode("utf-8-sig")  # a byte-order mark is harmless; drop it
        except UnicodeDecodeError as e:
            line, column = _byte_position(raw, e.start)
            raise fail(N_("the file is not valid UTF-8 text"), line, column) from None
    elif len(text) > limits.MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > limits.MAX_BYTES:
        line, column = _offset_to_line_col(text, len(text.encode("utf-8", "surrogatepass")[:limits.MAX_BYTES].decode(
            "utf-8", "ignore")))
        raise fail(N_("the file is larger than {limit} bytes"), line, column, limit=limits.MAX_BYTES)
    if not text.strip():
        raise fail(N_("the file is empty"), 1, 1)

    # Most case files are plain YAML: libyaml reads them in a tenth of the time (see `_fast`), and
    # in NFC already. Anything unusual, and every error, is left to the careful path below, which places it.
    fast = fast_load(text)
    if fast is not None:
        return LoadedCase(file, *fast)

    yaml = _CheckedYAML(typ="rt")
    try:
        # The limits are checked on the events as they are composed, then the node graph before
        # constructing: ruamel raises an unlocated ValueError for an impossible date or a `!!int`
        # that is not one; the nodes still know where they are.
        try:
            root = yaml.compose(text)
            problem = _check_nodes(root, yaml)
        except _LimitError as e:
            root, problem = None, e.problem
        if problem is not None:
            code, message, path, line, column = problem
            raise CaseError(file, [Finding(Severity.ERROR, dotted(path), message.msgid, file=name, line=line,
                                           column=column, params=message.params, code=code)])
        doc = yaml.constructor.construct_document(root) if root is not None else None
    except DuplicateKeyError as e:
        # ruamel's own message repeats both values, which may be personal data.
        mark = e.problem_mark
        key = _duplicate_key_name(str(e.problem))
        raise fail(N_("duplicate key {key}"), *_mark(mark), code="FORMAT-YAML", key=repr(key)) from None
    except ReaderError as e:
        line, column = _offset_to_line_col(text, e.position)
        if isinstance(e.character, int):
            raise fail(N_("character U+{code_point} is not allowed in YAML"), line, column, code="FORMAT-CHARACTER",
                       code_point=f"{e.character:04X}") from None
        raise fail(N_("a character is not allowed in YAML"), line, column, code="FORMAT-CHARACTER") from None
    except MarkedYAMLError as e:
        # ruamel's words for the problem are English; the common ones are said in ours, and a hint added.
        problem_text = (e.problem or "invalid YAML").strip()
        said: object = _yaml_problem(problem_text)
        if "\t" in text and "tab" in problem_text.lower() or "'\\t'" in problem_text:
            said = Message(N_("{problem} (tabs cannot indent YAML; use spaces)"), {"problem": said})
        elif problem_text == "mapping values are not allowed here":
            said = Message(N_("{problem} (check the indentation, a quote left open above, or ': ' in an unquoted "
                              "value)"), {"problem": said})
        raise fail(N_("YAML syntax error: {problem}"), *_mark(e.problem_mark or e.context_mark), code="FORMAT-YAML",
                   problem=said) from None
    except (YAMLError, RecursionError, ValueError, TypeError, LookupError) as e:
        # Not expected after the checks above; still a message, never a traceback.
        raise fail(N_("YAML error: {error}"), code="FORMAT-YAML", error=type(e).__name__) from None

    if not isinstance(doc, CommentedMap):
        if doc is None or root is None:
            raise fail(N_("the file holds no data, only comments or an empty document"), 1, 1, code="FORMAT-STRUCTURE")
        kind = Message(N_("a list")) if isinstance(doc, CommentedSeq) else Message(N_("a {type}"),
                                                                                   {"type": type(doc).__name__})
        raise fail(N_("a case file must be a mapping of keys to values, not {kind}"), *_mark(root.start_mark),
                   code="FORMAT-STRUCTURE", kind=kind)

    conv = _Converter()
    conv.positions.values[()] = (1, 1)
    try:
        data = conv.convert(doc, (), 0)
    except RecursionError:
        raise fail(N_("the document nests deeper than {limit} levels"), code="FORMAT-LIMIT",
                   limit=limits.MAX_DEPTH) from None
    if conv.findings:
        raise CaseError(file, [f.located(name, f.line, f.column) for f in conv.findings])
    return LoadedCase(file, nfc(data), conv.positions)


def nfc(data: Any) -> Any:
    """Keys and text in Unicode's composed form (NFC).

    `Zoë` typed as `Zoe` plus a combining diaeresis is then the same name as the composed one: in
    comparisons, in the documents' text and in what a search of the PDF finds.
    """
    if isinstance(data, str):
        return data if unicodedata.is_normalized("NFC", data) else unicodedata.normalize("NFC", data)
    if isinstance(data, dict):
        return {nfc(k): nfc(v) for k, v in data.items()}
    if isinstance(data, list):
        return [nfc(v) for v in data]
    return data


Problem = tuple[str, Message, PathKey, int, int]  # code, message, path, line, column


@dataclass
class _Frame:
    """An open mapping or sequence while scanning events."""

    anchor: str | None
    start: int  # the node count when it opened
    mapping: bool
    index: int = 0  # items (sequence) or keys and values (mapping) seen so far
    key: str | int = "?"  # the key whose value comes next (mapping)
    height: int = 0  # levels below it, aliases expanded


class _EventCheck:
    """Check nesting, size (aliases expanded) and recursive anchors on the parser's events.

    An alias counts as the whole node it refers to, so `MAX_NODES` stops an alias bomb after a few
    events; an alias to an anchor that is still open is a recursive anchor.
    """

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.done: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, height)
        self.count = 0

    def feed(self, event: Event) -> Problem | None:
        """Take the next event; return the problem it makes, if any."""
        if not isinstance(event, (NodeEvent, CollectionEndEvent)):
            return None
        stack = self.stack
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        if isinstance(event, CollectionEndEvent):
            frame = stack.pop()
            if frame.anchor is not None:
                self.done[frame.anchor] = (self.count - frame.start + 1, frame.height)
            if stack:
                _child(stack[-1], frame.height + 1)
            return None
        parent = stack[-1] if stack else None
        if parent is not None and parent.mapping and parent.index % 2 == 0:
            parent.key = event.value if isinstance(event, ScalarEvent) else "?"
        if isinstance(event, AliasEvent):
            anchor = str(event.anchor)
            if any(f.anchor == anchor for f in stack):
                return "FORMAT-LIMIT", Message(N_("a recursive anchor refers to itself")), self._path(), *where
            nodes, height = self.done.get(anchor, (1, 0))  # an undefined alias is the composer's error
        else:
            nodes, height = 1, 0
        self.count += nodes
        if self.count > limits.MAX_NODES:
            return ("FORMAT-LIMIT", Message(N_("the document expands to more than {limit} nodes (alias bomb?)"),
                                            {"limit": limits.MAX_NODES}), self._path(), *where)
        if len(stack) + height > limits.MAX_DEPTH:
            return ("FORMAT-LIMIT", Message(N_("the document nests deeper than {limit} levels"),
                                            {"limit": limits.MAX_DEPTH}), self._path(), *where)
        if isinstance(event, CollectionStartEvent):
            stack.append(_Frame(event.anchor, self.count, isinstance(event, MappingStartEvent)))
            return None
        if isinstance(event, ScalarEvent) and event.anchor is not None:
            self.done[str(event.anchor)] = (1, 0)
        if parent is not None:
            _child(parent, height + 1)
        return None

    def _path(self) -> PathKey:
        return tuple(f.key if f.mapping else f.index for f in self.stack)


class _LimitError(Exception):
    """A limit was passed while composing; raised from inside ruamel's composer to stop it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem[0])
        self.problem = problem


class _CheckedYAML(YAML):
    """ruamel's round-trip loader, with every event checked before the composer sees it.

    The composer recurses once per level and expands nothing itself, so checking its events as it
    takes them stops a deep or huge document before Python's recursion limit or memory is reached,
    and the text is parsed once.
    """

    def get_constructor_parser(self, stream: Any) -> Any:
        constructor, parser = super().get_constructor_parser(stream)
        check, get_event = _EventCheck(), parser.get_event

        def checked_event() -> Any:
            event = get_event()
            if (problem := check.feed(event)) is not None:
                raise _LimitError(problem)
            return event

        parser.get_event = checked_event
        return constructor, parser


def _child(frame: _Frame, height: int) -> None:
    """Record that a child of `height` levels finished inside a frame."""
    frame.index += 1
    frame.height = max(frame.height, height)


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CHECKED_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                 "tag:yaml.org,2002:null")


def _check_nodes(root: Node | None, yaml: YAML) -> Problem | None:
    """Find an impossible date or a scalar its tag cannot hold (`!!int ten`) in the composed document.

    The graph is within the limits (see `_EventCheck`), so walking it, aliases included, is safe.
    """
    constructor = yaml.constructor
    stack: list[tuple[Node, PathKey]] = [(root, ())] if root is not None else []
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue  # an alias: its node was checked where it was defined
        seen.add(id(node))
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, ScalarNode):
            if node.tag == _TIMESTAMP and not _valid_timestamp(node.value):
                # Echo the value only when it looks like a date: a tagged text may be personal data.
                # Never a date of birth: with the file's other details it identifies a person.
                if re.fullmatch(r"[0-9: .T+-]{1,40}", node.value) and "date_of_birth" not in path:
                    return "FORMAT-DATE", Message(N_("{value} is not a valid date"), {"value": node.value}), path, \
                        line, column
                return "FORMAT-DATE", Message(N_("the value is not a valid date")), path, line, column
            if node.tag in _CHECKED_TAGS:
                try:
                    constructor.construct_object(node)
                except (ValueError, TypeError, LookupError, YAMLError):
                    kind = str(node.tag).rsplit(":", 1)[-1]
                    return ("FORMAT-YAML", Message(N_("the value is not a valid YAML {kind}"), {"kind": kind}), path,
                            line, column)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((key, path))
                stack.append((value, (*path, name)))
        elif isinstance(node, SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
    return None


def _valid_timestamp(value: str) -> bool:
    try:
        dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return False
    return True


# ruamel.yaml's most common problems, in words the catalogue translates; others are shown as ruamel says them.
_YAML_PROBLEMS = {
    "mapping values are not allowed here": Message(N_("mapping values are not allowed here")),
    "could not find expected ':'": Message(N_("could not find expected ':'")),
    "found character '\\t' that cannot start any token": Message(N_("found a tab that cannot start any token")),
    "expected <block end>, but found '<block mapping start>'": Message(N_("the indentation does not match the lines "
                                                                         "above")),
    "expected <block end>, but found '-'": Message(N_("a list item where a key was expected: check the indentation")),
    "found unexpected end of stream": Message(N_("the file ends in the middle of a value (a quote left open?)")),
}


# ruamel's problems that quote a token, as (pattern, message id with the token as {token}).
_YAML_PATTERNS = (
    (re.compile(r"expected <block end>, but found '(.{1,40})'"),
     N_("{token} where a line should end: check the indentation and the brackets")),
    (re.compile(r"expected ',' or '(.)', but got '.{1,40}'"),
     N_("brackets left open: expected ',' or {token}")),
    (re.compile(r"found unknown escape character '(.{1,4})'"),
     N_("unknown escape character {token} in a text in double quotes: write \\\\ for a backslash")),
    (re.compile(r"expected a mapping for merging, but found (\w+)"),
     N_("expected a mapping for merging (<<), not a single value or a list")),
    (re.compile(r"found undefined alias '(.{1,60})'"), N_("undefined alias {token}: its anchor (&) is missing")),
    (re.compile(r"expected '<document start>', but found (.{1,60})"),
     N_("the file does not begin as a YAML document")),
    (re.compile(r"found incompatible YAML document \(version (.{1,10}) is required\)"),
     N_("the YAML version directive is not supported (version {token} is required)")),
    (re.compile(r"but found (another document)"),
     N_("the file holds another document after ---: a case file is one document")),
)


def _yaml_problem(problem: str) -> object:
    """ruamel's problem in the catalogue's words where kotodoc knows it, else as ruamel says it."""
    if problem in _YAML_PROBLEMS:
        return _YAML_PROBLEMS[problem]
    for pattern, msgid in _YAML_PATTERNS:
        if m := pattern.fullmatch(problem):
            token = m.group(1)
            quoted = "'" in pattern.pattern.split("(")[0] or "'(" in pattern.pattern
            return Message(msgid, {"token": repr(token) if quoted else token})
    return problem


def _utf16_without_bom(raw: bytes) -> bool:
    # YAML allows no NUL; text whose first characters alternate with NUL bytes is UTF-16.
    head = raw[:64]
    even, odd = head[0::2], head[1::2]
    return len(head) >= 4 and ((all(even) and not any(odd)) or (all(odd) and not any(even)))


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and column (in characters, 1-based) of a byte offset; the bytes before it are UTF-8."""
    start = raw.rfind(b"\n", 0, offset) + 1
    prefix = raw[start:offset].decode("utf-8", "replace")
    return raw.count(b"\n", 0, offset) + 1, len(prefix) + 1


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
