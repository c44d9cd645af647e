"""No-show fee notices (681/2023 § 32 a): which appointments of a plan get one, with what fee and due date.

The FEE rules in `_legal.py` decide whether a fee is allowed for an appointment with
`attended: false`; a rule that forbids it is reported by `kotodoc render` as a warning at the
appointment. This module turns every allowed fee into a `Notice`, which the pipeline renders in the
case's languages beside the plan. File names carry the case id and the appointment's date, never
a name: `ESP-2025-0217.no-show-notice.2025-06-11.fi.pdf`.

Each notice has its own date (FEE-DATES): the appointment's `notice_date`, else the run's
`--notice-date`, else the date of the run (`SOURCE_DATE_EPOCH` when set, for reproducible files).
The due date, unless the appointment gives `fee_due`, is that date plus the days in the rule data
(14); an earlier `fee_due` is refused by FEE-DATES. One booked appointment gives one notice, however
many interpretation rows it has (FEE-CAP; see `same_appointment_key`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from kotodoc.model import Appointment, Case, InterpretationClaimCase, Person
from kotodoc.rules._legal import appointment_person, fee_cap, fee_due, notice_date, notice_fee

_AnyCase = TypeVar("_AnyCase", bound=Case | InterpretationClaimCase)


@dataclass(frozen=True)
class Notice:
    """A no-show fee notice that is due: one appointment of one plan."""

    index: int  # in case.interpretation
    appointment: Appointment
    person_path: str  # the YAML path of the customer's `person` block
    person: Person
    fee: Decimal
    cap: Decimal  # the cap for the year of the appointment, printed on the notice
    issued: dt.date
    due: dt.date
    label: str  # the appointment's ISO date, with -2, -3 ... for a second notice on the same day
    reasons: tuple[str, ...] = ()  # the acceptable reasons (absence_reason values) the notice lists

    @property
    def stem(self) -> str:
        """The part of the output name after the case id: `no-show-notice.2025-06-11`."""
        return f"no-show-notice.{self.label}"


def with_notice_date(case: _AnyCase, day: dt.date | None) -> _AnyCase:
    """The case with every missed appointment's notice dated: its own `notice_date`, else `day` (the
    run's `--notice-date` or the day of its time stamp), else today; fixed once, when the case is
    checked, so that the FEE-DATES rule and the notice read the same date."""
    if not hasattr(case, "interpretation"):
        return case
    issued = day or dt.date.today()
    dated = [a if a.attended or a.notice_date else a.model_copy(update={"notice_date": issued})
             for a in case.interpretation]
    return case.model_copy(update={"interpretation": dated})  # type: ignore[return-value]


def notices(case: Case, params: dict[str, Any]) -> list[Notice]:
    """Every no-show fee notice a plan yields, in appointment order.

    Args:
        case: a validated plan (rules passed).
        params: the rule parameters of the plan's Act (`act_params`); the fee's own values are the
            same under both Acts, since the fee follows the appointment's date.

    Returns:
        One notice per appointment for which a fee is allowed; none for a claim.
    """
    if not hasattr(case, "interpretation"):
        return []
    found: list[Notice] = []
    per_day: Counter[dt.date] = Counter()
    for i, a in enumerate(case.interpretation):
        fee = notice_fee(case, i, params)
        whom = appointment_person(case, i)
        cap = fee_cap(a.date, params)
        if fee is None or whom is None or cap is None:
            continue
        per_day[a.date] += 1
        label = a.date.isoformat() + (f"-{per_day[a.date]}" if per_day[a.date] > 1 else "")
        reasons = tuple(params["no_show_fee_acceptable_reasons"])
        found.append(Notice(i, a, whom[0], whom[1], fee, cap, notice_date(a), fee_due(a, params), label, reasons))
    return found
