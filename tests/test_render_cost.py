"""What a DOCX costs in a batch: the start of the worker processes and the CPU of each document.

DOCX-only batches are bound by the CPU of the workers (issue 12: at least 100 documents a second
at 1,000 cases on two cores), and in a DOCX + PDF batch the same CPU is taken from LibreOffice.
These tests hold what was gained (docs/performance.md): workers that import nothing, contexts
that need no copy, and dates and numbers written without Babel's machinery (or kept) that read as
Babel writes them. (A ceiling on a document's CPU wide enough for a busy machine, 40 ms, would not
tell the 8 ms of now from the 12 ms of before.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from kotodoc.context import Formatter
from kotodoc.run import check_file, documents

from .conftest import ROOT, SAMPLES, STRESS

CLAIM = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
DAY = dt.date(2025, 7, 1)


def _mutables(value: Any, found: list[object]) -> list[object]:
    """Every dict, list and set in a context, and any other object but the plain values a context holds."""
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            _mutables(item, found)
    elif isinstance(value, list | set):
        found.append(value)
        for item in value:
            _mutables(item, found)
    elif isinstance(value, tuple):
        for item in value:
            _mutables(item, found)
    elif not isinstance(value, str | int | float | bool | dt.date | type(None)):
        found.append(value)
    return found


def test_no_two_contexts_share_anything_a_template_could_change() -> None:
    """This test ensures that every context builder makes each dict and list afresh for each document
    (the terms included), so that the runner need not deep-copy a context (1.5 ms a plan) for no
    document to see what a template did with another's values. Every document of every sample, a
    claim and the stress case, in each language: two contexts of one document share no object."""
    seen = 0
    for path in [*SAMPLES, CLAIM, STRESS]:
        case, report = check_file(path, notice_date=DAY)
        assert case is not None, report.as_dict()
        for doc in documents(case, ["fi", "sv", "en"], today=DAY):
            for lang in ("fi", "sv", "en"):
                first, second = _mutables(doc.context(lang), []), _mutables(doc.context(lang), [])
                shared = {id(x) for x in first} & {id(x) for x in second}
                assert not shared, (doc.stem, lang, {type(x).__name__ for x in first if id(x) in shared})
                seen += 1
    assert seen > 100  # notices and the claim among them


def test_the_workers_of_a_batch_import_nothing(tmp_path: Path) -> None:
    """This test ensures that a batch's worker processes start as forks of a forkserver that has
    imported what they run, instead of each importing kotodoc, Jinja, lxml, pydantic and Babel anew
    (some 0.8 s of CPU a worker, a tenth of a 1,000-case DOCX batch). Python reports every import
    (PYTHONPROFILEIMPORTTIME) in each process: with three workers, the run's steps are imported by
    the run's own process and the forkserver, not by four processes."""
    cases = tmp_path / "cases"
    cases.mkdir()
    for n, sample in enumerate(SAMPLES[:6]):
        shutil.copy(sample, cases / f"{n}-{sample.name}")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "KOTODOC_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "kotodoc", "batch", str(cases), "-o", str(tmp_path / "out"),
                          "--format", "docx", "--jobs", "3", "-q"], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(list((tmp_path / "out").glob("*.docx"))) >= 6
    importing = [line for line in run.stderr.splitlines()
                 if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == "kotodoc.run._steps"]
    assert len(importing) == 2, importing



def test_dates_read_as_babel_writes_them() -> None:
    """This test ensures that the documents' dates, written out without Babel's pattern machinery
    (10 µs a date, some 30 a plan), read as Babel's `format_date` with the documents' patterns writes
    them: `5.5.2025` in fi and sv, `5 May 2025` in en, over every 97th day of the calendar and eight
    years of days."""
    days = [dt.date(1, 1, 1) + dt.timedelta(days=n) for n in range(0, 3_652_059, 97)]
    days += [dt.date(2020, 1, 1) + dt.timedelta(days=n) for n in range(3000)]
    for lang, pattern in (("fi", "d.M.yyyy"), ("sv", "d.M.yyyy"), ("en", "d MMMM yyyy")):
        f = Formatter(lang)
        wrong = [d for d in days if f.date(d) != format_date(d, pattern, locale=f.locale)]
        assert not wrong, (lang, wrong[:3], [f.date(d) for d in wrong[:3]])
    assert Formatter("sv").date(dt.date(2025, 5, 5)) == "5.5.2025"
    assert Formatter("en").date(dt.date(2025, 5, 5)) == "5 May 2025"


def test_numbers_read_as_babel_writes_them_when_asked_again() -> None:
    """This test ensures that a number the formatter has written before (it keeps them: the same hours
    and years come back in every plan) reads as Babel writes it, each spelling on its own (12.5 and
    12.50, 3 and 3.0)."""
    values: list[Decimal | int] = [*range(-5, 250), *(Decimal(n) / 4 for n in range(-8, 400))]
    values += [Decimal("12.50"), Decimal("12.5"), Decimal("3.0"), Decimal("1234567.891"), Decimal("0.0001")]
    for lang in ("fi", "sv", "en"):
        f = Formatter(lang)
        for _ in range(2):
            wrong = [v for v in values if f.number(v) != format_decimal(v, locale=f.locale)]
            assert not wrong, (lang, wrong[:3])
