"""The sandbox every template renders in: Jinja's immutable sandbox with the limits of `_limits`.

Immutable: a template cannot change a list, dict or set it is given (`t.update(...)` on the shared
terms), so nothing it does can be seen by the next document. Limited: see `_limits` for how time
and size are kept (a clock check at each loop step, call, attribute access and piece of output;
the size of a growing operation computed before it runs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from kotodoc.docx._limits import MAX_VALUE, capped, size, tick
from kotodoc.docx._limits import too_large as _too_large

_MAX_INT_BITS = 8 * 100_000
# A printf or str.format width or precision of 7 digits or more, or one taken from an argument (`*`).
_FORMAT_WIDTH = re.compile(r"(?:%|\{[^{}]*:)[^{}%a-zA-Z]*?(?:\d{7,}|\*)")


def _check_ints(args: Iterable[Any]) -> None:
    """Refuse a width or count (an argument that sizes a result) over `MAX_VALUE`."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_VALUE:
            raise _too_large(f"a width or count of {arg}" if abs(arg) < 10**15 else "such a width or count")


def _check_format(fmt: Any) -> None:
    if isinstance(fmt, str) and _FORMAT_WIDTH.search(fmt):
        raise _too_large("a formatted text with such a width or precision")


def _estimate(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The size of a growing operation's result before it runs (0 when it cannot grow much)."""
    text = value if isinstance(value, str) else None
    if name == "replace" and text is not None and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = text.count(old) if old else len(text) + 1
        return len(text) + count * max(len(new) - len(old), 0)
    if name == "indent" and text is not None:
        width = args[0] if args else kwargs.get("width", 4)
        per_line = len(width) if isinstance(width, str) else int(width)
        return len(text) + (text.count("\n") + 1) * per_line
    if name == "wordwrap" and text is not None:
        width = max(int(args[0] if args else kwargs.get("width", 79)), 1)
        wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring") or "\n"
        return len(text) + (len(text) // width + 1) * len(str(wrap))
    return 0


# Filters with an argument that sets the size of their result: a width, a count, an indent.
_SIZING_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "tojson", "truncate"})


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter with its result's size checked before (where it can grow) and after."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        tick()
        # Filters that take the context or environment first get it as their first argument.
        plain = [a for a in args if not isinstance(a, jinja2.Environment | Context | jinja2.nodes.EvalContext)]
        value, rest = (plain[0], tuple(plain[1:])) if plain else (None, ())
        if name in _SIZING_FILTERS:  # the value itself may be any number; its width or count may not
            _check_ints([*rest, *kwargs.values()])
        if name == "format":
            _check_format(value)
        if name in ("join", "sum") and value is not None and not isinstance(value, str):
            items = list(value)
            if size(items) + len(items) * size(rest[0] if rest else kwargs.get("d", "")) > MAX_VALUE:
                raise _too_large(f"the {name} of these items")
            args = tuple(items if a is value else a for a in args)
        elif _estimate(name, value, rest, kwargs) > MAX_VALUE:
            raise _too_large(f"the result of |{name}")
        return capped(func(*args, **kwargs))

    for attr in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    return guarded


class _Transformer(NodeTransformer):
    """Compile-time: a clock check at each loop step, a size check on each `~` concatenation."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_kotodoc_steps", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_kotodoc_capped", [], [], None, None, lineno=node.lineno)


def _steps(iterable: Any) -> Iterator[Any]:
    for item in iterable:
        tick()
        yield item


_DICT_ATTRIBUTES = frozenset(dir(dict))


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the clock and size checks above.

    Immutable: a template cannot change a list, dict or set it is given (`t.update(...)` on the
    shared terms), so nothing it does can be seen by the next document.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any):
        """A sandbox with the guarded built-in filters and the compile-time checks."""
        super().__init__(**options)
        for name in ("center", "indent", "wordwrap", "replace", "join", "format", "batch", "slice", "sum",
                     "truncate", "tojson", "string", "pprint", "list", "urlize", "filesizeformat"):
            if name in self.filters:
                self.filters[name] = _guard_filter(name, self.filters[name])
        self.filters["_kotodoc_steps"] = _steps
        self.filters["_kotodoc_capped"] = capped

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        return super()._generate(_Transformer().visit(source), name, filename, defer_init)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """`*`, `**`, `+`, `%` with their result's size checked before they run."""
        tick()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                sequence = isinstance(n, int) and not isinstance(seq, int | float) and seq is not None
                if sequence and max(n, 0) * size(seq) > MAX_VALUE:
                    raise _too_large("a repeated text or list")
            if isinstance(left, int) and isinstance(right, int) and \
                    left.bit_length() + right.bit_length() > _MAX_INT_BITS:
                raise _too_large("a product")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            if max(left.bit_length() - 1, 0) * right > _MAX_INT_BITS:
                raise _too_large("a power")
        elif operator == "+" and not isinstance(left, int | float):
            if size(left) + size(right) > MAX_VALUE:
                raise _too_large("a sum of texts or lists")
        elif operator == "%":
            _check_format(left)
        return self.binop_table[operator](left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A call from a template, with its arguments' and result's sizes checked."""
        tick()
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, str | bytes | list | tuple):  # `.ljust(n)`, `.center(n)`, `.zfill(n)`...
            _check_ints([*args, *kwargs.values()])
        if isinstance(owner, str):
            if name in ("format", "format_map"):
                _check_format(owner)
            elif name == "join" and args:
                items = list(args[0])
                if size(items) + len(items) * len(owner) > MAX_VALUE:
                    raise _too_large("the joined text")
                args = (items, *args[1:])
            elif _estimate(name, owner, args, kwargs) > MAX_VALUE:
                raise _too_large(f"the result of .{name}()")
        return capped(super().call(context, obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Attribute access, with a clock check."""
        tick()
        # `person.full_name` on a context's dict: what the sandbox gives too (a dict has no such
        # attribute, so its item), without raising and catching an AttributeError first (some 170
        # times a document). A name a dict does have (`items`, `update`) goes through the sandbox.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Item access, with a clock check."""
        tick()
        return super().getitem(obj, argument)
