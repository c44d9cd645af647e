"""Stage 2: the case model, validated with pydantic, errors translated into located findings.

The key names are the contract of the case format (docs/case-format.md); every model forbids unknown keys, so a
typo never drops data from an official document. Types that carry rules of their own (dates that
must not be numbers, euro amounts as `Decimal` with at most two decimals, ISO codes) are
`Annotated` aliases here, so the JSON Schema shows them too.
"""

import datetime as dt
import difflib
import os
import re
import threading
import types
import typing
import unicodedata
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, Literal, Self, Union

from babel import Locale, localedata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kotodoc._data import act_for
from kotodoc._i18n import N_
from kotodoc.errors import FORMAT_CODES, CaseError, Finding, Message, Severity, sort_key
from kotodoc.load import LoadedCase

FORMAT_VERSION = 1

# ---------------------------------------------------------------------------------------------
# Scalar types


def _error(code: str, msgid: str, **params: object) -> PydanticCustomError:
    """A format error of ours: its code as pydantic's error type, its message id and parameters in the context."""
    return PydanticCustomError(code, msgid, {"msgid": msgid, **params})


_AMOUNT = N_("expected an amount in euros, such as \"132.50\"")


def _date_only(value: Any) -> Any:
    # pydantic would read an integer as a Unix timestamp: `date_of_birth: 1952` must fail instead.
    if isinstance(value, (bool, int, float)):
        raise _error("FORMAT-DATE", N_("expected a date written as YYYY-MM-DD"))
    if isinstance(value, dt.datetime):
        raise _error("FORMAT-DATE", N_("expected a date (YYYY-MM-DD) without a time of day"))
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise _error("FORMAT-DATE", N_("expected a date written as YYYY-MM-DD"))
    return value


_MONEY_LIMIT = Decimal(1_000_000_000)


def _money(value: Any) -> Decimal:
    # Money never passes through float: a YAML float keeps its written digits (see _load).
    if isinstance(value, bool):
        raise _error("FORMAT-DECIMAL", _AMOUNT)
    text = getattr(value, "text", None) or (str(value) if isinstance(value, (int, str, Decimal)) else None)
    if text is None:
        raise _error("FORMAT-DECIMAL", _AMOUNT)
    try:
        amount = Decimal(text.strip().replace(",", ".") if isinstance(value, str) else text)
    except InvalidOperation:
        raise _error("FORMAT-DECIMAL", _AMOUNT) from None
    if not amount.is_finite():
        raise _error("FORMAT-DECIMAL", N_("expected a finite amount in euros"))
    if amount < 0:
        raise _error("FORMAT-RANGE", N_("an amount cannot be negative"))
    if amount >= _MONEY_LIMIT:
        # No fee, cost or claim comes near; a typo such as `1e30` must not reach the documents.
        raise _error("FORMAT-RANGE", N_("an amount must be below 1 000 000 000 euros"))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise _error("FORMAT-DECIMAL", N_("an amount has at most two decimals (cents)"))
    return amount


_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


def _named_in_english(table: str) -> list[str]:
    """The codes CLDR names in English (Babel's `territories` or `languages` of `en`).

    Read from the English data alone: `Locale("en")` first merges every table of the root locale
    into it, which cost 15 ms of the first validation; the root locale names no territory or
    language, so the codes are the same (a test holds Babel to it).
    """
    return [str(k) for k in localedata.load("en", merge_inherited=False)[table]]  # babel types its keys loosely


@cache
def _country_codes() -> frozenset[str]:
    codes = _named_in_english("territories")
    return frozenset(k for k in codes if len(k) == 2 and k.isalpha()) - _NOT_COUNTRIES


@cache
def _language_codes() -> frozenset[str]:
    from kotodoc._data import language_aliases

    known = {k for k in _named_in_english("languages") if "_" not in k}
    return frozenset(known | set(language_aliases()))


def _country(value: str) -> str:
    if value not in _country_codes():
        if not code_shaped(value):
            raise _error("FORMAT-COUNTRY", N_("not an ISO 3166-1 alpha-2 country code, such as SY"))
        raise _error("FORMAT-COUNTRY", N_("unknown ISO 3166-1 alpha-2 country code {value}"), value=repr(value))
    return value


def _language(value: str) -> str:
    if value not in _language_codes():
        if not code_shaped(value):
            raise _error("FORMAT-LANGUAGE", N_("not an ISO 639 language code, such as ar"))
        raise _error("FORMAT-LANGUAGE", N_("unknown ISO 639 language code {value}"), value=repr(value))
    return value


def _has_letter(value: str) -> str:
    # A name made only of controls, joiners, bidi overrides or digits would print as nothing (or as
    # something else) in an official document.
    if not any(unicodedata.category(c).startswith("L") for c in value):
        raise _error("FORMAT-VALUE", N_("a name needs at least one letter"))
    return value


# A Finnish personal identity code: DDMMYY, a century sign, three digits and a check character.
# Standing alone: the dates of a claim's default id (KEHA-20250101-20250630) are not one.
HETU_SHAPE = re.compile(r"(?<![0-9A-Za-z])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d[-+A-FU-Y]\d{3}[0-9A-Y]"
                        r"(?![0-9A-Za-z])", re.IGNORECASE)


def _not_hetu(value: str) -> str:
    # case_id names the output files and goes into reports and the manifest: never a person's code.
    if HETU_SHAPE.search(value):
        raise _error("FORMAT-PATTERN", N_("case_id looks like a personal identity code; use the "
                                          "authority's own reference, since file names and reports use it"))
    return value


def code_shaped(value: object) -> bool:
    """Whether a value may be quoted in a message: a short code such as `asylm` or `FI`, not free text.

    A free-text value where a code belongs may be personal data (`sairastui, HIV-lääkitys...`).
    """
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+/-]{0,31}", value) is not None


def _distinct(languages: list[str]) -> list[str]:
    if len(set(languages)) != len(languages):
        raise _error("FORMAT-VALUE", N_("the two languages of a bilingual document must differ"))
    return languages


Date = Annotated[dt.date, BeforeValidator(_date_only)]
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    Field(description="euros, at most two decimals, such as \"132.50\"",
          json_schema_extra={"type": ["string", "number"]}),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_has_letter)]
Country = Annotated[str, AfterValidator(_country), Field(description="ISO 3166-1 alpha-2, e.g. SY")]
Language = Annotated[str, AfterValidator(_language), Field(description="ISO 639-1, or 639-3 (prs)")]
CaseId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    AfterValidator(_not_hetu),
    Field(description="the authority's reference; used in output file names"),
]
DocLang = Literal["fi", "sv", "en"]
# Descriptions shown by an editor on hover (`kotodoc schema`): a few words, not the case format.
_VERSION = "the version of the case format: 1"
_KIND = "what the file is: integration-plan, minor-plan, family-plan or interpretation-claim"
_LANGUAGES = "the document language (fi, sv, en), or two different ones for a bilingual document"
LegalBasis = Literal["681/2023", "1386/2010"]
_LEVEL = "CEFR level (A1.1 … C2, or the coarse A1 … C1), native, or none"
Level = Literal[
    "A1.1", "A1.2", "A1.3", "A2.1", "A2.2", "B1.1", "B1.2", "B2.1", "B2.2", "C1.1", "C1.2", "C2",
    "A1", "A2", "B1", "B2", "C1", "native", "none",
]  # fmt: skip
ResidenceBasis = Literal[
    "quota-refugee", "asylum", "subsidiary-protection", "exclusion-clause-permit",
    "humanitarian-admission", "compassionate-grounds", "trafficking-victim", "removal-prevented",
    "family-member-of-protected", "temporary-protection", "work", "study", "family-member",
    "eu-registration", "nordic", "other",
]  # fmt: skip
ServiceType = Literal[
    "finnish-studies", "swedish-studies", "integration-training", "literacy-training",
    "basic-education-supplement", "basic-education-for-adults", "mother-tongue-teaching",
    "civic-orientation", "liberal-adult-education", "independent-study", "cso-activities",
    "guidance-and-advice", "employment-services", "health-and-wellbeing",
    "early-childhood-education", "basic-education", "preparatory-education", "upper-secondary",
    "vocational-education", "after-care", "parenting-support", "hobbies", "other",
]  # fmt: skip
Purpose = Literal[
    "assessment", "integration-plan", "social-and-health", "early-stage-services", "orientation",
    "school-daycare", "guidance", "other",
]  # fmt: skip
# The authority kind is wider than the format allows so that PLAN-AUTHORITY, not a type error,
# reports a wellbeing services county named as the responsible authority.
AuthorityKind = Literal["municipality", "employment-authority", "wellbeing-services-county", "other"]
ParticipantKind = Literal["wellbeing-services-county", "employment-authority", "municipality", "other"]


# ---------------------------------------------------------------------------------------------
# Models (section 1 of the case format)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Official(_Model):
    name: Name = Field(description="the official's name")
    title: Line | None = Field(None, description="the official's job title")
    phone: Line | None = Field(None, description="the official's phone number")
    email: Line | None = Field(None, description="the official's email address")


class Authority(_Model):
    kind: AuthorityKind = Field(
        description="municipality or employment-authority: who draws up the plan and is responsible for it")
    name: Name = Field(description="the authority's name, such as Espoon kaupunki")
    unit: Line | None = Field(None, description="the unit, such as Maahanmuuttajapalvelut")
    address: Line | None = Field(None, description="the authority's postal address")
    business_id: Line | None = Field(None, description="Y-tunnus, checksum-validated (ID-YTUNNUS)")
    official: Official | None = Field(
        None, description="the official responsible for the plan: name, title, phone, email")


class Participant(_Model):
    kind: ParticipantKind = Field(description="the kind of the authority taking part")
    name: Name = Field(description="the name of the authority taking part")
    contact: Line | None = Field(None, description="a contact: unit, phone or email")


class LanguageSkill(_Model):
    language: Language = Field(description="the language: ISO 639-1, or 639-3 (prs)")
    level: Level = Field(description=_LEVEL)


class Residence(_Model):
    basis: ResidenceBasis = Field(description="the basis of residence (case format: Residence bases)")
    permit_section: Line | None = Field(None, description="the Aliens Act section, such as \"87 §\"")
    first_permit_date: Date | None = Field(
        None, description="the first residence permit, residence card or registration (PLAN-FIRST-WITHIN)")
    municipality_since: Date | None = Field(None, description="the date the person has lived in the municipality since")
    citizenship_date: Date | None = Field(None, description="the date the person became a Finnish citizen, if any")


class Interpreter(_Model):
    needed: StrictBool = Field(description="true when the person needs an interpreter")
    language: Language | None = Field(None, description="the language to interpret: ISO 639-1, or 639-3 (prs)")


class Person(_Model):
    family_name: Name = Field(description="the person's family name")
    given_names: Name = Field(description="the person's given names")
    personal_id: Line | None = Field(None, description="henkilötunnus (ID-HETU)")
    date_of_birth: Date | None = Field(
        None, description="required when personal_id is absent; must agree with it when both are given")
    citizenship: Country | None = Field(None, description="citizenship: ISO 3166-1 alpha-2 country code, such as SY")
    native_language: Language | None = Field(None, description="native language: ISO 639-1 code, or 639-3 (prs)")
    other_languages: list[LanguageSkill] = Field(
        [], description="other languages the person knows, each with its level")
    address: Line | None = Field(None, description="the person's address")
    phone: Line | None = Field(None, description="the person's phone number")
    email: Line | None = Field(None, description="the person's email address")
    residence: Residence | None = Field(None, description="residence in Finland: basis, permit, municipality")
    jobseeker: StrictBool = Field(
        False, description="a registered unemployed jobseeker: the plan then states plan.job_search")
    interpreter: Interpreter | None = Field(
        None, description="whether the person needs an interpreter, and in which language")

    @model_validator(mode="after")
    def _birth_known(self) -> Self:
        if self.personal_id is None and self.date_of_birth is None:
            raise _error("FORMAT-MISSING", N_("date_of_birth is required when personal_id is absent"))
        return self


class Education(_Model):
    level: Literal["none", "basic", "upper-secondary", "vocational", "higher", "other"] = Field(
        description="none, basic, upper-secondary, vocational, higher or other")
    field: Line | None = Field(None, description="the field of study")
    country: Country | None = Field(None, description="where it was completed: ISO 3166-1 alpha-2 code")
    years: Annotated[int, Field(ge=0, le=40)] | None = Field(None, description="years of education")


class WorkExperience(_Model):
    occupation: Line = Field(description="the occupation or task")
    years: Annotated[Decimal, Field(ge=0, le=60)] | None = Field(None, description="years of work in it")
    country: Country | None = Field(None, description="where: ISO 3166-1 alpha-2 code")


class Assessment(_Model):
    date: Date = Field(description="the date of the assessment")
    conducted_by: Line | None = Field(None, description="who conducted the assessment")
    literacy: Literal["literate", "needs-literacy-training", "literate-other-script"] | None = Field(
        None, description="literate, needs-literacy-training or literate-other-script")
    integration_language: Literal["fi", "sv"] | None = Field(None, description="the language the person studies")
    finnish_level: Level | None = Field(None, description=_LEVEL)
    swedish_level: Level | None = Field(None, description=_LEVEL)
    education: list[Education] = Field([], description="the person's education: level, field, country, years")
    work_experience: list[WorkExperience] = Field(
        [], description="the person's work experience: occupation, years, country")
    strengths: list[Text] = Field([], description="the person's strengths, one an item")
    life_situation: Text | None = Field(None, description="the person's life situation, in brief")
    needs_special_measures: StrictBool = Field(
        False, description="illness, disability, age, family situation, illiteracy... call for special measures")
    health: Text | None = Field(None, description="special-category data; printed only in the plan")


class Goals(_Model):
    long_term: list[Text] = Field([], description="long-term goals, one an item")
    plan_period: list[Text] = Field([], description="goals for the plan period, one an item")


class Service(_Model):
    type: ServiceType = Field(description="the kind of service; other needs a description")
    description: Text | None = Field(None, description="what the service is; required for type other")
    provider: Line | None = Field(None, description="who provides the service")
    start: Date | None = Field(None, description="the date the service starts")
    end: Date | None = Field(None, description="the date the service ends")
    hours_per_week: Annotated[Decimal, Field(ge=0, le=80)] | None = Field(None, description="hours a week")

    @model_validator(mode="after")
    def _other_described(self) -> Self:
        if self.type == "other" and not self.description:
            raise _error("FORMAT-MISSING", N_("a service of type 'other' needs a description"))
        return self


class JobSearch(_Model):
    obligation: StrictBool = Field(description="true when the person has the jobseeking obligation")
    opportunities_per_month: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="job opportunities to apply for a month")
    goals: list[Text] = Field([], description="jobseeking goals, one an item")


class Monitoring(_Model):
    method: Text | None = Field(None, description="how the plan is followed up")
    reviews: list[Date] = Field([], description="planned review dates (PLAN-REVIEW)")


class Extension(_Model):
    until: Date = Field(description="the date the plan is extended until")
    grounds: Text = Field(description="the grounds for the extension")


class _PlanPeriod(_Model):
    """When a plan was drawn up, its period, monitoring and extension: what every plan shares."""

    first_plan: StrictBool = Field(True, description="false for a later plan (see first_plan_from)")
    first_plan_from: Date | None = Field(
        None, description="kotodoc extension: start of the first plan, for PLAN-TOTAL-LENGTH on later plans"
    )
    drawn_up: Date = Field(description="the date the plan was agreed and signed")
    valid_from: Date = Field(description="the first day of the plan")
    valid_until: Date = Field(description="a first plan lasts at most a year (PLAN-FIRST-LENGTH)")
    monitoring: Monitoring | None = Field(None, description="how the plan is followed up, and the review dates")
    extension: Extension | None = Field(None, description="when the plan is extended: until, grounds")
    notes: Text | None = Field(None, description="other information for the plan")


class _PlanBase(_PlanPeriod):
    # `Goals()` would build Goals' own validator at import (deferred otherwise, and without plugins: `_built`).
    goals: Goals = Field(Goals.model_construct(), description="the goals: long_term and plan_period")
    services: list[Service] = Field([], description="the services and measures agreed in the plan")


class Plan(_PlanBase):
    """The plan of an adult (section 1): may state the jobseeking obligation."""

    job_search: JobSearch | None = Field(
        None, description="the jobseeking obligation; required when person.jobseeker is true (PLAN-JOBSEEK)")


class ChildPlan(_PlanBase):
    """The plan of a minor (section 2): no jobseeking obligation."""


class FamilyPlan(_PlanPeriod):
    """The plan block of a family plan (section 3): goals and services belong to the family and members."""


class Appointment(_Model):
    date: Date = Field(description="the date of the appointment")
    purpose: Purpose = Field(description="the purpose of the interpretation (case format: Interpretation purposes)")
    language: Language = Field(description="the language interpreted: ISO 639-1, or 639-3 (prs)")
    provider: Line | None = Field(None, description="the interpreting provider")
    mode: Literal["on-site", "remote"] | None = Field(None, description="on-site or remote")
    minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = Field(
        None, description="the length of the interpretation in minutes")
    cost: Money | None = Field(None, description="euros, VAT excluded")
    vat: Money | None = Field(None, description="the VAT in euros")
    invoice: Line | None = Field(None, description="the invoice number")
    attended: StrictBool = Field(True, description="false: the customer neither came nor cancelled")
    booked_at: Date | None = Field(None, description="the date the appointment was booked")
    fee_notice_given: StrictBool | None = Field(
        None, description="the customer was told of the no-show fee when the time was booked (FEE-INFORMED)")
    absence_reason: Literal["sudden-illness", "accident", "transport", "other"] | None = Field(
        None, description="when attended is false: the reason given, if any (FEE-REASON)")
    fee: Money | None = Field(None, description="the no-show fee; default: the cap for the year (FEE-CAP)")
    fee_due: Date | None = Field(
        None, description="the due date of the fee, at least 14 days after the notice date (FEE-DATES); default: "
        "14 days after it")
    notice_date: Date | None = Field(
        None, description="kotodoc extension: the date of the no-show fee notice (FEE-DATES); default: the run's "
        "--notice-date, else today")
    member: Annotated[int, Field(ge=0, le=39)] | None = Field(
        None,
        description="kotodoc extension, family plans only: the index in family.members of the member the "
        "appointment is for (claims and no-show fees); default: the first member in the parent role",
    )


class Signatures(_Model):
    place: Line = Field(description="the place of signing")
    date: Date = Field(description="the date of signing")
    child_signs: StrictBool = Field(
        False, description="kotodoc extension: a signature line for the child on a minor's plan"
    )


class Guardian(_Model):
    name: Name = Field(description="the guardian's name")
    relation: Literal["mother", "father", "guardian", "other"] | None = Field(
        None, description="mother, father, guardian or other")
    phone: Line | None = Field(None, description="the guardian's phone number")
    email: Line | None = Field(None, description="the guardian's email address")


class Representative(_Model):
    name: Name = Field(description="the representative's name")
    appointed_by: Line = Field(description="the district court that appointed the representative")
    appointed_on: Date | None = Field(None, description="the date the court appointed the representative")
    phone: Line | None = Field(None, description="the representative's phone number")
    email: Line | None = Field(None, description="the representative's email address")


class Schooling(_Model):
    institution: Line | None = Field(None, description="the school or educational institution")
    grade: Line | int | None = Field(None, description="the grade or class, such as 6 or 6B")
    class_type: Literal["preparatory", "general", "vocational", "other"] | None = Field(
        None, description="preparatory, general, vocational or other")


RelatedPlan = Literal["early-childhood-education-plan", "learning-plan", "child-welfare-plan", "after-care-plan"]


class _CaseBase(_Model):
    """What every plan shares (case format sections 1 to 3)."""

    kotodoc: Literal[1] = Field(description=_VERSION)
    case_id: CaseId
    languages: Annotated[list[DocLang], Field(min_length=1, max_length=2), AfterValidator(_distinct)] = Field(
        description=_LANGUAGES, json_schema_extra={"uniqueItems": True})
    legal_basis: LegalBasis | None = Field(
        None, description="the Act the plan follows; default from plan.drawn_up: 681/2023 from 2025-01-01")
    authority: Authority = Field(description="the authority that draws up the plan and is responsible for it")
    participants: list[Participant] = Field(
        [], description="other authorities taking part; any entry makes the plan multi-sectoral")
    plan: _PlanPeriod = Field(description="the plan: dates, goals, services and monitoring")
    interpretation: list[Appointment] = Field(
        [], description="appointments with an interpreter; they feed claims and no-show notices")
    signatures: Signatures | None = Field(None, description="where and when the plan is signed")

    @property
    def basis(self) -> LegalBasis:
        """The Act the plan follows: given, or by the date it was drawn up (681/2023 from 2025)."""
        if self.legal_basis:
            return self.legal_basis
        return self.basis_by_date

    @property
    def basis_by_date(self) -> LegalBasis:
        """The Act in force on `plan.drawn_up` (PLAN-BASIS: the cut-over date is rule data)."""
        return act_for(self.plan.drawn_up)  # type: ignore[return-value]  # the acts of rules.yaml

    @property
    def multi_sectoral(self) -> bool:
        """Any participating authority makes the plan multi-sectoral."""
        return bool(self.participants)


class _PlanCase(_CaseBase):
    """A plan for one person (case format sections 1 and 2)."""

    person: Person = Field(description="the person the plan is for")
    assessment: Assessment = Field(description="the assessment of skills and the need for integration services")
    plan: _PlanBase = Field(description="the plan: dates, goals, services and monitoring")


class IntegrationPlanCase(_PlanCase):
    """An individual integration plan (case format section 1)."""

    kind: Literal["integration-plan"] = Field(description=_KIND)
    plan: Plan = Field(description="the plan: dates, goals, services, job search and monitoring")


class MinorPlanCase(_PlanCase):
    """A plan for a minor (case format section 2)."""

    kind: Literal["minor-plan"] = Field(description=_KIND)
    plan: ChildPlan = Field(description="the plan: dates, goals, services and monitoring")
    guardians: list[Guardian] = Field(
        [], description="the guardians; or unaccompanied and representative (MINOR-CARER)")
    unaccompanied: StrictBool = Field(False, description="true for a minor without a guardian in Finland")
    representative: Representative | None = Field(
        None, description="an unaccompanied minor's representative, appointed by a district court")
    child_opinion: Text | None = Field(None, description="the child's own views, required (MINOR-OPINION)")
    schooling: Schooling | None = Field(None, description="the child's schooling: institution, grade, class type")
    related_plans: list[RelatedPlan] = Field([], description="plans this one is coordinated with")


MemberRole = Literal["parent", "child", "other"]


class FamilyMember(_Model):
    """One member of a family plan: a person with goals and services of their own (section 3)."""

    role: MemberRole = Field(description="parent, child or other; a family has a parent and a child")
    person: Person = Field(description="the member: a person as in an individual plan")
    goals: list[Text] = Field([], description="the member's own goals")
    services: list[Service] = Field([], description="the member's own services")
    job_search: JobSearch | None = Field(
        None, description="the member's jobseeking obligation; required when the member is a jobseeker")
    schooling: Schooling | None = Field(None, description="a child's schooling: institution, grade, class type")
    child_opinion: Text | None = Field(None, description="a child's own views")


class Family(_Model):
    name: Name = Field(description="the family's name, such as Familjen Haddad")
    address: Line | None = Field(None, description="the family's address")
    # No minimum here: FAMILY-MEMBERS reports a family without a parent or a child, with its rule id.
    members: Annotated[list[FamilyMember], Field(max_length=40)] = Field(
        description="the members: at least one parent and one child (FAMILY-MEMBERS)")


class FamilyPlanCase(_CaseBase):
    """A plan for a family (case format section 3)."""

    kind: Literal["family-plan"] = Field(description=_KIND)
    family: Family = Field(description="the family: name, address and members")
    family_goals: list[Text] = Field([], description="goals for the family as a whole")
    family_services: list[Service] = Field([], description="services for the family as a whole")
    plan: FamilyPlan = Field(
        description="the plan's dates and monitoring; goals and services are the family's and the members'")


# ---------------------------------------------------------------------------------------------
# The interpretation-cost claim (case format section 4) and the claimant file of `kotodoc claim`

ExclusionReason = Literal["no-show", "not-eligible", "citizen", "purpose", "too-old", "cost-missing"]
ExclusionRule = Literal["CLAIM-NOSHOW", "CLAIM-ELIGIBLE", "CLAIM-CITIZEN", "CLAIM-PURPOSE", "CLAIM-AGE", "CLAIM-COST"]
# Why an appointment of the period is not claimed, and the rule that says so. The order is the order
# in which `kotodoc claim` tests them: the first that applies is the row's reason. CLAIM-COST is
# kotodoc's own: a row without a cost (no invoice yet) cannot be claimed, but must not vanish.
EXCLUSION_RULES: dict[str, str] = {
    "no-show": "CLAIM-NOSHOW",
    "not-eligible": "CLAIM-ELIGIBLE",
    "citizen": "CLAIM-CITIZEN",
    "purpose": "CLAIM-PURPOSE",
    "too-old": "CLAIM-AGE",
    "cost-missing": "CLAIM-COST",
}


def _initials(value: str) -> str:
    # Letters each followed by a dot ("A.A."): a claim must never carry a name (domain brief).
    if not re.fullmatch(r"(?:[^\W\d_]\.){1,6}", value):
        raise _error("FORMAT-PATTERN", N_("write initials as letters each followed by a dot, such as "
                                          "\"A.A.\"; a claim carries no names"))
    return value


Initials = Annotated[str, AfterValidator(_initials), Field(description="initials such as A.A.; no names on claims")]


class ClaimContact(_Model):
    name: Name | None = Field(None, description="the contact person's name")
    phone: Line | None = Field(None, description="the contact person's phone number")
    email: Line | None = Field(None, description="the contact person's email address")


class Claimant(_Model):
    """The authority that claims the costs and is paid by the KEHA Centre."""

    name: Name = Field(description="the claimant's name")
    business_id: Line = Field(description="Y-tunnus, checksum-validated (ID-YTUNNUS); required on claims")
    address: Line | None = Field(None, description="the claimant's postal address")
    contact: ClaimContact | None = Field(None, description="the contact person for the claim")
    iban: Line = Field(description="the account the reimbursement is paid to, checksum-validated (ID-IBAN)")


class ClaimPeriod(_Model):
    start: Date = Field(description="the first day of the claim period")
    end: Date = Field(description="the last day of the claim period")


class ClaimPerson(_Model):
    """Data minimisation: a claim tells persons apart by initials and date of birth, never by name."""

    initials: Initials
    date_of_birth: Date = Field(description="the person's date of birth")


class _ClaimRowBase(_Model):
    case_id: CaseId = Field(description="the reference (case_id) of the case the appointment belongs to")
    person: ClaimPerson = Field(description="the person, by initials and date of birth: no names on claims")
    citizenship_date: Date | None = Field(
        None, description="the date the person became a Finnish citizen, if any (CLAIM-CITIZEN)")
    date: Date = Field(description="the date of the appointment")
    purpose: Purpose = Field(description="the purpose of the interpretation (CLAIM-PURPOSE)")
    language: Language = Field(description="the language interpreted: ISO 639-1, or 639-3 (prs)")
    provider: Line | None = Field(None, description="the interpreting provider")
    minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = Field(
        None, description="the length of the interpretation in minutes")
    invoice: Line | None = Field(None, description="the invoice number")


class ClaimRow(_ClaimRowBase):
    """One claimed appointment (case format section 4, `rows`): cost and VAT in euros."""

    residence_basis: ResidenceBasis = Field(description="the person's basis of residence (CLAIM-ELIGIBLE)")
    cost: Money = Field(description="the cost in euros, VAT excluded")
    vat: Money = Field(description="the VAT in euros")


class ExcludedRow(_ClaimRowBase):
    """kotodoc extension: an appointment of the period that is not claimed, listed in the claim's annex."""

    residence_basis: ResidenceBasis | None = Field(None, description="the person's basis of residence (CLAIM-ELIGIBLE)")
    cost: Money | None = Field(None, description="the cost in euros, VAT excluded")
    vat: Money | None = Field(None, description="the VAT in euros")
    reason: ExclusionReason = Field(description="why the appointment is not claimed")
    rule: ExclusionRule = Field(description="the rule that excludes it; it goes with the reason")

    @model_validator(mode="after")
    def _rule_of_reason(self) -> Self:
        expected = EXCLUSION_RULES[self.reason]
        if self.rule != expected:
            raise _error("FORMAT-CHOICE", N_("the reason {reason} goes with the rule {rule}"),
                         reason=self.reason, rule=expected)
        return self


class InterpretationClaimCase(_Model):
    """An interpretation-cost claim to the KEHA Centre (case format section 4)."""

    kotodoc: Literal[1] = Field(description=_VERSION)
    kind: Literal["interpretation-claim"] = Field(description=_KIND)
    case_id: CaseId
    languages: Annotated[list[DocLang], Field(min_length=1, max_length=2), AfterValidator(_distinct)] = Field(
        description=_LANGUAGES, json_schema_extra={"uniqueItems": True})
    claimant: Claimant = Field(description="the authority that claims the costs and is reimbursed")
    period: ClaimPeriod = Field(description="the claim period: start and end")
    submitted: Date = Field(description="the submission date; the 2-year reach-back counts from it (CLAIM-AGE)")
    rows: list[ClaimRow] = Field([], description="the claimed appointments")
    excluded: list[ExcludedRow] = Field(
        [], description="kotodoc extension: appointments of the period that are not claimed, with the reason"
    )

    @property
    def basis(self) -> LegalBasis:
        """The Act whose claim rules apply: 681/2023 for periods from 2025, else 1386/2010."""
        return act_for(self.period.start)  # type: ignore[return-value]  # the acts of rules.yaml

    @property
    def authority(self) -> Claimant:
        """The claimant, under the name the pipeline uses for the author of every document."""
        return self.claimant


class ClaimantFile(_Model):
    """The claimant file of `kotodoc claim` (not a case): who claims, and defaults for the claims built."""

    kotodoc: Literal[1] = Field(description=_VERSION)
    claimant: Claimant = Field(description="the authority that claims the costs and is reimbursed")
    languages: Annotated[list[DocLang], Field(min_length=1, max_length=2), AfterValidator(_distinct)] = Field(
        ["fi"], description="the languages of the claims built from this file (fi, sv, en); two for a bilingual claim")
    case_id_prefix: CaseId | None = Field(None, description="the built claim's case_id starts with it")


PlanCase = IntegrationPlanCase | MinorPlanCase
Case = IntegrationPlanCase | MinorPlanCase | FamilyPlanCase
AnyCase = Case | InterpretationClaimCase
CASE_MODELS: dict[str, type[AnyCase]] = {
    "integration-plan": IntegrationPlanCase,
    "minor-plan": MinorPlanCase,
    "family-plan": FamilyPlanCase,
    "interpretation-claim": InterpretationClaimCase,
}
# Kinds of the format that this version cannot render yet, so the message says so plainly.
PLANNED_KINDS: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Validation with located findings


def build_case(loaded: LoadedCase) -> AnyCase:
    """Validate a loaded case file against its kind's model.

    Args:
        loaded: the output of `load_case`.

    Returns:
        The validated case.

    Raises:
        CaseError: with one located finding per problem, all at once, in the order of the file.
    """
    data = loaded.data
    version = data.get("kotodoc")
    if "kotodoc" not in data:
        raise _missing_head(loaded, "kotodoc", Message(N_("the format version is missing: add `kotodoc: 1` at the "
                                                          "top")), "FORMAT-VERSION")
    if type(version) is not int or version != FORMAT_VERSION:
        raise _fail(loaded, "kotodoc", Message(N_("unsupported format version; this kotodoc reads `kotodoc: "
                                                  "{version}`"), {"version": FORMAT_VERSION}), "FORMAT-VERSION")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in CASE_MODELS:
        if kind in PLANNED_KINDS:
            message = Message(N_("kind {kind} is part of the format but not supported by this version yet"),
                              {"kind": repr(kind)})
        elif isinstance(kind, str):
            shown = repr(kind) if code_shaped(kind) else "?"
            message = Message(N_("unknown kind {kind}"), {"kind": shown})
            close = _did_you_mean(kind, [*CASE_MODELS, *PLANNED_KINDS])
            if close:
                message = Message(N_("{problem}; did you mean {option}?"), {"problem": message, "option": repr(close)})
        else:
            message = Message(N_("`kind` is required: one of {kinds}"), {"kinds": ", ".join(CASE_MODELS)})
            if "kind" not in data:
                raise _missing_head(loaded, "kind", message, "FORMAT-KIND")
        raise _fail(loaded, "kind", message, "FORMAT-KIND")
    model = CASE_MODELS[kind]
    try:
        return _built(model).model_validate(data)
    except ValidationError as e:
        raise CaseError(loaded.file, _findings(loaded, model, e)) from None


def build_claimant(loaded: LoadedCase) -> ClaimantFile:
    """Validate a loaded claimant file (`kotodoc claim --claimant`).

    Raises:
        CaseError: with one located finding per problem, all at once.
    """
    try:
        return _built(ClaimantFile).model_validate(loaded.data)
    except ValidationError as e:
        raise CaseError(loaded.file, _findings(loaded, ClaimantFile, e)) from None


_BUILDING = threading.Lock()
_NO_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"
_M = typing.TypeVar("_M", bound=BaseModel)


def _built(model: type[_M]) -> type[_M]:
    """`model` with its validator built (once, when first used: `defer_build`), without pydantic plugins.

    A pydantic plugin (an entry point of an installed package) would see every value validated,
    and a case holds personal data, so the validators of the case format are built without any;
    that also spares each start looking through every installed package's entry points for
    plugins. pydantic reads the switch from the environment only, as it builds a validator: it is
    set for that moment, under a lock.
    """
    if model.__pydantic_complete__:
        return model
    with _BUILDING:
        if model.__pydantic_complete__:  # built by another thread meanwhile (the service)
            return model
        before = os.environ.get(_NO_PLUGINS)
        os.environ[_NO_PLUGINS] = "1"
        try:
            model.model_rebuild()
        finally:
            if before is None:
                del os.environ[_NO_PLUGINS]
            else:
                os.environ[_NO_PLUGINS] = before
    return model


def _fail(loaded: LoadedCase, path: str, message: Message, code: str, *, key: bool = False) -> CaseError:
    finding = Finding(Severity.ERROR, path, message.msgid, params=message.params, code=code)
    return CaseError(loaded.file, [loaded.place(finding, key=key)])


def _missing_head(loaded: LoadedCase, name: str, message: Message, code: str) -> CaseError:
    """`kotodoc` or `kind` is missing: point at a misspelt key (`Kind:`) when there is one."""
    close = [k for k in loaded.data if k.lower() == name] or difflib.get_close_matches(name, list(loaded.data), n=1)
    if close:
        return _fail(loaded, close[0], Message(N_("unknown key {key}; did you mean {name}? ({message})"),
                                               {"key": repr(close[0]), "name": repr(name), "message": message}),
                     code, key=True)
    return _fail(loaded, name, message, code)


# What each of pydantic's error types is, in our words: the code and the message (English ids of the
# catalogue). pydantic's own messages are never shown: they are English only, and some quote the value.
_TYPE_NOUNS = {
    "string_type": N_("a valid string"),
    "int_type": N_("a valid integer"),
    "bool_type": N_("a valid boolean"),
    "dict_type": N_("a valid dictionary"),
    "model_type": N_("a valid dictionary"),
    "model_attributes_type": N_("a valid dictionary"),
    "list_type": N_("a valid list"),
    "decimal_type": N_("a number"),
    "float_type": N_("a number"),
    "date_type": N_("a valid date"),
}
_TYPE_CODES = {"string_type": "FORMAT-TEXT", "int_type": "FORMAT-NUMBER", "bool_type": "FORMAT-BOOLEAN",
               "dict_type": "FORMAT-TYPE", "model_type": "FORMAT-TYPE", "model_attributes_type": "FORMAT-TYPE",
               "list_type": "FORMAT-TYPE", "decimal_type": "FORMAT-DECIMAL", "float_type": "FORMAT-DECIMAL",
               "date_type": "FORMAT-DATE"}
_PYDANTIC: dict[str, tuple[str, str]] = {
    "missing": ("FORMAT-MISSING", N_("this field is required")),
    "bool_parsing": ("FORMAT-BOOLEAN", N_("expected a valid boolean")),
    "int_parsing": ("FORMAT-NUMBER", N_("the value should be a valid integer")),
    "int_from_float": ("FORMAT-NUMBER", N_("the value should be a whole number, not a number with a fractional part")),
    "int_parsing_size": ("FORMAT-NUMBER", N_("the number is too large")),
    "decimal_parsing": ("FORMAT-DECIMAL", N_("the value should be a valid decimal number")),
    "decimal_max_digits": ("FORMAT-DECIMAL", N_("the number has too many digits")),
    "decimal_max_places": ("FORMAT-DECIMAL", N_("the number has too many decimals")),
    "decimal_whole_digits": ("FORMAT-DECIMAL", N_("the number has too many digits")),
    "float_parsing": ("FORMAT-DECIMAL", N_("the value should be a valid decimal number")),
    "finite_number": ("FORMAT-DECIMAL", N_("the value should be a finite number")),
    "date_parsing": ("FORMAT-DATE", N_("the value should be a valid date (YYYY-MM-DD)")),
    "date_from_datetime_parsing": ("FORMAT-DATE", N_("the value should be a valid date (YYYY-MM-DD)")),
    "date_from_datetime_inexact": ("FORMAT-DATE", N_("expected a date (YYYY-MM-DD) without a time of day")),
    "date_past": ("FORMAT-DATE", N_("the date should be in the past")),
    "date_future": ("FORMAT-DATE", N_("the date should be in the future")),
    "greater_than_equal": ("FORMAT-RANGE", N_("the value should be greater than or equal to {ge}")),
    "greater_than": ("FORMAT-RANGE", N_("the value should be greater than {gt}")),
    "less_than_equal": ("FORMAT-RANGE", N_("the value should be less than or equal to {le}")),
    "less_than": ("FORMAT-RANGE", N_("the value should be less than {lt}")),
    "string_too_long": ("FORMAT-LENGTH", N_("the text should have at most {max_length} characters")),
    "too_short": ("FORMAT-LENGTH", N_("the list should have at least {min_length} item(s)")),
    "too_long": ("FORMAT-LENGTH", N_("the list should have at most {max_length} items")),
    "string_pattern_mismatch": ("FORMAT-PATTERN", N_("the value does not have the required form")),
    "literal_error": ("FORMAT-CHOICE", N_("this value is not allowed; expected one of: {options}")),
    "enum": ("FORMAT-CHOICE", N_("this value is not allowed; expected one of: {options}")),
}
_NUMBER_CODES = ("FORMAT-NUMBER", "FORMAT-DECIMAL", "FORMAT-RANGE")


def _findings(loaded: LoadedCase, model: type[BaseModel], error: ValidationError) -> list[Finding]:
    """One finding per field, in the order of the file; the failed members of a union (`grade: Line | int`) are one."""
    merged: dict[str, Finding] = {}
    for err in error.errors(include_input=True, include_url=False):
        f = _finding(loaded, model, err)
        if f.path in merged:
            first = merged[f.path]
            if (first.msgid, first.params) == (f.msgid, f.params):
                continue  # both members of a union say the same: an unfilled placeholder
            if "what" in first.params and "what" in f.params:
                # "expected a valid string or a valid integer"
                params = {"what": first.params["what"], "other": f.params["what"]}
                f = replace(first, msgid=N_("expected {what} or {other}"), params=params)
            else:
                f = replace(first, msgid=N_("{first}; {second}"),
                            params={"first": Message(first.msgid, first.params), "second": Message(f.msgid, f.params)})
        merged[f.path] = f
    return sorted(merged.values(), key=sort_key)


def _data_loc(data: Any, loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """The location in the file's data: without pydantic's union tags (`grade.constrained-str`)."""
    out: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        present = part in node if isinstance(node, dict) else (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if present:
            node = node[part]
        elif i == len(loc) - 1 and kind in ("missing", "extra_forbidden") and isinstance(node, dict):
            pass  # a key that is absent, or present but unknown: it is the finding's subject
        else:
            continue  # a union member's tag names no part of the file
        out.append(part)
    return tuple(out)


def _finding(loaded: LoadedCase, model: type[BaseModel], err: Any) -> Finding:
    kind = err["type"]
    loc = _data_loc(loaded.data, tuple(err["loc"]), kind)
    path = ".".join(str(p) for p in loc)
    value = err.get("input")
    ctx = dict(err.get("ctx") or {})
    key = kind in ("extra_forbidden", "missing")
    suggestion: Message | None = None
    params: dict[str, object] = {}
    if _placeholder(value) and kind not in ("extra_forbidden", "missing"):
        # `case_id: {teksti}` from `kotodoc new`: YAML reads the braces as a mapping.
        finding = Finding(Severity.ERROR, path, N_("fill in this placeholder"), code="FORMAT-PLACEHOLDER")
        return loaded.place(finding)
    if kind in FORMAT_CODES:  # one of ours (`_error`): its message id and parameters are in the context
        code, msgid = kind, str(ctx.pop("msgid"))
        params = ctx
    elif kind == "extra_forbidden":
        fields = _fields_at(model, loc[:-1])
        code = "FORMAT-UNKNOWN-KEY"
        shown = repr(loc[-1])
        if fields:
            msgid = N_("unknown key {key} (allowed here: {fields})")
            params = {"key": shown, "fields": ", ".join(fields)}
        else:
            msgid, params = N_("unknown key {key}"), {"key": shown}
        close = _did_you_mean(str(loc[-1]), fields)
        if close:
            suggestion = Message(N_("did you mean {option}?"), {"option": repr(close)})
    elif kind in _TYPE_NOUNS:
        code, msgid, params = _TYPE_CODES[kind], N_("expected {what}"), {"what": Message(_TYPE_NOUNS[kind])}
        if kind == "string_type" and type(value) not in (bool, type(None)) and isinstance(value, (int, float)):
            # `personal_id: 120409E3718` is a float to YAML; `case_id: 20250217` an integer.
            suggestion = Message(N_("YAML read the value as a number: put it in quotes"))
    elif kind == "string_too_short":
        code = "FORMAT-LENGTH"
        if ctx.get("min_length") == 1:
            msgid = N_("the text should have at least 1 character")
        else:
            msgid, params = N_("the text should have at least {min_length} characters"), {"min_length": ctx.get(
                "min_length")}
    elif kind == "string_pattern_mismatch" and loc == ("case_id",):
        code = "FORMAT-PATTERN"
        msgid = N_("case_id may hold only letters, digits, '.', '_' and '-' (at most 64), since file names use it")
    elif kind in ("literal_error", "enum"):
        code = "FORMAT-CHOICE"
        options = [a or b for a, b in re.findall(r"'([^']*)'|(\d+)", str(ctx.get("expected", "")))]
        # Only a code-like value of a field that holds no personal data is quoted back: an
        # absence_reason such as "sairastui, HIV-lääkitys" is health data, whatever its shape.
        if (code_shaped(value) or type(value) is int) and not _sensitive(loc):
            msgid, params = N_("{value} is not allowed; expected one of: {options}"), {"value": repr(value)}
        else:
            msgid = N_("this value is not allowed; expected one of: {options}")
        params["options"] = ", ".join(options)
        suggestion = _choice_suggestion(value, options)
    elif kind in _PYDANTIC:
        code, msgid = _PYDANTIC[kind]
        params = {k: v for k, v in ctx.items() if isinstance(v, (int, float, Decimal, str)) and f"{{{k}}}" in msgid}
    else:
        # A check pydantic has and the format does not use today: say so without pydantic's English.
        code, msgid = "FORMAT-VALUE", N_("this value is not valid here")
    if suggestion is None:
        suggestion = _suggestion(code, value, loc)
    if suggestion is not None:
        params = {"problem": Message(msgid, params), "suggestion": suggestion}
        msgid = N_("{problem}; {suggestion}")
    finding = Finding(Severity.ERROR, path, msgid, params=params, code=code)
    return loaded.place(finding, key=key)


# ---------------------------------------------------------------------------------------------
# Suggestions: what the writer probably meant, in the reader's language. Only what kotodoc makes
# from the value is shown (a date rewritten, a number with a point, a code), never the value itself
# when it may be personal data: free text, names, a date of birth.

_FI_DATE = re.compile(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*")
_COMMA_NUMBER = re.compile(r"\s*(-?\d+),(\d+)\s*")
_TRUE = {"kyllä", "k", "joo", "ja", "yes", "y", "on", "tosi", "sant", "true"}
_FALSE = {"ei", "e", "nej", "no", "n", "off", "epätosi", "falskt", "false"}
_NEVER_ECHOED = ("date_of_birth",)  # a date of birth with the file's other details identifies a person


def _placeholder(value: object) -> bool:
    """Whether a value is a skeleton's unfilled `{…}`: a one-key mapping to nothing, or the text `{…}`."""
    if isinstance(value, dict):
        return len(value) == 1 and next(iter(value.values())) is None
    return isinstance(value, str) and re.fullmatch(r"\{[^{}]*\}", value.strip()) is not None


def _suggestion(code: str, value: object, loc: tuple[Any, ...]) -> Message | None:
    if code == "FORMAT-DATE" and isinstance(value, str) and (m := _FI_DATE.fullmatch(value)):
        try:
            day = dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
        if any(part in _NEVER_ECHOED for part in loc if isinstance(part, str)):
            return Message(N_("write the date as year-month-day, YYYY-MM-DD"))
        return Message(N_("write the date as {date}"), {"date": day.isoformat()})
    if code in _NUMBER_CODES and isinstance(value, str) and (m := _COMMA_NUMBER.fullmatch(value)):
        return Message(N_("use a point: {number}"), {"number": f"{m[1]}.{m[2]}"})
    if code == "FORMAT-BOOLEAN" and isinstance(value, (str, int)) and not isinstance(value, bool):
        word = str(value).strip().casefold()
        if word in _TRUE or word == "1":
            return Message(N_("write {value}"), {"value": "true"})
        if word in _FALSE or word == "0":
            return Message(N_("write {value}"), {"value": "false"})
    if code in ("FORMAT-COUNTRY", "FORMAT-LANGUAGE") and isinstance(value, str):
        cased = value.upper() if code == "FORMAT-COUNTRY" else value.lower()
        if code_shaped(value) and cased != value and cased in (
                _country_codes() if code == "FORMAT-COUNTRY" else _language_codes()):
            return Message(N_("did you mean {option}?"), {"option": repr(cased)})
        found = (_country_by_name if code == "FORMAT-COUNTRY" else _language_by_name)(value)
        if found:
            return Message(N_("write the code {code}"), {"code": found})
    return None


def _choice_suggestion(value: object, options: list[str]) -> Message | None:
    """`turvapaikka` or `asyl` for `asylum`: a label in any language names the code to write."""
    if not isinstance(value, str):
        return None
    if code_shaped(value) and (close := _did_you_mean(value, options)):
        return Message(N_("did you mean {option}?"), {"option": repr(close)})
    code = _code_by_label(value, tuple(options))
    return Message(N_("write the code {code}"), {"code": code}) if code else None


def _words(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").split())


@cache
def _labels() -> dict[str, list[tuple[str, str]]]:
    """Each enumeration code with its labels and their parts: `asylum` ← `turvapaikka`, `asyl`, ..."""
    from kotodoc._data import terms

    found: dict[str, list[tuple[str, str]]] = {}
    for table in terms().get("enums", {}).values():
        for code, labels in table.items():
            for lang in ("fi", "sv", "en"):
                label = labels.get(lang) if isinstance(labels, dict) else None
                if not isinstance(label, str):
                    continue
                parts = {label, *re.findall(r"\(([^()]+)\)", label), re.sub(r"\s*\([^()]*\)", "", label)}
                found.setdefault(str(code), []).extend((_words(p), str(code)) for p in parts if p.strip())
    return found


@cache
def _code_by_label(value: str, options: tuple[str, ...]) -> str | None:
    word = _words(value)
    if not word:
        return None
    candidates = [(label, code) for code in options for label, code in _labels().get(code, [])]
    exact = {code for label, code in candidates if label == word}
    if len(exact) == 1:
        return exact.pop()
    close = difflib.get_close_matches(word, [label for label, _ in candidates], n=1, cutoff=0.85)
    return next((code for label, code in candidates if close and label == close[0]), None)


@cache
def _names(kind: str) -> dict[str, str]:
    """Country (`territories`) or language names in fi, sv and en (CLDR, through Babel) -> the code."""
    names: dict[str, str] = {}
    codes = _country_codes() if kind == "territories" else _language_codes()
    for lang in ("en", "sv", "fi"):
        for code, name in getattr(Locale(lang), kind).items():
            if str(code) in codes:
                names[_words(str(name))] = str(code)
    return names


def _country_by_name(value: str) -> str | None:
    return _names("territories").get(_words(value))


def _language_by_name(value: str) -> str | None:
    return _names("languages").get(_words(value))


# Fields whose values are never quoted in a message, whatever they hold.
_SENSITIVE_PARTS = ("name", "health", "reason", "grounds", "opinion", "personal_id", "life_situation")


def _sensitive(loc: tuple[Any, ...]) -> bool:
    return any(isinstance(part, str) and any(s in part for s in _SENSITIVE_PARTS) for part in loc[-1:])


def _did_you_mean(value: str, options: Any) -> str | None:
    """The option a code-like value was probably meant to be: `FI` for `fi`, `asylm` for `asylum`."""
    close = [o for o in options if isinstance(o, str) and o.lower() == value.lower()]
    close = close or difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk a validation location down the model's annotations to the model it names."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    # Peel Optional[...], list[...] and Annotated[...] down to the model they hold.
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            inner = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = inner[0] if len(inner) == 1 else annotation
            if len(inner) != 1:
                return annotation
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation
