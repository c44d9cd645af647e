"""The plan for a minor: its rules both ways, and the rendered document read back."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.errors import CaseError, Finding
from kotodoc.load import load_case
from kotodoc.model import MinorPlanCase, build_case
from kotodoc.rules import check_case
from tests.conftest import ROOT, docx_text, norm, pdf_text

UNACCOMPANIED = ROOT / "samples" / "minor-unaccompanied-fi.yaml"
GUARDIANS = ROOT / "samples" / "minor-guardians-sv.yaml"


def findings(text: str) -> list[Finding]:
    loaded = load_case(Path("case.yaml"), text)
    return check_case(build_case(loaded), loaded)


def by_rule(found: list[Finding], rule: str) -> list[Finding]:
    return [f for f in found if f.rule == rule]


@pytest.mark.parametrize("sample", [UNACCOMPANIED, GUARDIANS], ids=lambda p: p.stem)
def test_samples_pass_every_rule(sample: Path) -> None:
    """This test ensures that the minor samples are valid: no errors from any rule."""
    assert [str(f) for f in findings(sample.read_text(encoding="utf-8")) if f.severity.value == "error"] == []


def test_minor_age() -> None:
    """This test ensures that MINOR-AGE rejects a person who is 18 on the day the plan is drawn up."""
    yaml = YAML(typ="rt")
    data = yaml.load(GUARDIANS.read_text(encoding="utf-8"))
    drawn_up = data["plan"]["drawn_up"]
    data["person"]["date_of_birth"] = drawn_up.replace(year=drawn_up.year - 18)
    data["person"].pop("personal_id", None)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    [hit] = by_rule(findings(buffer.getvalue()), "MINOR-AGE")
    assert hit.path == "person.date_of_birth" and hit.line is not None and "18" in hit.message
    data["person"]["date_of_birth"] = drawn_up.replace(year=drawn_up.year - 17)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    assert not by_rule(findings(buffer.getvalue()), "MINOR-AGE")


def test_minor_carer_guardians() -> None:
    """This test ensures that MINOR-CARER asks for guardians when the child is not unaccompanied."""
    text = GUARDIANS.read_text(encoding="utf-8").replace("guardians:", "old_guardians:")
    text = text.replace("old_guardians:", "guardians: []\nx_guardians:")
    with pytest.raises(CaseError):  # the renamed key is unknown: typos never drop data
        findings(text)
    lines = GUARDIANS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("guardians:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "-")))
    text = "\n".join([*lines[:start], "guardians: []", *lines[end:]]) + "\n"
    [hit] = by_rule(findings(text), "MINOR-CARER")
    assert hit.path == "guardians" and hit.line == start + 1


def test_minor_carer_representative() -> None:
    """This test ensures that MINOR-CARER asks an unaccompanied minor's plan for the representative."""
    lines = UNACCOMPANIED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("representative:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
    text = "\n".join([*lines[:start], *lines[end:]]) + "\n"
    [hit] = by_rule(findings(text), "MINOR-CARER")
    assert hit.path == "representative" and "district court" in hit.message


def test_minor_opinion() -> None:
    """This test ensures that MINOR-OPINION requires the child's opinion."""
    lines = GUARDIANS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("child_opinion:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
    text = "\n".join([*lines[:start], *lines[end:]]) + "\n"
    assert by_rule(findings(text), "MINOR-OPINION")
    assert not by_rule(findings(GUARDIANS.read_text(encoding="utf-8")), "MINOR-OPINION")


def test_no_job_search_for_a_minor() -> None:
    """This test ensures that a minor's plan has no jobseeking obligation: the key is unknown there."""
    text = UNACCOMPANIED.read_text(encoding="utf-8").replace(
        "\nplan:\n", "\nplan:\n  job_search: {obligation: true, opportunities_per_month: 4}\n"
    )
    with pytest.raises(CaseError) as info:
        findings(text)
    assert any(f.path == "plan.job_search" and "unknown key" in f.message for f in info.value.findings)


@pytest.mark.soffice
def test_minor_documents(tmp_path: Path) -> None:
    """This test ensures that both minor samples render, with guardians or representative, opinion and schooling."""
    reports = kotodoc.render([UNACCOMPANIED, GUARDIANS], tmp_path, languages=["fi", "sv", "en"])
    titles = {"fi": "Alaikäisen kotoutumissuunnitelma", "sv": "Integrationsplan för minderårig",
              "en": "Integration plan for a minor"}
    for report in reports:
        assert report.status == "done", report.failures
        case = build_case(load_case(report.file))
        assert isinstance(case, MinorPlanCase)
        for lang in ("fi", "sv", "en"):
            docx = next(p for p in report.outputs if p.name.endswith(f".minor-plan.{lang}.docx"))
            pdf = next(p for p in report.outputs if p.name.endswith(f".minor-plan.{lang}.pdf"))
            text, ptext = docx_text(docx), pdf_text(pdf)
            assert titles[lang] in text
            assert case.child_opinion is not None and norm(case.child_opinion) in text
            expected = [case.person.family_name, case.person.given_names]
            expected += [g.name for g in case.guardians]
            if case.representative:
                expected += [case.representative.name, case.representative.appointed_by]
            if case.schooling and case.schooling.institution:
                expected.append(case.schooling.institution)
            expected += [s.description for s in case.plan.services if s.description]
            for value in expected:
                assert norm(value) in text, (lang, value)
                assert all(w in ptext for w in norm(value).split()), (lang, value)
            for word in ("Työnhakuvelvollisuus", "Skyldighet att söka arbete", "Jobseeking obligation"):
                assert word not in text


# ---------------------------------------------------------------------------------------------
# Issue 14: no adult plan for a child; a minor's plan is the municipality's


ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"
runner = CliRunner()


def edited(path: Path, change: Callable[[Any], None]) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def aged(years: int) -> Callable[[Any], None]:
    """The person `years` old (to the day) on the day the plan is drawn up."""
    def change(data: Any) -> None:
        drawn_up = data["plan"]["drawn_up"]
        data["person"].pop("personal_id", None)
        data["person"]["date_of_birth"] = drawn_up.replace(year=drawn_up.year - years)
    return change


def render_docx(tmp_path: Path, text: str, *args: str) -> tuple[Any, list[Path]]:
    case = tmp_path / "case.yaml"
    case.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(case), "-o", str(out), "--format", "docx", *args])
    return result, sorted(out.glob("*.docx")) if out.exists() else []


@pytest.mark.parametrize(("years", "refused"), [(13, True), (17, True), (18, False)])
def test_integration_plan_for_a_child_is_refused(tmp_path: Path, years: int, refused: bool) -> None:
    """This test ensures that MINOR-AGE refuses an individual integration plan for a person under 18 on drawn_up,
    pointing to minor-plan, so that its text on cutting benefits is never printed for a child; an adult's
    plan is rendered with that text."""
    text = edited(ESPOO, aged(years))
    result, written = render_docx(tmp_path, text)
    if not refused:
        assert result.exit_code == 0, result.stderr
        plan = next(p for p in written if ".integration-plan." in p.name)
        assert "toimeentulotukea" in docx_text(plan)
        return
    assert result.exit_code == 1 and written == []
    assert "person.date_of_birth: MINOR-AGE:" in result.stderr and "kind: minor-plan" in result.stderr
    assert f"the person is {years} on" in result.stderr


@pytest.mark.parametrize(("kind", "refused"), [("employment-authority", True), ("municipality", False)])
def test_minor_plan_is_the_municipalitys(kind: str, refused: bool) -> None:
    """This test ensures that PLAN-AUTHORITY refuses a minor's plan drawn up by the employment authority."""
    def change(data: Any) -> None:
        data["authority"]["kind"] = kind

    hits = by_rule(findings(edited(GUARDIANS, change)), "PLAN-AUTHORITY")
    if not refused:
        assert hits == []
        return
    [hit] = hits
    assert (hit.path, hit.severity.value) == ("authority.kind", "error") and "municipality" in hit.message


@pytest.mark.parametrize(("county", "warned"), [(True, False), (False, True)])
def test_unaccompanied_minor_without_child_welfare_warns(county: bool, warned: bool) -> None:
    """This test ensures that PLAN-AUTHORITY warns when an unaccompanied minor's plan has no wellbeing services
    county (its child welfare) among the participants, and is silent when it has."""
    def change(data: Any) -> None:
        if not county:
            data["participants"] = [p for p in data["participants"] if p["kind"] != "wellbeing-services-county"]

    hits = by_rule(findings(edited(UNACCOMPANIED, change)), "PLAN-AUTHORITY")
    if not warned:
        assert hits == []
        return
    [hit] = hits
    assert (hit.path, hit.severity.value) == ("participants", "warning") and "child welfare" in hit.message


UNSOURCED = {"fi": ["eikä lapselle aiheudu seuraamuksia", "Lapsille tällaisia seuraamuksia"],
             "sv": ["barnet drabbas inte av några", "Barnen drabbas inte av sådana följder"],
             "en": ["the child faces no penalties", "no such consequences for the children"]}
KEPT = {"fi": "Lapsen mielipide on selvitetty", "sv": "Barnets åsikt har utretts", "en": "The child's views have been"}


@pytest.mark.parametrize("sample", [GUARDIANS, ROOT / "samples" / "family-five-fi.yaml"], ids=lambda p: p.stem)
@pytest.mark.parametrize("basis", ["681/2023", "1386/2010"])
def test_no_blanket_statement_about_consequences_for_a_child(tmp_path: Path, sample: Path, basis: str) -> None:
    """This test ensures that neither the minor's nor the family plan, under either Act and in fi, sv or en,
    states without a source that a child faces no consequences; the rest of the rights text is there."""
    def change(data: Any) -> None:
        data["legal_basis"] = basis

    result, written = render_docx(tmp_path, edited(sample, change), "--lang", "fi,sv,en")
    assert result.exit_code == 0, result.stderr
    plans = [p for p in written if ".no-show-notice." not in p.name]
    assert len(plans) == 3
    for plan in plans:
        lang = plan.name.split(".")[-2]
        text = docx_text(plan)
        for phrase in UNSOURCED[lang]:
            assert norm(phrase) not in text, (plan.name, phrase)
        if "minor" in plan.name:
            assert KEPT[lang] in text
