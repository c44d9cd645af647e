"""Stage 3: the legal rules of the domain brief, each with its id, over a validated case.

Each rule is a small generator of findings, registered with its id; `check_case` runs every rule
for the case's kind and collects all findings (errors and warnings) rather than stopping at the
first. Numbers (years, months, days) come from `data/rules.yaml` for the Act the plan follows.
Messages never print an identity code in full (`131052-****`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.fi import hetu, ytunnus

from kotodoc._data import act_params
from kotodoc._i18n import N_
from kotodoc.errors import Finding, Message, Severity
from kotodoc.load import LoadedCase
from kotodoc.model import (
    EXCLUSION_RULES,
    Appointment,
    Case,
    FamilyPlanCase,
    IntegrationPlanCase,
    InterpretationClaimCase,
    JobSearch,
    MinorPlanCase,
    Person,
    PlanCase,
    Service,
)

Params = dict[str, Any]
RuleFn = Callable[[Any, Params], Iterable[Finding]]
PERSON_KINDS = ("integration-plan", "minor-plan")
PLAN_KINDS = (*PERSON_KINDS, "family-plan")
CLAIM_KINDS = ("interpretation-claim",)
# rule id -> (the kinds it applies to, the check)
RULES: dict[str, tuple[tuple[str, ...], RuleFn]] = {}

_ERROR = Severity.ERROR
_WARNING = Severity.WARNING


def _rule(rule_id: str, kinds: tuple[str, ...] = PLAN_KINDS) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        RULES[rule_id] = (kinds, fn)
        return fn

    return register


def check_case(
    case: Case | InterpretationClaimCase, loaded: LoadedCase | None = None, rule_data: dict[str, Any] | None = None
) -> list[Finding]:
    """Run every rule over a case.

    Args:
        case: a validated case.
        loaded: the loaded file, to give findings their line and column.
        rule_data: rule parameters replacing `data/rules.yaml` (a deployment's own copy).

    Returns:
        All findings, errors and warnings, in rule order.
    """
    params = act_params(case.basis, rule_data)
    findings: list[Finding] = []
    for kinds, fn in RULES.values():
        if case.kind in kinds:
            findings.extend(fn(case, params))
    if loaded is not None:
        findings = [loaded.place(f) for f in findings]
    return findings


# ---------------------------------------------------------------------------------------------
# Helpers


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def mask_hetu(code: str) -> str | Message:
    """Show an identity code only up to its century sign: `131052-****`.

    Only what is shaped like a code (six digits and a century sign, then at most five characters)
    is shown so; anything else typed into the field, a name say, is not shown at all.
    """
    if re.fullmatch(r"\d{6}[-+A-FU-Y][0-9A-Z]{0,5}", code.strip(), re.IGNORECASE):
        return code.strip()[:7] + "****"
    return Message(N_("the identity code"))


_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}


def hetu_birth_date(code: str) -> dt.date | None:
    """The date of birth an identity code encodes, or None when it encodes none."""
    try:
        return dt.date(_CENTURY[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))
    except (KeyError, ValueError, IndexError):
        return None


def birth_date(person: Person) -> dt.date | None:
    """The person's date of birth, given or read from a valid identity code."""
    if person.date_of_birth:
        return person.date_of_birth
    if person.personal_id and hetu.is_valid(person.personal_id, allow_temporary=True):
        return hetu_birth_date(person.personal_id)
    return None


def plan_end(case: Case) -> dt.date:
    """The last day of the plan, with an extension."""
    return case.plan.extension.until if case.plan.extension else case.plan.valid_until


def persons(case: Case) -> list[tuple[str, Person]]:
    """Every person a plan is for, with the path of their `person` block."""
    if isinstance(case, FamilyPlanCase):
        return [(f"family.members.{i}.person", m.person) for i, m in enumerate(case.family.members)]
    return [("person", case.person)]


def service_lists(case: Case) -> list[tuple[str, list[Service]]]:
    """Every list of services in a plan with its path: the plan's, or the family's and each member's."""
    if isinstance(case, FamilyPlanCase):
        members = [(f"family.members.{i}.services", m.services) for i, m in enumerate(case.family.members)]
        return [("family_services", list(case.family_services)), *members]
    return [("plan.services", list(case.plan.services))]


def _residence_dates(person: Person, path: str) -> Iterator[tuple[str, dt.date]]:
    r = person.residence
    if r:
        for name in ("first_permit_date", "municipality_since", "citizenship_date"):
            if (value := getattr(r, name)) is not None:
                yield f"{path}.residence.{name}", value


def _service_dates(services: list[Service], path: str) -> Iterator[tuple[str, dt.date]]:
    for i, s in enumerate(services):
        for name in ("start", "end"):
            if (value := getattr(s, name)) is not None:
                yield f"{path}.{i}.{name}", value


def _dates(case: PlanCase) -> Iterator[tuple[str, dt.date]]:
    """Every date in a plan for one person with its path, for PLAN-DATES' 'nothing before birth'."""
    yield from _residence_dates(case.person, "person")
    yield "assessment.date", case.assessment.date
    p = case.plan
    yield from (("plan.drawn_up", p.drawn_up), ("plan.valid_from", p.valid_from), ("plan.valid_until", p.valid_until))
    yield from _service_dates(list(p.services), "plan.services")
    if p.monitoring:
        for i, day in enumerate(p.monitoring.reviews):
            yield f"plan.monitoring.reviews.{i}", day
    for i, a in enumerate(case.interpretation):
        yield f"interpretation.{i}.date", a.date
    if case.signatures:
        yield "signatures.date", case.signatures.date


def _fmt(day: dt.date) -> str:
    return day.isoformat()


# ---------------------------------------------------------------------------------------------
# Rules


@_rule("PLAN-AUTHORITY")
def _authority(case: Case, params: Params) -> Iterator[Finding]:
    """Only a municipality or an employment authority draws up a plan; a minor's and a family plan are the
    municipality's, and an unaccompanied minor's is drawn up with the county's child welfare (681/2023)."""
    if case.authority.kind not in ("municipality", "employment-authority"):
        yield Finding(
            _ERROR,
            "authority.kind",
            N_("a {kind} cannot be responsible for a plan; the municipality or the employment authority is, and "
               "other authorities take part as `participants`"),
            rule="PLAN-AUTHORITY",
            params={"kind": case.authority.kind},
        )
    elif case.kind in ("family-plan", "minor-plan") and case.authority.kind != "municipality":
        # A minor's plan and a family plan are the municipality's (domain brief; case format section 3).
        message = (N_("a family plan is drawn up by the municipality; the employment authority can take part as one "
                      "of the `participants`") if case.kind == "family-plan" else
                   N_("a minor's plan is drawn up by the municipality; the employment authority can take part as one "
                      "of the `participants`"))
        yield Finding(_ERROR, "authority.kind", message, rule="PLAN-AUTHORITY")
    if (isinstance(case, MinorPlanCase) and case.unaccompanied
            and not any(p.kind == "wellbeing-services-county" for p in case.participants)):
        # An unaccompanied minor's plan is drawn up with the county's child welfare taking part.
        yield Finding(_WARNING, "participants", N_("an unaccompanied minor's plan is drawn up with the wellbeing "
                      "services county's child welfare taking part: add it to `participants` (kind: "
                      "wellbeing-services-county)"), rule="PLAN-AUTHORITY")


@_rule("PLAN-BASIS")
def _legal_basis(case: Case, params: Params) -> Iterator[Finding]:
    """The Act follows from `drawn_up` (the cut-over date is in the rule data); an explicit `legal_basis`
    that contradicts it is reported, not refused: a plan continued under the transitional provisions may
    keep the old Act."""
    by_date = case.basis_by_date
    if case.legal_basis is not None and case.legal_basis != by_date:
        yield Finding(_WARNING, "legal_basis", N_("the plan was drawn up on {drawn_up}, when {act} was in force, but "
                      "legal_basis says {given}: check it (only a plan continued under the transitional provisions "
                      "keeps the old Act)"), rule="PLAN-BASIS",
                      params={"drawn_up": _fmt(case.plan.drawn_up), "act": by_date, "given": case.legal_basis})


@_rule("PLAN-DATES")
def _dates_in_order(case: Case, params: Params) -> Iterator[Finding]:
    """Dates are in order: first permit ≤ assessment ≤ drawn_up ≤ valid_from < valid_until; the signature not
    before drawn_up; services overlap the plan; no date before birth; no appointment after the day of the run."""
    p, rid = case.plan, "PLAN-DATES"
    # The first permit comes before the assessment (a family plan: before the plan), each person's own.
    first_step = ("plan.drawn_up", p.drawn_up) if isinstance(case, FamilyPlanCase) else \
        ("assessment.date", case.assessment.date)
    for path, person in persons(case):
        permit = person.residence.first_permit_date if person.residence else None
        if permit is not None and permit > first_step[1]:
            yield Finding(_ERROR, f"{path}.residence.first_permit_date", N_("the first residence permit "
                          "({permit}) is after {field} ({date})"), rule=rid,
                          params={"permit": _fmt(permit), "field": first_step[0], "date": _fmt(first_step[1])})
    if case.signatures and case.signatures.date < p.drawn_up:
        yield Finding(_ERROR, "signatures.date", N_("the plan is signed ({signed}) before it was drawn up "
                      "({drawn_up})"), rule=rid,
                      params={"signed": _fmt(case.signatures.date), "drawn_up": _fmt(p.drawn_up)})
    latest = calendar_today()
    for i, a in enumerate(case.interpretation):
        if a.date > latest:
            yield Finding(_ERROR, f"interpretation.{i}.date", N_("the appointment ({date}) is later than the "
                          "document's date ({today}): record appointments that have taken place"), rule=rid,
                          params={"date": _fmt(a.date), "today": _fmt(latest)})
    if not isinstance(case, FamilyPlanCase) and case.assessment.date > p.drawn_up:
        yield Finding(_ERROR, "assessment.date", N_("the assessment ({assessed}) is after the plan was drawn up "
                      "({drawn_up})"), rule=rid,
                      params={"assessed": _fmt(case.assessment.date), "drawn_up": _fmt(p.drawn_up)})
    if p.drawn_up > p.valid_from:
        yield Finding(_ERROR, "plan.valid_from", N_("the plan takes effect ({valid_from}) before it was drawn up "
                      "({drawn_up})"), rule=rid,
                      params={"valid_from": _fmt(p.valid_from), "drawn_up": _fmt(p.drawn_up)})
    if p.valid_from >= p.valid_until:
        yield Finding(_ERROR, "plan.valid_until", N_("the plan ends ({valid_until}) on or before it starts "
                      "({valid_from})"), rule=rid,
                      params={"valid_until": _fmt(p.valid_until), "valid_from": _fmt(p.valid_from)})
    if p.extension and p.extension.until <= p.valid_until:
        yield Finding(_ERROR, "plan.extension.until", N_("an extension must end after the plan's valid_until"),
                      rule=rid)
    end = plan_end(case)
    for path, services in service_lists(case):
        for i, s in enumerate(services):
            if s.start and s.end and s.start > s.end:
                yield Finding(_ERROR, f"{path}.{i}.end", N_("the service ends before it starts"), rule=rid)
            elif (s.end and s.end < p.valid_from) or (s.start and s.start > end):
                yield Finding(_ERROR, f"{path}.{i}", N_("the service lies outside the plan period {start}–{end}"),
                              rule=rid, params={"start": _fmt(p.valid_from), "end": _fmt(end)})
    if isinstance(case, FamilyPlanCase):
        # Each member's own dates against their own birth; the family's dates belong to no one person.
        dated = [(m.person, [*_residence_dates(m.person, f"family.members.{i}.person"),
                             *_service_dates(list(m.services), f"family.members.{i}.services")])
                 for i, m in enumerate(case.family.members)]
    else:
        dated = [(case.person, list(_dates(case)))]
    for person, days in dated:
        born = birth_date(person)
        if born is None:
            continue
        for path, day in days:
            if day < born:
                yield Finding(_ERROR, path, N_("the date {date} is before the person's date of birth"), rule=rid,
                              params={"date": _fmt(day)})


@_rule("PLAN-FIRST-WITHIN")
def _first_within(case: Case, params: Params) -> Iterator[Finding]:
    """The first plan is drawn up within N years of the first residence permit or registration."""
    years = params["first_plan_within_years"]
    if years is None or not case.plan.first_plan:
        return
    for path, person in persons(case):
        residence = person.residence
        if not residence or not residence.first_permit_date:
            continue
        limit = add_years(residence.first_permit_date, years)
        if case.plan.drawn_up > limit:
            # In a family plan the date is the member's, so the finding points at it.
            where = "plan.drawn_up" if path == "person" else f"{path}.residence.first_permit_date"
            yield Finding(_ERROR, where, N_("a first plan must be drawn up within {years} years of the first "
                          "residence permit ({permit}), by {limit}"), rule="PLAN-FIRST-WITHIN",
                          params={"years": years, "permit": _fmt(residence.first_permit_date), "limit": _fmt(limit)})


@_rule("PLAN-FIRST-LENGTH")
def _first_length(case: Case, params: Params) -> Iterator[Finding]:
    """A first plan lasts at most N years (valid_until − valid_from)."""
    years = params["first_plan_max_years"]
    p = case.plan
    if years is None or not p.first_plan:
        return
    limit = add_years(p.valid_from, years)
    if p.valid_until > limit:
        yield Finding(_ERROR, "plan.valid_until", N_("a first plan lasts at most {years} year(s): from "
                      "{valid_from} it may run until {limit}"), rule="PLAN-FIRST-LENGTH",
                      params={"years": years, "valid_from": _fmt(p.valid_from), "limit": _fmt(limit)})


@_rule("PLAN-TOTAL-LENGTH")
def _total_length(case: Case, params: Params) -> Iterator[Finding]:
    """The plans together last at most N years from the first, plus M with special measures."""
    years = params["total_max_years"]
    p = case.plan
    start = p.valid_from if p.first_plan else p.first_plan_from
    if years is None or start is None:
        return
    extra = params["special_measures_extra_years"] or 0
    # A family plan has no assessment of its own, so no member's special measures extend it.
    special = not isinstance(case, FamilyPlanCase) and case.assessment.needs_special_measures
    limit = add_years(start, years + (extra if special else 0))
    end = plan_end(case)
    if end > limit:
        path = "plan.extension.until" if p.extension else "plan.valid_until"
        if extra and not special:
            why = N_("{years} years from the first plan ({start}); {extra} more only when the person needs special "
                     "measures")
        elif extra:
            why = N_("{years} years from the first plan ({start}), with {extra} more for special measures")
        else:
            why = N_("{years} years from the first plan ({start})")
        yield Finding(_WARNING, path, N_("the plan runs until {end}, beyond {limit}: {why}"), rule="PLAN-TOTAL-LENGTH",
                      params={"end": _fmt(end), "limit": _fmt(limit),
                              "why": Message(why, {"years": years, "start": _fmt(start), "extra": extra})})


@_rule("PLAN-START", kinds=PERSON_KINDS)
def _start(case: PlanCase, params: Params) -> Iterator[Finding]:
    """Preparing the plan starts without delay after the assessment."""
    days = params["start_max_days"]
    gap = (case.plan.drawn_up - case.assessment.date).days
    if days is not None and gap > days:
        yield Finding(_WARNING, "plan.drawn_up", N_("the plan was drawn up {gap} days after the assessment; "
                      "it should follow without delay (within {days} days)"), rule="PLAN-START",
                      params={"gap": gap, "days": days})


@_rule("PLAN-JOBSEEK", kinds=("integration-plan", "family-plan"))
def _jobseek(case: IntegrationPlanCase | FamilyPlanCase, params: Params) -> Iterator[Finding]:
    """A jobseeker's plan states the jobseeking obligation, normally 4 opportunities a month."""
    normal = params["job_search_opportunities_per_month"]
    if isinstance(case, FamilyPlanCase):
        for i, m in enumerate(case.family.members):
            if m.person.jobseeker:
                yield from _job_search(m.job_search, f"family.members.{i}.job_search", normal)
    elif case.person.jobseeker:
        yield from _job_search(case.plan.job_search, "plan.job_search", normal)


def _job_search(js: JobSearch | None, path: str, normal: int | None) -> Iterator[Finding]:
    rid = "PLAN-JOBSEEK"
    if js is None:
        yield Finding(_ERROR, path, N_("the person is a registered jobseeker: the plan must state the "
                      "jobseeking obligation (`job_search`, normally {normal} opportunities a month)"), rule=rid,
                      params={"normal": normal})
    elif not js.obligation:
        yield Finding(_ERROR, f"{path}.obligation", N_("a jobseeker's plan must state the jobseeking "
                      "obligation (`obligation: true`)"), rule=rid)
    elif js.opportunities_per_month is None:
        yield Finding(_ERROR, f"{path}.opportunities_per_month", N_("state how many job opportunities "
                      "the person applies for a month (normally {normal})"), rule=rid, params={"normal": normal})
    elif normal is not None and js.opportunities_per_month < normal:
        yield Finding(_WARNING, f"{path}.opportunities_per_month", N_("{count} opportunities a month is fewer than "
                      "the normal {normal}; record why in the plan"), rule=rid,
                      params={"count": js.opportunities_per_month, "normal": normal})


@_rule("PLAN-REVIEW")
def _review(case: Case, params: Params) -> Iterator[Finding]:
    """The plan is reviewed at least every N months (681/2023: 6 for a municipality)."""
    months = (params["review_max_months"] or {}).get(case.authority.kind)
    if months is None:
        return
    p, rid = case.plan, "PLAN-REVIEW"
    end = plan_end(case)
    reviews = sorted(p.monitoring.reviews) if p.monitoring else []
    for i, day in enumerate(p.monitoring.reviews if p.monitoring else []):
        if not p.valid_from <= day <= end:
            yield Finding(_WARNING, f"plan.monitoring.reviews.{i}", N_("the review date lies outside the plan "
                          "period"), rule=rid)
    previous = p.valid_from
    for day in [*reviews, end]:
        if day > add_months(previous, months):
            path = "plan.monitoring.reviews" if reviews else "plan.monitoring"
            yield Finding(_WARNING, path, N_("the plan must be reviewed at least every {months} months; no review "
                          "is planned between {start} and {end}"), rule=rid,
                          params={"months": months, "start": _fmt(previous), "end": _fmt(day)})
            break
        previous = max(previous, day)


@_rule("ID-HETU")
def _hetu(case: Case, params: Params) -> Iterator[Finding]:
    """A personal identity code is valid (every century sign) and agrees with the date of birth."""
    for path, person in persons(case):
        yield from check_hetu(person, path)


def check_hetu(person: Person, path: str) -> Iterator[Finding]:
    """ID-HETU for one person; used by every kind that holds persons."""
    code, rid = person.personal_id, "ID-HETU"
    if code is None:
        return
    shown = mask_hetu(code)
    try:
        compact = hetu.validate(code, allow_temporary=True)
    except InvalidChecksum:
        yield Finding(_ERROR, f"{path}.personal_id", N_("the check character of {code} is wrong"), rule=rid,
                      params={"code": shown})
        return
    except InvalidComponent:
        yield Finding(_ERROR, f"{path}.personal_id", N_("{code} does not encode a valid date of birth"), rule=rid,
                      params={"code": shown})
        return
    except (InvalidFormat, InvalidLength):
        yield Finding(_ERROR, f"{path}.personal_id", N_("{code} is not of the form DDMMYYCZZZQ with a century "
                      "sign + - Y X W V U A B C D E F"), rule=rid, params={"code": shown})
        return
    if compact != code:
        # The century sign and letters are part of the identity: we print the code as written, so
        # it must be written in its canonical form (capitals, no spaces).
        yield Finding(_ERROR, f"{path}.personal_id", N_("write {code} in capitals without spaces"), rule=rid,
                      params={"code": shown})
        return
    encoded = hetu_birth_date(code)
    if person.date_of_birth and encoded != person.date_of_birth:
        yield Finding(_ERROR, f"{path}.date_of_birth", N_("the date of birth does not agree with the identity "
                      "code {code}"), rule=rid, params={"code": shown})


@_rule("ID-YTUNNUS", kinds=(*PLAN_KINDS, *CLAIM_KINDS))
def _ytunnus(case: Case | InterpretationClaimCase, params: Params) -> Iterator[Finding]:
    """A business ID is 7 digits, a dash and a check digit: the plan's authority, or the claimant."""
    if isinstance(case, InterpretationClaimCase):
        yield from check_ytunnus(case.claimant.business_id, "claimant.business_id")
    else:
        yield from check_ytunnus(case.authority.business_id, "authority.business_id")


def check_ytunnus(value: str | None, path: str) -> Iterator[Finding]:
    """ID-YTUNNUS for one business ID."""
    if value is None:
        return
    try:
        ytunnus.validate(value)
        ok = ytunnus.format(value) == value
    except (InvalidChecksum, InvalidFormat, InvalidLength, InvalidComponent) as e:
        reason = N_("its check digit is wrong") if isinstance(e, InvalidChecksum) else N_("it is not of the form "
                                                                                         "1234567-8")
        yield Finding(_ERROR, path, N_("the business ID {value} is invalid: {reason}"), rule="ID-YTUNNUS",
                      params={"value": repr(value), "reason": Message(reason)})
        return
    if not ok:
        yield Finding(_ERROR, path, N_("write the business ID as {value}"), rule="ID-YTUNNUS",
                      params={"value": repr(ytunnus.format(value))})


def age_on(born: dt.date, day: dt.date) -> int:
    """Completed years of age on a day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@_rule("MINOR-AGE", kinds=PLAN_KINDS)
def _minor_age(case: Case, params: Params) -> Iterator[Finding]:
    """A minor's plan, and a family member in the child role, is for a person under 18 on `drawn_up`; and the
    other way: an individual integration plan is not for a person under 18 (its sanctions text is an adult's)."""
    if isinstance(case, IntegrationPlanCase):
        born = birth_date(case.person)
        age = age_on(born, case.plan.drawn_up) if born else None
        if age is not None and age < 18:
            where = "person.date_of_birth" if case.person.date_of_birth else "person.personal_id"
            yield Finding(_ERROR, where, N_("the person is {age} on {day}: a person under 18 gets a minor's plan "
                          "(use kind: minor-plan); an integration plan's text on reduced benefits is for adults"),
                          rule="MINOR-AGE", params={"age": age, "day": _fmt(case.plan.drawn_up)})
        return
    if isinstance(case, FamilyPlanCase):
        children = [(f"family.members.{i}.person", m.person) for i, m in enumerate(case.family.members)
                    if m.role == "child"]
        advice = N_("a member in the child role is under 18 (use role: parent or other)")
    else:
        children = [("person", case.person)]
        advice = N_("a minor's plan is for a person under 18 (use kind: integration-plan)")
    for path, person in children:
        born = birth_date(person)
        age = age_on(born, case.plan.drawn_up) if born else 0
        if age >= 18:
            where = f"{path}.date_of_birth" if person.date_of_birth else f"{path}.personal_id"
            yield Finding(_ERROR, where, N_("the person is {age} on {day}: {advice}"), rule="MINOR-AGE",
                          params={"age": age, "day": _fmt(case.plan.drawn_up), "advice": Message(advice)})


@_rule("MINOR-CARER", kinds=("minor-plan",))
def _minor_carer(case: MinorPlanCase, params: Params) -> Iterator[Finding]:
    """A minor's plan names the guardians, or for an unaccompanied minor the court-appointed representative."""
    if case.unaccompanied and case.representative is None:
        yield Finding(_ERROR, "representative", N_("an unaccompanied minor's plan names the representative appointed "
                      "by a district court (`representative:` with `name`, `appointed_by` and `appointed_on`)"),
                      rule="MINOR-CARER")
    elif not case.unaccompanied and not case.guardians:
        yield Finding(_ERROR, "guardians", N_("a minor's plan names the guardians (`guardians:`), or, for an "
                      "unaccompanied minor, `unaccompanied: true` and the `representative`"), rule="MINOR-CARER")


@_rule("MINOR-OPINION", kinds=("minor-plan", "family-plan"))
def _minor_opinion(case: MinorPlanCase | FamilyPlanCase, params: Params) -> Iterator[Finding]:
    """The child's opinion is found out and recorded (for each child of a family, too)."""
    if isinstance(case, FamilyPlanCase):
        missing = [f"family.members.{i}.child_opinion" for i, m in enumerate(case.family.members)
                   if m.role == "child" and not (m.child_opinion or "").strip()]
    else:
        missing = [] if (case.child_opinion or "").strip() else ["child_opinion"]
    for path in missing:
        yield Finding(_ERROR, path, N_("record the child's own opinion (`child_opinion:`)"), rule="MINOR-OPINION")


@_rule("FAMILY-MEMBERS", kinds=("family-plan",))
def _family_members(case: FamilyPlanCase, params: Params) -> Iterator[Finding]:
    """A family plan has at least one parent and one child."""
    roles = {m.role for m in case.family.members}
    lacking = [role for role in ("parent", "child") if role not in roles]
    if lacking:
        message = (N_("a family plan has at least one parent and one child; this family has no member with role: "
                      "{role}") if len(lacking) == 1 else
                   N_("a family plan has at least one parent and one child; this family has no member with role: "
                      "{role} and no member with role: {other}"))
        yield Finding(_ERROR, "family.members", message, rule="FAMILY-MEMBERS",
                      params={"role": lacking[0], "other": lacking[-1]})


# ---------------------------------------------------------------------------------------------
# Appointments: whom an appointment is for


def appointment_person(case: Case, index: int) -> tuple[str, Person] | None:
    """The person an appointment of `case.interpretation` is for, with the path of their `person` block.

    A plan for one person: that person. A family plan: the member named by the appointment's
    `member` index (a kotodoc extension), else the first member in the parent role, else the first
    member: a family's appointments are mostly the parents' (a child's school or health visit names
    the child with `member`). None for a family without members (FAMILY-MEMBERS reports it).
    """
    if not isinstance(case, FamilyPlanCase):
        return "person", case.person
    members = case.family.members
    if not members:
        return None
    chosen = case.interpretation[index].member
    if chosen is None or chosen >= len(members):
        chosen = next((k for k, m in enumerate(members) if m.role == "parent"), 0)
    return f"family.members.{chosen}.person", members[chosen].person


@_rule("APPOINTMENT-MEMBER")
def _appointment_member(case: Case, params: Params) -> Iterator[Finding]:
    """kotodoc's own rule: an appointment's `member` names an existing member of a family plan."""
    for i, a in enumerate(case.interpretation):
        if a.member is None:
            continue
        path = f"interpretation.{i}.member"
        if not isinstance(case, FamilyPlanCase):
            yield Finding(_ERROR, path, N_("`member` names a member of a family plan; this plan is for one person"),
                          rule="APPOINTMENT-MEMBER")
        elif a.member >= len(case.family.members):
            yield Finding(_ERROR, path, N_("the family has {count} member(s): `member` is an index from 0 to {last}"),
                          rule="APPOINTMENT-MEMBER",
                          params={"count": len(case.family.members), "last": len(case.family.members) - 1})


# ---------------------------------------------------------------------------------------------
# Interpretation-cost claims (CLAIM-*, ID-IBAN)
#
# The same tests route the appointments of plans when `kotodoc claim` builds a claim (every
# appointment of the period is claimed or listed in the annex with its reason), and check the rows
# of a claim file, which an official may have edited, when it is validated or rendered.


@_rule("ID-IBAN", kinds=CLAIM_KINDS)
def _iban(case: InterpretationClaimCase, params: Params) -> Iterator[Finding]:
    """kotodoc's own id: the claimant's IBAN has valid check digits and its country's length and format."""
    yield from check_iban(case.claimant.iban, "claimant.iban")


def check_iban(value: str | None, path: str) -> Iterator[Finding]:
    """ID-IBAN for one account number (spaces allowed). The number is not echoed: it may be a person's."""
    if value is None:
        return
    # Imported here: only claims hold an IBAN, and the module reads its table of formats (a plan's check: 3 ms).
    from stdnum import iban

    try:
        iban.validate(value)
    except InvalidChecksum:
        yield Finding(_ERROR, path, N_("the IBAN's check digits are wrong"), rule="ID-IBAN")
    except (InvalidFormat, InvalidLength, InvalidComponent):
        yield Finding(_ERROR, path, N_("this is not an IBAN of the right length and format for its country "
                      "(a Finnish one reads FI21 1234 5600 0007 85)"), rule="ID-IBAN")


def reach_back_limit(submitted: dt.date, params: Params) -> dt.date:
    """CLAIM-AGE: the earliest appointment date a claim submitted on `submitted` may include."""
    return add_years(submitted, -int(params["claim_reach_back_years"]))


@dataclass(frozen=True)
class ClaimFacts:
    """What decides whether an appointment is claimed: the same for a plan's appointment and a claim's row."""

    day: dt.date
    purpose: str
    basis: str | None
    citizenship_date: dt.date | None
    submitted: dt.date
    attended: bool = True  # a claim's row was attended (no-shows go to the annex)
    cost: Decimal | None = Decimal(0)  # a claim's row always has its cost


@dataclass(frozen=True)
class ClaimCriterion:
    """One condition for claiming an appointment, with the annex reason it gives when not met."""

    reason: str  # the `excluded` row's reason; its rule id is `EXCLUSION_RULES[reason]`
    field: str  # the claim row's field a finding is placed at
    on_rows: bool  # also checked on the rows of a claim file (a no-show or a missing cost cannot be one)
    doc: str
    test: Callable[[ClaimFacts, Params], Message | None]  # why the appointment is not claimable, or None

    @property
    def rule(self) -> str:
        """The rule id."""
        return EXCLUSION_RULES[self.reason]


def _not_eligible(f: ClaimFacts, params: Params) -> Message | None:
    if f.basis is None:
        return Message(N_("no basis of residence is recorded (person.residence.basis)"))
    if f.basis not in params["claim_eligible_bases"]:
        return Message(N_("the basis of residence {basis} is not one the KEHA Centre reimburses"),
                       {"basis": repr(f.basis)})
    return None


def _citizen(f: ClaimFacts, params: Params) -> Message | None:
    if f.citizenship_date is None or not citizen_excluded(f.basis, f.citizenship_date, f.day, params):
        return None
    return Message(N_("the person became a Finnish citizen on {date}: nothing is reimbursed from that day"),
                   {"date": _fmt(f.citizenship_date)})


def _too_old(f: ClaimFacts, params: Params) -> Message | None:
    limit = reach_back_limit(f.submitted, params)
    if f.day >= limit:
        return None
    years = params["claim_reach_back_years"]
    return Message(N_("a claim submitted on {submitted} reaches back to {limit} ({years} years)"),
                   {"submitted": _fmt(f.submitted), "limit": _fmt(limit), "years": years})


# The CLAIM criteria, in the order they are tested (the order of `EXCLUSION_RULES`): first what
# happened, then who the person is, then what the appointment was for, then when, and last the
# paperwork, which the official can still complete. The first one not met is the row's reason.
# `kotodoc claim` routes a plan's appointments with this table (`claim_exclusion`), and the rules
# below check an edited claim file's rows with the same table, so the two cannot disagree.
CLAIM_CRITERIA: tuple[ClaimCriterion, ...] = (
    ClaimCriterion(
        "no-show", "attended", False, "An appointment the customer did not attend is not claimed as interpretation.",
        lambda f, p: None if f.attended else
        Message(N_("the customer did not attend: not claimed as interpretation (a no-show fee may apply)"))),
    ClaimCriterion(
        "not-eligible", "residence_basis", True,
        "Only the residence bases of CLAIM-ELIGIBLE (Aliens Act §§ 87–93, 51, 52, 52 a, 110; families) are claimed.",
        _not_eligible),
    ClaimCriterion(
        "citizen", "date", True,
        "Nothing is reimbursed on or after the day the person became a Finnish citizen (trafficking victims "
        "excepted).", _citizen),
    ClaimCriterion(
        "purpose", "purpose", True,
        "Only reimbursable purposes are claimed: all but `other` (guidance and advice is an early-stage service).",
        lambda f, p: None if f.purpose in p["claim_purposes"] else
        Message(N_("interpretation for the purpose {purpose} is not reimbursable"), {"purpose": repr(f.purpose)})),
    ClaimCriterion(
        "too-old", "date", True, "A claim reaches back at most N years (2) from its submission date.", _too_old),
    ClaimCriterion(
        "cost-missing", "cost", False, "kotodoc's own: an appointment without its cost (no invoice yet) waits.",
        lambda f, p: None if f.cost is not None else
        Message(N_("no cost is recorded (the invoice has not arrived?): add `cost` to claim it"))),
)


def claim_exclusion(
    *,
    day: dt.date,
    purpose: str,
    basis: str | None,
    citizenship_date: dt.date | None,
    attended: bool,
    cost: Decimal | None,
    submitted: dt.date,
    params: Params,
) -> tuple[str, Message] | None:
    """Why an appointment is not claimed: (reason, message) of the first criterion it fails, or None."""
    facts = ClaimFacts(day, purpose, basis, citizenship_date, submitted, attended, cost)
    for criterion in CLAIM_CRITERIA:
        why = criterion.test(facts, params)
        if why is not None:
            return criterion.reason, why
    return None


def citizen_excluded(basis: str | None, citizenship_date: dt.date | None, day: dt.date, params: Params) -> bool:
    """CLAIM-CITIZEN: the day is on or after the person became a citizen, and the basis is not exempt."""
    return (citizenship_date is not None and day >= citizenship_date
            and basis not in params["claim_citizen_exempt_bases"])


@_rule("CLAIM-PERIOD", kinds=CLAIM_KINDS)
def _claim_period(case: InterpretationClaimCase, params: Params) -> Iterator[Finding]:
    """Every claimed row's date lies within the claim period (and the period runs forwards), and none is dated
    after the claim was submitted."""
    start, end, rid = case.period.start, case.period.end, "CLAIM-PERIOD"
    if start > end:
        yield Finding(_ERROR, "period.end", N_("the period ends ({end}) before it starts ({start})"), rule=rid,
                      params={"end": _fmt(end), "start": _fmt(start)})
        return
    for i, row in enumerate(case.rows):
        if row.date > case.submitted:
            yield Finding(_ERROR, f"rows.{i}.date", N_("the appointment ({date}) is dated after the claim was "
                          "submitted ({submitted})"), rule=rid,
                          params={"date": _fmt(row.date), "submitted": _fmt(case.submitted)})
        elif not start <= row.date <= end:
            yield Finding(_ERROR, f"rows.{i}.date", N_("the appointment ({date}) lies outside the claim period "
                          "{start}–{end}"), rule=rid,
                          params={"date": _fmt(row.date), "start": _fmt(start), "end": _fmt(end)})
    for i, annexed in enumerate(case.excluded):
        if not start <= annexed.date <= end:
            yield Finding(_WARNING, f"excluded.{i}.date", N_("the annex lists an appointment ({date}) outside the "
                          "claim period {start}–{end}"), rule=rid,
                          params={"date": _fmt(annexed.date), "start": _fmt(start), "end": _fmt(end)})


_MOVE = N_("{why}; move the row to `excluded` with reason {reason}")


def _row_rule(criterion: ClaimCriterion) -> RuleFn:
    """The rule that checks an edited claim file's rows against one criterion of `CLAIM_CRITERIA`."""

    def check(case: InterpretationClaimCase, params: Params) -> Iterator[Finding]:
        for i, row in enumerate(case.rows):
            facts = ClaimFacts(row.date, row.purpose, row.residence_basis, row.citizenship_date, case.submitted)
            why = criterion.test(facts, params)
            if why is not None:
                yield Finding(_ERROR, f"rows.{i}.{criterion.field}", _MOVE, rule=criterion.rule,
                              params={"why": why, "reason": criterion.reason})

    check.__doc__ = criterion.doc
    return check


for _criterion in CLAIM_CRITERIA:
    if _criterion.on_rows:
        _rule(_criterion.rule, kinds=CLAIM_KINDS)(_row_rule(_criterion))


# ---------------------------------------------------------------------------------------------
# The no-show fee (FEE-*), 681/2023 § 32 a
#
# For each appointment with `attended: false`: a fee is allowed, and a notice written, only when no
# FEE rule forbids it. A rule that forbids it is reported as a warning at the appointment, so
# `kotodoc render` says why no notice was written; a fee above the cap is an error.


def fee_cap(day: dt.date, params: Params) -> Decimal | None:
    """FEE-CAP: the confirmed cap for the year of `day`, or None: no fee before the first year listed
    (681/2023 § 32 a applies from 2025), and no notice for a later year whose cap is not confirmed."""
    return _caps(params).get(day.year)


def _caps(params: Params) -> dict[int, Decimal]:
    return {int(year): Decimal(str(amount)) for year, amount in (params["no_show_fee_caps"] or {}).items()}


def calendar_today() -> dt.date:
    """PLAN-DATES: the real date, which no recorded appointment can be later than.

    Not `today()`: `SOURCE_DATE_EPOCH` pins the files' time stamps and the default notice date (a
    reproducible build may pin a past day), not the calendar against which impossible dates are checked.
    """
    return dt.date.today()


def notice_date(a: Appointment) -> dt.date:
    """FEE-DATES: the date of an appointment's notice: its own `notice_date`, which `check_file` fills in
    from the run (`--notice-date`, else the day of its time stamp); today for a case checked alone."""
    return a.notice_date or dt.date.today()


def fee_due(a: Appointment, params: Params) -> dt.date:
    """FEE-DATES: the due date: `fee_due`, else the notice date plus the days of the rule data (14)."""
    return a.fee_due or notice_date(a) + dt.timedelta(days=int(params["no_show_fee_due_days"]))


def same_appointment_key(case: Case, index: int) -> tuple[object, ...]:
    """FEE-CAP, one fee per booked appointment: the rows of one appointment share it.

    The case format has no appointment id or time, so two interpretation rows are one booked
    appointment when they are for the same person, on the same date, for the same purpose and were
    booked on the same day (`booked_at`): two interpreters or two invoice rows of one missed visit.
    Two visits on one day for different purposes stay two appointments.
    """
    a, whom = case.interpretation[index], appointment_person(case, index)
    return (whom[0] if whom else None, a.date, a.purpose, a.booked_at)


def _no_shows(case: Case) -> Iterator[tuple[int, Appointment, Person]]:
    for i, a in enumerate(case.interpretation):
        whom = appointment_person(case, i)
        if not a.attended and whom is not None:
            yield i, a, whom[1]


def _fee_scope(i: int, a: Appointment, params: Params) -> Finding | None:
    if a.purpose not in params["no_show_fee_purposes"]:
        return Finding(_WARNING, f"interpretation.{i}.purpose", N_("no fee and no notice: the fee covers the "
                       "integration services of the municipality or the employment authority only; an appointment "
                       "for {purpose} follows its own law"), rule="FEE-SCOPE", params={"purpose": repr(a.purpose)})
    if a.cost is None or a.cost <= 0:
        message = (N_("no fee and no notice: the fee exists only when the missed appointment caused interpretation "
                      "costs, and `cost` is absent") if a.cost is None else
                   N_("no fee and no notice: the fee exists only when the missed appointment caused interpretation "
                      "costs, and `cost` is zero"))
        return Finding(_WARNING, f"interpretation.{i}.cost", message, rule="FEE-SCOPE")
    return None


def _fee_minor(i: int, a: Appointment, person: Person, params: Params) -> Finding | None:
    born = birth_date(person)
    if born is not None and age_on(born, a.date) < params["no_show_fee_min_age"]:
        return Finding(_WARNING, f"interpretation.{i}", N_("no fee and no notice: the customer was under {age} on "
                       "{date}"), rule="FEE-MINOR", params={"age": params["no_show_fee_min_age"], "date": _fmt(a.date)})
    return None


def _fee_informed(i: int, a: Appointment) -> Finding | None:
    if a.fee_notice_given is True:
        return None
    message = (N_("no fee and no notice: the customer must be told of the fee when the time is booked, and this is "
                  "not recorded (`fee_notice_given`)") if a.fee_notice_given is None else
               N_("no fee and no notice: the customer must be told of the fee when the time is booked, and this is "
                  "false"))
    return Finding(_WARNING, f"interpretation.{i}.fee_notice_given", message, rule="FEE-INFORMED")


def _fee_reason(i: int, a: Appointment, params: Params) -> Finding | None:
    if a.absence_reason in params["no_show_fee_acceptable_reasons"]:
        return Finding(_WARNING, f"interpretation.{i}.absence_reason", N_("no fee and no notice: an acceptable "
                       "reason is recorded ({reason})"), rule="FEE-REASON", params={"reason": a.absence_reason})
    return None


def _fee_over_cap(i: int, a: Appointment, params: Params) -> Finding | None:
    caps, cap = _caps(params), fee_cap(a.date, params)
    if cap is None and caps and a.date.year > min(caps):
        # Never last year's figure printed as this year's maximum: the cap is revised every second year.
        return Finding(_WARNING, f"interpretation.{i}", N_("no notice: the cap of the fee for {year} is not "
                       "confirmed in the rule data (no_show_fee_caps in rules.yaml)"), rule="FEE-CAP",
                       params={"year": a.date.year})
    if a.fee is None or a.fee == 0:
        return None
    if cap is None:
        return Finding(_ERROR, f"interpretation.{i}.fee", N_("no no-show fee can be charged for an appointment in "
                       "{year}: 681/2023 § 32 a applies from 2025"), rule="FEE-CAP", params={"year": a.date.year})
    if a.fee > cap:
        return Finding(_ERROR, f"interpretation.{i}.fee", N_("the fee {fee} euros is above the cap of {cap} euros "
                       "for {year} (681/2023 § 32 a)"), rule="FEE-CAP",
                       params={"fee": a.fee, "cap": cap, "year": a.date.year})
    return None


def _fee_dates(i: int, a: Appointment, params: Params) -> Iterator[Finding]:
    issued, days = notice_date(a), int(params["no_show_fee_due_days"])
    if a.date >= issued:
        # At the appointment's own `notice_date`, or (given by --notice-date or the day) at the appointment.
        yield Finding(_ERROR, f"interpretation.{i}.notice_date", N_("the appointment ({date}) must lie before the date "
                      "of its notice ({notice}; give `notice_date` or --notice-date)"), rule="FEE-DATES",
                      params={"date": _fmt(a.date), "notice": _fmt(issued)})
    if a.fee_due is not None and a.fee_due < issued + dt.timedelta(days=days):
        yield Finding(_ERROR, f"interpretation.{i}.fee_due", N_("the due date {due} is less than {days} days after the "
                      "notice date {notice}: the customer must have time to explain the absence by the due date"),
                      rule="FEE-DATES", params={"due": _fmt(a.fee_due), "days": days, "notice": _fmt(issued)})


def fee_findings(case: Case, params: Params) -> list[Finding]:
    """Every FEE-* finding of a plan's no-show appointments, in appointment order."""
    found: list[Finding] = []
    charged: dict[tuple[object, ...], int] = {}
    for i, a, person in _no_shows(case):
        checks = [_fee_scope(i, a, params), _fee_minor(i, a, person, params), _fee_informed(i, a),
                  _fee_reason(i, a, params), _fee_over_cap(i, a, params)]
        hits = [f for f in checks if f is not None]
        if not hits and a.fee is not None and a.fee == 0:
            continue  # the official's waiver: no notice, nothing to report
        if not hits:
            key = same_appointment_key(case, i)
            if key in charged:
                hits.append(Finding(_WARNING, f"interpretation.{i}", N_("no second notice: this row is the same "
                                    "booked appointment as interpretation.{first} (same person, date, purpose and "
                                    "booking date), and the fee is charged once per appointment"),
                                    rule="FEE-CAP", params={"first": charged[key]}))
            else:
                charged[key] = i
                hits.extend(_fee_dates(i, a, params))
        found.extend(hits)
    return found


def notice_fee(case: Case, index: int, params: Params) -> Decimal | None:
    """The fee for appointment `index` when a no-show notice is due, else None.

    Due when the customer did not attend, the year has a cap, no FEE rule forbids the fee, and the
    fee (given, or the cap for the year) is more than zero. A fee of 0 is the official's waiver.
    """
    a = case.interpretation[index]
    cap = fee_cap(a.date, params)
    if a.attended or cap is None or appointment_person(case, index) is None:
        return None
    prefix = f"interpretation.{index}"
    if any(f.path == prefix or f.path.startswith(prefix + ".") for f in fee_findings(case, params)):
        return None
    fee = a.fee if a.fee is not None else cap
    return fee if fee > 0 else None


def _fee_rule(rule_id: str, doc: str) -> RuleFn:
    def check(case: Case, params: Params) -> Iterator[Finding]:
        yield from (f for f in fee_findings(case, params) if f.rule == rule_id)

    check.__doc__ = doc
    return check


for _rid, _doc in (
    ("FEE-CAP", "681/2023 § 32 a: at most the confirmed cap for the year, once per booked appointment."),
    ("FEE-SCOPE", "681/2023 § 32 a: only integration-service appointments that caused interpretation costs."),
    ("FEE-DATES", "The notice has its own date after the appointment, and a due date at least 14 days later."),
    ("FEE-MINOR", "681/2023 § 32 a: no fee for a customer under 18 on the day of the appointment."),
    ("FEE-REASON", "681/2023 § 32 a: no fee with an acceptable reason (for example sudden illness, accident)."),
    ("FEE-INFORMED", "681/2023 § 32 a: a fee only when the customer was told of it when the time was booked."),
):
    _rule(_rid)(_fee_rule(_rid, _doc))
