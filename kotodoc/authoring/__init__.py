"""Helpers for people who write cases and templates: `kotodoc new`, `schema`, `templates check`.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.authoring._schema import (
        DRAFT,
        SCHEMA_FILE,
        SCHEMA_ID,
        SCHEMA_NAMES,
        case_schema,
        claimant_schema,
        profile_schema,
        schema_for,
    )
    from kotodoc.authoring._skeleton import KINDS, LANGUAGE_CHOICES, skeleton
    from kotodoc.authoring._template_check import TemplateProblem, check_templates, wording_differences
    from kotodoc.authoring._texts import field_texts

_HOMES = {
    "DRAFT": "kotodoc.authoring._schema",
    "KINDS": "kotodoc.authoring._skeleton",
    "LANGUAGE_CHOICES": "kotodoc.authoring._skeleton",
    "SCHEMA_FILE": "kotodoc.authoring._schema",
    "SCHEMA_ID": "kotodoc.authoring._schema",
    "SCHEMA_NAMES": "kotodoc.authoring._schema",
    "TemplateProblem": "kotodoc.authoring._template_check",
    "case_schema": "kotodoc.authoring._schema",
    "claimant_schema": "kotodoc.authoring._schema",
    "profile_schema": "kotodoc.authoring._schema",
    "schema_for": "kotodoc.authoring._schema",
    "check_templates": "kotodoc.authoring._template_check",
    "field_texts": "kotodoc.authoring._texts",
    "skeleton": "kotodoc.authoring._skeleton",
    "wording_differences": "kotodoc.authoring._template_check",
}
__all__ = [
    "DRAFT",
    "KINDS",
    "LANGUAGE_CHOICES",
    "SCHEMA_FILE",
    "SCHEMA_ID",
    "SCHEMA_NAMES",
    "TemplateProblem",
    "case_schema",
    "check_templates",
    "claimant_schema",
    "field_texts",
    "profile_schema",
    "schema_for",
    "skeleton",
    "wording_differences",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
