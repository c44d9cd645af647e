"""The check step: a case file loaded, validated against the model and the legal rules.

case file → load (`kotodoc.load`) → model (`kotodoc.model`) → rules (`kotodoc.rules`) → a `CaseReport` with every
finding. `kotodoc validate` is this step alone; the runner takes it first for every case. It
needs neither the DOCX nor the PDF libraries, so a validation starts quickly.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kotodoc._i18n import finding_dict
from kotodoc.docx import template_set
from kotodoc.errors import CaseError, Finding, Severity, sort_key
from kotodoc.load import Profile, load_case
from kotodoc.model import Case, InterpretationClaimCase, build_case
from kotodoc.rules import check_case, with_notice_date
from kotodoc.run._find import Skipped, survey

__all__ = ["AnyCase", "CaseReport", "Status", "check_file", "validate"]

Status = Literal["done", "valid", "invalid", "failed"]
AnyCase = Case | InterpretationClaimCase


class Findings:
    """What a report with `findings` says: its errors and its warnings."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        """The findings that stop the document."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that are shown but do not stop the document."""
        return [f for f in self.findings if f.severity is Severity.WARNING]


@dataclass
class CaseReport(Findings):
    """What became of one case file.

    Its status is derived from what happened, never set: `invalid` when the case has errors,
    `failed` when a document could not be made or published, `done` once its documents are
    published, `valid` when it was only checked. One case's whole life, in one place.
    """

    file: Path
    case_id: str | None = None
    kind: str | None = None
    findings: list[Finding] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    digests: dict[str, str] = field(default_factory=dict)  # output name -> sha256
    reused: bool = False  # batch: unchanged since the last run, outputs kept
    published: bool = False  # every document of the case is in place

    @property
    def status(self) -> Status:
        """done, valid, invalid or failed (see the class)."""
        if self.errors:
            return "invalid"
        if self.failures:
            return "failed"
        return "done" if self.published else "valid"

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """A JSON-ready mapping (no personal data: case ids, paths of outputs, findings with their codes).

        The findings' messages are in `lang` (default: the interface language), in the order of the file.
        """
        return {
            "file": str(self.file),
            "status": self.status,
            "case_id": self.case_id,
            "kind": self.kind,
            "outputs": [str(p) for p in self.outputs],
            "errors": [finding_dict(f, lang) for f in self.errors],
            "warnings": [finding_dict(f, lang) for f in self.warnings],
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
        }


def check_file(
    path: Path,
    *,
    rule_data: dict[str, Any] | None = None,
    profile: Profile | None = None,
    notice_date: dt.date | None = None,
    text: str | None = None,
) -> tuple[AnyCase | None, CaseReport]:
    """Load, validate and apply the rules to one case file.

    Args:
        path: the case file (with `text`, only its name: how the findings name it).
        rule_data: rule parameters replacing the built-in ones.
        profile: the authority's profile, whose details fill in the case's `authority`.
        notice_date: the date of the no-show fee notices whose appointment gives no `notice_date`
            of its own (FEE-DATES); default today (the runner passes its `--notice-date` or stamp).
        text: the case's text, when the caller has it in memory (then nothing is read from disk).

    Returns:
        The case (None when invalid) and its report with status "valid" or "invalid".
    """
    start = time.perf_counter()
    try:
        loaded = load_case(path, text)
        if profile is not None:
            loaded = profile.apply(loaded)
        case = build_case(loaded)
    except CaseError as e:
        return None, CaseReport(path, findings=sorted(e.findings, key=sort_key), seconds=time.perf_counter() - start)
    case = with_notice_date(case, notice_date)
    # In the order of the file, as an editor shows it (the rules run in the registry's order).
    findings = sorted(check_case(case, loaded, rule_data), key=sort_key)
    report = CaseReport(path, case.case_id, case.kind, findings, seconds=time.perf_counter() - start)
    return (None if report.errors else case), report


def validate(
    paths: Iterable[str | Path],
    *,
    rule_data: dict[str, Any] | None = None,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    notice_date: dt.date | None = None,
    skipped: list[Skipped] | None = None,
) -> list[CaseReport]:
    """Validate case files (files, folders and globs, as for `batch`) without rendering them; one
    report per case file, in the order given (a folder's files sorted by path).

    `templates`, `profile`, `notice_date` and `skipped` as for `render`: a profile fills in the
    cases' authority details; the notices' date defaults to the day of the time stamp
    (`SOURCE_DATE_EPOCH` when set); `skipped` collects the files that are not cases of this run.

    Raises:
        UsageError: the template directory or the profile is missing or not usable.
    """
    from kotodoc.run._options import RunOptions  # the one reader of SOURCE_DATE_EPOCH

    look = template_set(Path(templates) if templates else None, Path(profile) if profile else None)
    issued = RunOptions.make(notice_date=notice_date).issued
    found = survey(paths, templates=templates, profile=profile, sort=False, strict=False)
    if skipped is not None:
        skipped.extend(found.skipped)
    return [check_file(p, rule_data=rule_data, profile=look.profile, notice_date=issued)[1] for p in found.cases]
