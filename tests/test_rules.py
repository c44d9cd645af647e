"""The legal rules of an individual integration plan (docs/reference/rules.md), each in both directions.

Every case here is the valid sample `samples/espoo-municipality-fi.yaml` with a few fields
changed: `edit()` parses it with ruamel.yaml (round trip), sets or deletes dotted paths and dumps
it back, so a finding's line number can be checked against the text the loader really read.

Sample facts the tests lean on: municipality, `legal_basis: "681/2023"`, first permit 2025-01-20,
assessment 2025-03-10, drawn up and valid from 2025-03-20, valid until 2026-03-19, reviews
2025-09-15 and 2026-03-02, personal_id 140391-417C with date_of_birth 1991-03-14.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kotodoc._data import rule_data
from kotodoc.errors import Finding, Severity
from kotodoc.load import load_case
from kotodoc.model import build_case
from kotodoc.rules import check_case

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "samples" / "espoo-municipality-fi.yaml").read_text(encoding="utf-8")
CASE_FILE = Path("case.yaml")
DELETE = object()
CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
ERROR, WARNING = Severity.ERROR, Severity.WARNING
OLD_ACT, NEW_ACT = "1386/2010", "681/2023"


# ---------------------------------------------------------------------------------------------
# Helpers


def d(text: str) -> dt.date:
    """An ISO date, short to write in tables."""
    return dt.date.fromisoformat(text)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _node(value: Any) -> Any:
    """Lists of scalars go in flow style (`reviews: [2025-09-15]`), so one line holds the field."""
    if isinstance(value, list):
        seq = CommentedSeq(_node(v) for v in value)
        if all(not isinstance(v, (dict, list)) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        return CommentedMap((k, _node(v)) for k, v in value.items())
    return value


def _walk(doc: Any, dotted: str) -> tuple[Any, str | int]:
    *parents, last = (int(p) if p.isdigit() else p for p in dotted.split("."))
    node = doc
    for part in parents:
        node = node[part]
    return node, last


def edit(changes: dict[str, Any], text: str = SAMPLE) -> str:
    """The case text with dotted paths set (or deleted with DELETE), e.g. {"plan.drawn_up": d(...)}."""
    yaml = _yaml()
    doc = yaml.load(text)
    for dotted, value in changes.items():
        node, last = _walk(doc, dotted)
        if value is DELETE:
            del node[last]
        else:
            node[last] = _node(value)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def shift_years(text: str, years: int, keep: tuple[str, ...] = ("date_of_birth",)) -> str:
    """Move every date of the case by whole years (but not the date of birth)."""
    yaml = _yaml()
    doc = yaml.load(text)

    def move(day: dt.date) -> dt.date:
        return day.replace(year=day.year + years)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dt.date) and key not in keep:
                    node[key] = move(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, dt.date):
                    node[i] = move(value)
                else:
                    walk(value)

    walk(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def check(text: str, data: dict[str, Any] | None = None) -> list[Finding]:
    """Load, build and check a case text the way the pipeline does."""
    loaded = load_case(CASE_FILE, text)
    return check_case(build_case(loaded), loaded, data)


def of(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def the(findings: list[Finding], rule: str, path: str) -> Finding:
    """The one finding of a rule at a path (fails with the full list when there is none or more)."""
    hits = [f for f in findings if f.rule == rule and f.path == path]
    assert len(hits) == 1, f"expected one {rule} finding at {path}, got {[str(f) for f in of(findings, rule)]}"
    return hits[0]


def line_of(text: str, finding: Finding) -> str:
    """The source line a finding points at; also checks that it is fully located."""
    assert finding.file == str(CASE_FILE)
    assert finding.line is not None and finding.column is not None, str(finding)
    return text.splitlines()[finding.line - 1]


def assert_at(text: str, finding: Finding, token: str) -> None:
    """The finding's line holds `token` (the offending key, or the key and its value)."""
    line = line_of(text, finding)
    assert token in line, f"{finding} points at {line!r}; expected a line with {token!r}"


def block(text: str, header: str) -> range:
    """Line numbers (1-based) of the block opened by the line `header` (e.g. "plan:")."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= indent:
            break
        end += 1
    return range(start + 1, end + 1)


def assert_in_block(text: str, finding: Finding, header: str) -> None:
    """For a missing field: the finding points into the block of its parent."""
    line_of(text, finding)
    assert finding.line in block(text, header), f"{finding} is outside the {header!r} block"


def hetu_code(ddmmyy: str, sign: str, individual: str = "417") -> str:
    """A personal identity code with the right check character."""
    return f"{ddmmyy}{sign}{individual}{CHECK_CHARACTERS[int(ddmmyy + individual) % 31]}"


def with_total_max_years(years: int | None, act: str = NEW_ACT) -> dict[str, Any]:
    """A deployment's copy of the rule data with PLAN-TOTAL-LENGTH set for an Act."""
    data = copy.deepcopy(rule_data())
    data["acts"][act]["params"]["total_max_years"]["value"] = years
    return data


# ---------------------------------------------------------------------------------------------
# The sample and the helpers


def test_sample_passes_every_rule() -> None:
    assert check(edit({"legal_basis": NEW_ACT})) == []


@pytest.mark.parametrize(
    ("drawn_up", "basis", "warned"),
    [
        pytest.param("2025-03-20", OLD_ACT, True, id="2025-plan-says-old-act"),
        pytest.param("2024-12-31", NEW_ACT, True, id="2024-plan-says-new-act"),
        pytest.param("2025-03-20", NEW_ACT, False, id="2025-plan-says-new-act"),
        pytest.param("2025-01-01", NEW_ACT, False, id="cut-over-day-new-act"),
        pytest.param("2024-12-31", OLD_ACT, False, id="2024-plan-says-old-act"),
    ],
)
def test_plan_basis_contradicting_drawn_up_warns(drawn_up: str, basis: str, warned: bool) -> None:
    """This test ensures that PLAN-BASIS warns (not refuses: the transitional provisions) when an explicit
    legal_basis contradicts the Act in force on drawn_up, at the legal_basis line, and is silent when they agree."""
    changes: dict[str, Any] = {"legal_basis": basis, "plan.drawn_up": d(drawn_up), "assessment.date": d(drawn_up),
                               "plan.valid_from": d(drawn_up), "signatures.date": d(drawn_up)}
    text = edit(changes)
    found = of(check(text), "PLAN-BASIS")
    if not warned:
        assert found == []
        return
    f = the(found, "PLAN-BASIS", "legal_basis")
    assert f.severity is WARNING and f"legal_basis says {basis}" in f.message
    assert_at(text, f, "legal_basis:")


def test_plan_basis_cut_over_is_rule_data() -> None:
    """This test ensures that the cut-over date between the Acts is read from the rule data's in_force_from,
    not written in code: moving it in a copy of the data moves the Act a date falls under."""
    from kotodoc._data import act_for

    data = copy.deepcopy(rule_data())
    assert act_for(d("2025-02-01"), data) == NEW_ACT and act_for(d("2024-12-31"), data) == OLD_ACT
    data["acts"][NEW_ACT]["in_force_from"] = d("2025-03-01")
    assert act_for(d("2025-02-01"), data) == OLD_ACT and act_for(d("2025-03-01"), data) == NEW_ACT


def test_edit_without_changes_keeps_the_sample_valid() -> None:
    text = edit({})
    assert load_case(CASE_FILE, text).data == load_case(CASE_FILE, SAMPLE).data


def test_finding_prints_as_file_line_column_path_rule() -> None:
    text = edit({"authority.kind": "other"})
    f = the(check(text), "PLAN-AUTHORITY", "authority.kind")
    assert str(f).startswith(f"case.yaml:{f.line}:{f.column}: authority.kind: PLAN-AUTHORITY: ")


def test_warning_prints_its_severity() -> None:
    text = edit({"assessment.date": d("2025-01-21")})
    f = the(check(text), "PLAN-START", "plan.drawn_up")
    assert str(f).startswith(f"case.yaml:{f.line}:{f.column}: plan.drawn_up: warning: PLAN-START: ")


def test_rule_data_copy_leaves_the_shipped_data_alone() -> None:
    with_total_max_years(3)
    assert rule_data()["acts"][NEW_ACT]["params"]["total_max_years"]["value"] is None


# ---------------------------------------------------------------------------------------------
# Legal basis: 681/2023 from 2025-01-01, 1386/2010 before


@pytest.mark.parametrize(
    ("drawn_up", "basis"),
    [
        pytest.param("2024-12-31", OLD_ACT, id="2024-12-31-old-act"),
        pytest.param("2025-01-01", NEW_ACT, id="2025-01-01-new-act"),
        pytest.param("2019-06-01", OLD_ACT, id="2019-old-act"),
        pytest.param("2026-02-01", NEW_ACT, id="2026-new-act"),
    ],
)
def test_default_legal_basis_follows_drawn_up(drawn_up: str, basis: str) -> None:
    text = edit({"legal_basis": DELETE, "plan.drawn_up": d(drawn_up)})
    assert build_case(load_case(CASE_FILE, text)).basis == basis


@pytest.mark.parametrize("basis", [NEW_ACT, OLD_ACT])
def test_explicit_legal_basis_wins_over_the_date(basis: str) -> None:
    text = edit({"legal_basis": basis, "plan.drawn_up": d("2024-12-31")})
    assert build_case(load_case(CASE_FILE, text)).basis == basis


def test_plan_of_2024_without_legal_basis_passes_under_the_old_act() -> None:
    text = shift_years(edit({"legal_basis": DELETE}), -1)
    assert build_case(load_case(CASE_FILE, text)).basis == OLD_ACT
    assert check(text) == []


@pytest.mark.parametrize(
    ("years", "warned"),
    [pytest.param(-1, True, id="2024-old-act-14-days"), pytest.param(0, False, id="2025-new-act-30-days")],
)
def test_default_legal_basis_picks_the_rule_parameters(years: int, warned: bool) -> None:
    # 20 days from the assessment to the plan: too late under 1386/2010 (14), fine under 681/2023 (30).
    text = shift_years(edit({"legal_basis": DELETE, "assessment.date": d("2025-02-28")}), years)
    assert bool(of(check(text), "PLAN-START")) is warned


# ---------------------------------------------------------------------------------------------
# PLAN-FIRST-WITHIN: the first plan within 3 years of the first permit


@pytest.mark.parametrize("basis", [NEW_ACT, OLD_ACT])
@pytest.mark.parametrize(
    "permit",
    [pytest.param("2025-01-20", id="two-months"), pytest.param("2022-03-20", id="exactly-3-years")],
)
def test_first_within_passes(basis: str, permit: str) -> None:
    text = edit({"legal_basis": basis, "person.residence.first_permit_date": d(permit)})
    assert of(check(text), "PLAN-FIRST-WITHIN") == []


@pytest.mark.parametrize("basis", [NEW_ACT, OLD_ACT])
@pytest.mark.parametrize(
    "permit",
    [pytest.param("2022-03-19", id="3-years-and-a-day"), pytest.param("2019-01-01", id="six-years")],
)
def test_first_within_fails(basis: str, permit: str) -> None:
    text = edit({"legal_basis": basis, "person.residence.first_permit_date": d(permit)})
    f = the(check(text), "PLAN-FIRST-WITHIN", "plan.drawn_up")
    assert f.severity is ERROR
    assert_at(text, f, "drawn_up: 2025-03-20")


def test_first_within_applies_to_first_plans_only() -> None:
    text = edit(
        {
            "person.residence.first_permit_date": d("2019-01-01"),
            "plan.first_plan": False,
            "plan.first_plan_from": d("2020-01-01"),
        }
    )
    assert of(check(text), "PLAN-FIRST-WITHIN") == []


def test_first_within_without_permit_date_is_not_checked() -> None:
    text = edit({"person.residence.first_permit_date": DELETE})
    assert of(check(text), "PLAN-FIRST-WITHIN") == []


# ---------------------------------------------------------------------------------------------
# PLAN-FIRST-LENGTH: a first plan lasts at most one year


@pytest.mark.parametrize("basis", [NEW_ACT, OLD_ACT])
@pytest.mark.parametrize(
    "until",
    [pytest.param("2026-03-19", id="one-year-less-a-day"), pytest.param("2026-03-20", id="exactly-one-year")],
)
def test_first_length_passes(basis: str, until: str) -> None:
    text = edit({"legal_basis": basis, "plan.valid_until": d(until)})
    assert of(check(text), "PLAN-FIRST-LENGTH") == []


@pytest.mark.parametrize("basis", [NEW_ACT, OLD_ACT])
@pytest.mark.parametrize(
    "until",
    [pytest.param("2026-03-21", id="one-year-and-a-day"), pytest.param("2027-03-20", id="two-years")],
)
def test_first_length_fails(basis: str, until: str) -> None:
    text = edit({"legal_basis": basis, "plan.valid_until": d(until)})
    f = the(check(text), "PLAN-FIRST-LENGTH", "plan.valid_until")
    assert f.severity is ERROR
    assert_at(text, f, f"valid_until: {until}")


def test_first_length_does_not_apply_to_a_later_plan() -> None:
    text = edit(
        {"plan.first_plan": False, "plan.first_plan_from": d("2024-03-20"), "plan.valid_until": d("2027-03-19")}
    )
    assert of(check(text), "PLAN-FIRST-LENGTH") == []


# ---------------------------------------------------------------------------------------------
# PLAN-TOTAL-LENGTH: 1386/2010 3 years (+2 with special measures); 681/2023 off unless configured


def later_plan(until: str, *, special: bool = False, basis: str = OLD_ACT) -> str:
    """A follow-up plan (first plan from 2022-06-01) from 2025-03-20 until `until`."""
    return edit(
        {
            "legal_basis": basis,
            "plan.first_plan": False,
            "plan.first_plan_from": d("2022-06-01"),
            "plan.valid_until": d(until),
            "assessment.needs_special_measures": special,
        }
    )


@pytest.mark.parametrize(
    ("until", "special"),
    [
        pytest.param("2025-06-01", False, id="exactly-3-years"),
        pytest.param("2025-05-31", False, id="3-years-less-a-day"),
        pytest.param("2027-06-01", True, id="exactly-5-years-with-special-measures"),
        pytest.param("2026-06-01", True, id="4-years-with-special-measures"),
    ],
)
def test_total_length_old_act_passes(until: str, special: bool) -> None:
    assert of(check(later_plan(until, special=special)), "PLAN-TOTAL-LENGTH") == []


@pytest.mark.parametrize(
    ("until", "special"),
    [
        pytest.param("2025-06-02", False, id="3-years-and-a-day"),
        pytest.param("2026-06-01", False, id="4-years-without-special-measures"),
        pytest.param("2027-06-02", True, id="5-years-and-a-day-with-special-measures"),
    ],
)
def test_total_length_old_act_warns(until: str, special: bool) -> None:
    text = later_plan(until, special=special)
    f = the(check(text), "PLAN-TOTAL-LENGTH", "plan.valid_until")
    assert f.severity is WARNING
    assert_at(text, f, f"valid_until: {until}")


def test_total_length_counts_an_extension() -> None:
    text = edit(
        {"plan.extension": {"until": d("2025-09-01"), "grounds": "Kurssi jatkuu"}},
        later_plan("2025-06-01"),
    )
    f = the(check(text), "PLAN-TOTAL-LENGTH", "plan.extension.until")
    assert f.severity is WARNING
    assert_at(text, f, "until: 2025-09-01")


def test_total_length_of_a_first_plan_counts_from_valid_from() -> None:
    # A first plan of one year is far inside three; no first_plan_from is needed.
    assert of(check(edit({"legal_basis": OLD_ACT})), "PLAN-TOTAL-LENGTH") == []


def test_total_length_later_plan_without_first_plan_from_is_not_checked() -> None:
    text = edit({"legal_basis": OLD_ACT, "plan.first_plan": False, "plan.valid_until": d("2030-01-01")})
    assert of(check(text), "PLAN-TOTAL-LENGTH") == []


def test_total_length_new_act_is_off_by_default() -> None:
    assert of(check(later_plan("2030-06-01", basis=NEW_ACT)), "PLAN-TOTAL-LENGTH") == []


def test_total_length_new_act_warns_when_rule_data_sets_a_limit() -> None:
    text = later_plan("2025-06-02", basis=NEW_ACT)
    f = the(check(text, with_total_max_years(3)), "PLAN-TOTAL-LENGTH", "plan.valid_until")
    assert f.severity is WARNING
    assert_at(text, f, "valid_until: 2025-06-02")


def test_total_length_new_act_with_a_limit_passes_inside_it() -> None:
    assert of(check(later_plan("2025-06-01", basis=NEW_ACT), with_total_max_years(3)), "PLAN-TOTAL-LENGTH") == []


def test_total_length_new_act_has_no_special_measures_extension_by_default() -> None:
    text = later_plan("2026-06-01", special=True, basis=NEW_ACT)
    assert of(check(text, with_total_max_years(3)), "PLAN-TOTAL-LENGTH") != []


def test_total_length_old_act_can_be_switched_off_by_rule_data() -> None:
    text = later_plan("2030-06-01")
    assert of(check(text, with_total_max_years(None, OLD_ACT)), "PLAN-TOTAL-LENGTH") == []


# ---------------------------------------------------------------------------------------------
# PLAN-START: drawn up without delay after the assessment (1386/2010: 14 days; 681/2023: 30)


@pytest.mark.parametrize(
    ("basis", "assessment"),
    [
        pytest.param(NEW_ACT, "2025-02-18", id="681-30-days"),
        pytest.param(NEW_ACT, "2025-03-20", id="681-same-day"),
        pytest.param(OLD_ACT, "2025-03-06", id="1386-14-days"),
        pytest.param(OLD_ACT, "2025-03-10", id="1386-10-days"),
    ],
)
def test_start_passes(basis: str, assessment: str) -> None:
    text = edit({"legal_basis": basis, "assessment.date": d(assessment)})
    assert of(check(text), "PLAN-START") == []


@pytest.mark.parametrize(
    ("basis", "assessment", "days"),
    [
        pytest.param(NEW_ACT, "2025-02-17", 31, id="681-31-days"),
        pytest.param(OLD_ACT, "2025-03-05", 15, id="1386-15-days"),
        pytest.param(OLD_ACT, "2025-02-18", 30, id="1386-30-days"),
    ],
)
def test_start_warns(basis: str, assessment: str, days: int) -> None:
    text = edit({"legal_basis": basis, "assessment.date": d(assessment)})
    f = the(check(text), "PLAN-START", "plan.drawn_up")
    assert f.severity is WARNING
    assert f"{days} days" in f.message
    assert_at(text, f, "drawn_up: 2025-03-20")


# ---------------------------------------------------------------------------------------------
# PLAN-JOBSEEK: a jobseeker's plan states the jobseeking obligation, normally 4 a month


def job_search(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"obligation": True, "opportunities_per_month": 4, "goals": ["Sähköalan työpaikka"]}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not DELETE}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="not-a-jobseeker"),
        pytest.param({"person.jobseeker": True, "plan.job_search": job_search()}, id="four-a-month"),
        pytest.param(
            {"person.jobseeker": True, "plan.job_search": job_search(opportunities_per_month=6)}, id="six-a-month"
        ),
        pytest.param(
            {"person.jobseeker": True, "authority.kind": "employment-authority", "plan.job_search": job_search()},
            id="employment-authority",
        ),
    ],
)
def test_jobseek_passes(changes: dict[str, Any]) -> None:
    assert of(check(edit(changes)), "PLAN-JOBSEEK") == []


def test_jobseek_missing_job_search() -> None:
    text = edit({"person.jobseeker": True})
    f = the(check(text), "PLAN-JOBSEEK", "plan.job_search")
    assert f.severity is ERROR
    # The field is absent: the finding points into its parent, the plan.
    assert_in_block(text, f, "plan:")


def test_jobseek_obligation_false() -> None:
    text = edit({"person.jobseeker": True, "plan.job_search": job_search(obligation=False)})
    f = the(check(text), "PLAN-JOBSEEK", "plan.job_search.obligation")
    assert f.severity is ERROR
    assert_at(text, f, "obligation: false")


def test_jobseek_missing_opportunities() -> None:
    text = edit({"person.jobseeker": True, "plan.job_search": job_search(opportunities_per_month=DELETE)})
    f = the(check(text), "PLAN-JOBSEEK", "plan.job_search.opportunities_per_month")
    assert f.severity is ERROR
    assert_in_block(text, f, "job_search:")


@pytest.mark.parametrize("count", [0, 3])
def test_jobseek_fewer_than_four_is_a_warning(count: int) -> None:
    text = edit({"person.jobseeker": True, "plan.job_search": job_search(opportunities_per_month=count)})
    f = the(check(text), "PLAN-JOBSEEK", "plan.job_search.opportunities_per_month")
    assert f.severity is WARNING
    assert_at(text, f, f"opportunities_per_month: {count}")


# ---------------------------------------------------------------------------------------------
# PLAN-REVIEW: 681/2023 municipality every 6 months, employment authority not checked; 1386/2010 yearly


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="681-municipality-sample"),
        pytest.param({"plan.monitoring.reviews": [d("2025-09-20")]}, id="681-municipality-exactly-6-months"),
        pytest.param(
            {"authority.kind": "employment-authority", "plan.monitoring": DELETE},
            id="681-employment-authority-no-monitoring",
        ),
        pytest.param(
            {"authority.kind": "employment-authority", "plan.monitoring.reviews": []},
            id="681-employment-authority-no-reviews",
        ),
        pytest.param({"legal_basis": OLD_ACT, "plan.monitoring.reviews": []}, id="1386-municipality-one-year"),
        pytest.param(
            {"legal_basis": OLD_ACT, "authority.kind": "employment-authority", "plan.monitoring": DELETE},
            id="1386-employment-authority-one-year",
        ),
    ],
)
def test_review_passes(changes: dict[str, Any]) -> None:
    assert of(check(edit(changes)), "PLAN-REVIEW") == []


@pytest.mark.parametrize(
    "reviews",
    [
        pytest.param([d("2025-09-21")], id="6-months-and-a-day"),
        pytest.param([d("2025-06-01"), d("2026-01-01")], id="gap-in-the-middle"),
        pytest.param([d("2025-05-01"), d("2025-09-01")], id="gap-before-the-end"),
    ],
)
def test_review_new_act_municipality_warns(reviews: list[dt.date]) -> None:
    text = edit({"plan.monitoring.reviews": reviews})
    f = the(check(text), "PLAN-REVIEW", "plan.monitoring.reviews")
    assert f.severity is WARNING
    assert_at(text, f, "reviews: [")


def test_review_new_act_municipality_without_monitoring_warns() -> None:
    text = edit({"plan.monitoring": DELETE})
    f = the(check(text), "PLAN-REVIEW", "plan.monitoring")
    assert f.severity is WARNING
    assert_in_block(text, f, "plan:")


def test_review_new_act_municipality_without_review_dates_warns() -> None:
    text = edit({"plan.monitoring.reviews": []})
    f = the(check(text), "PLAN-REVIEW", "plan.monitoring")
    assert f.severity is WARNING
    assert_in_block(text, f, "monitoring:")


def test_review_date_outside_the_plan_period_warns() -> None:
    text = edit({"plan.monitoring.reviews": [d("2025-09-15"), d("2026-03-02"), d("2026-06-01")]})
    f = the(check(text), "PLAN-REVIEW", "plan.monitoring.reviews.2")
    assert f.severity is WARNING
    assert_at(text, f, "reviews: [")


@pytest.mark.parametrize("authority", ["municipality"])
def test_review_old_act_yearly_warns(authority: str) -> None:
    text = edit(
        {
            "legal_basis": OLD_ACT,
            "authority.kind": authority,
            "plan.first_plan": False,
            "plan.first_plan_from": d("2025-03-20"),
            "plan.valid_until": d("2026-09-19"),
            "plan.monitoring.reviews": [d("2025-09-15")],
        }
    )
    f = the(check(text), "PLAN-REVIEW", "plan.monitoring.reviews")
    assert f.severity is WARNING
    assert "12 months" in f.message


def test_review_old_act_te_office_has_no_yearly_minimum() -> None:
    """This test ensures that under 1386/2010 a plan of the TE Office (employment-authority) gets no PLAN-REVIEW
    warning for going a year without a review: the TE Office reviewed it at the jobseeker interviews or on
    request, with no yearly minimum; the municipality's plan still must be reviewed yearly."""
    changes: dict[str, Any] = {"legal_basis": OLD_ACT, "plan.first_plan": False,
                               "plan.first_plan_from": d("2025-03-20"), "plan.valid_until": d("2026-09-19"),
                               "plan.monitoring.reviews": [d("2025-09-15")]}
    assert of(check(edit({**changes, "authority.kind": "employment-authority"})), "PLAN-REVIEW") == []
    assert of(check(edit({**changes, "authority.kind": "municipality"})), "PLAN-REVIEW") != []
    source = rule_data()["acts"][OLD_ACT]["params"]["review_max_months"]["source"]
    assert "§ 18" in source and "§ 13" not in source


@pytest.mark.parametrize("authority", ["municipality", "employment-authority"])
def test_review_old_act_yearly_passes_with_a_review_within_a_year(authority: str) -> None:
    text = edit(
        {
            "legal_basis": OLD_ACT,
            "authority.kind": authority,
            "plan.first_plan": False,
            "plan.first_plan_from": d("2025-03-20"),
            "plan.valid_until": d("2026-09-19"),
            "plan.monitoring.reviews": [d("2026-03-01")],
        }
    )
    assert of(check(text), "PLAN-REVIEW") == []


def test_review_new_act_employment_authority_long_plan_is_not_checked() -> None:
    text = edit(
        {
            "authority.kind": "employment-authority",
            "plan.first_plan": False,
            "plan.first_plan_from": d("2025-03-20"),
            "plan.valid_until": d("2027-03-19"),
            "plan.monitoring.reviews": [],
        }
    )
    assert of(check(text), "PLAN-REVIEW") == []


# ---------------------------------------------------------------------------------------------
# PLAN-AUTHORITY: only a municipality or an employment authority is responsible


@pytest.mark.parametrize("kind", ["municipality", "employment-authority"])
def test_authority_passes(kind: str) -> None:
    assert of(check(edit({"authority.kind": kind})), "PLAN-AUTHORITY") == []


def test_authority_with_a_participating_county_passes() -> None:
    text = edit({"participants": [{"kind": "wellbeing-services-county", "name": "Länsi-Uudenmaan hyvinvointialue"}]})
    assert of(check(text), "PLAN-AUTHORITY") == []


@pytest.mark.parametrize("kind", ["wellbeing-services-county", "other"])
def test_authority_fails(kind: str) -> None:
    text = edit({"authority.kind": kind})
    f = the(check(text), "PLAN-AUTHORITY", "authority.kind")
    assert f.severity is ERROR
    assert_at(text, f, f"kind: {kind}")


# ---------------------------------------------------------------------------------------------
# PLAN-DATES: assessment ≤ drawn_up ≤ valid_from < valid_until; services in the period; birth first


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="sample"),
        pytest.param({"assessment.date": d("2025-03-20")}, id="assessment-on-drawn-up"),
        pytest.param({"plan.valid_from": d("2025-04-01")}, id="valid-from-after-drawn-up"),
        pytest.param(
            {"plan.services.1.start": d("2025-01-07"), "plan.services.1.end": d("2025-04-01")},
            id="service-overlaps-the-start",
        ),
        pytest.param(
            {"plan.services.1.start": d("2026-03-01"), "plan.services.1.end": d("2026-12-31")},
            id="service-overlaps-the-end",
        ),
        pytest.param(
            {"plan.services.1.start": d("2026-03-19"), "plan.services.1.end": d("2026-03-19")},
            id="service-on-the-last-day",
        ),
        pytest.param(
            {"plan.services.1.start": d("2025-03-20"), "plan.services.1.end": d("2025-03-20")},
            id="service-on-the-first-day",
        ),
        pytest.param({"plan.services.1.start": DELETE, "plan.services.1.end": DELETE}, id="service-without-dates"),
        pytest.param({"person.date_of_birth": DELETE}, id="birth-from-personal-id"),
        # Issue 14: the first permit on the day of the assessment, a signature on the day the plan was
        # drawn up, an appointment today.
        pytest.param({"person.residence.first_permit_date": d("2025-03-10")}, id="permit-on-assessment-day"),
        pytest.param({"signatures.date": d("2025-03-20")}, id="signed-on-drawn-up"),
        pytest.param({"interpretation.0.date": dt.date.today()}, id="appointment-today"),
    ],
)
def test_dates_pass(changes: dict[str, Any]) -> None:
    assert of(check(edit(changes)), "PLAN-DATES") == []


@pytest.mark.parametrize(
    ("changes", "path", "token"),
    [
        pytest.param({"assessment.date": d("2025-03-21")}, "assessment.date", "date: 2025-03-21",
                     id="assessment-after-drawn-up"),
        pytest.param({"plan.drawn_up": d("2025-03-21")}, "plan.valid_from", "valid_from: 2025-03-20",
                     id="valid-from-before-drawn-up"),
        pytest.param({"plan.valid_until": d("2025-03-20")}, "plan.valid_until", "valid_until: 2025-03-20",
                     id="valid-until-equals-valid-from"),
        pytest.param({"plan.valid_until": d("2025-03-01")}, "plan.valid_until", "valid_until: 2025-03-01",
                     id="valid-until-before-valid-from"),
        pytest.param({"plan.services.1.start": d("2026-04-01"), "plan.services.1.end": d("2026-05-01")},
                     "plan.services.1", "- type: integration-training", id="service-after-the-period"),
        pytest.param({"plan.services.1.start": d("2024-01-01"), "plan.services.1.end": d("2025-03-19")},
                     "plan.services.1", "- type: integration-training", id="service-before-the-period"),
        pytest.param({"plan.services.1.start": d("2025-05-01"), "plan.services.1.end": d("2025-04-01")},
                     "plan.services.1.end", "end: 2025-04-01", id="service-ends-before-it-starts"),
        pytest.param({"plan.extension": {"until": d("2026-01-01"), "grounds": "Kurssi jatkuu"}},
                     "plan.extension.until", "until: 2026-01-01", id="extension-ends-before-the-plan"),
        pytest.param({"person.residence.municipality_since": d("1990-01-01")}, "person.residence.municipality_since",
                     "municipality_since: 1990-01-01", id="date-before-birth"),
        pytest.param({"person.date_of_birth": DELETE, "person.residence.municipality_since": d("1991-03-13")},
                     "person.residence.municipality_since", "municipality_since: 1991-03-13",
                     id="date-before-birth-from-personal-id"),
        pytest.param({"interpretation.0.date": d("1991-01-01")}, "interpretation.0.date", "date: 1991-01-01",
                     id="interpretation-before-birth"),
        # Issue 14
        pytest.param({"person.residence.first_permit_date": d("2025-03-11")}, "person.residence.first_permit_date",
                     "first_permit_date: 2025-03-11", id="first-permit-after-assessment"),
        pytest.param({"signatures.date": d("2025-03-19")}, "signatures.date", "date: 2025-03-19",
                     id="signed-before-drawn-up"),
        pytest.param({"interpretation.0.date": d("9999-12-31")}, "interpretation.0.date", "date: 9999-12-31",
                     id="appointment-9999-12-31"),
        pytest.param({"interpretation.0.date": dt.date.today() + dt.timedelta(days=1)}, "interpretation.0.date",
                     "date: ", id="appointment-tomorrow"),
    ],
)  # fmt: skip
def test_dates_fail(changes: dict[str, Any], path: str, token: str) -> None:
    text = edit(changes)
    f = the(check(text), "PLAN-DATES", path)
    assert f.severity is ERROR
    assert_at(text, f, token)


# ---------------------------------------------------------------------------------------------
# ID-HETU: personal identity code


SIGNS = {"+": "18", **dict.fromkeys("-YXWVU", "19"), **dict.fromkeys("ABCDEF", "20")}


def person_id(code: str, born: dt.date | None) -> str:
    return edit({"person.personal_id": code, "person.date_of_birth": born if born else DELETE})


def test_hetu_check_characters_helper_matches_the_sample() -> None:
    assert hetu_code("140391", "-") == "140391-417C"


@pytest.mark.parametrize("sign", list(SIGNS), ids=[f"sign-{s}" for s in SIGNS])
def test_hetu_every_century_sign_is_accepted(sign: str) -> None:
    code = hetu_code("140305", sign)
    born = d(f"{SIGNS[sign]}05-03-14")
    text = person_id(code, born)
    assert of(check(text), "ID-HETU") == []
    # The sign is part of the identity: it is kept as written.
    assert build_case(load_case(CASE_FILE, text)).person.personal_id == code


@pytest.mark.parametrize("sign", list(SIGNS), ids=[f"sign-{s}" for s in SIGNS])
def test_hetu_every_century_sign_alone_gives_the_birth_date(sign: str) -> None:
    # Without date_of_birth, the birth date comes from the code: a date the day before it is flagged.
    text = edit(
        {
            "person.personal_id": hetu_code("140305", sign),
            "person.date_of_birth": DELETE,
            "person.residence.municipality_since": d(f"{SIGNS[sign]}05-03-13"),
        }
    )
    findings = check(text)
    assert of(findings, "ID-HETU") == []
    assert the(findings, "PLAN-DATES", "person.residence.municipality_since")


def test_hetu_temporary_code_is_accepted() -> None:
    assert of(check(person_id(hetu_code("140391", "-", "917"), d("1991-03-14"))), "ID-HETU") == []


def test_hetu_without_date_of_birth_passes() -> None:
    assert of(check(person_id("140391-417C", None)), "ID-HETU") == []


def test_hetu_absent_with_date_of_birth_passes() -> None:
    assert of(check(edit({"person.personal_id": DELETE})), "ID-HETU") == []


def assert_masked(finding: Finding, code: str) -> None:
    """The message shows the code only up to its century sign (`140391-****`), and only when it is
    shaped like one (six digits and a century sign); anything else typed there is not shown at all."""
    if re.match(r"\d{6}[-+A-FU-Y]", code.strip(), re.IGNORECASE):
        assert code.strip()[:7] + "****" in finding.message
    else:
        assert "the identity code" in finding.message
        assert code.strip()[:5] not in str(finding)
    for text in (finding.message, str(finding)):
        assert code not in text
        assert code.upper() not in text.upper()
        assert code[7:] not in text  # the individual number and check character


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("140391-417D", id="wrong-check-character"),
        pytest.param("140391-418C", id="wrong-individual-number"),
        pytest.param("140391-417c", id="lowercase-check-character"),
        pytest.param(hetu_code("140391", "Y").lower(), id="lowercase-century-sign"),
        pytest.param(hetu_code("310291", "-"), id="no-such-date"),
        pytest.param("140391Z417C", id="unknown-century-sign"),
        pytest.param("14039-417C", id="too-short"),
        pytest.param("140391-417CX", id="too-long"),
        pytest.param(" 140391-417C", id="leading-space"),
    ],
)
def test_hetu_fails(code: str) -> None:
    text = person_id(code, d("1991-03-14"))
    findings = of(check(text), "ID-HETU")
    assert [(f.severity, f.path) for f in findings] == [(ERROR, "person.personal_id")]
    assert_at(text, findings[0], "personal_id:")
    assert_masked(findings[0], code)


@pytest.mark.parametrize(
    ("code", "born"),
    [
        pytest.param("140391-417C", "1991-03-15", id="other-day"),
        pytest.param(hetu_code("140391", "+"), "1991-03-14", id="other-century"),
        pytest.param(hetu_code("140305", "A"), "1905-03-14", id="2000s-sign-1900s-date"),
    ],
)
def test_hetu_disagrees_with_date_of_birth(code: str, born: str) -> None:
    text = person_id(code, d(born))
    f = the(check(text), "ID-HETU", "person.date_of_birth")
    assert f.severity is ERROR
    assert_at(text, f, f"date_of_birth: {born}")
    assert_masked(f, code)


def test_hetu_lowercase_is_rejected_even_when_otherwise_valid() -> None:
    text = person_id("140391-417c", d("1991-03-14"))
    f = the(check(text), "ID-HETU", "person.personal_id")
    assert "capitals" in f.message
    assert_masked(f, "140391-417c")


# ---------------------------------------------------------------------------------------------
# ID-YTUNNUS: business ID


@pytest.mark.parametrize(
    "value",
    [pytest.param("0101263-6", id="espoo"), pytest.param(DELETE, id="absent")],
)
def test_ytunnus_passes(value: Any) -> None:
    assert of(check(edit({"authority.business_id": value})), "ID-YTUNNUS") == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("0101263-7", "check digit", id="wrong-check-digit"),
        pytest.param("0101263", "1234567-8", id="too-short"),
        pytest.param("01012636", "'0101263-6'", id="no-dash"),
        pytest.param("0101263 6", "'0101263-6'", id="space-for-dash"),
        pytest.param("A101263-6", "1234567-8", id="letter"),
    ],
)
def test_ytunnus_fails(value: str, says: str) -> None:
    text = edit({"authority.business_id": value})
    f = the(check(text), "ID-YTUNNUS", "authority.business_id")
    assert f.severity is ERROR
    assert says in f.message
    assert_at(text, f, "business_id:")


def test_readme_lists_every_rule_id() -> None:
    """This test ensures that the docs' list of legal rules (docs/case-format.md, moved there from the README)
    has one line for every registered rule id, and that rules.yaml names a source for every parameter."""
    from kotodoc.rules._legal import RULES

    page = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    section = page.split("## Legal rules", 1)[1].split("\n## ", 1)[0]
    listed = {line[2:].split(":")[0] for line in section.splitlines() if line.startswith("- ")}
    listed = {rid.strip() for item in listed for rid in item.split(",")}
    assert set(RULES) <= listed
    assert {"CLAIM-VAT", "CLAIM-NOSHOW", "CLAIM-COST"} <= listed
    for act in rule_data()["acts"].values():
        assert all(entry.get("source") for entry in act["params"].values())
