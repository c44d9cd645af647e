"""Stage 1, the fast path: read a well-formed, plain case file with libyaml (ruamel.yaml.clib).

The careful path in `_careful` (ruamel's pure-Python round-trip loader, with every check placed on
the line and column of the problem) costs 30–70 ms a case, most of a batch's time. Almost every
case file in a batch is plain YAML: mappings, lists and scalars, no anchors, tags, merge keys or
duplicate keys. For such a file the C parser gives the same data and the same positions in about a
tenth of the time. Anything else (a syntax error, an alias, an unusual tag or key, a limit, a
character XML forbids) makes the fast path step aside, and the careful path reads the file and
explains the problem.

The positions agree with the careful path's (a test compares both on every sample and on the
corpus), with one documented difference: an empty value (`fee:` with nothing after it) is placed
just after its key's colon, where the careful path places it at the next token.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from kotodoc.load import _positions as limits
from kotodoc.load._positions import XML_INVALID, PathKey, Positions

_MAP, _STR = "tag:yaml.org,2002:map", "tag:yaml.org,2002:str"
_SEQ, _FLOAT, _TIMESTAMP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"
_SIMPLE = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}


class _OnceResolver(VersionedResolver):
    """ruamel's resolver, with the document's resolver table looked up once per load.

    ruamel finds the table of implicit tags again for every scalar (through the document's YAML
    version), which was most of the time the C parser left to Python: a plain case file resolves
    some 400 scalars. A new resolver is made for every file, so the version cannot change under it.
    """

    @property
    def versioned_resolver(self) -> Any:
        table = self.__dict__.get("_kotodoc_table")
        if table is None:
            table = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
            self.__dict__["_kotodoc_table"] = table
        return table


class _StepAside(Exception):
    """The file is not plain: the careful path reads it."""


class _Float(float):
    """A float with its written digits, as the careful path's `_FloatText` (money is parsed from them)."""

    text: str


def fast_load(text: str) -> tuple[dict[str, Any], Positions] | None:
    """The data and positions of a plain case file, or None when the careful path must read it."""
    try:
        # The limits first, on libyaml's events: the C composer recurses once per level.
        depth = count = 0
        for event in YAML(typ="safe", pure=False).parse(text):
            if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor is not None):
                return None
            if getattr(event, "tag", None) is not None:
                return None  # an explicit tag (`!!bool ei`): the careful path checks it against the value
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > limits.MAX_DEPTH:  # read at call time: one place sets the limits
                    return None
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if isinstance(event, NodeEvent):
                count += 1
                if count > limits.MAX_NODES:
                    return None
        yaml = YAML(typ="safe", pure=False)
        yaml.Resolver = _OnceResolver
        root = yaml.compose(text)
        if not isinstance(root, MappingNode):
            return None
        positions = Positions()
        positions.values[()] = (1, 1)
        return _Walker(positions, yaml.constructor, text.splitlines()).mapping(root, ()), positions
    except _StepAside:
        return None
    except (YAMLError, ValueError, TypeError, LookupError, OverflowError, RecursionError):
        return None  # any YAML error: the careful path finds and places it


class _Walker:
    """Copy composed nodes into plain data, recording where each key and value is."""

    def __init__(self, positions: Positions, constructor: SafeConstructor, lines: list[str]) -> None:
        self.positions = positions
        self.constructor = constructor
        self.lines = lines

    def value(self, node: Any, path: PathKey) -> Any:
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise _StepAside
            out = []
            for i, item in enumerate(node.value):
                if isinstance(item, ScalarNode) and (item.style in ("|", ">") or (item.value == "" and not item.style)):
                    raise _StepAside  # rare in a list; the careful path places these by its own convention
                self.positions.values[(*path, i)] = (item.start_mark.line + 1, item.start_mark.column + 1)
                out.append(self.value(item, (*path, i)))
            return out
        return self.scalar(node)

    def mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        if node.tag != _MAP:
            raise _StepAside
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR or key_node.value == "<<":
                raise _StepAside  # a merge key, or a number or a date as a key
            key = key_node.value
            if key in out or XML_INVALID.search(key):
                raise _StepAside  # a duplicate key: the careful path names it without its values
            child = (*path, key)
            self.positions.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            self.positions.values[child] = self._value_position(key_node, value_node)
            out[key] = self.value(value_node, child)
        return out

    def _value_position(self, key: Any, value: Any) -> tuple[int, int]:
        """An empty value just after its key's colon, a block scalar at its indicator, others where they start."""
        if isinstance(value, ScalarNode) and value.value == "" and not value.style:
            return key.end_mark.line + 1, key.end_mark.column + 2
        if isinstance(value, ScalarNode) and value.style in ("|", ">"):
            line, column = self.lines[key.end_mark.line], key.end_mark.column
            while column < len(line) and line[column] in ": \t":
                column += 1
            return key.end_mark.line + 1, column + 1
        return value.start_mark.line + 1, value.start_mark.column + 1

    def scalar(self, node: Any) -> Any:
        if not isinstance(node, ScalarNode):
            raise _StepAside
        tag = node.tag
        if tag == _STR:
            if XML_INVALID.search(node.value):
                raise _StepAside
            return node.value
        if tag in _SIMPLE:
            return self.constructor.construct_object(node)
        if tag == _FLOAT:
            value = self.constructor.construct_object(node)
            if not math.isfinite(value):
                raise _StepAside
            out = _Float(value)
            out.text = node.value
            return out
        if tag == _TIMESTAMP:
            value = self.constructor.construct_object(node)  # an impossible date raises: step aside
            if isinstance(value, dt.datetime):
                # A time of day has no place in the format; kept for the model to reject, as the careful path does.
                return dt.datetime(value.year, value.month, value.day, value.hour, value.minute)
            return value
        raise _StepAside
