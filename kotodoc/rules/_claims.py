"""Money on a claim (CLAIM-VAT): VAT computed when missing, the claim's exact totals.

Money is `Decimal` from the case file to the document. Amounts arrive in cents; the only rounding
is a VAT computed from the rate in force when an appointment gives no `vat`: per row, half up to
the cent (`ROUND_HALF_UP`), before anything is summed, so every total is the exact sum of its rows.
Each sum's `total` is the amount claimed: without VAT, which a municipality recovers through the
municipal VAT refund, unless the rule data's CLAIM-VAT setting says otherwise. Used by the claim
builder and, through the context, by the claim's document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, get_args

from kotodoc._data import act_params
from kotodoc.model import EXCLUSION_RULES, InterpretationClaimCase, Purpose

CENT = Decimal("0.01")


def vat_rate(day: dt.date, data: dict[str, Any]) -> Decimal | None:
    """The general VAT rate (percent) in force on a day, from the rule data's `vat_rates`."""
    rates = sorted(data.get("vat_rates") or [], key=lambda r: r["from"])
    current = [r for r in rates if r["from"] <= day]
    return Decimal(str(current[-1]["rate"])) if current else None


def vat_of(cost: Decimal, rate: Decimal) -> Decimal:
    """VAT on a cost, rounded half up to the cent: 25.5 % of 71.00 is 18.105, so 18.11."""
    return (cost * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> str:
    """`118.00`: the form amounts take in the claim file and the CSV (a point, two decimals)."""
    return f"{amount.quantize(CENT):f}"


@dataclass(frozen=True)
class Sum:
    """Rows, minutes and money of a group of rows."""

    rows: int = 0
    minutes: int = 0
    cost: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    vat_claimed: bool = False  # CLAIM-VAT: the rule data's `claim_vat.claim_without_vat` is false

    @property
    def total(self) -> Decimal:
        """The amount claimed (CLAIM-VAT): the cost without VAT, which the municipality recovers through
        the municipal VAT refund; with VAT only when the rule data says the claim includes it."""
        return self.cost + self.vat if self.vat_claimed else self.cost

    def add(self, minutes: int | None, cost: Decimal | None, vat: Decimal | None) -> Sum:
        """This sum with one more row."""
        return Sum(self.rows + 1, self.minutes + (minutes or 0), self.cost + (cost or 0), self.vat + (vat or 0),
                   self.vat_claimed)


PersonKey = tuple[str, str, dt.date]  # case id, initials, date of birth


@dataclass(frozen=True)
class ClaimTotals:
    """The sums a claim shows: in all, per person, per purpose; and of the annex, per reason."""

    grand: Sum
    per_person: list[tuple[PersonKey, Sum]]
    per_purpose: list[tuple[str, Sum]]
    excluded: Sum
    per_reason: list[tuple[str, Sum]]


def claim_totals(case: InterpretationClaimCase, rule_data: dict[str, Any] | None = None) -> ClaimTotals:
    """Add up a claim's rows exactly (Decimal, no rounding): per person, per purpose and in all.

    Each sum's `total` is the amount claimed: without VAT unless the rule data's CLAIM-VAT setting
    (`claim_vat.claim_without_vat`) is false; the VAT is summed apart either way.
    """
    setting = act_params(case.basis, rule_data).get("claim_vat") or {}
    empty = Sum(vat_claimed=not setting.get("claim_without_vat", True))
    grand = empty
    people: dict[PersonKey, Sum] = {}
    purposes: dict[str, Sum] = {}
    for r in case.rows:
        key = (r.case_id, r.person.initials, r.person.date_of_birth)
        grand = grand.add(r.minutes, r.cost, r.vat)
        people[key] = people.get(key, empty).add(r.minutes, r.cost, r.vat)
        purposes[r.purpose] = purposes.get(r.purpose, empty).add(r.minutes, r.cost, r.vat)
    excluded = empty
    reasons: dict[str, Sum] = {}
    for x in case.excluded:
        excluded = excluded.add(x.minutes, x.cost, x.vat)
        reasons[x.reason] = reasons.get(x.reason, empty).add(x.minutes, x.cost, x.vat)
    order = list(get_args(Purpose))
    return ClaimTotals(
        grand=grand,
        per_person=sorted(people.items()),
        per_purpose=sorted(purposes.items(), key=lambda kv: order.index(kv[0])),
        excluded=excluded,
        per_reason=[(reason, reasons[reason]) for reason in EXCLUSION_RULES if reason in reasons],
    )
