"""Interpretation-cost claims to the KEHA Centre: built from the `interpretation` lists of plans.

`build_claim` reads many case files (plans for a person, for a minor, for a family), takes every
appointment whose date lies in the claim period and routes it with the CLAIM rules: claimed, or
listed in the annex with its reason and rule id. Nothing in the period is dropped: the counts
`claimed + excluded == in the period` are checked before anything is written. The claim is written
as a case file (`kind: interpretation-claim`) that an official can review and edit, validated by
loading it back, and rendered by the ordinary pipeline, which also writes the claimed rows as CSV.

Whose appointment: a plan's `person`; in a family plan the member named by the appointment's
`member` index (a kotodoc extension), else the first member in the parent role.

Data minimisation (domain brief): a claim carries initials and the date of birth, never a name or
an identity code; messages name files, lines, case ids and rule ids only.

Money (VAT, totals) is the rules' (`kotodoc.rules`, CLAIM-VAT), and the claim's CSV the context's:
both are used below the runner, by the claim's document, while this builder sits above it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from kotodoc._data import act_for, act_params
from kotodoc._data import rule_data as shipped_rule_data
from kotodoc._files import atomic_write
from kotodoc._i18n import N_, _, message_text
from kotodoc.errors import CaseError, Finding, Message, Severity, UsageError
from kotodoc.load import LoadedCase, load_case
from kotodoc.model import (
    EXCLUSION_RULES,
    HETU_SHAPE,
    Case,
    InterpretationClaimCase,
    Person,
    build_case,
    build_claimant,
)
from kotodoc.rules import (
    Sum,
    appointment_person,
    birth_date,
    cents,
    check_case,
    check_iban,
    check_ytunnus,
    claim_exclusion,
    claim_totals,
    vat_of,
    vat_rate,
)

if TYPE_CHECKING:
    from kotodoc.pdf import WarmLanes

CENT = Decimal("0.01")
KIND = "interpretation-claim"
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
Format = Literal["docx", "pdf"]


# ---------------------------------------------------------------------------------------------
# Small pieces


def parse_date(text: str | dt.date, what: str) -> dt.date:
    """An ISO date from the command line.

    Raises:
        UsageError: not a date written as YYYY-MM-DD.
    """
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(_("{what} {text} is not a date written as YYYY-MM-DD", what=_(what),
                           text=repr(text))) from None


def parse_period(text: str | tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """`2025-01-01..2025-06-30` as two dates, the start on or before the end.

    Raises:
        UsageError: not two ISO dates joined by `..`, or the end before the start.
    """
    if isinstance(text, tuple):
        start, end = text
    else:
        parts = text.split("..")
        if len(parts) != 2:
            raise UsageError(_("the period {text} is not START..END, such as 2025-01-01..2025-06-30", text=repr(text)))
        start, end = parse_date(parts[0], N_("the period's start")), parse_date(parts[1], N_("the period's end"))
    if end < start:
        raise UsageError(_("the period ends ({end}) before it starts ({start})", end=end, start=start))
    return start, end


def initials(person: Person) -> str:
    """`Y.S.` for Yaser Karim Saleh: the first letter of the first given name and of the family name."""
    letters = [next((ch for ch in name if ch.isalpha()), "") for name in (person.given_names, person.family_name)]
    return "".join(f"{ch.upper()}." for ch in letters if ch)


# ---------------------------------------------------------------------------------------------
# Building a claim


@dataclass(frozen=True)
class Exclusion:
    """Why one appointment of the period is not claimed, located in its case file."""

    file: str
    line: int | None
    column: int | None
    path: str
    case_id: str
    date: dt.date
    reason: str
    rule: str
    why: Message  # translated where shown

    @property
    def message(self) -> str:
        """Why, in English."""
        return str(self.why)

    def text(self, lang: str | None = None) -> str:
        """The line the command prints, in `lang` (default: the interface language)."""
        where = self.file + (f":{self.line}:{self.column}" if self.line is not None else "")
        return message_text(N_("{where}: {path}: {rule}: not claimed ({date}): {why}"),
                            {"where": where, "path": self.path, "rule": self.rule, "date": self.date.isoformat(),
                             "why": self.why}, lang)

    def __str__(self) -> str:
        return self.text("en")

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """A JSON-ready mapping (no personal data); the message in `lang` (default: the interface language)."""
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path,
                "case_id": self.case_id, "date": self.date.isoformat(), "reason": self.reason, "rule": self.rule,
                "code": self.rule, "message": message_text(self.why.msgid, self.why.params, lang)}


ClaimStatus = Literal["done", "built", "invalid", "failed"]


@dataclass
class ClaimReport:
    """What `build_claim` did: the counts, the files, and every problem, located."""

    status: ClaimStatus
    case_id: str | None = None
    claim_file: Path | None = None
    files: int = 0  # case files read
    read: int = 0  # appointments in those files
    outside_period: int = 0
    claimed: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # by reason, in rule order
    totals: Sum | None = None
    inputs: list[Any] = field(default_factory=list)  # CaseReports of invalid inputs (claimant file included)
    exclusions: list[Exclusion] = field(default_factory=list)
    render: Any = None  # the CaseReport of rendering the claim, when rendered

    @property
    def in_period(self) -> int:
        """Appointments whose date lies in the claim period."""
        return self.read - self.outside_period

    @property
    def outputs(self) -> list[Path]:
        """Every file written: the claim file, then the documents and the CSV."""
        rendered = list(self.render.outputs) if self.render is not None else []
        return ([self.claim_file] if self.claim_file else []) + rendered

    def summary(self, lang: str | None = None) -> list[str]:
        """Plain lines for a person, in `lang` (default: the interface language): what was read, claimed and
        not claimed, and the total."""
        def say(msgid: str, **params: object) -> str:
            return message_text(msgid, params, lang)

        lines = [say(N_("read {read} appointment(s) from {files} case file(s): {inside} in the period, {outside} "
                        "outside it"), read=self.read, files=self.files, inside=self.in_period,
                     outside=self.outside_period)]
        if self.totals is not None:
            vat = Message(N_("included") if self.totals.vat_claimed else N_("not claimed"))
            lines.append(say(N_("claimed {rows} row(s): {total} euros (cost {cost}; VAT {vat}, {claimed})"),
                             rows=self.claimed, total=cents(self.totals.total), cost=cents(self.totals.cost),
                             vat=cents(self.totals.vat), claimed=vat))
        by_reason = ", ".join(f"{reason} {n} ({EXCLUSION_RULES[reason]})" for reason, n in self.excluded.items())
        count = sum(self.excluded.values())
        lines.append(say(N_("not claimed {count} row(s): {reasons}"), count=count, reasons=by_reason) if by_reason
                     else say(N_("not claimed {count} row(s)"), count=count))
        if self.claim_file is not None:
            lines.append(say(N_("claim file {file}, {count} more file(s) written"), file=str(self.claim_file),
                             count=len(self.outputs) - 1) if self.render is not None
                         else say(N_("claim file {file}"), file=str(self.claim_file)))
        return lines

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: counts, totals as strings, located exclusions and problems."""
        return {
            "status": self.status,
            "case_id": self.case_id,
            "claim_file": str(self.claim_file) if self.claim_file else None,
            "files": self.files,
            "read": self.read,
            "in_period": self.in_period,
            "outside_period": self.outside_period,
            "claimed": self.claimed,
            "excluded": dict(self.excluded),
            "totals": None if self.totals is None else {
                "rows": self.totals.rows, "minutes": self.totals.minutes, "cost": cents(self.totals.cost),
                "vat": cents(self.totals.vat), "total": cents(self.totals.total)},
            "outputs": [str(p) for p in self.outputs],
            "inputs": [r.as_dict() for r in self.inputs],
            "exclusions": [x.as_dict() for x in self.exclusions],
            "render": self.render.as_dict() if self.render is not None else None,
        }


def build_claim(
    cases: Sequence[Path],
    *,
    claimant: Path,
    period: str | tuple[dt.date, dt.date],
    out_dir: Path,
    submitted: str | dt.date | None = None,
    case_id: str | None = None,
    languages: Sequence[str] | None = None,
    formats: Sequence[Format] = ("docx", "pdf"),
    force: bool = False,
    rule_data: dict[str, Any] | None = None,
    templates: Path | None = None,
    profile: Path | None = None,
    lanes: WarmLanes | None = None,
) -> ClaimReport:
    """Build an interpretation-cost claim from case files, write it as a claim file and render it.

    Args:
        cases: plan case files (any plan kind) whose `interpretation` lists are read.
        claimant: the claimant file (`kotodoc: 1`, `claimant: {...}`, optional `languages`, `case_id_prefix`).
        period: the claim period, `START..END` or two dates.
        out_dir: where the claim file `<case_id>.interpretation-claim.yaml` and its documents go.
        submitted: the submission date (CLAIM-AGE counts back from it); default today.
        case_id: the claim's case id; default `<case_id_prefix>-KEHA-<start>-<end>`.
        languages: document languages instead of the claimant file's.
        formats: "docx", "pdf", both, or none (only the claim file).
        force: replace an existing claim file.
        rule_data: rule parameters replacing the built-in `data/rules.yaml`.
        templates: a municipality's template directory, as for `render`.
        profile: the authority's profile (its logo is shown on the claim), as for `render`.
        lanes: warm LibreOffice lanes (a service's `kotodoc.pdf.WarmLanes`), as for `render`.

    Returns:
        The report: status "done" (rendered) or "built" (claim file only); "invalid" when an input
        is invalid (nothing is written: a claim must not silently lose a file's appointments);
        "failed" when rendering failed.

    Raises:
        UsageError: a bad period, date, case id or language, a submission date before the end of the
            period (CLAIM-PERIOD), or the claim file exists without `force`.
    """
    start, end = parse_period(period)
    day = parse_date(submitted, N_("the submission date")) if submitted is not None else dt.date.today()
    if day < end:
        # CLAIM-PERIOD: no claimed row may be dated after the submission, so the period is over first.
        raise UsageError(_("CLAIM-PERIOD: the submission date {day} is before the end of the period {end}: claim a "
                           "period that has ended", day=day.isoformat(), end=end.isoformat()))
    data = rule_data or shipped_rule_data()
    report = ClaimReport("invalid", files=len(cases))

    who = _read_claimant(claimant)
    if isinstance(who, CaseError):
        report.inputs.append(_invalid(claimant, who.findings))
    claim_id = case_id or (f"{who.case_id_prefix}-" if not isinstance(who, CaseError) and who.case_id_prefix else "")
    if case_id is None:
        claim_id += f"KEHA-{start:%Y%m%d}-{end:%Y%m%d}"
    if not _CASE_ID.fullmatch(claim_id):
        raise UsageError(_("the case id may hold only letters, digits, '.', '_' and '-' (at most 64)"))
    if HETU_SHAPE.search(claim_id):  # it names the files and goes into the report
        raise UsageError(_("the case id looks like a personal identity code; use the authority's own reference"))
    for lang in languages or ():
        if lang not in ("fi", "sv", "en"):
            raise UsageError(_("unknown language {lang}: choose from fi, sv, en", lang=repr(lang)))
    if languages is not None and not 1 <= len(set(languages)) == len(languages) <= 2:
        raise UsageError(_("a claim has one language, or two different ones (fi,sv)"))
    target = out_dir / f"{claim_id}.{KIND}.yaml"
    if target.exists() and not force:
        raise UsageError(_("{target} exists (an official may have edited it); use --force to replace it",
                           target=str(target)))
    report.case_id = claim_id

    plans = _read_plans(cases, report, data)
    if report.inputs or isinstance(who, CaseError):
        return report

    params = act_params(act_for(start, data), data)
    rows, excluded = _route(plans, start, end, day, params, data, report)
    if report.claimed + sum(report.excluded.values()) != report.in_period:  # pragma: no cover - by construction
        raise AssertionError("an appointment of the period was neither claimed nor excluded")

    claim_langs = list(languages or who.languages)
    text = _claim_text(claim_id, claim_langs, who.model_dump(exclude_none=True)["claimant"], start, end, day,
                       rows, excluded, report)
    # Load the claim back as kotodoc will: it must be a valid claim that passes its rules. A claim
    # beyond the loader's limits (`load.MAX_NODES`; a row counts some 25 nodes) fails here, located, and is
    # not written: kotodoc could not read it back; a shorter period can be claimed.
    try:
        loaded = load_case(target, text)
        claim = build_case(loaded)
    except CaseError as e:
        report.status = "failed"
        report.inputs.append(_invalid(target, e.findings))
        return report
    assert isinstance(claim, InterpretationClaimCase)
    problems = [f for f in check_case(claim, loaded, data) if f.severity is Severity.ERROR]
    if problems:  # pragma: no cover - a bug: the builder wrote a claim its own rules reject
        report.status = "failed"
        report.inputs.append(_invalid(target, problems))
        return report
    report.totals = claim_totals(claim, data).grand
    atomic_write(target, text.encode("utf-8"))
    report.claim_file = target
    report.status = "built"
    if formats:
        from kotodoc.run import render  # the runner's steps import this module for the claim's CSV

        [rendered] = render([target], out_dir, formats=formats, rule_data=rule_data, templates=templates,
                            profile=profile, lanes=lanes)
        report.render = rendered
        report.status = "done" if rendered.status == "done" else "failed"
    return report


def _invalid(path: Path, findings: list[Finding]) -> Any:
    from kotodoc.run import CaseReport

    return CaseReport(path, findings=findings)


def _read_claimant(path: Path) -> Any:
    """The validated claimant file, or the CaseError with its located findings."""
    try:
        loaded = load_case(path)
        who = build_claimant(loaded)
    except CaseError as e:
        return e
    problems = [*check_ytunnus(who.claimant.business_id, "claimant.business_id"),
                *check_iban(who.claimant.iban, "claimant.iban")]
    if problems:
        return CaseError(path, [loaded.place(f) for f in problems])
    return who


def _read_plans(paths: Iterable[Path], report: ClaimReport, data: dict[str, Any]) -> list[tuple[Case, LoadedCase]]:
    """Load, validate and check every case file; invalid ones go into `report.inputs`."""
    plans: list[tuple[Case, LoadedCase]] = []
    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        try:
            loaded = load_case(path)
            case = build_case(loaded)
        except CaseError as e:
            report.inputs.append(_invalid(path, e.findings))
            continue
        if isinstance(case, InterpretationClaimCase):
            report.inputs.append(_invalid(path, [loaded.place(Finding(
                Severity.ERROR, "kind", N_("a claim is built from plans; this file is a claim itself"),
                code="FORMAT-INPUT"))]))
            continue
        errors = [f for f in check_case(case, loaded, data) if f.severity is Severity.ERROR]
        if errors:
            report.inputs.append(_invalid(path, errors))
            continue
        if case.case_id in seen:
            # The same case twice would claim its appointments twice.
            report.inputs.append(_invalid(path, [loaded.place(Finding(
                Severity.ERROR, "case_id", N_("case_id {case_id} is also used by {file}"), code="FORMAT-INPUT",
                params={"case_id": case.case_id, "file": str(seen[case.case_id])}))]))
            continue
        seen[case.case_id] = path
        plans.append((case, loaded))
    return plans


def _route(
    plans: list[tuple[Case, LoadedCase]],
    start: dt.date,
    end: dt.date,
    submitted: dt.date,
    params: dict[str, Any],
    data: dict[str, Any],
    report: ClaimReport,
) -> tuple[list[CommentedMap], list[CommentedMap]]:
    """Every appointment of the period, claimed or excluded with its reason; the counts in the report."""
    rows: list[tuple[tuple[Any, ...], CommentedMap]] = []
    excluded: list[tuple[tuple[Any, ...], CommentedMap]] = []
    reasons: Counter[str] = Counter()
    for case, loaded in plans:
        for i, a in enumerate(case.interpretation):
            report.read += 1
            if not start <= a.date <= end:
                report.outside_period += 1
                continue
            person_path, person = appointment_person(case, i) or ("", None)
            assert person is not None  # a family without members fails FAMILY-MEMBERS before this
            residence = person.residence
            basis = residence.basis if residence else None
            became = residence.citizenship_date if residence else None
            vat, computed = a.vat, None
            if vat is None and a.cost is not None and (rate := vat_rate(a.date, data)) is not None:
                vat, computed = vat_of(a.cost, rate), rate
            row = CommentedMap()
            row["case_id"] = case.case_id
            person_map = CommentedMap([("initials", initials(person)), ("date_of_birth", birth_date(person))])
            person_map.fa.set_flow_style()
            row["person"] = person_map
            if basis is not None:
                row["residence_basis"] = basis
            if became is not None:
                row["citizenship_date"] = became
            row["date"] = a.date
            row["purpose"] = a.purpose
            row["language"] = a.language
            for key in ("provider", "minutes"):
                if getattr(a, key) is not None:
                    row[key] = getattr(a, key)
            if a.cost is not None:
                row["cost"] = DoubleQuotedScalarString(cents(a.cost))
            if vat is not None:
                row["vat"] = DoubleQuotedScalarString(cents(vat))
                if computed is not None:
                    row.yaml_add_eol_comment(f"computed: {computed} % of the cost, rounded half up to the cent", "vat")
            if a.invoice is not None:
                row["invoice"] = a.invoice
            order = (case.case_id, initials(person), a.date, i)
            outcome = claim_exclusion(day=a.date, purpose=a.purpose, basis=basis, citizenship_date=became,
                                      attended=a.attended, cost=a.cost, submitted=submitted, params=params)
            if outcome is None:
                rows.append((order, row))
                continue
            reason, message = outcome
            rule = EXCLUSION_RULES[reason]
            row["reason"] = reason
            row["rule"] = rule
            excluded.append((order, row))
            reasons[reason] += 1
            where = {"no-show": f"interpretation.{i}.attended", "purpose": f"interpretation.{i}.purpose",
                     "cost-missing": f"interpretation.{i}.cost",
                     "not-eligible": f"{person_path}.residence.basis"}.get(reason, f"interpretation.{i}.date")
            placed = loaded.place(Finding(Severity.WARNING, where, message.msgid, rule=rule, params=message.params))
            report.exclusions.append(Exclusion(str(loaded.file), placed.line, placed.column, where, case.case_id,
                                               a.date, reason, rule, message))
    report.claimed = len(rows)
    report.excluded = {reason: reasons[reason] for reason in EXCLUSION_RULES if reasons[reason]}
    return [r for _, r in sorted(rows, key=lambda x: x[0])], [r for _, r in sorted(excluded, key=lambda x: x[0])]


def _claim_text(
    claim_id: str,
    languages: list[str],
    claimant: dict[str, Any],
    start: dt.date,
    end: dt.date,
    submitted: dt.date,
    rows: list[CommentedMap],
    excluded: list[CommentedMap],
    report: ClaimReport,
) -> str:
    """The claim file: readable YAML with a header that says how it was made and what to do with it."""
    doc = CommentedMap()
    doc["kotodoc"] = 1
    doc["kind"] = KIND
    doc["case_id"] = claim_id
    langs = CommentedSeq(languages)
    langs.fa.set_flow_style()
    doc["languages"] = langs
    doc["claimant"] = claimant
    period = CommentedMap([("start", start), ("end", end)])
    period.fa.set_flow_style()
    doc["period"] = period
    doc["submitted"] = submitted
    doc["rows"] = CommentedSeq(rows)
    doc["excluded"] = CommentedSeq(excluded)
    by_reason = ", ".join(f"{reason} {n}" for reason, n in report.excluded.items()) or "none"
    doc.yaml_set_start_comment(
        "Interpretation-cost claim to the KEHA Centre, built by `kotodoc claim`.\n"
        f"Period {start}..{end}, submitted {submitted}. From {report.files} case file(s): {report.read} "
        f"appointment(s), {report.in_period} in the period;\n"
        f"{report.claimed} claimed (`rows`), {sum(report.excluded.values())} not claimed (`excluded`: "
        f"{by_reason}).\n"
        "Review before sending: edit a row, or move it between `rows` and `excluded` (with a reason);\n"
        "then render with `kotodoc render THIS-FILE`, which checks the CLAIM rules again and writes\n"
        "the documents and the CSV of the claimed rows. No names or identity codes belong here."
    )
    doc.yaml_set_comment_before_after_key(
        "excluded", before="kotodoc extension: the annex, appointments of the period that are not claimed")
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    # Rows share date objects; an official reads plain values, not `&id001` anchors and aliases.
    yaml.representer.ignore_aliases = lambda *args: True
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()
