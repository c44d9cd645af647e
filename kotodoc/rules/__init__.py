"""Stage 3, rules: the legal rules, each with its id, over a valid case; fee notices and claim routing.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.rules._claims import CENT, ClaimTotals, Sum, cents, claim_totals, vat_of, vat_rate
    from kotodoc.rules._legal import (
        CLAIM_CRITERIA,
        RULES,
        age_on,
        appointment_person,
        birth_date,
        check_case,
        check_iban,
        check_ytunnus,
        claim_exclusion,
        persons,
        service_lists,
    )
    from kotodoc.rules._notice import Notice, notices, with_notice_date

_HOMES = {
    "CENT": "kotodoc.rules._claims",
    "CLAIM_CRITERIA": "kotodoc.rules._legal",
    "ClaimTotals": "kotodoc.rules._claims",
    "Notice": "kotodoc.rules._notice",
    "RULES": "kotodoc.rules._legal",
    "Sum": "kotodoc.rules._claims",
    "age_on": "kotodoc.rules._legal",
    "appointment_person": "kotodoc.rules._legal",
    "birth_date": "kotodoc.rules._legal",
    "cents": "kotodoc.rules._claims",
    "check_case": "kotodoc.rules._legal",
    "check_iban": "kotodoc.rules._legal",
    "check_ytunnus": "kotodoc.rules._legal",
    "claim_exclusion": "kotodoc.rules._legal",
    "claim_totals": "kotodoc.rules._claims",
    "notices": "kotodoc.rules._notice",
    "persons": "kotodoc.rules._legal",
    "service_lists": "kotodoc.rules._legal",
    "vat_of": "kotodoc.rules._claims",
    "vat_rate": "kotodoc.rules._claims",
    "with_notice_date": "kotodoc.rules._notice",
}
__all__ = [
    "CENT",
    "CLAIM_CRITERIA",
    "RULES",
    "ClaimTotals",
    "Notice",
    "Sum",
    "age_on",
    "appointment_person",
    "birth_date",
    "cents",
    "check_case",
    "check_iban",
    "check_ytunnus",
    "claim_exclusion",
    "claim_totals",
    "notices",
    "persons",
    "service_lists",
    "vat_of",
    "vat_rate",
    "with_notice_date",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
