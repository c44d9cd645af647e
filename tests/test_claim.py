"""Interpretation-cost claims to the KEHA Centre (issue 4): building, the rules, totals, the documents.

The half-year claim 2025-01-01..2025-06-30 is built from the samples, submitted 2027-01-15 so that
the 2-year reach-back (CLAIM-AGE) falls inside the period; the samples hold at least one
appointment for every reason a row is not claimed. What the claim must contain is written out by
hand below from the sample files, and its money is summed here from the raw YAML with Decimal,
never by calling kotodoc's own sums.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import random
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
from pypdf import PdfReader
from ruamel.yaml import YAML
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc._data import rule_data
from kotodoc.context import Formatter
from kotodoc.errors import CaseError, Finding, Severity
from kotodoc.load import load_case
from kotodoc.model import InterpretationClaimCase, Purpose, build_case
from kotodoc.rules import check_case, persons, vat_of, vat_rate
from tests.conftest import ROOT, SAMPLES, docx_text, norm, pdf_text, read_case

CLAIMANT = ROOT / "samples" / "claims" / "claimant-espoo.yaml"
SAMPLE_CLAIM = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"
FAMILY = ROOT / "samples" / "family-five-fi.yaml"
PERIOD, SUBMITTED, CLAIM_ID = "2025-01-01..2025-06-30", "2027-01-15", "ESP-KEHA-2025-H1"
START, END = dt.date(2025, 1, 1), dt.date(2025, 6, 30)
CENT = Decimal("0.01")
runner = CliRunner()

# What the half-year claim must hold, read off the sample files by hand: (case id, date).
EXPECTED_CLAIMED = {
    ("BOR-2025-0157", "2025-04-15"),  # a minor's plan
    ("ESP-2025-0217", "2025-03-10"), ("ESP-2025-0217", "2025-03-20"),
    ("HEL-2025-1108", "2025-02-04"),  # before the person became a citizen on 2025-04-01
    ("KUO-2025-0093", "2025-04-08"), ("KUO-2025-0093", "2025-06-16"),  # a family: a parent's, a child's
    ("TRE-2024-0064", "2025-02-20"),  # no VAT in the file: computed
    ("VAN-2025-0311", "2025-05-13"), ("VAN-2025-0311", "2025-05-22"), ("VAN-2025-0311", "2025-06-10"),
}
EXPECTED_EXCLUDED = {
    ("BOR-2025-0157", "2025-05-20"): "CLAIM-NOSHOW",
    ("ESP-2025-0217", "2025-06-11"): "CLAIM-NOSHOW",
    ("HEL-2025-1108", "2025-04-15"): "CLAIM-CITIZEN",
    ("HEL-2025-1108", "2025-05-13"): "CLAIM-NOSHOW",
    ("TRE-2024-0064", "2025-01-14"): "CLAIM-AGE",
    ("TRE-2024-0064", "2025-04-09"): "CLAIM-PURPOSE",
    ("TRE-2024-0064", "2025-05-06"): "CLAIM-NOSHOW",
    ("VAN-2025-0311", "2025-06-24"): "CLAIM-COST",
    ("VAS-TYO-2025-0088", "2025-02-04"): "CLAIM-ELIGIBLE",
}
# The one claimed appointment without `vat`: 25.5 % of 71.00 is 18.105, half up 18.11 (a float
# or banker's rounding gives 18.10).
COMPUTED_VAT = {("TRE-2024-0064", "2025-02-20"): Decimal("18.11")}
TITLES = {"fi": "Tulkitsemiskustannusten korvaushakemus", "sv": "Ansökan om ersättning för tolkningskostnader",
          "en": "Claim for reimbursement of interpretation costs"}
ROWS_HEADER = {"fi": "Asianumero Nimikirj. Syntynyt Päivä Tarkoitus Kieli Min Kustannus ALV Lasku"}
PERSON_HEADER = {"fi": "Asianumero Nimikirj. Syntynyt Kpl Min Kustannus ALV Haettava"}


def raw_appointments() -> dict[tuple[str, str], dict[str, Any]]:
    """Every appointment of the samples by (case id, date), read as plain YAML (not by kotodoc)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in SAMPLES:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for a in data.get("interpretation") or []:
            key = (data["case_id"], a["date"].isoformat())
            assert key not in found, f"two appointments {key}: the expectations above need another key"
            found[key] = a
    return found


def expected_sums() -> tuple[Decimal, Decimal]:
    """Cost and VAT of the expected claimed rows, summed here with Decimal from the raw strings."""
    raw = raw_appointments()
    cost = sum((Decimal(str(raw[k]["cost"])) for k in EXPECTED_CLAIMED), Decimal(0))
    vat = sum((COMPUTED_VAT[k] if k in COMPUTED_VAT else Decimal(str(raw[k]["vat"])) for k in EXPECTED_CLAIMED),
              Decimal(0))
    return cost, vat


def customer_secrets() -> list[str]:
    """Names and identity codes of every person in the samples: none may appear on a claim."""
    secrets: list[str] = []
    for path in SAMPLES:
        for _, person in persons(read_case(path)):
            secrets += [person.family_name, person.given_names, *([person.personal_id] if person.personal_id else [])]
    return secrets


def claim(**kwargs: Any) -> kotodoc.ClaimReport:
    """build_claim with the sample claim's parameters, overridable."""
    args: dict[str, Any] = {"claimant": CLAIMANT, "period": PERIOD, "submitted": SUBMITTED, "case_id": CLAIM_ID,
                            "formats": ()}
    args.update(kwargs)
    cases = args.pop("cases", SAMPLES)
    return kotodoc.build_claim(cases, **args)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> kotodoc.ClaimReport:
    """The half-year claim built from the samples: the claim file only."""
    return claim(out_dir=tmp_path_factory.mktemp("claim"))


@pytest.fixture(scope="session")
def built_case(built: kotodoc.ClaimReport) -> InterpretationClaimCase:
    assert built.claim_file is not None
    case = read_case(built.claim_file)
    assert isinstance(case, InterpretationClaimCase)
    return case


# ---------------------------------------------------------------------------------------------
# Building the claim from the samples


def test_every_appointment_of_the_period_is_claimed_or_excluded(built: kotodoc.ClaimReport,
                                                                built_case: InterpretationClaimCase) -> None:
    """This test ensures that no appointment of the period is dropped: each is claimed or in the annex."""
    raw = raw_appointments()
    in_period = {k for k in raw if START.isoformat() <= k[1] <= END.isoformat()}
    claimed = {(r.case_id, r.date.isoformat()) for r in built_case.rows}
    excluded = {(x.case_id, x.date.isoformat()): x.rule for x in built_case.excluded}
    assert claimed == EXPECTED_CLAIMED
    assert excluded == EXPECTED_EXCLUDED
    assert claimed | set(excluded) == in_period and not claimed & set(excluded)
    assert (built.read, built.in_period, built.claimed) == (len(raw), len(in_period), len(EXPECTED_CLAIMED))
    assert built.excluded == {"no-show": 4, "not-eligible": 1, "citizen": 1, "purpose": 1, "too-old": 1,
                              "cost-missing": 1}
    assert built.status == "built" and built.files == len(SAMPLES)


def test_totals_match_an_independent_sum(built: kotodoc.ClaimReport, built_case: InterpretationClaimCase) -> None:
    """This test ensures that the claim's totals are the exact Decimal sums of the claimed costs and VAT."""
    cost, vat = expected_sums()
    assert built.totals is not None
    # CLAIM-VAT: the amount claimed is the cost without VAT; the VAT is summed apart.
    assert (built.totals.cost, built.totals.vat, built.totals.total) == (cost, vat, cost)
    assert sum((r.cost for r in built_case.rows), Decimal(0)) == cost
    assert all(isinstance(r.cost, Decimal) and r.cost == r.cost.quantize(CENT) for r in built_case.rows)


def test_committed_sample_claim_is_reproducible(built: kotodoc.ClaimReport) -> None:
    """This test ensures that samples/claims/espoo-2025-h1.yaml is what the documented command builds today."""
    assert built.claim_file is not None
    assert built.claim_file.read_text(encoding="utf-8") == SAMPLE_CLAIM.read_text(encoding="utf-8"), (
        "rebuild it: uv run kotodoc claim samples/*.yaml --claimant samples/claims/claimant-espoo.yaml "
        "--period 2025-01-01..2025-06-30 --submitted 2027-01-15 --case-id ESP-KEHA-2025-H1 -o out/claims "
        "--format docx --force && cp out/claims/ESP-KEHA-2025-H1.interpretation-claim.yaml "
        "samples/claims/espoo-2025-h1.yaml")


def test_claim_file_is_readable_and_valid(built: kotodoc.ClaimReport) -> None:
    """This test ensures that the written claim is commented YAML that kotodoc loads back and its rules pass."""
    assert built.claim_file is not None
    text = built.claim_file.read_text(encoding="utf-8")
    assert text.startswith("# Interpretation-cost claim to the KEHA Centre")
    assert "&id" not in text and "*id" not in text, "no YAML anchors for an official to puzzle over"
    assert "vat: \"18.11\"  # computed: 25.5 % of the cost" in text
    loaded = load_case(built.claim_file)
    assert check_case(build_case(loaded), loaded) == []
    assert built.claim_file.stat().st_mode & 0o077 == 0


def test_family_appointments_belong_to_a_member(built_case: InterpretationClaimCase) -> None:
    """This test ensures that a family's appointment is the first parent's, or the member named by `member`."""
    family = {(r.person.initials, r.person.date_of_birth.isoformat(), r.date.isoformat())
              for r in built_case.rows if r.case_id == "KUO-2025-0093"}
    assert family == {("P.I.", "1983-09-30", "2025-04-08"), ("D.I.", "2016-01-19", "2025-06-16")}


def test_no_names_or_identity_codes_in_the_claim_file(built: kotodoc.ClaimReport) -> None:
    """This test ensures that the claim file carries initials and dates of birth, never names or identity codes."""
    assert built.claim_file is not None
    text = built.claim_file.read_text(encoding="utf-8")
    assert [s for s in customer_secrets() if s in text] == []


def test_invalid_input_writes_nothing(tmp_path: Path) -> None:
    """This test ensures that a claim is not built when a case file is invalid: its appointments would be lost."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(ESPOO.read_text(encoding="utf-8").replace("140391-417C", "140391-417D"), encoding="utf-8")
    report = claim(cases=[*SAMPLES, bad], out_dir=tmp_path / "out")
    assert report.status == "invalid" and report.claim_file is None and not (tmp_path / "out").exists()
    [invalid] = report.inputs
    [finding] = invalid.errors
    assert finding.rule == "ID-HETU" and finding.line is not None and "140391-417D" not in str(finding)


def test_the_same_case_twice_is_refused(tmp_path: Path) -> None:
    """This test ensures that a case file given twice (under two names) cannot claim its appointments twice."""
    twin = tmp_path / "twin.yaml"
    twin.write_text(ESPOO.read_text(encoding="utf-8"), encoding="utf-8")
    report = claim(cases=[ESPOO, twin], out_dir=tmp_path / "out")
    assert report.status == "invalid"
    [finding] = report.inputs[0].errors
    assert finding.path == "case_id" and "also used" in finding.message


def test_claim_beyond_the_loaders_limits_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a claim too big for kotodoc to read back fails, located, and writes no file."""
    import kotodoc.load._positions

    # Ten plans of four appointments each: each plan loads, the claim of forty rows does not.
    text = (ROOT / "samples" / "vantaa-multisectoral-en.yaml").read_text(encoding="utf-8")
    plans = []
    for n in range(10):
        plans.append(tmp_path / f"plan{n}.yaml")
        plans[-1].write_text(text.replace("case_id: VAN-2025-0311", f"case_id: VAN-2025-{n:04d}"), encoding="utf-8")
    monkeypatch.setattr(kotodoc.load._positions, "MAX_NODES", 800)
    report = claim(cases=plans, out_dir=tmp_path / "out")
    assert report.status == "failed" and report.claim_file is None and not (tmp_path / "out").exists()
    [f] = report.inputs[0].findings
    assert "800 nodes" in f.message and f.line is not None


# ---------------------------------------------------------------------------------------------
# The routing rules, both ways, located in the case file (a plan with one appointment)

_rt = YAML(typ="rt")
_rt.width = 4096


def one_appointment(tmp_path: Path, change: Callable[[Any], None]) -> tuple[Path, str]:
    """The Espoo sample with only its first appointment (2025-03-10, assessment, attended), then changed."""
    data = _rt.load(ESPOO.read_text(encoding="utf-8"))
    data["interpretation"] = data["interpretation"][:1]
    change(data)
    buffer = io.StringIO()
    _rt.dump(data, buffer)
    path = tmp_path / "plan.yaml"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path, buffer.getvalue()


def line_of(text: str, needle: str, after: str = "") -> int:
    """The number of the first line holding `needle` (after the first line holding `after`, a comment aside)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line and not line.lstrip().startswith("#"))
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line and not line.startswith("#"))


def appointment(key: str, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        if value is None:
            del data["interpretation"][0][key]
        else:
            data["interpretation"][0][key] = value
    return change


def residence(**values: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["person"]["residence"].update(values)
    return change


D = dt.date.fromisoformat
ROUTING = [
    # id, change, submitted, rule (None: claimed), path, the line's text
    ("noshow", appointment("attended", False), SUBMITTED, "CLAIM-NOSHOW", "interpretation.0.attended",
     "attended: false"),
    ("attended", appointment("attended", True), SUBMITTED, None, "", ""),
    ("not-eligible", residence(basis="work"), SUBMITTED, "CLAIM-ELIGIBLE", "person.residence.basis", "basis: work"),
    ("eligible-temporary-protection", residence(basis="temporary-protection"), SUBMITTED, None, "", ""),
    ("citizen-on-the-day", residence(citizenship_date=D("2025-03-10")), SUBMITTED, "CLAIM-CITIZEN",
     "interpretation.0.date", "- date: 2025-03-10"),
    ("citizen-the-day-after", residence(citizenship_date=D("2025-03-11")), SUBMITTED, None, "", ""),
    ("citizen-trafficking-victim", residence(basis="trafficking-victim", citizenship_date=D("2025-03-01")),
     SUBMITTED, None, "", ""),
    ("purpose-other", appointment("purpose", "other"), SUBMITTED, "CLAIM-PURPOSE", "interpretation.0.purpose",
     "purpose: other"),
    ("purpose-orientation", appointment("purpose", "orientation"), SUBMITTED, None, "", ""),
    ("purpose-guidance", appointment("purpose", "guidance"), SUBMITTED, None, "", ""),
    ("two-years-and-a-day", appointment("purpose", "assessment"), "2027-03-11", "CLAIM-AGE", "interpretation.0.date",
     "- date: 2025-03-10"),
    ("two-years-exactly", appointment("purpose", "assessment"), "2027-03-10", None, "", ""),
    ("no-cost", appointment("cost", None), SUBMITTED, "CLAIM-COST", "interpretation.0.cost", "- date: 2025-03-10"),
]


@pytest.mark.parametrize(("change", "submitted", "rule", "path", "needle"), [pytest.param(*r[1:], id=r[0])
                                                                              for r in ROUTING])
def test_claim_rules_route_an_appointment(tmp_path: Path, change: Callable[[Any], None], submitted: str,
                                          rule: str | None, path: str, needle: str) -> None:
    """This test ensures that each CLAIM rule excludes an appointment, located at its cause, or lets it be claimed."""
    plan, text = one_appointment(tmp_path, change)
    report = claim(cases=[plan], submitted=submitted, out_dir=tmp_path / "out")
    assert report.status == "built", [str(f) for r in report.inputs for f in r.findings]
    if rule is None:
        assert (report.claimed, report.exclusions) == (1, [])
        return
    [x] = report.exclusions
    assert (report.claimed, x.rule, x.path) == (0, rule, path)
    # The line of the cause; for a missing `cost`, the appointment itself.
    assert (x.file, x.line) == (str(plan), line_of(text, needle)), str(x)  # comments skipped
    assert str(x).startswith(f"{plan}:{x.line}:{x.column}: {path}: {rule}: not claimed (2025-03-10)")
    excluded = read_case(report.claim_file).excluded  # type: ignore[arg-type, union-attr]
    assert [(e.rule, e.date) for e in excluded] == [(rule, D("2025-03-10"))]


# ---------------------------------------------------------------------------------------------
# The rules of a claim file (an official may edit it), both ways and located


def edit_claim(change: Callable[[Any], None]) -> str:
    data = _rt.load(SAMPLE_CLAIM.read_text(encoding="utf-8"))
    change(data)
    buffer = io.StringIO()
    _rt.dump(data, buffer)
    return buffer.getvalue()


def claim_findings(text: str, data: dict[str, Any] | None = None) -> list[Finding]:
    loaded = load_case(Path("claim.yaml"), text)
    return check_case(build_case(loaded), loaded, data)


def row(key: str, value: Any, index: int = 0) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["rows"][index][key] = value
    return change


def top(key: str, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data[key] = value
    return change


def period(start: str, end: str) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["period"]["start"], data["period"]["end"] = D(start), D(end)
    return change


CLAIM_FILE_RULES = [
    # id, change, rule, path, severity (None: no finding of that rule)
    ("row-after-period", row("date", D("2025-07-01")), "CLAIM-PERIOD", "rows.0.date", Severity.ERROR),
    ("row-on-last-day", row("date", D("2025-06-30")), "CLAIM-PERIOD", "", None),
    ("period-backwards", period("2025-06-30", "2025-01-01"), "CLAIM-PERIOD", "period.end", Severity.ERROR),
    ("excluded-after-period", lambda d: d["excluded"][0].__setitem__("date", D("2025-07-02")), "CLAIM-PERIOD",
     "excluded.0.date", Severity.WARNING),
    ("basis-work", row("residence_basis", "work"), "CLAIM-ELIGIBLE", "rows.0.residence_basis", Severity.ERROR),
    ("basis-removal-prevented", row("residence_basis", "removal-prevented"), "CLAIM-ELIGIBLE", "", None),
    ("citizen-on-the-day", row("citizenship_date", D("2025-04-15")), "CLAIM-CITIZEN", "rows.0.date",
     Severity.ERROR),
    ("citizen-after-the-row", row("citizenship_date", D("2025-04-16")), "CLAIM-CITIZEN", "", None),
    # Issue 14: guidance and advice is an early-stage integration service, reimbursable; only `other` is not.
    ("purpose-other", row("purpose", "other"), "CLAIM-PURPOSE", "rows.0.purpose", Severity.ERROR),
    ("purpose-guidance", row("purpose", "guidance"), "CLAIM-PURPOSE", "", None),
    # Issue 14: no row dated after the claim was submitted (a period that has not ended).
    ("row-after-submitted", lambda d: (d["period"].__setitem__("end", D("2027-06-30")),
                                       d["rows"][0].__setitem__("date", D("2027-01-16"))),
     "CLAIM-PERIOD", "rows.0.date", Severity.ERROR),
    ("row-on-submitted", lambda d: (d["period"].__setitem__("end", D("2027-06-30")),
                                    d["rows"][0].__setitem__("date", D("2027-01-15"))), "CLAIM-PERIOD", "", None),
    ("purpose-social-and-health", row("purpose", "social-and-health"), "CLAIM-PURPOSE", "", None),
    # Submitted 2027-01-15: the claim reaches back to 2025-01-15.
    ("two-years-and-a-day", row("date", D("2025-01-14")), "CLAIM-AGE", "rows.0.date", Severity.ERROR),
    ("two-years-exactly", row("date", D("2025-01-15")), "CLAIM-AGE", "", None),
    ("business-id-check-digit", lambda d: d["claimant"].__setitem__("business_id", "0101263-7"), "ID-YTUNNUS",
     "claimant.business_id", Severity.ERROR),
    ("iban-check-digits", lambda d: d["claimant"].__setitem__("iban", "FI21 1234 5600 0007 86"), "ID-IBAN",
     "claimant.iban", Severity.ERROR),
    ("iban-too-short", lambda d: d["claimant"].__setitem__("iban", "FI21 1234 5600 0007"), "ID-IBAN",
     "claimant.iban", Severity.ERROR),
    ("iban-compact", lambda d: d["claimant"].__setitem__("iban", "FI2112345600000785"), "ID-IBAN", "", None),
]


@pytest.mark.parametrize(("change", "rule", "path", "severity"), [pytest.param(*r[1:], id=r[0])
                                                                  for r in CLAIM_FILE_RULES])
def test_claim_file_rules(change: Callable[[Any], None], rule: str, path: str, severity: Severity | None) -> None:
    """This test ensures that the rules of a claim file fire with their id at the field, and only then.

    The first row of the sample claim is BOR-2025-0157 on 2025-04-15 (quota refugee, school-daycare).
    """
    text = edit_claim(change)
    hits = [f for f in claim_findings(text) if f.rule == rule]
    if severity is None:
        assert hits == []
        return
    [hit] = hits
    assert (hit.path, hit.severity) == (path, severity)
    assert hit.line is not None and hit.column is not None
    if rule == "ID-IBAN":
        assert "1234" not in hit.message, "an account number may be a person's: not echoed"


def test_claim_rule_parameters_come_from_the_rule_data() -> None:
    """This test ensures that a deployment's rule data (here: 3 years' reach-back) changes CLAIM-AGE."""
    data = copy.deepcopy(rule_data())
    data["acts"]["681/2023"]["params"]["claim_reach_back_years"]["value"] = 3
    text = edit_claim(row("date", D("2025-01-14")))
    assert [f.path for f in claim_findings(text) if f.rule == "CLAIM-AGE"] == ["rows.0.date"]
    assert [f for f in claim_findings(text, data) if f.rule == "CLAIM-AGE"] == []


@pytest.mark.parametrize(
    ("change", "path", "says"),
    [
        pytest.param(lambda d: d["rows"][0]["person"].__setitem__("initials", "Lidia G."), "rows.0.person.initials",
                     "a claim carries no names", id="name-as-initials"),
        pytest.param(lambda d: d["excluded"][0].__setitem__("rule", "CLAIM-AGE"), "excluded.0",
                     "goes with the rule CLAIM-NOSHOW", id="reason-and-rule-disagree"),
        pytest.param(lambda d: d["rows"][0].__setitem__("cost", "71.005"), "rows.0.cost", "two decimals",
                     id="money-in-tenths-of-cents"),
        pytest.param(lambda d: d["claimant"].pop("iban"), "claimant.iban", "required", id="iban-missing"),
        pytest.param(lambda d: d["rows"][0].__setitem__("given_names", "Lidia"), "rows.0.given_names",
                     "unknown key", id="no-room-for-names"),
    ],
)
def test_claim_file_format_errors(change: Callable[[Any], None], path: str, says: str) -> None:
    """This test ensures that a malformed claim file gives a located format error naming the field."""
    with pytest.raises(CaseError) as info:
        claim_findings(edit_claim(change))
    [f] = [f for f in info.value.findings if f.path == path]
    assert says in f.message and f.line is not None


def test_member_must_name_a_member() -> None:
    """This test ensures that `member` (kotodoc extension) is refused on a plan for one person, and out of range."""
    def check(path: Path, index: int) -> list[Finding]:
        data = _rt.load(path.read_text(encoding="utf-8"))
        data["interpretation"][0]["member"] = index
        buffer = io.StringIO()
        _rt.dump(data, buffer)
        loaded = load_case(Path("x.yaml"), buffer.getvalue())
        return [f for f in check_case(build_case(loaded), loaded) if f.rule == "APPOINTMENT-MEMBER"]

    [hit] = check(ESPOO, 0)
    assert hit.path == "interpretation.0.member" and "one person" in hit.message and hit.line is not None
    [hit] = check(FAMILY, 5)
    assert "0 to 4" in hit.message
    assert check(FAMILY, 4) == []


# ---------------------------------------------------------------------------------------------
# Rounding


def test_vat_is_rounded_half_up_per_row() -> None:
    """This test ensures that a computed VAT is rounded half up to the cent (not half even, not via float)."""
    assert vat_of(Decimal("71.00"), Decimal("25.5")) == Decimal("18.11")  # 18.105
    assert Decimal("18.105").quantize(CENT) == Decimal("18.10"), "Decimal's default (half even) would lose it"
    assert vat_of(Decimal("1.00"), Decimal("100.5")) == Decimal("1.01")  # 1.005: round(1.005, 2) is 1.0 in float
    assert vat_of(Decimal("0.02"), Decimal("25.5")) == Decimal("0.01")  # 0.0051
    assert vat_of(Decimal("10.00"), Decimal(24)) == Decimal("2.40")
    data = rule_data()
    assert vat_rate(D("2024-08-31"), data) == Decimal(24)
    assert vat_rate(D("2024-09-01"), data) == Decimal("25.5")


def test_vat_follows_the_rate_on_the_day(tmp_path: Path) -> None:
    """This test ensures that an appointment without VAT gets the rate in force on its date (24 % before 9/2024)."""
    def change(data: Any) -> None:
        del data["interpretation"][0]["vat"]
        data["interpretation"][0]["cost"] = "100.10"
        data["interpretation"][0]["date"] = D("2024-08-31")

    plan, _ = one_appointment(tmp_path, change)
    report = claim(cases=[plan], period="2024-08-01..2024-09-30", submitted="2024-10-15", out_dir=tmp_path / "o")
    [r] = read_case(report.claim_file).rows  # type: ignore[arg-type, union-attr]
    assert (r.cost, r.vat) == (Decimal("100.10"), Decimal("24.02"))  # 24.024


def test_sums_are_exact_to_the_cent(tmp_path: Path) -> None:
    """This test ensures that totals of many small amounts are exact (0.10 + 0.20 is 0.30, as no float gives it)."""
    text = edit_claim(lambda d: [d["rows"][i].update(cost="0.10" if i % 2 else "0.20", vat="0.03")
                                 for i in range(len(d["rows"]))])
    case = build_case(load_case(Path("claim.yaml"), text))
    assert isinstance(case, InterpretationClaimCase)
    from kotodoc.rules import claim_totals

    n = len(case.rows)
    grand = claim_totals(case).grand
    assert grand.cost == Decimal("0.10") * (n // 2) + Decimal("0.20") * (n - n // 2)
    assert str(grand.cost) == "1.50" and str(grand.vat) == "0.30"


# ---------------------------------------------------------------------------------------------
# The command line


def test_cli_claim_end_to_end(tmp_path: Path) -> None:
    """This test ensures that `kotodoc claim` writes the claim file, DOCX in each language and the CSV, and
    reports how many appointments it read, claimed and excluded, by reason."""
    args = ["claim", *map(str, SAMPLES), "--claimant", str(CLAIMANT), "--period", PERIOD, "--submitted", SUBMITTED,
            "--case-id", CLAIM_ID, "-o", str(tmp_path), "--format", "docx"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    raw = raw_appointments()
    stderr = norm(result.stderr)
    assert f"read {len(raw)} appointment(s) from {len(SAMPLES)} case file(s)" in stderr
    cost, vat = expected_sums()
    assert f"claimed {len(EXPECTED_CLAIMED)} row(s): {cost} euros (cost {cost}; VAT {vat}, not claimed)" in stderr
    assert ("not claimed 9 row(s): no-show 4 (CLAIM-NOSHOW), not-eligible 1 (CLAIM-ELIGIBLE), citizen 1 "
            "(CLAIM-CITIZEN), purpose 1 (CLAIM-PURPOSE), too-old 1 (CLAIM-AGE), cost-missing 1 (CLAIM-COST)") in stderr
    assert "vaasa-employment-sv.yaml:" in stderr and "CLAIM-ELIGIBLE: not claimed (2025-02-04)" in stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    # The claimant file's `languages: [fi, sv]` make one bilingual claim, as the case format says.
    assert names == [f"{CLAIM_ID}.interpretation-claim.{x}" for x in ("csv", "fi+sv.docx", "yaml")]
    printed = result.stdout + result.stderr
    assert [s for s in customer_secrets() if s in printed] == []

    # Again: the claim file exists (an official may have edited it), so only --force replaces it.
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = runner.invoke(app, [*args, "--force", "--json"])
    assert forced.exit_code == 0, forced.stderr
    report = json.loads(forced.stdout)
    assert (report["claimed"], report["excluded"]["no-show"], report["totals"]["total"]) == (
        len(EXPECTED_CLAIMED), 4, str(cost))
    assert len(report["exclusions"]) == 9 and all(x["line"] for x in report["exclusions"])


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        pytest.param(["--period", "2025-01-01-2025-06-30"], 2, "START..END", id="period-without-dots"),
        pytest.param(["--period", "2025-06-30..2025-01-01"], 2, "ends", id="period-backwards"),
        pytest.param(["--period", "2025-01-01..2025-06-31"], 2, "YYYY-MM-DD", id="impossible-date"),
        pytest.param(["--submitted", "15.1.2027"], 2, "YYYY-MM-DD", id="submitted-finnish-style"),
        pytest.param(["--case-id", "ESP/KEHA"], 2, "may hold only", id="case-id-with-slash"),
        pytest.param(["--lang", "de"], 2, "unknown language", id="unknown-language"),
        pytest.param(["--lang", "fi,sv,en"], 2, "one language, or two", id="three-languages"),
        pytest.param(["--submitted", "2025-06-29"], 2, "CLAIM-PERIOD", id="submitted-before-the-period-ends"),
    ],
)
def test_cli_claim_usage_errors(tmp_path: Path, args: list[str], code: int, says: str) -> None:
    """This test ensures that bad options are usage errors (exit 2) without a traceback or a file written."""
    base = {"--period": PERIOD, "--claimant": str(CLAIMANT)}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = runner.invoke(app, ["claim", str(ESPOO), "-o", str(tmp_path / "out"), "--format", "docx",
                                 *[x for kv in base.items() for x in kv]])
    assert result.exit_code == code and says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_claim_bad_claimant_file(tmp_path: Path) -> None:
    """This test ensures that a claimant file with a wrong IBAN is reported located, with exit 1 and no claim."""
    bad = tmp_path / "claimant.yaml"
    bad.write_text(CLAIMANT.read_text(encoding="utf-8").replace("0007 85", "0007 86"), encoding="utf-8")
    result = runner.invoke(app, ["claim", str(ESPOO), "--claimant", str(bad), "--period", PERIOD, "-o",
                                 str(tmp_path / "out"), "--format", "docx"])
    assert result.exit_code == 1
    line = line_of(bad.read_text(encoding="utf-8"), "iban:")
    assert f"{bad}:{line}:9: claimant.iban: ID-IBAN: the IBAN's check digits are wrong" in norm(result.stderr)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# The documents (LibreOffice): the half-year claim in fi, sv, en, and a claim of 1,000 rows


def thousand_rows(path: Path) -> tuple[Decimal, Decimal]:
    """A hand-written claim file of 1,000 rows for 250 persons; returns its cost and VAT, summed here."""
    rng = random.Random(2025)
    purposes = ["social-and-health", "integration-plan", "assessment", "early-stage-services", "orientation",
                "school-daycare"]
    languages = ["ar", "so", "uk", "fa", "ti", "prs", "ru", "sw"]
    lines = ["kotodoc: 1", "kind: interpretation-claim", "case_id: BIG-KEHA-2025-H1", "languages: [fi]",
             "claimant: {name: Espoon kaupunki, business_id: 0101263-6, iban: FI21 1234 5600 0007 85}",
             "period: {start: 2025-01-01, end: 2025-06-30}", "submitted: 2025-07-15", "rows:"]
    cost_sum = vat_sum = Decimal(0)
    for n in range(1000):
        p = n // 4
        cost = Decimal(rng.randint(1, 30000)) / 100  # any cent from 0.01 to 300.00
        vat = (cost * Decimal("0.255")).quantize(CENT, rounding=ROUND_HALF_UP)
        cost_sum, vat_sum = cost_sum + cost, vat_sum + vat
        lines += [f"  - case_id: BIG-2025-{p:04d}",
                  f"    person: {{initials: A.B., date_of_birth: {1960 + p % 40}-{1 + p % 12:02d}-{1 + p % 28:02d}}}",
                  "    residence_basis: asylum", f"    date: 2025-{1 + n % 6:02d}-{1 + n % 28:02d}",
                  f"    purpose: {purposes[n % 6]}", f"    language: {languages[n % 8]}",
                  f"    minutes: {30 + 15 * (n % 7)}", f'    cost: "{cost:.2f}"', f'    vat: "{vat:.2f}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cost_sum, vat_sum


@pytest.fixture(scope="session")
def claim_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The half-year claim in fi, sv and en, and the 1,000-row claim, rendered in one LibreOffice run."""
    work = tmp_path_factory.mktemp("claim-docs")
    h1 = claim(out_dir=work / "claim")  # fi and sv, from the claimant file
    english = claim(out_dir=work / "claim", case_id=f"{CLAIM_ID}-EN", languages=["en"])
    big = work / "big.yaml"
    sums = thousand_rows(big)
    reports = kotodoc.render([h1.claim_file, english.claim_file, big], work / "out")  # type: ignore[list-item]
    return {"h1": reports[0], "en": reports[1], "big": reports[2], "big_sums": sums, "claim_file": h1.claim_file}


@pytest.mark.soffice
def test_claim_documents_read_back(claim_documents: dict[str, Any]) -> None:
    """This test ensures that the claim's DOCX and PDF, in fi, sv and en, show every claimed row, the totals,
    the claimant, and the annex with each reason's rule id; and no name or identity code anywhere."""
    reports = [claim_documents["h1"], claim_documents["en"]]
    assert all(r.status == "done" for r in reports), [(r.errors, r.failures) for r in reports]
    case = read_case(claim_documents["claim_file"])
    assert isinstance(case, InterpretationClaimCase)
    cost, vat = expected_sums()
    secrets = customer_secrets()
    for lang in ("fi", "sv", "en"):
        f = Formatter(lang)
        outputs = [p for r in reports for p in r.outputs]
        edition = "en" if lang == "en" else "fi+sv"  # the claimant's [fi, sv] is one bilingual claim
        docx = next(p for p in outputs if p.name.endswith(f".{edition}.docx"))
        pdf = next(p for p in outputs if p.name.endswith(f".{edition}.pdf"))
        dtext, ptext = docx_text(docx), pdf_text(pdf)
        for text in (dtext, ptext):
            assert TITLES[lang] in text
            for value in (f.money(cost), f.money(vat), "0101263-6", "FI21 1234 5600 0007 85",
                          f.period(START, END)):
                assert norm(value) in text, (lang, value)
            # CLAIM-VAT: the amount claimed is the cost without VAT; cost and VAT together appear nowhere.
            assert norm(f.money(cost + vat)) not in text, lang
            for r in case.rows:
                assert f"{r.case_id} {r.person.initials} {norm(f.date(r.person.date_of_birth))}" in text
                assert norm(f.date(r.date)) in text and norm(f.money(r.cost)) in text
            # Each row, claimed or not, carries its invoice number.
            for x in (*case.rows, *case.excluded):
                assert x.invoice is None or x.invoice in text, (lang, x.invoice)
            for rule in EXPECTED_EXCLUDED.values():
                assert rule in text
            assert [s for s in secrets if s in text] == [], (lang, pdf.name)
        # The footer shows the claimant and the period, not a person.
        assert f"Espoon kaupunki · {norm(f.period(START, END))}" in dtext


@pytest.mark.soffice
def test_claim_csv(claim_documents: dict[str, Any]) -> None:
    """This test ensures that the CSV beside the claim holds the claimed rows, sums to the cent, and names no one."""
    report = claim_documents["h1"]
    [path] = [p for p in report.outputs if p.suffix == ".csv"]
    text = path.read_bytes().decode("utf-8")  # not read_text: it would turn CRLF into LF
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert "\r\n" in text and not text.startswith("\ufeff")
    assert {(r["case_id"], r["date"]) for r in rows} == EXPECTED_CLAIMED
    cost, vat = expected_sums()
    assert sum(Decimal(r["cost"]) for r in rows) == cost and sum(Decimal(r["vat"]) for r in rows) == vat
    assert all(re.fullmatch(r"\d+\.\d\d", r["cost"]) and re.fullmatch(r"[A-Z]\.[A-Z]\.", r["initials"]) for r in rows)
    assert [s for s in customer_secrets() if s in text] == []
    assert path.stat().st_mode & 0o077 == 0


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (spaces folded)."""
    return [norm(p.extract_text() or "") for p in PdfReader(pdf).pages]


def pages_lacking_header(pages: list[str], row: re.Pattern[str], header: str) -> tuple[list[int], int]:
    """Pages that hold rows of a table but not its header row before them; and how many pages hold rows."""
    squash = header.replace(" ", "")
    holding = [i for i, page in enumerate(pages) if row.search(page)]
    lacking = []
    for i in holding:
        flat = pages[i].replace(" ", "")
        first = row.search(pages[i])
        assert first is not None
        if squash not in flat or flat.index(squash) > flat.index(first.group().replace(" ", "")):
            lacking.append(i + 1)
    return lacking, len(holding)


@pytest.mark.soffice
def test_thousand_rows_lay_out(claim_documents: dict[str, Any]) -> None:
    """This test ensures that a claim of 1,000 rows runs across pages with the header row repeated on every page
    that holds rows (the claimed rows and the 250 persons' subtotals), and totals to the cent."""
    report = claim_documents["big"]
    assert report.status == "done", (report.errors, report.failures)
    [pdf] = [p for p in report.outputs if p.suffix == ".pdf"]
    pages = pdf_pages(pdf)
    claimed = re.compile(r"BIG-2025-\d{4} A\.B\. \d{1,2}\.\d{1,2}\.(19|20)\d\d \d{1,2}\.\d{1,2}\.2025")
    lacking, holding = pages_lacking_header(pages, claimed, ROWS_HEADER["fi"])
    assert holding >= 20 and lacking == [], f"pages without the header row: {lacking}"
    per_person = re.compile(r"BIG-2025-\d{4} A\.B\. \d{1,2}\.\d{1,2}\.(19|20)\d\d \d+ \d")
    lacking, holding = pages_lacking_header(pages, per_person, PERSON_HEADER["fi"])
    assert holding >= 2 and lacking == [], f"pages without the subtotal header: {lacking}"
    cost, vat = claim_documents["big_sums"]
    text = " ".join(pages)
    f = Formatter("fi")
    # CLAIM-VAT: the amount claimed is the cost without VAT.
    assert f"Haettava korvaus yhteensä {norm(f.money(cost))}" in text
    assert norm(f.money(cost)) in text and norm(f.money(vat)) in text
    assert len(re.findall(r"BIG-2025-\d{4} A\.B\.", text)) == 1000 + 250


# ---------------------------------------------------------------------------------------------
# Issue 14: the claim tables keep every purpose's words whole and say the VAT is not claimed

VAT_TEXT = {"fi": "eikä se sisälly haettavaan korvaukseen", "sv": "ingår inte i den ersättning som söks",
            "en": "is not part of the amount claimed"}


@pytest.fixture(scope="session")
def every_purpose_claim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample claim with every purpose in its rows and annex, rendered to PDF in fi, sv and en."""
    work = tmp_path_factory.mktemp("every-purpose")
    purposes = list(get_args(Purpose))

    def change(data: Any) -> None:
        reimbursable = [p for p in purposes if p != "other"]
        for i, r in enumerate(data["rows"]):
            r["purpose"] = reimbursable[i % len(reimbursable)]
        for i, x in enumerate(data["excluded"]):
            x["purpose"] = purposes[i % len(purposes)]

    case = work / "claim.yaml"
    case.write_text(edit_claim(change), encoding="utf-8")
    result = runner.invoke(app, ["render", str(case), "-o", str(work / "out"), "--format", "pdf", "--lang", "fi,sv,en"])
    assert result.exit_code == 0, result.stderr
    return {p.name.split(".")[-2]: p for p in (work / "out").glob("*.pdf")}


def broken_words(text: str, words: set[str]) -> list[str]:
    """The words that the text shows split in two at a line end (`Kotoutumissuunnitelma|n`): pypdf reads a
    line break as a space. (A break after a hyphen, as in a case id, is a break between words.)"""
    return [f"{w[:k]}|{w[k:]}" for w in words for k in range(1, len(w))
            if re.search(rf"(?<!\S){re.escape(w[:k])} {re.escape(w[k:])}(?!\S)", text)]


@pytest.mark.soffice
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_claim_tables_keep_words_whole(every_purpose_claim: dict[str, Path], lang: str) -> None:
    """This test ensures that no purpose, reason, case id, invoice or rule id breaks mid-word in the claim's
    tables (the columns are wide enough for the longest word in fi, sv and en), that each row carries its invoice,
    and that the claim says the VAT is not part of the amount claimed."""
    text = pdf_text(every_purpose_claim[lang])
    f = Formatter(lang)
    words: set[str] = set()
    for enum in ("purpose", "exclusion_reason"):
        for value in f.enums[enum].values():
            words |= {w.strip("()") for w in ((value[:1].upper() + value[1:]).split() + value.split())
                      if len(w.strip("()")) > 3}
    case = read_case(SAMPLE_CLAIM)
    assert isinstance(case, InterpretationClaimCase)
    words |= {x.case_id for x in (*case.rows, *case.excluded)} | {x.rule for x in case.excluded}
    words |= {x.invoice for x in (*case.rows, *case.excluded) if x.invoice}
    for label in f.enums["purpose"].values():
        assert norm(label[:1].upper() + label[1:]) in text, (lang, label)
    assert broken_words(text, words) == []
    assert norm(VAT_TEXT[lang]) in text


def test_claim_vat_setting_is_rule_data(tmp_path: Path) -> None:
    """This test ensures that CLAIM-VAT is a rule-data setting: by default the amount claimed is the cost without
    VAT; a deployment's data with `claim_without_vat: false` claims cost and VAT; the shipped setting names its
    source and says it is an assumption."""
    cost, vat = expected_sums()
    data = copy.deepcopy(rule_data())
    entry = data["acts"]["681/2023"]["params"]["claim_vat"]
    assert entry["value"] == {"claim_without_vat": True} and "ASSUMPTION" in entry["source"]
    entry["value"] = {"claim_without_vat": False}
    with_vat = claim(out_dir=tmp_path / "with-vat", rule_data=data)
    assert with_vat.totals is not None and with_vat.totals.total == cost + vat


LABELS = {
    "fi": ("perheenjäsen henkilölle, jonka oleskeluperuste oikeuttaa korvaukseen", "Perehdyttäminen kunnassa"),
    "sv": ("familjemedlem till en person vars grund för vistelse berättigar till ersättning",
           "Introduktion till kommunen"),
    "en": ("family member of a person whose basis of residence is eligible for reimbursement",
           "Orientation in the municipality"),
}
OLD_LABELS = {"fi": "suojelua saavan henkilön perheenjäsen", "sv": "familjemedlem till en person som får skydd",
              "en": "family member of a person granted protection"}


def test_family_member_and_orientation_labels(tmp_path: Path) -> None:
    """This test ensures that the family-member basis is labelled for the family members of every eligible group
    (not only of protected persons), and `orientation` as orientation in the municipality, read back from the
    plan and the no-show notice in fi, sv and en."""
    def change(data: Any) -> None:
        data["person"]["residence"]["basis"] = "family-member-of-protected"
        data["interpretation"][2]["purpose"] = "orientation"

    yaml = YAML(typ="rt")
    source = yaml.load(ESPOO.read_text(encoding="utf-8"))
    change(source)
    case = tmp_path / "case.yaml"
    with case.open("w", encoding="utf-8") as stream:
        yaml.dump(source, stream)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(case), "-o", str(out), "--format", "docx", "--lang", "fi,sv,en"])
    assert result.exit_code == 0, result.stderr
    for lang, (family, orientation) in LABELS.items():
        plan = docx_text(next(out.glob(f"*.integration-plan.{lang}.docx")))
        notice = docx_text(next(out.glob(f"*.no-show-notice.*.{lang}.docx")))
        assert family[:1].upper() + family[1:] in plan and OLD_LABELS[lang] not in plan.lower(), lang
        assert orientation in notice, lang


def test_one_table_of_claim_criteria_for_the_builder_and_the_rules() -> None:
    """This test ensures that the CLAIM criteria are one table: its reasons are the annex's reasons in
    their order, and every criterion that can apply to a claim file's row is a registered rule, so
    `kotodoc claim` and `kotodoc validate` of an edited claim cannot disagree (issue 12)."""
    from kotodoc.model import EXCLUSION_RULES
    from kotodoc.rules import CLAIM_CRITERIA, RULES

    assert [c.reason for c in CLAIM_CRITERIA] == list(EXCLUSION_RULES)
    assert [c.rule for c in CLAIM_CRITERIA] == list(EXCLUSION_RULES.values())
    row_rules = {c.rule for c in CLAIM_CRITERIA if c.on_rows}
    assert row_rules == {"CLAIM-ELIGIBLE", "CLAIM-CITIZEN", "CLAIM-PURPOSE", "CLAIM-AGE"}
    assert all(RULES[r][0] == ("interpretation-claim",) for r in row_rules)
