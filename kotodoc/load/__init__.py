"""Stage 1, load: a case file read into plain data with the line and column of every key and value.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kotodoc.load._careful import MAX_DEPTH, MAX_NODES, LoadedCase, Positions, load_case

_HOMES = {
    "LoadedCase": "kotodoc.load._careful",
    "MAX_DEPTH": "kotodoc.load._careful",
    "MAX_NODES": "kotodoc.load._careful",
    "Positions": "kotodoc.load._careful",
    "load_case": "kotodoc.load._careful",
}
__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "LoadedCase",
    "Positions",
    "load_case",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
