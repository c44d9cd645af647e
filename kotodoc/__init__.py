"""kotodoc: Finnish integration plans from YAML case files to DOCX and PDF/A.

The library API a case system imports; the `kotodoc` command is a thin shell over it.

>>> from pathlib import Path
>>> import kotodoc
>>> reports = kotodoc.render([Path("samples/espoo-municipality-fi.yaml")], Path("out"))  # doctest: +SKIP
>>> reports[0].status, reports[0].outputs  # doctest: +SKIP
>>> result = kotodoc.batch(["samples/"], Path("out"), jobs=2)  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kotodoc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from kotodoc._batch import BatchReport, batch
from kotodoc._claim import ClaimReport, build_claim
from kotodoc._pipeline import CaseReport, check_file, render, validate

__all__ = [
    "BatchReport",
    "CaseReport",
    "ClaimReport",
    "__version__",
    "batch",
    "build_claim",
    "check_file",
    "render",
    "validate",
]
