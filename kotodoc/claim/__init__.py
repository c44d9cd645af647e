"""Interpretation-cost claims to the KEHA Centre, built from the appointments of many plans.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kotodoc.claim._build import ClaimReport, build_claim, parse_date, parse_period

_HOMES = {
    "ClaimReport": "kotodoc.claim._build",
    "build_claim": "kotodoc.claim._build",
    "parse_date": "kotodoc.claim._build",
    "parse_period": "kotodoc.claim._build",
}
__all__ = [
    "ClaimReport",
    "build_claim",
    "parse_date",
    "parse_period",
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
