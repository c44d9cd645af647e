"""Cases in memory: a case given as a mapping or YAML text, its documents returned as bytes.

For case systems and services that hold a case as data, not as a file. The case goes through the
one runner like any other (the same checks, templates, LibreOffice lanes, pinning and verifying):
it is written into a private temporary folder (owner-only, removed before the call returns, even
on an error), rendered there, and the finished files are read back into memory. Findings name the
case by `name` (default `case.yaml`), never by the temporary path.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._files import atomic_write
from kotodoc.docx import template_set
from kotodoc.errors import Finding
from kotodoc.run._check import CaseReport, Findings, Status, check_file
from kotodoc.run._options import RunOptions
from kotodoc.run._runner import run

if TYPE_CHECKING:
    from kotodoc.pdf import WarmLanes

CaseInput = Mapping[str, Any] | str | bytes


@dataclass(frozen=True)
class RenderedCase(Findings):
    """A case rendered in memory: its documents by file name, and what was found."""

    status: Status
    case_id: str | None
    kind: str | None
    findings: list[Finding]
    failures: list[str]
    documents: dict[str, bytes] = field(default_factory=dict)  # file name -> content, in output order


def case_text(case: CaseInput) -> str:
    """The case as YAML text: text as given, bytes as UTF-8, a mapping dumped (dates may be ISO strings)."""
    if isinstance(case, bytes):
        return case.decode("utf-8")
    if isinstance(case, str):
        return case
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(_plain(case), buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists (YAML's safe dumper knows no other containers)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "as_tuple") and hasattr(value, "quantize"):  # Decimal: money stays exact, as text
        return str(value)
    return value


def render_case(
    case: CaseInput,
    *,
    name: str = "case.yaml",
    formats: Sequence[str] = ("docx", "pdf"),
    languages: str | Sequence[str] | None = None,
    rule_data: dict[str, Any] | None = None,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    password: str | None = None,
    doc_timeout: float = 60.0,
    notice_date: dt.date | None = None,
    lanes: WarmLanes | None = None,
) -> RenderedCase:
    """Render one case given as data and return its documents as bytes.

    Args:
        case: the case as a mapping (as parsed from YAML or JSON), or as YAML text.
        name: how findings name the case (it is never written anywhere under this name).
        formats, languages, rule_data, templates, profile, password, doc_timeout, notice_date, lanes: as
            for `render`.

    Returns:
        The status, the findings and the documents (DOCX, PDF and, for a claim, its CSV) by file name.

    Raises:
        UsageError: as for `render`.
    """
    options = RunOptions.make(formats=formats, languages=languages, rule_data=rule_data, templates=templates,
                              profile=profile, password=password, jobs=1, doc_timeout=doc_timeout,
                              notice_date=notice_date)
    with tempfile.TemporaryDirectory(prefix="kotodoc-case-") as folder:  # created 0700
        path = Path(folder) / "case.yaml"
        atomic_write(path, case_text(case).encode("utf-8"))
        [report], _ = run([path], Path(folder) / "out", options, lanes=lanes)
        documents = {p.name: p.read_bytes() for p in report.outputs}
    return RenderedCase(report.status, report.case_id, report.kind, _renamed(report, path, name),
                        list(report.failures), documents)


def validate_case(
    case: CaseInput,
    *,
    name: str = "case.yaml",
    rule_data: dict[str, Any] | None = None,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    notice_date: dt.date | None = None,
) -> CaseReport:
    """Check one case given as data (format and legal rules), without rendering; findings name it `name`.

    `notice_date` as for `render`: the no-show notices' date, default the day of the run's time stamp.
    """
    look = template_set(Path(templates) if templates else None, Path(profile) if profile else None)
    issued = RunOptions.make(notice_date=notice_date).issued
    # Checked from memory: no file is written (writing, syncing and removing one took half the
    # time of a validation in kotodoc serve).
    _, report = check_file(Path(name), rule_data=rule_data, profile=look.profile, notice_date=issued,
                           text=case_text(case))
    return report


def _renamed(report: CaseReport, path: Path, name: str) -> list[Finding]:
    """The findings with the temporary file's name replaced by the case's `name`."""
    return [replace(f, file=name) if f.file == str(path) else f for f in report.findings]
