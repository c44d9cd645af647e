"""Limits on rendering one document: time, output size, and the size of any value a template builds.

A template is untrusted input (a municipality edits it in Word): `{% for i in range(100000) %}{%
for j in range(100000) %}` ran for minutes and `{{ ('x' * 10**9)|length }}` took 1 GB. Every
document is rendered inside `document_limits()` (`_pipeline.render_document`, used by `render`
and `batch` alike), and a template that goes over fails that document with `TemplateLimitError`
(codes RENDER-TIMEOUT, RENDER-TOO-LARGE) while the other cases go on.

How the limits are kept, without signals (so they hold in any thread, and in the batch's worker
processes as in the main one):

- **Time**: the sandbox looks at the clock at every loop step (each `{% for %}`'s iterable is
  wrapped when the template is compiled), every call (macros included, so recursion is covered),
  attribute and item access, and every piece of output. Between two such points a template can
  do one filter or operator call, which the size caps below keep short. A single call into C code
  is not interrupted, so the bound is "the limit plus one capped operation".
- **Size of values**: `*`, `**`, `+` and `%` are intercepted, as are the filters and string
  methods whose result can be much larger than their input (`center`, `indent`, `wordwrap`,
  `replace`, `join`, `format`, `batch`, `sum`...): their result size is computed before they run,
  and no value may be over `MAX_VALUE` characters or items, counting what lists hold (a list of
  a million references to one long text is as long as all of them). Concatenation (`~`) and
  every filter's and call's result are checked after the fact, which is bounded since their inputs
  are.
- **Output**: each part is rendered piece by piece and the document's XML is counted as it comes;
  past `max_bytes` the rendering stops.

The sandbox that keeps them is `_sandbox.LimitedEnvironment`; this module holds the limits and the
clock, and imports no Jinja (the run's options carry a `RenderLimits`).

Configuration: `KOTODOC_RENDER_TIMEOUT` (seconds, default 60) and `KOTODOC_RENDER_MAX_MB`
(rendered XML per document, default 50 MB), read with the run's other options (`RunOptions`), so
the batch's worker processes keep the caller's values.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

from kotodoc.errors import KotodocError, UsageError

DEFAULT_SECONDS = 60.0
DEFAULT_MAX_BYTES = 50_000_000
MAX_VALUE = 5_000_000  # characters (or items, or bytes of an integer) of any one value a template builds


class RenderLimitError(KotodocError):
    """A template went over a rendering limit (time, output size, size of a value)."""

    def __init__(self, code: str, message: str):
        """`code` is stable: RENDER-TIMEOUT or RENDER-TOO-LARGE."""
        self.code = code
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class RenderLimits:
    """The limits of one document's rendering."""

    seconds: float = DEFAULT_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RenderLimits:
        """The limits from `KOTODOC_RENDER_TIMEOUT` and `KOTODOC_RENDER_MAX_MB`, else the defaults.

        Raises:
            UsageError: a value that is not a positive number.
        """
        env = os.environ if environ is None else environ
        return cls(_positive(env, "KOTODOC_RENDER_TIMEOUT", DEFAULT_SECONDS),
                   int(_positive(env, "KOTODOC_RENDER_MAX_MB", DEFAULT_MAX_BYTES / 1e6) * 1_000_000))


def _positive(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise UsageError(f"{name} must be a positive number, not {raw!r}")
    return value


class _State(threading.local):
    deadline: float | None = None
    seconds: float = 0.0
    budget: int | None = None
    max_bytes: int = 0


_state = _State()


@contextmanager
def document_limits(limits: RenderLimits | None = None) -> Iterator[None]:
    """Render one document within `limits` (default: from the environment) in this thread."""
    limits = limits or RenderLimits.from_env()
    saved = (_state.deadline, _state.seconds, _state.budget, _state.max_bytes)
    _state.deadline, _state.seconds = time.monotonic() + limits.seconds, limits.seconds
    _state.budget, _state.max_bytes = limits.max_bytes, limits.max_bytes
    try:
        yield
    finally:
        _state.deadline, _state.seconds, _state.budget, _state.max_bytes = saved


def tick() -> None:
    """Stop the rendering when the document's time is up."""
    # Called some 600 times a document (every loop step, call, attribute and piece of output):
    # the thread's deadline read once, the clock without a module lookup.
    deadline = _state.deadline
    if deadline is not None and _monotonic() > deadline:
        raise _timeout()


_monotonic = time.monotonic


def _timeout() -> RenderLimitError:
    return RenderLimitError("RENDER-TIMEOUT", f"the template ran for over {_state.seconds:g} s and was stopped "
                            "(a loop or recursion that does not end in time)")


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render `template` piece by piece, counting the output against the document's budget."""
    pieces: list[str] = []
    # The deadline and the budget in local names, the budget written back however the part ends:
    # nothing inside the rendering reads the budget, and the next part goes on from what is left.
    deadline, budget = _state.deadline, _state.budget
    try:
        for piece in template.generate(context):
            if deadline is not None and _monotonic() > deadline:
                raise _timeout()
            if budget is not None:
                budget -= len(piece)
                if budget < 0:
                    raise RenderLimitError("RENDER-TOO-LARGE", f"the rendered document is over "
                                           f"{_state.max_bytes / 1e6:g} MB and was stopped")
            pieces.append(piece)
    finally:
        _state.budget = budget
    return "".join(pieces)


def size(value: Any, limit: int = MAX_VALUE) -> int:
    """How big a value is: characters, items (with what they hold), an integer's bytes; stops past `limit`."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int):
        return value.bit_length() // 8 + 1
    if isinstance(value, Mapping):
        total = len(value)
        for key, item in value.items():
            total += size(key, limit) + size(item, limit)
            if total > limit:
                break
        return total
    if isinstance(value, list | tuple | set | frozenset):
        total = len(value)
        for item in value:
            total += size(item, limit)
            if total > limit:
                break
        return total
    return 1


def too_large(what: str) -> RenderLimitError:
    return RenderLimitError("RENDER-TOO-LARGE", f"{what} would be over {MAX_VALUE:,} characters or items".replace(
        ",", " "))


def capped(value: Any) -> Any:
    """`value`, if it is within `MAX_VALUE`."""
    if size(value) > MAX_VALUE:
        raise too_large("a value the template builds")
    return value
