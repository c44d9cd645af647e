"""Which enumerations of the case format the documents label, and their codes, read from the model.

The labels themselves are in the `terms` catalogues (`kotodoc._vocabulary`); this table says where
in the model each labelled enumeration is, so that the catalogues' template (`tools/catalogues.py`)
and the check that every code has a label in fi, sv and en follow the model without a list of
codes of their own.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from kotodoc.model import FamilyPlanCase, IntegrationPlanCase, InterpretationClaimCase, MinorPlanCase

# enumeration (the catalogue's msgctxt) -> (a case model, the dotted path of a field of that enumeration)
_WHERE: dict[str, tuple[type[BaseModel], str]] = {
    "service_type": (IntegrationPlanCase, "plan.services.type"),
    "residence_basis": (IntegrationPlanCase, "person.residence.basis"),
    "authority_kind": (IntegrationPlanCase, "authority.kind"),
    "participant_kind": (IntegrationPlanCase, "participants.kind"),
    "literacy": (IntegrationPlanCase, "assessment.literacy"),
    "education_level": (IntegrationPlanCase, "assessment.education.level"),
    "purpose": (IntegrationPlanCase, "interpretation.purpose"),
    "mode": (IntegrationPlanCase, "interpretation.mode"),
    "absence_reason": (IntegrationPlanCase, "interpretation.absence_reason"),
    "exclusion_reason": (InterpretationClaimCase, "excluded.reason"),
    "class_type": (MinorPlanCase, "schooling.class_type"),
    "related_plan": (MinorPlanCase, "related_plans"),
    "member_role": (FamilyPlanCase, "family.members.role"),
    "relation": (MinorPlanCase, "guardians.relation"),
}
# Labelled values that are not a whole enumeration of the model: a language level is printed as
# its CEFR code except these two; a yes/no question is a boolean.
_FIXED: dict[str, tuple[str, ...]] = {"language_level": ("none", "native"), "yes_no": ("yes", "no")}


@cache
def enumerations() -> dict[str, tuple[str, ...]]:
    """Every labelled enumeration and its codes, in the model's order."""
    found = {name: _codes(model, path) for name, (model, path) in _WHERE.items()}
    return {**found, **_FIXED}


def _codes(model: type[BaseModel], path: str) -> tuple[str, ...]:
    annotation: Any = model
    for part in path.split("."):
        annotation = _core(annotation).model_fields[part].annotation
    core = _core(annotation)
    if typing.get_origin(core) is not Literal:
        raise TypeError(f"{model.__name__}.{path} is not an enumeration")
    return tuple(str(v) for v in typing.get_args(core))


def _core(annotation: Any) -> Any:
    """A type without Optional, Annotated and list."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Annotated or origin is list:
            annotation = args[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in args if a is not type(None))
        else:
            return annotation
