"""kotodoc: Finnish integration plans from YAML case files to DOCX and PDF/A.

The library API a case system imports; the `kotodoc` command is a thin shell over it.

>>> import kotodoc
>>> reports = kotodoc.render(["samples/espoo-municipality-fi.yaml"], "out")  # doctest: +SKIP
>>> reports[0].status, reports[0].outputs  # doctest: +SKIP
>>> result = kotodoc.batch(["samples/"], "out", jobs=2)  # doctest: +SKIP
>>> done = kotodoc.render_case(case_mapping_or_yaml_text, formats=["pdf"])  # doctest: +SKIP
>>> done.status, list(done.documents)  # doctest: +SKIP

The names are imported when first used, so that `import kotodoc` (and `kotodoc --version`) does
not pay for docxtpl, pypdf and pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc._i18n import finding_text
    from kotodoc._version import __version__
    from kotodoc.claim import ClaimReport, build_claim
    from kotodoc.run import (
        BatchReport,
        CaseReport,
        RenderedCase,
        RunOptions,
        batch,
        check_file,
        render,
        render_case,
        validate,
        validate_case,
    )

# name -> the private module that defines it
_LAZY = {
    "BatchReport": "kotodoc.run._runner",
    "batch": "kotodoc.run._runner",
    "render": "kotodoc.run._runner",
    "ClaimReport": "kotodoc.claim._build",
    "build_claim": "kotodoc.claim._build",
    "RunOptions": "kotodoc.run._options",
    "RenderedCase": "kotodoc.run._memory",
    "render_case": "kotodoc.run._memory",
    "validate_case": "kotodoc.run._memory",
    "CaseReport": "kotodoc.run._check",
    "check_file": "kotodoc.run._check",
    "validate": "kotodoc.run._check",
    "__version__": "kotodoc._version",
    "finding_text": "kotodoc._i18n",
}

__all__ = [
    "BatchReport",
    "CaseReport",
    "ClaimReport",
    "RenderedCase",
    "RunOptions",
    "__version__",
    "batch",
    "build_claim",
    "check_file",
    "finding_text",
    "render",
    "render_case",
    "validate",
    "validate_case",
]

__getattr__, __dir__ = face(__name__, globals(), _LAZY)
