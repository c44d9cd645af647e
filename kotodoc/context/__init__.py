"""Stage 4, context: every value of a case localised and formatted for a template, per language.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.context._build import Formatter, build_context, claim_context, notice_context, upfirst
    from kotodoc.context._claim_csv import claim_csv, claim_files, csv_cell
    from kotodoc.context._labels import enumerations

_HOMES = {
    "Formatter": "kotodoc.context._build",
    "build_context": "kotodoc.context._build",
    "claim_context": "kotodoc.context._build",
    "claim_csv": "kotodoc.context._claim_csv",
    "claim_files": "kotodoc.context._claim_csv",
    "csv_cell": "kotodoc.context._claim_csv",
    "enumerations": "kotodoc.context._labels",
    "notice_context": "kotodoc.context._build",
    "upfirst": "kotodoc.context._build",
}
__all__ = [
    "Formatter",
    "build_context",
    "claim_context",
    "claim_csv",
    "claim_files",
    "csv_cell",
    "enumerations",
    "notice_context",
    "upfirst",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
