"""The plan for a family: FAMILY-MEMBERS and the member-level rules both ways, the document read
back member by member, and a family of eight laid out by the real LibreOffice."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from ruamel.yaml import YAML

import kotodoc
from kotodoc.errors import Finding, Severity
from kotodoc.load import load_case
from kotodoc.model import FamilyPlanCase, build_case
from kotodoc.rules import check_case
from tests.conftest import ROOT, docx_body_text, norm, read_case

FIVE = ROOT / "samples" / "family-five-fi.yaml"
ENGLISH = ROOT / "samples" / "family-en.yaml"
_yaml = YAML(typ="rt")


def edited(path: Path, change: Callable[[Any], None]) -> str:
    """The sample's text after `change` edits its round-trip data."""
    data = _yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    buffer = io.StringIO()
    _yaml.dump(data, buffer)
    return buffer.getvalue()


def findings(text: str) -> list[Finding]:
    loaded = load_case(Path("family.yaml"), text)
    return check_case(build_case(loaded), loaded)


def errors(text: str, rule: str) -> list[Finding]:
    return [f for f in findings(text) if f.rule == rule and f.severity is Severity.ERROR]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("sample", [FIVE, ENGLISH], ids=lambda p: p.stem)
def test_samples_pass_every_rule(sample: Path) -> None:
    """This test ensures that the family samples are valid: no errors from any rule."""
    found = findings(sample.read_text(encoding="utf-8"))
    assert [str(f) for f in found if f.severity is Severity.ERROR] == []


def test_family_members_needs_a_parent_and_a_child() -> None:
    """This test ensures that FAMILY-MEMBERS rejects a family without a child, and one without a parent."""

    def roles_to(role: str, keep: str) -> Callable[[Any], None]:
        def change(data: Any) -> None:
            for m in data["family"]["members"]:
                if m["role"] == role:
                    m["role"] = keep
        return change

    no_child = edited(FIVE, roles_to("child", "other"))
    [hit] = errors(no_child, "FAMILY-MEMBERS")
    assert hit.path == "family.members" and "child" in hit.message and "parent" not in hit.message.split(":")[-1]
    assert hit.line == line_of(no_child, "members:") + 1  # the list's first item
    no_parent = edited(FIVE, roles_to("parent", "other"))
    [hit] = errors(no_parent, "FAMILY-MEMBERS")
    assert "role: parent" in hit.message
    assert not errors(FIVE.read_text(encoding="utf-8"), "FAMILY-MEMBERS")


def test_child_member_is_under_18() -> None:
    """This test ensures that MINOR-AGE rejects a member in the child role who is 18 on `drawn_up`."""

    def grown_up(years: int) -> Callable[[Any], None]:
        def change(data: Any) -> None:
            drawn_up = data["plan"]["drawn_up"]
            child = data["family"]["members"][2]["person"]
            child.pop("personal_id")
            child["date_of_birth"] = drawn_up.replace(year=drawn_up.year - years)
        return change

    text = edited(FIVE, grown_up(18))
    [hit] = errors(text, "MINOR-AGE")
    assert hit.path == "family.members.2.person.date_of_birth" and "role: parent or other" in hit.message
    assert hit.line is not None and hit.column is not None
    assert not errors(edited(FIVE, grown_up(17)), "MINOR-AGE")


def test_every_child_has_an_opinion() -> None:
    """This test ensures that MINOR-OPINION names each child member whose opinion is missing."""

    def drop(data: Any) -> None:
        del data["family"]["members"][3]["child_opinion"]
        data["family"]["members"][4]["child_opinion"] = "   "

    text = edited(FIVE, drop)
    hits = errors(text, "MINOR-OPINION")
    assert [h.path for h in hits] == ["family.members.3.child_opinion", "family.members.4.child_opinion"]
    # The missing key is placed at its member; the blank one at its value.
    assert hits[0].line is not None and hits[0].line < line_of(text, "given_names: Ruth")
    opinion_lines = [i for i, line in enumerate(text.splitlines(), 1) if "child_opinion:" in line]
    assert hits[1].line == opinion_lines[-1]
    # A parent needs no opinion of their own recorded.
    assert not errors(FIVE.read_text(encoding="utf-8"), "MINOR-OPINION")


def test_every_member_identity_code_is_checked() -> None:
    """This test ensures that ID-HETU checks each member's code, located at that member, never printing it."""
    text = FIVE.read_text(encoding="utf-8").replace("190116A735W", "190116A735X")
    [hit] = errors(text, "ID-HETU")
    assert hit.path == "family.members.3.person.personal_id"
    assert hit.line == line_of(text, "190116A735X") and "190116A735X" not in hit.message
    # A code that disagrees with the member's date of birth.
    text = FIVE.read_text(encoding="utf-8").replace("date_of_birth: 2021-05-03", "date_of_birth: 2021-05-04")
    [hit] = errors(text, "ID-HETU")
    assert hit.path == "family.members.4.person.date_of_birth"


def test_member_services_within_the_plan_period() -> None:
    """This test ensures that PLAN-DATES places a member's or the family's service outside the period."""

    def move(data: Any) -> None:
        service = data["family"]["members"][1]["services"][0]
        service["start"] = service["start"].replace(year=service["start"].year + 2)
        service["end"] = service["end"].replace(year=service["end"].year + 2)
        data["family_services"][2]["end"] = data["family_services"][2]["start"].replace(year=2024)

    hits = errors(edited(FIVE, move), "PLAN-DATES")
    assert {h.path for h in hits} == {"family.members.1.services.0", "family_services.2.end"}


def test_member_service_before_birth() -> None:
    """This test ensures that a member's service may not start before that member was born."""

    def early(data: Any) -> None:
        data["family"]["members"][4]["services"][0]["start"] = data["plan"]["valid_from"]
        child = data["family"]["members"][4]["person"]
        child.pop("personal_id")
        child["date_of_birth"] = data["plan"]["valid_from"].replace(month=12)

    paths = {h.path for h in errors(edited(FIVE, early), "PLAN-DATES")}
    # Only that member's own dates are held against their birth: not the family's, not a sibling's.
    assert {"family.members.4.services.0.start", "family.members.4.person.residence.first_permit_date"} <= paths
    assert all(p.startswith("family.members.4.") for p in paths), paths


def test_jobseeking_member_needs_the_obligation() -> None:
    """This test ensures that PLAN-JOBSEEK asks a jobseeking member, not the family, for `job_search`."""
    text = edited(FIVE, lambda d: d["family"]["members"][0].pop("job_search"))
    [hit] = errors(text, "PLAN-JOBSEEK")
    assert hit.path == "family.members.0.job_search"
    text = edited(FIVE, lambda d: d["family"]["members"][1]["person"].__setitem__("jobseeker", True))
    [hit] = errors(text, "PLAN-JOBSEEK")
    assert hit.path == "family.members.1.job_search"


def test_family_plan_is_the_municipalitys() -> None:
    """This test ensures that PLAN-AUTHORITY rejects a family plan drawn up by the employment authority."""
    text = FIVE.read_text(encoding="utf-8").replace("  kind: municipality", "  kind: employment-authority", 1)
    [hit] = errors(text, "PLAN-AUTHORITY")
    assert hit.path == "authority.kind" and "municipality" in hit.message


def test_family_model_has_no_plan_services() -> None:
    """This test ensures that goals and services under `plan:` are refused: they belong to the family or a member."""
    text = edited(FIVE, lambda d: d["plan"].__setitem__("services", []))
    with pytest.raises(kotodoc.errors.CaseError) as e:
        findings(text)
    [f] = e.value.findings
    assert f.path == "plan.services" and "unknown key" in f.message


@pytest.mark.soffice
def test_member_sections_in_order(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that each member has a section of their own, in case order, with what belongs to it."""
    case = read_case(FIVE)
    assert isinstance(case, FamilyPlanCase)
    docx = next(p for p in rendered[case.case_id].outputs if p.suffix == ".docx")
    text = docx_body_text(docx)
    headings = [f"{m.person.given_names} {m.person.family_name} · " for m in case.family.members]
    starts = [text.index(h) for h in headings]
    assert starts == sorted(starts)
    sections = [text[a:b] for a, b in zip(starts, [*starts[1:], text.index("Suunnitelman seuranta")], strict=True)]
    for member, section in zip(case.family.members, sections, strict=True):
        for service in member.services:
            assert norm(service.description or "") in section
        assert ("Työnhakuvelvollisuus" in section) == (member.job_search is not None)
        assert ("Lapsen mielipide" in section) == (member.child_opinion is not None)
        if member.schooling:
            assert norm(member.schooling.institution or "") in section
    # The signature lines: both parents and the official; no child (child_signs is not set).
    signatures = text[text.index("Allekirjoitukset"):]
    assert "Patrick Ilunga" in signatures and "Esther Mwamba" in signatures and "Jukka Hyvönen" in signatures
    assert "Grâce" not in signatures and signatures.count("Perheenjäsenen allekirjoitus") == 2


# ---------------------------------------------------------------------------------------------
# A family of eight: two parents and six children, one of them with a long list of services.


def family_of_eight() -> str:
    data = _yaml.load(FIVE.read_text(encoding="utf-8"))
    members = data["family"]["members"]
    template = members[3]  # David, a school child
    births = ["2012-02-14", "2014-06-30", "2018-11-09"]
    for n, born in enumerate(births):
        child = copy.deepcopy(template)
        child["person"]["given_names"] = f"Lapsi{n + 1} Emmanuel-Josué"
        child["person"].pop("personal_id")
        child["person"]["date_of_birth"] = _yaml.load(born)
        members.append(child)
    long_list = members[2]["services"]
    first = copy.deepcopy(long_list[0])
    for i in range(1, 31):
        row = copy.deepcopy(first)
        row["description"] = f"Tukijakso numero {i}: kerho, läksyapu ja ohjaus koulupäivän jälkeen"
        long_list.append(row)
    assert len(members) == 8
    buffer = io.StringIO()
    _yaml.dump(data, buffer)
    return buffer.getvalue()


@pytest.mark.soffice
def test_family_of_eight_lays_out(tmp_path: Path) -> None:
    """This test ensures that a family of eight lays out: a table that breaks repeats its header row
    on the next page, and no member's section starts at the foot of a page."""
    case_file = tmp_path / "family-of-eight.yaml"
    case_file.write_text(family_of_eight(), encoding="utf-8")
    [report] = kotodoc.render([case_file], tmp_path / "out", formats=["pdf"])
    assert report.status == "done", (report.errors, report.failures)
    [pdf] = report.outputs
    pages = [norm(p.extract_text() or "") for p in PdfReader(pdf).pages]
    case = read_case(case_file)
    assert isinstance(case, FamilyPlanCase)

    # Every page that holds rows of the long table also holds the table's header row.
    row_pages = [i for i, page in enumerate(pages) if "Tukijakso numero" in page]
    assert len(row_pages) >= 2, "the long table should break across pages"
    for i in row_pages:
        page = pages[i]
        assert "Palvelu Sisältö Järjestäjä Ajanjakso" in page, f"page {i + 1} lacks the header row"
        assert page.index("Palvelu Sisältö Järjestäjä") < page.index("Tukijakso numero")

    # Each member's heading is on the same page as the end of that member's details table.
    for m in case.family.members:
        heading = f"{norm(m.person.given_names)} {m.person.family_name} · "
        [page] = [p for p in pages if heading in p]
        assert "Tulkkaustarve" in page[page.index(heading):], f"{heading!r} is cut off from its details"
    assert len(pages) >= 8


@pytest.mark.parametrize(("permit", "refused"), [("2025-08-26", False), ("2025-08-27", True)])
def test_member_first_permit_not_after_the_plan(permit: str, refused: bool) -> None:
    """This test ensures that PLAN-DATES refuses a member's first residence permit dated after the family plan was
    drawn up (a family plan has no assessment: the plan is the first step after the permit), at that member."""
    import datetime as dt

    def change(data: Any) -> None:
        data["family"]["members"][1]["person"]["residence"]["first_permit_date"] = dt.date.fromisoformat(permit)

    hits = [f for f in findings(edited(FIVE, change)) if f.rule == "PLAN-DATES"]
    if not refused:
        assert hits == []
        return
    [hit] = hits
    assert (hit.path, hit.severity) == ("family.members.1.person.residence.first_permit_date", Severity.ERROR)
