"""Lazy package faces: a name is imported from its home module the first time it is used.

Every stage package's `__init__` names what the rest of kotodoc may use and where it lives; this
makes the module-level `__getattr__` and `__dir__` (PEP 562) for it, so that importing a package
costs nothing until one of its names is used (`kotodoc validate` never loads docxtpl or pypdf).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def face(package: str, namespace: dict[str, Any], homes: Mapping[str, str]) -> tuple[
        Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of a package whose names live in `homes` (name -> module)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home), name)
        namespace[name] = value  # the next access is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(homes)

    return __getattr__, __dir__
