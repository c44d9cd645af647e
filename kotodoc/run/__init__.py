"""The one runner: the check step, the documents a case becomes, render, batch and cases in memory.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.run._check import CaseReport, check_file, validate
    from kotodoc.run._find import CaseFiles, Skipped, find_cases, survey
    from kotodoc.run._manifest import MANIFEST
    from kotodoc.run._memory import RenderedCase, render_case, validate_case
    from kotodoc.run._options import PASSWORD_ENV, Format, RunOptions
    from kotodoc.run._runner import BatchReport, batch, in_shard, parse_shard, render
    from kotodoc.run._steps import documents, editions, templates_root

_HOMES = {
    "BatchReport": "kotodoc.run._runner",
    "CaseReport": "kotodoc.run._check",
    "Format": "kotodoc.run._options",
    "MANIFEST": "kotodoc.run._manifest",
    "PASSWORD_ENV": "kotodoc.run._options",
    "RenderedCase": "kotodoc.run._memory",
    "RunOptions": "kotodoc.run._options",
    "batch": "kotodoc.run._runner",
    "check_file": "kotodoc.run._check",
    "documents": "kotodoc.run._steps",
    "editions": "kotodoc.run._steps",
    "find_cases": "kotodoc.run._find",
    "CaseFiles": "kotodoc.run._find",
    "Skipped": "kotodoc.run._find",
    "survey": "kotodoc.run._find",
    "in_shard": "kotodoc.run._runner",
    "parse_shard": "kotodoc.run._runner",
    "render": "kotodoc.run._runner",
    "render_case": "kotodoc.run._memory",
    "templates_root": "kotodoc.run._steps",
    "validate": "kotodoc.run._check",
    "validate_case": "kotodoc.run._memory",
}
__all__ = [
    "MANIFEST",
    "PASSWORD_ENV",
    "BatchReport",
    "CaseFiles",
    "CaseReport",
    "Format",
    "RenderedCase",
    "RunOptions",
    "Skipped",
    "batch",
    "check_file",
    "documents",
    "editions",
    "find_cases",
    "in_shard",
    "parse_shard",
    "render",
    "render_case",
    "survey",
    "templates_root",
    "validate",
    "validate_case",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
