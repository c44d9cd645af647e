"""Stage 4: the template context: every value of a case localized and formatted as text.

Templates only print; all decisions about how a date, an amount, a country or a service type reads
in Finnish, Swedish or English are made here, once, with Babel's CLDR data and the vocabulary
(the `terms` catalogues, with a municipality's overlay when one is in effect: `kotodoc._vocabulary`).
Finnish conventions (domain brief): dates `5.5.2025` in fi and sv (CLDR's sv_FI short
date is ISO, so the pattern is ours), `5 May 2025` in en; money `1 234,50 €` in every language, so
that a bilingual document shows the same figures twice; times `14.30`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal

from kotodoc._data import language_aliases
from kotodoc._vocabulary import TERM, Overlay, labels, overlay_for
from kotodoc.model import (
    EXCLUSION_RULES,
    Case,
    FamilyMember,
    FamilyPlanCase,
    InterpretationClaimCase,
    JobSearch,
    MinorPlanCase,
    Person,
    PlanCase,
    Schooling,
)
from kotodoc.rules import Notice, age_on, birth_date, claim_totals

DASH = "–"
_DATE_PATTERN = {"fi": "d.M.yyyy", "sv": "d.M.yyyy", "en": "d MMMM yyyy"}
_LOCALE = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}


class Formatter:
    """Formats values for one document language."""

    def __init__(self, lang: str, overlay: Overlay | None = None):
        """Prepare Babel locales and the vocabulary for `lang` (fi, sv or en), `overlay` laid over it."""
        self.lang = lang
        self.locale = Locale.parse(_LOCALE[lang])
        # The month names of a `MMMM` date pattern; None for the numeric `d.M.yyyy`.
        self._months: dict[int, str] | None = (
            dict(self.locale.months["format"]["wide"]) if "MMMM" in _DATE_PATTERN[lang] else None)
        self._numbers: dict[tuple[type, str], str] = {}
        # Terms by their key with `_` for `-`, as the templates name them (`t.job_search_obligation`).
        self.terms: dict[str, str] = {}
        self.enums: dict[str, dict[str, str]] = {}
        for (context, code), label in labels(lang, overlay).items():
            if context == TERM:
                self.terms[code.replace("-", "_")] = label
            else:
                self.enums.setdefault(context, {})[code] = label

    def date(self, value: dt.date | None) -> str:
        """`5.5.2025` (fi, sv) or `5 May 2025` (en)."""
        if not value:
            return DASH
        # Babel's `format_date(value, _DATE_PATTERN[lang])`, written out: a plan has some 30 dates,
        # at 10 µs each through Babel's pattern machinery (a test compares the two over years of days).
        if self._months is None:
            return f"{value.day}.{value.month}.{value.year:04d}"
        return f"{value.day} {self._months[value.month]} {value.year:04d}"

    def period(self, start: dt.date | None, end: dt.date | None) -> str:
        """`5.5.2025–4.5.2026`, with a dash for an open end."""
        if not start and not end:
            return DASH
        return f"{self.date(start) if start else ''}–{self.date(end) if end else ''}"

    def money(self, value: Decimal | None) -> str:
        """`1 234,50 €` in every language (no-break spaces from CLDR)."""
        return format_currency(value, "EUR", locale="fi_FI") if value is not None else DASH

    def number(self, value: Decimal | int | None) -> str:
        """A plain number in the document's convention (`12,5`)."""
        if value is None:
            return DASH
        # The same few numbers (hours, years, counts) come back in every plan, at 12 µs each in
        # Babel: kept by their exact spelling (12.5 and 12.50 apart), a bounded table per formatter.
        key = (type(value), str(value))
        found = self._numbers.get(key)
        if found is None:
            if len(self._numbers) >= 4096:
                self._numbers.clear()
            found = self._numbers[key] = format_decimal(value, locale=self.locale)
        return found

    def country(self, code: str | None) -> str:
        """The country's name in the document's language ("Syyria", "Syrien", "Syria")."""
        return self.locale.territories.get(code, code) if code else DASH

    def language(self, code: str | None) -> str:
        """The language's name; codes CLDR knows by another id (`prs`) go through the aliases."""
        if not code:
            return DASH
        names = self.locale.languages
        return str(names.get(code) or names.get(language_aliases().get(code, ""), code))

    def enum(self, name: str, value: str | None) -> str:
        """A label from the term catalogue's enumeration `name`."""
        return self.enums[name].get(value, value) if value else DASH

    def level(self, value: str | None) -> str:
        """A language level: CEFR codes as they are, `none` and `native` in words."""
        if not value:
            return DASH
        return self.enums["language_level"].get(value, value)

    def yes_no(self, value: bool | None) -> str:
        """`kyllä` / `ei`, `ja` / `nej`, `yes` / `no`."""
        return DASH if value is None else self.enums["yes_no"]["yes" if value else "no"]


def text(value: str | None) -> str:
    """Free text as written, or a dash."""
    return value if value else DASH


def upfirst(value: str) -> str:
    """Capitalise only the first letter ("KEHA-keskus" stays as it is; Jinja's capitalize would not)."""
    return value[:1].upper() + value[1:]


def person_context(person: Person, f: Formatter, birth: dt.date | None) -> dict[str, Any]:
    """The person's details, formatted."""
    r = person.residence
    skills = ", ".join(f"{f.language(s.language)} ({f.level(s.level)})" for s in person.other_languages)
    interp = person.interpreter
    if interp is None:
        interpreter = DASH
    elif interp.needed:
        interpreter = f.yes_no(True) + (f", {f.language(interp.language)}" if interp.language else "")
    else:
        interpreter = f.yes_no(False)
    return {
        "family_name": person.family_name,
        "given_names": person.given_names,
        "full_name": f"{person.given_names} {person.family_name}",
        "personal_id": text(person.personal_id),
        "date_of_birth": f.date(birth),
        "citizenship": f.country(person.citizenship),
        "native_language": f.language(person.native_language),
        "other_languages": skills or DASH,
        "address": text(person.address),
        "phone": text(person.phone),
        "email": text(person.email),
        "contact": " · ".join(x for x in (person.phone, person.email) if x) or DASH,
        "residence_basis": f.enum("residence_basis", r.basis) if r else DASH,
        "permit_section": text(r.permit_section) if r else DASH,
        "first_permit_date": f.date(r.first_permit_date) if r else DASH,
        "municipality_since": f.date(r.municipality_since) if r else DASH,
        "jobseeker": f.yes_no(person.jobseeker),
        "interpreter": interpreter,
    }


def services_context(services: Iterable[Any], f: Formatter) -> list[dict[str, str]]:
    """The agreed services as table rows."""
    return [
        {
            "type": upfirst(f.enum("service_type", s.type)),
            "description": text(s.description),
            "provider": text(s.provider),
            "period": f.period(s.start, s.end),
            "hours": f.number(s.hours_per_week),
        }
        for s in services
    ]


def build_context(case: Case, lang: str) -> dict[str, Any]:
    """Build the context of a plan in one language.

    Args:
        case: a validated case (rules already passed).
        lang: the document language, fi, sv or en.

    Returns:
        A mapping of plain strings, lists and dicts; optional sections are None when absent.
    """
    f = _formatter(lang)
    context = common_context(case, f)
    if isinstance(case, FamilyPlanCase):
        context.update(family_context(case, f))
    else:
        extra = person_plan_context(case, f)
        context["plan"].update(extra.pop("plan"))
        context.update(extra)
        if isinstance(case, MinorPlanCase):
            context.update(minor_context(case, f))
    return context


def authority_kind(kind: str, basis: str, f: Formatter, enum: str) -> str:
    """The name of an authority's kind, mid-sentence: under 1386/2010 the employment services were the
    state's TE Office (TE-toimisto / arbets- och näringsbyrå / TE Office), not a municipal employment
    authority (työvoimaviranomainen), which exists from 2025 (Act 380/2023)."""
    if kind == "employment-authority" and basis == "1386/2010":
        return str(f.terms["te_office"])
    return f.enum(enum, kind)


def common_context(case: Case, f: Formatter) -> dict[str, Any]:
    """What every plan shows: title, Act, authority, participants, period, monitoring, signatures."""
    p = case.plan
    act_key = "act_681_2023" if case.basis == "681/2023" else "act_1386_2010"
    if case.kind in ("minor-plan", "family-plan"):
        title_key = case.kind.replace("-", "_")
    else:
        title_key = "multi_sectoral_plan" if case.multi_sectoral else "integration_plan"
    return {
        "t": dict(f.terms),  # a copy: the formatter keeps its terms for every document
        "lang": f.lang,
        "case_id": case.case_id,
        "title": upfirst(f.terms[title_key]),
        "act": f.terms[act_key],
        "basis": case.basis,
        "is_681": case.basis == "681/2023",
        "multi_sectoral": case.multi_sectoral,
        "authority": authority_context(case, f),
        "participants": [
            {"kind": upfirst(authority_kind(x.kind, case.basis, f, "participant_kind")), "name": x.name,
             "contact": text(x.contact)}
            for x in case.participants
        ],
        "plan": {
            "drawn_up": f.date(p.drawn_up),
            "valid_from": f.date(p.valid_from),
            "valid_until": f.date(p.valid_until),
            "period": f.period(p.valid_from, p.valid_until),
            "monitoring_method": text(p.monitoring.method if p.monitoring else None),
            "reviews": [f.date(d) for d in sorted(p.monitoring.reviews)] if p.monitoring else [],
            "extension": None if p.extension is None else {
                "until": f.date(p.extension.until), "grounds": p.extension.grounds,
            },
            "notes": p.notes,
        },
        "signatures": {
            "place": text(case.signatures.place if case.signatures else None),
            "date": f.date(case.signatures.date if case.signatures else None),
            "child_signs": bool(case.signatures and case.signatures.child_signs),
        },
    }


def authority_context(case: Case, f: Formatter) -> dict[str, Any]:
    """The authority that draws up the plan (or sends the notice), with its official."""
    a, official = case.authority, case.authority.official
    return {
        "kind": upfirst(authority_kind(a.kind, case.basis, f, "authority_kind")),
        "kind_name": authority_kind(a.kind, case.basis, f, "authority_kind"),
        "is_municipality": a.kind == "municipality",
        "name": a.name,
        "unit": text(a.unit),
        "address": text(a.address),
        "business_id": text(a.business_id),
        "official": {
            "name": text(official.name if official else None),
            "title": text(official.title if official else None),
            "phone": text(official.phone if official else None),
            "email": text(official.email if official else None),
        },
    }


def person_plan_context(case: PlanCase, f: Formatter) -> dict[str, Any]:
    """What a plan for one person adds: the person, the assessment, goals, services, job search."""

    s, p = case.assessment, case.plan
    assessment_key = "assessment" if case.basis == "681/2023" else "initial_assessment"
    return {
        "assessment_title": upfirst(f.terms[assessment_key]),
        "person": person_context(case.person, f, birth_date(case.person)),
        "assessment": {
            "date": f.date(s.date),
            "conducted_by": text(s.conducted_by),
            "literacy": upfirst(f.enum("literacy", s.literacy)),
            "integration_language": f.language(s.integration_language),
            "finnish_level": f.level(s.finnish_level),
            "swedish_level": f.level(s.swedish_level),
            "education": [
                {"level": upfirst(f.enum("education_level", e.level)), "field": text(e.field),
                 "country": f.country(e.country), "years": f.number(e.years)}
                for e in s.education
            ],
            "work_experience": [
                {"occupation": w.occupation, "years": f.number(w.years), "country": f.country(w.country)}
                for w in s.work_experience
            ],
            "strengths": list(s.strengths),
            "life_situation": s.life_situation,
            "special_measures": f.yes_no(s.needs_special_measures),
            "health": s.health,
        },
        "plan": {  # merged into the common "plan"
            "goals_long_term": list(p.goals.long_term),
            "goals_plan_period": list(p.goals.plan_period),
            "services": services_context(p.services, f),
            "job_search": job_search_context(getattr(p, "job_search", None), f),
        },
    }


def job_search_context(js: JobSearch | None, f: Formatter) -> dict[str, Any] | None:
    """The jobseeking obligation, or None."""
    if js is None:
        return None
    return {
        "obligation": f.yes_no(js.obligation),
        "opportunities_per_month": f.number(js.opportunities_per_month),
        "goals": list(js.goals),
    }


def schooling_context(school: Schooling | None, f: Formatter) -> dict[str, str] | None:
    """A child's school or daycare, or None."""
    if school is None:
        return None
    return {
        "institution": text(school.institution),
        "grade": text(str(school.grade) if school.grade is not None else None),
        "class_type": upfirst(f.enum("class_type", school.class_type)),
    }


def minor_context(case: MinorPlanCase, f: Formatter) -> dict[str, Any]:
    """What a minor's plan adds: guardians or representative, the child's opinion, schooling, related plans."""
    rep = case.representative
    return {
        "guardians": [
            {"name": g.name, "relation": upfirst(f.enum("relation", g.relation)), "phone": text(g.phone),
             "email": text(g.email)}
            for g in case.guardians
        ],
        "unaccompanied": case.unaccompanied,
        "representative": None if rep is None else {
            "name": rep.name, "appointed_by": rep.appointed_by, "appointed_on": f.date(rep.appointed_on),
            "phone": text(rep.phone), "email": text(rep.email),
        },
        "child_opinion": case.child_opinion or DASH,
        "schooling": schooling_context(case.schooling, f),
        "related_plans": [upfirst(f.enum("related_plan", r)) for r in case.related_plans],
    }


# A child of this age or older gets a signature line of their own when `signatures.child_signs` is
# set: our choice, after the Child Welfare Act's independent right of a 12-year-old to be heard.
CHILD_SIGNS_FROM_AGE = 12


def family_context(case: FamilyPlanCase, f: Formatter) -> dict[str, Any]:
    """What a family plan adds: the family, its goals and services, a section per member, signers."""

    members = [member_context(m, f, birth_date(m.person)) for m in case.family.members]
    signers: list[dict[str, str]] = []
    for m, shown in zip(case.family.members, members, strict=True):
        born = birth_date(m.person)
        age = age_on(born, case.plan.drawn_up) if born else 0
        child_signs = bool(case.signatures and case.signatures.child_signs) and age >= CHILD_SIGNS_FROM_AGE
        if m.role != "child" or child_signs:
            signers.append({"line": SIGNATURE_LINE, "name": shown["person"]["full_name"], "role": "member"})
    official = case.authority.official
    signers.append({"line": SIGNATURE_LINE, "name": text(official.name if official else None), "role": "official"})
    blank = {"line": "", "name": "", "role": ""}
    return {
        "family": {
            "name": case.family.name,
            "address": text(case.family.address),
            "size": len(members),
        },
        "members": members,
        "family_goals": list(case.family_goals),
        "family_services": services_context(case.family_services, f),
        # Two signers a row; the last row padded, so the template needs no arithmetic.
        "signature_rows": [
            [signers[i], signers[i + 1] if i + 1 < len(signers) else blank] for i in range(0, len(signers), 2)
        ],
    }


SIGNATURE_LINE = "_" * 33


def member_context(m: FamilyMember, f: Formatter, birth: dt.date | None) -> dict[str, Any]:
    """One member's section of a family plan."""
    return {
        "role": upfirst(f.enum("member_role", m.role)),
        "is_child": m.role == "child",
        "person": person_context(m.person, f, birth),
        "goals": list(m.goals),
        "services": services_context(m.services, f),
        "job_search": job_search_context(m.job_search, f),
        "schooling": schooling_context(m.schooling, f),
        "child_opinion": m.child_opinion,
    }


def _formatter(lang: str) -> Formatter:
    """The formatter of `lang` with the municipality's vocabulary in effect, if any (one per process and overlay)."""
    return _formatter_with(lang, overlay_for(lang))


@cache
def _formatter_with(lang: str, overlay: Overlay | None) -> Formatter:
    return Formatter(lang, overlay)


# ---------------------------------------------------------------------------------------------
# Interpretation-cost claims and no-show fee notices


def _sum_context(s: Any, f: Formatter) -> dict[str, str]:
    """A `claim._build.Sum` formatted: rows, minutes and money."""
    return {"rows": f.number(s.rows), "minutes": f.number(s.minutes), "cost": f.money(s.cost),
            "vat": f.money(s.vat), "total": f.money(s.total)}


def claim_context(case: InterpretationClaimCase, lang: str, rule_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the context of an interpretation-cost claim in one language.

    The claim names no one: rows show initials and the date of birth. All sums come from
    `claim._build.claim_totals` (exact Decimal sums); this function only formats them.
    """
    from stdnum import iban


    f = _formatter(lang)
    c, totals = case.claimant, claim_totals(case, rule_data)
    contact = c.contact
    act_key = "act_681_2023" if case.basis == "681/2023" else "act_1386_2010"
    return {
        "t": dict(f.terms),  # a copy: the formatter keeps its terms for every document
        "lang": lang,
        "case_id": case.case_id,
        "title": upfirst(f.terms["interpretation_claim"]),
        "act": f.terms[act_key],
        # The page header of every template prints `authority`: for a claim, the claimant.
        "authority": {"name": c.name, "unit": f"{f.terms['business_id']} {c.business_id}"},
        "claimant": {
            "name": c.name,
            "business_id": c.business_id,
            "address": text(c.address),
            "contact_name": text(contact.name if contact else None),
            "contact": " · ".join(x for x in (contact.phone, contact.email) if x) if contact else DASH,
            "iban": iban.format(c.iban),
        },
        "recipient": f.terms["keha_centre"],
        "period": f.period(case.period.start, case.period.end),
        "submitted": f.date(case.submitted),
        "rows": [
            {"case_id": r.case_id, "initials": r.person.initials, "date_of_birth": f.date(r.person.date_of_birth),
             "date": f.date(r.date), "purpose": upfirst(f.enum("purpose", r.purpose)),
             "language": f.language(r.language), "minutes": f.number(r.minutes), "cost": f.money(r.cost),
             "vat": f.money(r.vat), "invoice": text(r.invoice)}
            for r in case.rows
        ],
        "per_person": [
            {"case_id": key[0], "initials": key[1], "date_of_birth": f.date(key[2]), **_sum_context(s, f)}
            for key, s in totals.per_person
        ],
        "per_purpose": [
            {"purpose": upfirst(f.enum("purpose", purpose)), **_sum_context(s, f)} for purpose, s in totals.per_purpose
        ],
        "totals": _sum_context(totals.grand, f),
        "excluded": [
            {"case_id": x.case_id, "initials": x.person.initials, "date_of_birth": f.date(x.person.date_of_birth),
             "date": f.date(x.date), "purpose": upfirst(f.enum("purpose", x.purpose)), "cost": f.money(x.cost),
             "reason": upfirst(f.enum("exclusion_reason", x.reason)), "rule": x.rule, "invoice": text(x.invoice)}
            for x in case.excluded
        ],
        "excluded_totals": _sum_context(totals.excluded, f),
        "vat_claimed": totals.grand.vat_claimed,
        "per_reason": [
            {"reason": upfirst(f.enum("exclusion_reason", reason)), "rule": EXCLUSION_RULES[reason],
             **_sum_context(s, f)}
            for reason, s in totals.per_reason
        ],
    }


def notice_context(case: Case, notice: Notice, lang: str) -> dict[str, Any]:
    """Build the context of a no-show fee notice in one language: to the customer, from the authority."""
    f = _formatter(lang)
    a, p = notice.appointment, notice.person
    address = p.address or (case.family.address if isinstance(case, FamilyPlanCase) else None)
    authority = authority_context(case, f)
    return {
        "t": dict(f.terms),  # a copy: the formatter keeps its terms for every document
        "lang": lang,
        "case_id": case.case_id,
        "title": upfirst(f.terms["no_show_fee_notice"]),
        "act": f.terms["act_681_2023"],
        "authority": authority,
        "customer": {"full_name": f"{p.given_names} {p.family_name}", "address": text(address)},
        "issued": f.date(notice.issued),
        "appointment": {
            "date": f.date(a.date),
            "purpose": upfirst(f.enum("purpose", a.purpose)),
            "language": upfirst(f.language(a.language)),
            "mode": upfirst(f.enum("mode", a.mode)),
            "provider": text(a.provider),
            "booked_at": f.date(a.booked_at),
        },
        "fee": {"amount": f.money(notice.fee), "due": f.date(notice.due), "cap": f.money(notice.cap),
                "year": str(a.date.year)},
        "reasons": [upfirst(f.enum("absence_reason", r)) for r in notice.reasons],
    }
