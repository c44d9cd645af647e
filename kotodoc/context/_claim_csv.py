"""A claim's CSV: the claimed rows for the e-service upload, written beside the claim's documents."""

from __future__ import annotations

import csv
import io

from kotodoc.model import InterpretationClaimCase
from kotodoc.rules import cents

CSV_COLUMNS = ("case_id", "initials", "date_of_birth", "residence_basis", "date", "purpose", "language",
               "provider", "minutes", "cost", "vat", "invoice")


def claim_csv(case: InterpretationClaimCase) -> bytes:
    """The claimed rows as CSV for the e-service upload.

    kotodoc's format (the e-service's own was not available to us): UTF-8 without a byte-order mark,
    `;` between fields, CRLF line ends, a header row of the claim file's key names, ISO dates,
    amounts with a point and two decimals, enumeration values as codes. No names: initials only.
    A text cell that a spreadsheet would read as a formula starts with a `'` (see `csv_cell`).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in case.rows:
        row = (r.case_id, r.person.initials, r.person.date_of_birth.isoformat(), r.residence_basis,
               r.date.isoformat(), r.purpose, r.language, r.provider or "",
               "" if r.minutes is None else r.minutes, cents(r.cost), cents(r.vat), r.invoice or "")
        writer.writerow([csv_cell(x) for x in row])
    return buffer.getvalue().encode("utf-8")


# A spreadsheet reads a cell starting with one of these as a formula (`=cmd|' /C calc'!A0`): OWASP's
# "CSV Injection" advice is to start such a cell with a single quote, so it is shown as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula (numbers pass as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def claim_files(case: InterpretationClaimCase) -> dict[str, bytes]:
    """Files written beside the claim's documents: the CSV of the claimed rows."""
    return {f"{case.case_id}.{case.kind}.csv": claim_csv(case)}
