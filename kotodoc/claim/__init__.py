"""Interpretation-cost claims to the KEHA Centre, built from the appointments of many plans.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

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

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
