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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kotodoc._batch import BatchReport, batch, render
    from kotodoc._check import CaseReport, check_file, validate
    from kotodoc._claim import ClaimReport, build_claim
    from kotodoc._memory import RenderedCase, render_case, validate_case
    from kotodoc._options import RunOptions
    from kotodoc._version import __version__

# name -> the private module that defines it
_LAZY = {
    "BatchReport": "kotodoc._batch",
    "batch": "kotodoc._batch",
    "render": "kotodoc._batch",
    "ClaimReport": "kotodoc._claim",
    "build_claim": "kotodoc._claim",
    "RunOptions": "kotodoc._options",
    "RenderedCase": "kotodoc._memory",
    "render_case": "kotodoc._memory",
    "validate_case": "kotodoc._memory",
    "CaseReport": "kotodoc._check",
    "check_file": "kotodoc._check",
    "validate": "kotodoc._check",
    "__version__": "kotodoc._version",
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
    "render",
    "render_case",
    "validate",
    "validate_case",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kotodoc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
