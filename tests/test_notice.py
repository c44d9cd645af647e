"""No-show fee notices (issue 4): the FEE rules both ways, located; which notices a plan yields; the notice
read back in fi, sv and en.

The Espoo sample's third appointment (index 2) is the no-show: 2025-06-11, guidance, not attended,
the customer told of the fee at booking, no reason recorded, no fee given (so the cap, 56.70 euros
for 2025). The customer was born 1991-03-14.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc._data import act_params, rule_data
from kotodoc.context import Formatter, notice_context
from kotodoc.errors import Finding, Severity
from kotodoc.load import load_case
from kotodoc.model import build_case
from kotodoc.pdf import read_facts
from kotodoc.rules import check_case, notices
from kotodoc.run import documents
from tests.conftest import ROOT, docx_text, norm, pdf_text, read_case

ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"
FAMILY = ROOT / "samples" / "family-five-fi.yaml"
TITLES = {"fi": "Ilmoitus käyttämättä jätetyn tulkkauksen maksusta",
          "sv": "Meddelande om avgift för outnyttjad tolkning", "en": "Notice of a fee for unused interpretation"}
REASONS = {"fi": ["Äkillinen sairastuminen", "Tapaturma", "Kulkuyhteyden viivästyminen tai peruuntuminen"],
           "sv": ["Plötsligt insjuknande", "Olycksfall", "Försenad eller inställd transport"],
           "en": ["Sudden illness", "Accident", "Delay or cancellation of transport"]}
FEE_RULES = ("FEE-CAP", "FEE-MINOR", "FEE-REASON", "FEE-INFORMED")
D = dt.date.fromisoformat
runner = CliRunner()
_rt = YAML(typ="rt")
_rt.width = 4096


def edited(change: Callable[[Any], None], path: Path = ESPOO) -> str:
    data = _rt.load(path.read_text(encoding="utf-8"))
    change(data)
    buffer = io.StringIO()
    _rt.dump(data, buffer)
    return buffer.getvalue()


def no_show(**values: Any) -> Callable[[Any], None]:
    """Set (or, with None, delete) keys of the Espoo no-show (appointment 2)."""
    def change(data: Any) -> None:
        for key, value in values.items():
            if value is None:
                data["interpretation"][2].pop(key, None)
            else:
                data["interpretation"][2][key] = value
    return change


def born(day: str) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        data["person"].pop("personal_id")
        data["person"]["date_of_birth"] = D(day)
    return change


def fee_findings(text: str, data: dict[str, Any] | None = None) -> list[Finding]:
    loaded = load_case(Path("case.yaml"), text)
    return [f for f in check_case(build_case(loaded), loaded, data) if f.rule in FEE_RULES]


def fees_due(text: str, data: dict[str, Any] | None = None) -> list[tuple[str, Decimal]]:
    """(label, fee) of every notice the case yields."""
    case = build_case(load_case(Path("case.yaml"), text))
    return [(n.label, n.fee) for n in notices(case, act_params(case.basis, data), D("2025-06-20"))]  # type: ignore[arg-type]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line and not line.startswith("#"))


# ---------------------------------------------------------------------------------------------
# The rules, both ways


def test_sample_notice_is_due() -> None:
    """This test ensures that the Espoo sample's no-show yields one notice at the cap, and no FEE finding."""
    text = ESPOO.read_text(encoding="utf-8")
    assert fee_findings(text) == []
    assert fees_due(text) == [("2025-06-11", Decimal("56.70"))]


@pytest.mark.parametrize(
    ("birth", "warned"),
    [pytest.param("2007-06-12", True, id="17-on-the-day"), pytest.param("2007-06-11", False, id="18-on-the-day")],
)
def test_fee_minor(birth: str, warned: bool) -> None:
    """This test ensures that FEE-MINOR forbids the fee for a customer under 18 on the day, and only then."""
    text = edited(born(birth))
    hits = fee_findings(text)
    if not warned:
        assert hits == [] and fees_due(text) == [("2025-06-11", Decimal("56.70"))]
        return
    [hit] = hits
    assert (hit.rule, hit.severity, hit.path) == ("FEE-MINOR", Severity.WARNING, "interpretation.2")
    assert hit.line == line_of(text, "- date: 2025-06-11") and "under 18 on 2025-06-11" in hit.message
    assert fees_due(text) == []


@pytest.mark.parametrize(
    ("told", "says"),
    [pytest.param(False, "this is false", id="not-told"), pytest.param(None, "not recorded", id="not-recorded")],
)
def test_fee_informed(told: bool | None, says: str) -> None:
    """This test ensures that FEE-INFORMED forbids the fee unless the customer was told of it at booking."""
    text = edited(no_show(fee_notice_given=told))
    [hit] = fee_findings(text)
    assert (hit.rule, hit.severity, hit.path) == ("FEE-INFORMED", Severity.WARNING,
                                                  "interpretation.2.fee_notice_given")
    expected = "fee_notice_given: false" if told is False else "- date: 2025-06-11"  # a missing key: its item
    assert says in hit.message and hit.line == line_of(text, expected)
    assert fees_due(text) == []
    assert fees_due(edited(no_show(fee_notice_given=True))) == [("2025-06-11", Decimal("56.70"))]


@pytest.mark.parametrize("reason", ["sudden-illness", "accident", "transport"])
def test_fee_reason_acceptable(reason: str) -> None:
    """This test ensures that FEE-REASON forbids the fee when an acceptable reason is recorded."""
    text = edited(no_show(absence_reason=reason))
    [hit] = fee_findings(text)
    assert (hit.rule, hit.severity, hit.path) == ("FEE-REASON", Severity.WARNING, "interpretation.2.absence_reason")
    assert hit.line == line_of(text, f"absence_reason: {reason}") and reason in hit.message
    assert fees_due(text) == []


def test_fee_reason_other_is_not_acceptable() -> None:
    """This test ensures that another reason does not forbid the fee: the customer can still explain by the due date."""
    text = edited(no_show(absence_reason="other"))
    assert fee_findings(text) == [] and fees_due(text) == [("2025-06-11", Decimal("56.70"))]


def test_fee_due_date_before_the_appointment() -> None:
    """This test ensures that a due date before the appointment is an error: there is no time to explain."""
    text = edited(no_show(fee_due=D("2025-06-10")))
    [hit] = fee_findings(text)
    assert (hit.rule, hit.severity, hit.path) == ("FEE-REASON", Severity.ERROR, "interpretation.2.fee_due")
    assert hit.line == line_of(text, "fee_due: 2025-06-10")
    case = build_case(load_case(Path("c.yaml"), edited(no_show(fee_due=D("2025-07-31")))))
    [notice] = notices(case, act_params(case.basis), D("2025-06-20"))  # type: ignore[arg-type]
    assert notice.due == D("2025-07-31")


@pytest.mark.parametrize(
    ("fee", "error", "due"),
    [
        pytest.param("56.71", True, None, id="a-cent-above-the-cap"),
        pytest.param("56.70", False, "56.70", id="the-cap"),
        pytest.param("30.00", False, "30.00", id="below-the-cap"),
        pytest.param("0.00", False, None, id="waived"),
        pytest.param(None, False, "56.70", id="no-fee-given-the-cap"),
    ],
)
def test_fee_cap(fee: str | None, error: bool, due: str | None) -> None:
    """This test ensures that FEE-CAP refuses a fee above the cap for the year, and that the cap is the default."""
    text = edited(no_show(fee=fee))
    hits = fee_findings(text)
    if error:
        [hit] = hits
        assert (hit.rule, hit.severity, hit.path) == ("FEE-CAP", Severity.ERROR, "interpretation.2.fee")
        assert hit.line == line_of(text, f"fee: '{fee}'") and "56.70" in hit.message
        return
    assert hits == []
    assert fees_due(text) == ([("2025-06-11", Decimal(due))] if due else [])


def test_fee_cap_by_year() -> None:
    """This test ensures that a year after the last one listed keeps the last cap (kotodoc's assumption, in the
    rule data), a deployment's rule data can add a year, and no fee exists before 2025 (681/2023 § 32 a)."""
    later = edited(no_show(date=D("2026-06-10"), booked_at=D("2026-05-27")))
    assert fee_findings(later) == [] and fees_due(later) == [("2026-06-10", Decimal("56.70"))]
    data = copy.deepcopy(rule_data())
    data["acts"]["681/2023"]["params"]["no_show_fee_caps"]["value"][2026] = "60.00"
    assert fees_due(later, data) == [("2026-06-10", Decimal("60.00"))]
    earlier = edited(no_show(date=D("2024-06-11"), booked_at=D("2024-05-28")))
    assert fee_findings(earlier) == [] and fees_due(earlier) == []
    [hit] = fee_findings(edited(no_show(date=D("2024-06-11"), booked_at=D("2024-05-28"), fee="20.00")))
    assert (hit.rule, hit.severity, hit.path) == ("FEE-CAP", Severity.ERROR, "interpretation.2.fee")


# ---------------------------------------------------------------------------------------------
# Which documents a case yields


def test_notice_documents_are_named_by_case_and_date() -> None:
    """This test ensures that a plan yields its plan, then a notice per fee in each language, named without names;
    two notices on one day get distinct names."""
    def twice(data: Any) -> None:
        data["interpretation"].append(copy.deepcopy(data["interpretation"][2]))

    case = build_case(load_case(Path("c.yaml"), edited(twice)))
    stems = [d.stem for d in documents(case, ["fi", "sv"])]  # type: ignore[arg-type]
    assert stems == ["ESP-2025-0217.integration-plan.fi", "ESP-2025-0217.integration-plan.sv",
                     "ESP-2025-0217.no-show-notice.2025-06-11.fi", "ESP-2025-0217.no-show-notice.2025-06-11.sv",
                     "ESP-2025-0217.no-show-notice.2025-06-11-2.fi", "ESP-2025-0217.no-show-notice.2025-06-11-2.sv"]
    assert {d.template for d in documents(case, ["fi"])} == {"integration-plan", "no-show-notice"}  # type: ignore[arg-type]


def test_documents_use_the_deployments_rule_data() -> None:
    """This test ensures that the notice's fee follows the rule data `render` was given, not only the built-in one."""
    case = build_case(load_case(Path("c.yaml"), edited(no_show(date=D("2026-06-10"), booked_at=D("2026-05-27")))))
    data = copy.deepcopy(rule_data())
    data["acts"]["681/2023"]["params"]["no_show_fee_caps"]["value"][2026] = "60.00"
    [_, notice] = documents(case, ["fi"], rule_data=data)  # type: ignore[arg-type]
    assert notice.context("fi")["fee"]["amount"] == Formatter("fi").money(Decimal("60.00"))


@pytest.mark.parametrize(
    ("member", "customer", "minor"),
    [
        pytest.param(None, "Patrick Ilunga", False, id="default-first-parent"),
        pytest.param(1, "Esther Mwamba", False, id="second-parent"),
        pytest.param(2, "Grâce Ilunga", True, id="a-child"),
    ],
)
def test_family_no_show_belongs_to_a_member(member: int | None, customer: str, minor: bool) -> None:
    """This test ensures that a family's no-show is the first parent's, or the member's named by `member`:
    a notice addressed to that adult, or FEE-MINOR for a child."""
    def change(data: Any) -> None:
        appointment = data["interpretation"][0]
        appointment["attended"] = False
        if member is not None:
            appointment["member"] = member

    text = edited(change, FAMILY)
    hits = fee_findings(text)
    case = build_case(load_case(Path("f.yaml"), text))
    due = notices(case, act_params(case.basis), D("2025-09-01"))  # type: ignore[arg-type]
    if minor:
        assert [(h.rule, h.path) for h in hits] == [("FEE-MINOR", "interpretation.0")] and due == []
        return
    assert hits == []
    [notice] = due
    context = notice_context(case, notice, "fi")  # type: ignore[arg-type]
    assert norm(context["customer"]["full_name"]) == norm(customer)
    assert context["customer"]["address"] == "Neulamäentie 12 C 34, 70820 Kuopio"


def test_validate_reports_why_no_notice(tmp_path: Path) -> None:
    """This test ensures that `kotodoc validate` (and so `render`) prints the rule that forbids a fee, with its
    location, and exits 0: a forbidden fee is a warning, not an error."""
    sample = ROOT / "samples" / "helsinki-later-plan-fi.yaml"
    result = runner.invoke(app, ["validate", str(sample)])
    assert result.exit_code == 0, result.stderr
    line = line_of(sample.read_text(encoding="utf-8"), "absence_reason: sudden-illness")
    assert (f"{sample}:{line}:21: interpretation.2.absence_reason: warning: FEE-REASON: no fee and no notice"
            in norm(result.stderr))
    case = read_case(sample)
    assert case.person.family_name not in result.stderr  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# The notices rendered with the samples (the session's LibreOffice run of every sample in fi, sv, en)


@pytest.mark.soffice
def test_notice_read_back(rendered_all_languages: tuple[Path, list[kotodoc.CaseReport]]) -> None:
    """This test ensures that the notice, in fi, sv and en, shows the appointment, the fee, the due date, how to
    explain by then and the acceptable reasons; it is PDF/A with its own title; its name holds no name."""
    _, reports = rendered_all_languages
    espoo = next(r for r in reports if r.case_id == "ESP-2025-0217")
    case = read_case(ESPOO)
    issued = kotodoc.RunOptions.make().stamp.date()
    for lang in ("fi", "sv", "en"):
        f = Formatter(lang)
        stem = f"ESP-2025-0217.no-show-notice.2025-06-11.{lang}"
        docx = next(p for p in espoo.outputs if p.name == f"{stem}.docx")
        pdf = next(p for p in espoo.outputs if p.name == f"{stem}.pdf")
        dtext, ptext = docx_text(docx), pdf_text(pdf)
        for text in (dtext, ptext):
            assert TITLES[lang] in text
            for value in ("Yaser Karim Saleh", "Kirkkojärventie 9 C 21, 02770 Espoo", f.date(D("2025-06-11")),
                          f.date(D("2025-05-28")), f.money(Decimal("56.70")), f.date(issued + dt.timedelta(14)),
                          f.language("ar").capitalize(), "Sanna Lehtinen", "+358 40 000 2173", "681/2023",
                          *REASONS[lang]):
                assert norm(value) in text, (lang, value)
            assert "140391-417C" not in text  # a notice needs no identity code
        facts = read_facts(pdf)
        assert (facts.pdfa, facts.title, facts.pages) == ("2B", TITLES[lang], 1)
        assert facts.language.startswith(lang)
    assert case.person.family_name not in " ".join(p.name for p in espoo.outputs)  # type: ignore[union-attr]


@pytest.mark.soffice
def test_forbidden_fee_writes_no_notice(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that the samples whose no-show a FEE rule forbids get no notice, and say why."""
    expected = {"HEL-2025-1108": "FEE-REASON", "TRE-2024-0064": "FEE-INFORMED", "BOR-2025-0157": "FEE-MINOR"}
    for case_id, rule in expected.items():
        report = rendered[case_id]
        assert report.status == "done"
        assert not [p for p in report.outputs if ".no-show-notice." in p.name]
        assert [w.rule for w in report.warnings if w.rule in FEE_RULES] == [rule]
    notices_written = sorted(p.name for r in rendered.values() for p in r.outputs if ".no-show-notice." in p.name)
    assert notices_written == ["ESP-2025-0217.no-show-notice.2025-06-11.fi.docx",
                               "ESP-2025-0217.no-show-notice.2025-06-11.fi.pdf"]
