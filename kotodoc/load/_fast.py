"""Stage 1, the fast path: read a well-formed, plain case file from libyaml's events in one pass.

The careful path in `_careful` (ruamel's pure-Python round-trip loader, with every check placed on
the line and column of the problem) costs 30–70 ms a case, most of a batch's time. Almost every
case file in a batch is plain YAML: mappings, lists and scalars, no anchors, tags, merge keys,
directives or duplicate keys. For such a file this path reads the C parser's events
(ruamel.yaml.clib) once and builds the plain data and the positions of every key and value
directly, in Unicode's composed form (NFC) as `_careful.nfc` would leave them. It does not compose
ruamel nodes: the composer and its resolver run in Python for every scalar and cost more than the
parsing itself. Anything else (a syntax error, an alias, an unusual tag or key, a limit, a
character XML forbids) makes the fast path step aside, and the careful path reads the file and
explains the problem.

Scalars are resolved with ruamel's own table of implicit tags for YAML 1.2 (the version the
careful path reads a file without a `%YAML` directive in), and built as ruamel's safe constructor
builds them; the commonest forms (a date, a whole number, true, false, null) directly.

The positions agree with the careful path's (a test compares both on every sample and on the
corpus), with one documented difference: an empty value (`fee:` with nothing after it) is placed
just after its key's colon, where the careful path places it at the next token.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # libyaml (clib or clibz), as ruamel finds it
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from kotodoc.load import _positions as limits
from kotodoc.load._positions import XML_INVALID, PathKey, Positions

_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BLOCK = ("|", ">")


class _StepAside(Exception):
    """The file is not plain: the careful path reads it."""


class _Float(float):
    """A float with its written digits, as the careful path's `_FloatText` (money is parsed from them)."""

    text: str


Resolvers = dict[str | None, list[tuple[str, Callable[[str], Any]]]]


@cache
def _resolvers() -> Resolvers:
    """ruamel's implicit tags for YAML 1.2 by first character, each with its pattern's `match`.

    The same table the careful path's resolver uses, looked up once a process instead of once a
    scalar (ruamel's patterns are compiled on first use; `match` is taken from the compiled one).
    """
    table = VersionedResolver().versioned_resolver  # no loader: the default version, YAML 1.2
    return {first: [(str(tag), regexp.match) for tag, regexp in entries] for first, entries in table.items()}


@cache
def _constructor() -> SafeConstructor:
    """ruamel's safe constructor, for the rare forms of a number or a time (`0x1F`, `1_000`, `1.5e3`).

    Its methods for a scalar keep no state (`construct_object`, which remembers every node, is
    not used), so one serves every file and thread of a process.
    """
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False).constructor  # type: ignore[no-any-return]


def _tag(value: str) -> str:
    """The implicit tag of a plain scalar, as ruamel's resolver gives it."""
    table = _resolvers()
    for tag, match in table.get(value[0] if value else "", ()):
        if match(value):
            return tag
    for tag, match in table.get(None, ()):
        if match(value):
            return tag
    return _STR


def _text(value: str) -> str:
    if XML_INVALID.search(value):
        raise _StepAside  # the careful path names the character and places it
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def _scalar(event: Any) -> Any:
    """A scalar event's value, as the careful path's data holds it."""
    value: str = event.value
    if not event.implicit[0]:  # quoted or a block scalar: text
        return _text(value)
    tag = _tag(value)
    if tag == _STR:
        return _text(value)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return SafeConstructor.bool_values[value.lower()]
    if tag == _INT:
        if value.isascii() and value.isdigit():
            return int(value)
        return _constructor().construct_yaml_int(ScalarNode(tag, value))
    if tag == _TIMESTAMP:
        if _DATE.fullmatch(value):
            return dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))  # an impossible date raises: step aside
        stamp = _constructor().construct_yaml_timestamp(ScalarNode(tag, value))
        if isinstance(stamp, dt.datetime):
            # A time of day has no place in the format; kept for the model to reject, as the careful path does.
            return dt.datetime(stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute)
        return stamp
    if tag == _FLOAT:
        number = _constructor().construct_yaml_float(ScalarNode(tag, value))
        if not math.isfinite(number):
            raise _StepAside
        out = _Float(number)
        out.text = value
        return out
    raise _StepAside  # a merge key (`<<`) or another tag: the careful path explains it


def fast_load(text: str) -> tuple[dict[str, Any], Positions] | None:
    """The data and positions of a plain case file, or None when the careful path must read it."""
    try:
        return _read(text)
    except _StepAside:
        return None
    except (YAMLError, ValueError, TypeError, LookupError, OverflowError, RecursionError):
        return None  # any YAML error: the careful path finds and places it


def _read(text: str) -> tuple[dict[str, Any], Positions]:
    get = CParser(text).get_event
    get()  # the stream's start
    start = get()
    if type(start) is not DocumentStartEvent or start.version is not None or start.tags:
        raise _StepAside  # a directive (`%YAML 1.1`) or an empty stream
    event = get()
    if type(event) is not MappingStartEvent or event.anchor is not None or event.ctag is not None:
        raise _StepAside  # the careful path says what a case file must be
    positions = Positions()
    keys, values = positions.keys, positions.values
    values[()] = (1, 1)
    root: dict[str, Any] = {}
    lines: list[str] | None = None  # the text's lines, split when a block scalar needs them
    max_nodes, max_depth = limits.MAX_NODES, limits.MAX_DEPTH  # read at call time: one place sets the limits
    count = depth = 1
    # The open mappings and lists, innermost last: (container, its path). A mapping's next value
    # goes under `key`, placed at `key_event`; `key` is None while a key is expected.
    stack: list[tuple[Any, PathKey]] = [(root, ())]
    key: str | None = None
    key_event: Any = None
    while stack:
        event = get()
        kind = type(event)
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            depth -= 1
            key = None
            continue
        if kind is not ScalarEvent and kind is not MappingStartEvent and kind is not SequenceStartEvent:
            raise _StepAside  # an alias
        if event.anchor is not None or event.ctag is not None:
            raise _StepAside  # an anchor, or an explicit tag (`!!bool ei`) checked against its value there
        count += 1
        if count > max_nodes:
            raise _StepAside
        container, path = stack[-1]
        mark = event.start_mark
        if type(container) is dict:
            if key is None:
                if kind is not ScalarEvent:
                    raise _StepAside  # a list or a mapping as a key
                name = event.value
                if (event.implicit[0] and _tag(name) != _STR) or name == "<<" or name in container:
                    raise _StepAside  # a number, a date or a merge as a key, or a duplicate key
                if XML_INVALID.search(name) or not unicodedata.is_normalized("NFC", name):
                    raise _StepAside
                key, key_event = name, event
                continue
            child = (*path, key)
            keys[child] = (key_event.start_mark.line + 1, key_event.start_mark.column + 1)
            if kind is ScalarEvent and event.implicit[0] and event.value == "":
                # An empty value just after its key's colon.
                end = key_event.end_mark
                values[child] = (end.line + 1, end.column + 2)
            elif kind is ScalarEvent and event.style in _BLOCK:
                # A block scalar at its indicator (`|`), where the careful path places it.
                end = key_event.end_mark
                if lines is None:
                    lines = text.splitlines()
                line, column = lines[end.line], end.column
                while column < len(line) and line[column] in ": \t":
                    column += 1
                values[child] = (end.line + 1, column + 1)
            else:
                values[child] = (mark.line + 1, mark.column + 1)
            slot: str | int = key
            key = None
        else:
            if kind is ScalarEvent and (event.style in _BLOCK or (event.implicit[0] and event.value == "")):
                raise _StepAside  # rare in a list; the careful path places these by its own convention
            slot = len(container)
            child = (*path, slot)
            values[child] = (mark.line + 1, mark.column + 1)
        if kind is ScalarEvent:
            value = _scalar(event)
        else:
            depth += 1
            if depth > max_depth:
                raise _StepAside
            value = {} if kind is MappingStartEvent else []
            stack.append((value, child))
        if type(slot) is int:
            container.append(value)
        else:
            container[slot] = value
    if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        raise _StepAside  # another document follows: the careful path names the problem
    return root, positions
