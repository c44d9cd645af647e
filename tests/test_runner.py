"""The one runner: `render` and `batch` take every case through the same steps and keep the same promises.

Only the public `kotodoc` API is used here.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

import kotodoc
from kotodoc.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"  # a plan and a no-show notice
VAASA = ROOT / "samples" / "vaasa-employment-sv.yaml"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
            and not p.name.startswith(".")}


@pytest.mark.soffice
def test_two_renders_under_source_date_epoch_are_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that `render`, like `batch`, gives byte-identical DOCX and PDF files from run
    to run under SOURCE_DATE_EPOCH, and the same bytes as `batch` (issue 12: only batch pinned PDFs)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    one = kotodoc.render([ESPOO], tmp_path / "one")
    two = kotodoc.render([str(ESPOO)], str(tmp_path / "two"))  # str paths are accepted too
    assert [r.status for r in one + two] == ["done", "done"]
    first, second = digests(tmp_path / "one"), digests(tmp_path / "two")
    assert {Path(n).suffix for n in first} == {".docx", ".pdf"}
    assert len(first) == 4  # the plan and its notice, DOCX and PDF
    assert first == second
    batched = kotodoc.batch([ESPOO], tmp_path / "batch", jobs=1)
    assert batched.count("done") == 1
    assert digests(tmp_path / "batch") == first
    reader = PdfReader(tmp_path / "one" / "ESP-2025-0217.integration-plan.fi.pdf")
    assert reader.metadata["/CreationDate"].startswith("D:20250615")


def test_render_and_batch_report_the_same_statuses(tmp_path: Path) -> None:
    """This test ensures that a valid, an invalid and a duplicated case end the same in render and
    batch (done, invalid, failed), from one state machine."""
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(VAASA, cases / "a.yaml")
    shutil.copy(VAASA, cases / "b-same-id.yaml")
    (cases / "c-bad.yaml").write_text("kotodoc: 1\nkind: integration-plan\n", encoding="utf-8")
    paths = sorted(cases.iterdir())
    rendered = kotodoc.render(paths, tmp_path / "r", formats=["docx"])
    batched = kotodoc.batch([cases], tmp_path / "b", formats=["docx"], jobs=2)
    assert [r.status for r in rendered] == ["done", "failed", "invalid"]
    assert [r.status for r in batched.cases] == ["done", "failed", "invalid"]
    assert "is also used by" in rendered[1].failures[0]
    assert digests(tmp_path / "r").keys() == digests(tmp_path / "b").keys() == {
        "VAS-TYO-2025-0088.integration-plan.sv.docx"}


def test_languages_are_written_the_same_everywhere(tmp_path: Path) -> None:
    """This test ensures that `fi,sv` means two documents and `fi+sv` one in render and batch alike,
    and that an unknown language is refused before any work."""
    two = kotodoc.render([VAASA], tmp_path / "two", formats=["docx"], languages="fi,sv")
    one = kotodoc.render([VAASA], tmp_path / "one", formats=["docx"], languages=["fi+sv"])
    batch = kotodoc.batch([VAASA], tmp_path / "batch", formats=["docx"], languages="fi+sv", jobs=1)
    assert sorted(p.name for p in two[0].outputs) == ["VAS-TYO-2025-0088.integration-plan.fi.docx",
                                                       "VAS-TYO-2025-0088.integration-plan.sv.docx"]
    assert [p.name for p in one[0].outputs] == ["VAS-TYO-2025-0088.integration-plan.fi+sv.docx"]
    assert [p.name for p in batch.cases[0].outputs] == ["VAS-TYO-2025-0088.integration-plan.fi+sv.docx"]
    for bad in ("de", "fi+fi", "fi+sv+en"):
        with pytest.raises(UsageError):
            kotodoc.render([VAASA], tmp_path / "bad", formats=["docx"], languages=bad)
    assert not (tmp_path / "bad").exists()


def test_run_options_read_the_environment_once() -> None:
    """This test ensures that the run's time stamp comes from SOURCE_DATE_EPOCH when it is set, and that
    a password without PDF-only output is refused when the options are made."""
    pinned = kotodoc.RunOptions.make(environ={"SOURCE_DATE_EPOCH": "1735689600"})
    assert pinned.pinned and pinned.stamp.isoformat() == "2025-01-01T00:00:00"
    assert not kotodoc.RunOptions.make(environ={}).pinned
    with pytest.raises(UsageError, match="encryption needs --format pdf"):
        kotodoc.RunOptions.make(password="secret")
