"""Stage 2, model: the case format as pydantic models; a loaded case validated into a frozen case.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kotodoc.model._cases import (
        CASE_MODELS,
        EXCLUSION_RULES,
        FORMAT_VERSION,
        HETU_SHAPE,
        AnyCase,
        Appointment,
        Authority,
        Case,
        ChildPlan,
        ClaimantFile,
        ClaimRow,
        Country,
        ExcludedRow,
        FamilyMember,
        FamilyPlan,
        FamilyPlanCase,
        Initials,
        IntegrationPlanCase,
        InterpretationClaimCase,
        JobSearch,
        Language,
        MinorPlanCase,
        Money,
        Person,
        Plan,
        PlanCase,
        Purpose,
        ResidenceBasis,
        Schooling,
        Service,
        ServiceType,
        build_case,
        build_claimant,
    )

_HOMES = {
    "AnyCase": "kotodoc.model._cases",
    "Appointment": "kotodoc.model._cases",
    "Authority": "kotodoc.model._cases",
    "CASE_MODELS": "kotodoc.model._cases",
    "Case": "kotodoc.model._cases",
    "ChildPlan": "kotodoc.model._cases",
    "ClaimantFile": "kotodoc.model._cases",
    "ClaimRow": "kotodoc.model._cases",
    "Country": "kotodoc.model._cases",
    "EXCLUSION_RULES": "kotodoc.model._cases",
    "ExcludedRow": "kotodoc.model._cases",
    "FORMAT_VERSION": "kotodoc.model._cases",
    "HETU_SHAPE": "kotodoc.model._cases",
    "FamilyMember": "kotodoc.model._cases",
    "FamilyPlan": "kotodoc.model._cases",
    "FamilyPlanCase": "kotodoc.model._cases",
    "Initials": "kotodoc.model._cases",
    "IntegrationPlanCase": "kotodoc.model._cases",
    "InterpretationClaimCase": "kotodoc.model._cases",
    "JobSearch": "kotodoc.model._cases",
    "Language": "kotodoc.model._cases",
    "MinorPlanCase": "kotodoc.model._cases",
    "Money": "kotodoc.model._cases",
    "Person": "kotodoc.model._cases",
    "Plan": "kotodoc.model._cases",
    "PlanCase": "kotodoc.model._cases",
    "Purpose": "kotodoc.model._cases",
    "ResidenceBasis": "kotodoc.model._cases",
    "Schooling": "kotodoc.model._cases",
    "Service": "kotodoc.model._cases",
    "ServiceType": "kotodoc.model._cases",
    "build_case": "kotodoc.model._cases",
    "build_claimant": "kotodoc.model._cases",
}
__all__ = [
    "CASE_MODELS",
    "EXCLUSION_RULES",
    "FORMAT_VERSION",
    "HETU_SHAPE",
    "AnyCase",
    "Appointment",
    "Authority",
    "Case",
    "ChildPlan",
    "ClaimRow",
    "ClaimantFile",
    "Country",
    "ExcludedRow",
    "FamilyMember",
    "FamilyPlan",
    "FamilyPlanCase",
    "Initials",
    "IntegrationPlanCase",
    "InterpretationClaimCase",
    "JobSearch",
    "Language",
    "MinorPlanCase",
    "Money",
    "Person",
    "Plan",
    "PlanCase",
    "Purpose",
    "ResidenceBasis",
    "Schooling",
    "Service",
    "ServiceType",
    "build_case",
    "build_claimant",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
