"""`kotodoc batch`: every case ends done, invalid or failed; reruns, shards, reproducible files,
the bundle, and the supervision of LibreOffice (a hang, a crash, restarts) with a stand-in soffice
that hands out real PDFs made by the real LibreOffice."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.errors import UsageError
from kotodoc.pdf import read_facts
from kotodoc.run import MANIFEST, find_cases, in_shard, parse_shard
from tests.conftest import ROOT, SAMPLES, VAASA

runner = CliRunner()


def copies(folder: Path, ids: list[str], source: Path = VAASA) -> list[Path]:
    """Copies of a sample under other case ids (output names come from the case id).

    The Vaasa plan has no missed appointment, so each case gives exactly one document a language.
    """
    folder.mkdir(parents=True, exist_ok=True)
    text = source.read_text(encoding="utf-8")
    original = next(line for line in text.splitlines() if line.startswith("case_id:"))
    paths = []
    for case_id in ids:
        path = folder / f"{case_id.lower()}.yaml"
        path.write_text(text.replace(original, f"case_id: {case_id}"), encoding="utf-8")
        paths.append(path)
    return paths


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(out: Path) -> list[str]:
    """Hidden working files or directories left in an output directory (the manifest is expected)."""
    return [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != MANIFEST]


# ---------------------------------------------------------------------------------------------
# Finding cases, shards


def test_find_cases_folders_globs_files(tmp_path: Path) -> None:
    """This test ensures that folders, globs and files are found once each, sorted, hidden ones left out."""
    a, b = copies(tmp_path / "cases", ["A-1", "B-2"])
    (tmp_path / "cases" / "sub").mkdir()
    c = copies(tmp_path / "cases" / "sub", ["C-3"])[0]
    (tmp_path / "cases" / ".hidden").mkdir()
    copies(tmp_path / "cases" / ".hidden", ["H-1"])
    (tmp_path / "cases" / "notes.txt").write_text("not a case")
    found = find_cases([tmp_path / "cases", str(tmp_path / "cases" / "*.yaml"), a])
    assert found == sorted([a, b, c], key=lambda p: p.as_posix())
    with pytest.raises(UsageError, match="no such case file"):
        find_cases([tmp_path / "missing"])


def test_shards_split_without_overlap() -> None:
    """This test ensures that --shard I/N puts every case in exactly one shard, the same one every time."""
    paths = [Path(f"cases/case-{i:04d}.yaml") for i in range(300)]
    shards = [[p for p in paths if in_shard(p, (i, 3))] for i in (1, 2, 3)]
    assert sorted(p for s in shards for p in s) == sorted(paths)
    assert all(60 < len(s) < 140 for s in shards), [len(s) for s in shards]
    # Adding a case moves no other case to another shard.
    assert [p for p in paths if in_shard(p, (2, 3))] == shards[1]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(UsageError):
            parse_shard(bad)


# ---------------------------------------------------------------------------------------------
# DOCX-only batches: statuses, report, manifest, reruns


def test_every_case_ends_done_invalid_or_failed(tmp_path: Path) -> None:
    """This test ensures that valid cases are done, an invalid one and a duplicate case id are
    reported, and the report's sha256 matches each file."""
    cases = copies(tmp_path / "cases", ["OK-1", "OK-2"])
    bad = tmp_path / "cases" / "bad.yaml"
    bad.write_text(VAASA.read_text(encoding="utf-8").replace("  family_name: Dela Cruz", "  family_nme: Dela Cruz"))
    dup = copies(tmp_path / "cases" / "z", ["OK-1"])[0]
    out = tmp_path / "out"
    result = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=2)
    by_file = {c.file: c for c in result.cases}
    assert [by_file[p].status for p in cases] == ["done", "done"]
    assert by_file[bad].status == "invalid" and "person.family_nme" in [e.path for e in by_file[bad].errors]
    assert by_file[dup].status == "failed" and "also used by" in by_file[dup].failures[0]
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".docx") == [
        "OK-1.integration-plan.sv.docx", "OK-2.integration-plan.sv.docx"]
    data = result.as_dict()
    assert data["summary"] | {"seconds": 0} == data["summary"] | {
        "cases": 4, "done": 2, "invalid": 1, "failed": 1, "documents": 2, "seconds": 0}
    for case in data["cases"]:
        for output in case["outputs"]:
            assert sha256(Path(output["path"])) == output["sha256"]
    assert not leftovers(out)
    assert all(p.stat().st_mode & 0o077 == 0 for p in out.iterdir())
    assert out.stat().st_mode & 0o777 == 0o700, "a directory kotodoc creates is the owner's only"


def test_render_creates_private_directories(tmp_path: Path) -> None:
    """This test ensures that `render` creates missing output directories readable by the owner only,
    and leaves the mode of an existing one alone."""
    nested = tmp_path / "a" / "b"
    [report] = kotodoc.render([VAASA], nested, formats=["docx"])
    assert report.status == "done"
    assert [d.stat().st_mode & 0o777 for d in (tmp_path / "a", nested)] == [0o700, 0o700]
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    kotodoc.render([VAASA], shared, formats=["docx"])
    assert shared.stat().st_mode & 0o777 == 0o755


def test_rerun_skips_unchanged_and_redoes_changed(tmp_path: Path) -> None:
    """This test ensures that the manifest lets a rerun skip unchanged cases, redo a changed one
    or one whose output was damaged, and that --force redoes all."""
    a, b, c = copies(tmp_path / "cases", ["R-1", "R-2", "R-3"])
    out = tmp_path / "out"
    first = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=1)
    assert first.count("done") == 3 and first.reused == 0
    again = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=1)
    assert again.reused == 3 and all(c.reused for c in again.cases)
    b.write_text(b.read_text(encoding="utf-8").replace("Dela Cruz", "Dela Kruz"), encoding="utf-8")
    (out / "R-3.integration-plan.sv.docx").write_bytes(b"damaged")
    third = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=1)
    assert {c.file.name: c.reused for c in third.cases} == {a.name: True, b.name: False, c.name: False}
    assert (out / "R-3.integration-plan.sv.docx").read_bytes()[:2] == b"PK"
    forced = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=1, force=True)
    assert forced.reused == 0 and forced.count("done") == 3
    # A different option (another language) is another set of documents, not a rerun.
    finnish = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], languages=["fi"], jobs=1)
    assert finnish.reused == 0
    entries = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    assert len(entries) == 3 and all(e["case_id"].startswith("R-") for e in entries)


def test_the_manifest_is_synced_once_at_the_end_not_for_every_case(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a batch flushes its manifest to the disk at its end, not once a case.

    A sync a case cost 3–5 ms in the thread that feeds the workers; the documents a line names are
    not synced either, and a rerun checks them, so a line lost when the machine goes down only
    means a case redone. The lines are in the file as cases end (a killed batch keeps them).
    """
    copies(tmp_path / "cases", [f"S-{n}" for n in range(6)])
    out = tmp_path / "out"
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    report = kotodoc.batch([tmp_path / "cases"], out, formats=["docx"], jobs=1)
    assert report.count("done") == 6
    manifest = str((out / MANIFEST).resolve())
    assert synced.count(manifest) in (1, 2)  # at most one a second while running, and one at the end
    assert synced[-1] == manifest
    assert len((out / MANIFEST).read_text().splitlines()) == 6


def test_cli_batch_exit_codes_and_report(tmp_path: Path) -> None:
    """This test ensures that `kotodoc batch` exits 0, 1 or 2 as documented, writes --report, and
    draws no progress bar when its output is not a terminal."""
    copies(tmp_path / "cases", ["C-1"])
    out, report = tmp_path / "out", tmp_path / "report.json"
    ok = runner.invoke(app, ["batch", str(tmp_path / "cases"), "-o", str(out), "--format", "docx",
                             "--report", str(report)])
    assert ok.exit_code == 0, ok.stderr
    assert "1 case(s): 1 done" in ok.stderr and "rendering" not in ok.stderr
    assert json.loads(report.read_text())["cases"][0]["status"] == "done"
    (tmp_path / "cases" / "broken.yaml").write_text("kotodoc: 1\nkind: [oops\n")
    bad = runner.invoke(app, ["batch", str(tmp_path / "cases"), "-o", str(out), "--format", "docx", "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["summary"] | {"seconds": 0} == json.loads(bad.stdout)["summary"] | {
        "done": 1, "invalid": 1, "reused": 1, "seconds": 0}
    assert "Traceback" not in bad.stderr + bad.stdout
    usage = runner.invoke(app, ["batch", str(tmp_path / "cases"), "-o", str(out), "--shard", "4/3"])
    assert usage.exit_code == 2


# ---------------------------------------------------------------------------------------------
# With the real LibreOffice: reproducible PDFs and the bundle


@pytest.mark.soffice
def test_source_date_epoch_gives_identical_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that with SOURCE_DATE_EPOCH two runs give byte-identical DOCX and PDF files,
    whose PDF/A identity, info and XMP dates agree, and a bundle with odd-page starts."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01T00:00:00Z
    cases = [*SAMPLES[:2], *copies(tmp_path / "cases", ["PIN-1"])]
    first = kotodoc.batch(cases, tmp_path / "one", jobs=2, bundle=tmp_path / "one" / "bundle.pdf")
    second = kotodoc.batch(cases, tmp_path / "two", jobs=2, force=True)
    assert first.count("done") == second.count("done") == 3
    names = sorted(p.name for c in first.cases for p in c.outputs)
    assert any(n.endswith(".pdf") for n in names)
    for name in names:
        assert sha256(tmp_path / "one" / name) == sha256(tmp_path / "two" / name), name
    pdf = next(p for c in first.cases for p in c.outputs if p.suffix == ".pdf")
    reader = PdfReader(pdf, strict=True)
    assert reader.metadata["/CreationDate"].startswith("D:20250101000000")
    assert str(reader.xmp_metadata.xmp_create_date).startswith("2025-01-01 00:00:00")
    assert read_facts(pdf).pdfa == "2B"

    bundle = PdfReader(tmp_path / "one" / "bundle.pdf")
    pdfs = [p for c in first.cases for p in c.outputs if p.suffix == ".pdf"]
    assert [o.title for o in bundle.outline] == [p.stem for p in pdfs]
    starts = [bundle.get_destination_page_number(o) for o in bundle.outline]
    assert all(s % 2 == 0 for s in starts), "each document starts on an odd (front) page"
    pages = [len(PdfReader(p).pages) for p in pdfs]
    assert len(bundle.pages) == sum(n + n % 2 for n in pages)


# ---------------------------------------------------------------------------------------------
# Supervision, with a stand-in soffice


FAKE_SOFFICE = """#!{python}
# Stands in for soffice: hands out a real PDF made earlier for each file, hangs on a file whose
# name holds HANG, skips (writes nothing for) one holding SKIP, and logs each start.
import os, shutil, sys, time
args = sys.argv[1:]
out = args[args.index("--outdir") + 1]
files = [a for a in args if a.endswith(".docx")]
with open({log!r}, "a") as log:
    log.write(f"{{os.getpid()}} {{len(files)}}\\n")
for f in files:
    stem = os.path.basename(f)[:-5]
    if "HANG" in stem:
        time.sleep(3600)
    if "SKIP" in stem:
        continue
    real = os.path.join({cache!r}, stem.split(".", 1)[1] + ".pdf")
    shutil.copy(real, os.path.join(out, stem + ".pdf"))
"""


@pytest.fixture(scope="module")
def real_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one real PDF of the Vaasa plan, made by the real LibreOffice."""
    folder = tmp_path_factory.mktemp("real")
    [report] = kotodoc.render([VAASA], folder, formats=["pdf"])
    assert report.status == "done"
    [pdf] = report.outputs
    shutil.copy(pdf, folder / "integration-plan.sv.pdf")
    return folder


def fake_soffice(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "starts.log"
    fake = tmp_path / "soffice"
    fake.write_text(FAKE_SOFFICE.format(python=sys.executable, log=str(log), cache=str(cache)))
    fake.chmod(0o755)
    monkeypatch.setenv("KOTODOC_SOFFICE", str(fake))
    return log


@pytest.mark.soffice
def test_hang_and_skip_are_retried_then_failed_others_done(
    tmp_path: Path, real_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that a document that hangs LibreOffice is killed after the timeout and
    retried once, one that LibreOffice skips is retried once, both end failed, every other case
    is done (including those after the hang), and no stand-in process is left running."""
    log = fake_soffice(tmp_path, real_pdf, monkeypatch)
    # Titles are checked against the PDF: the cases are the Vaasa plan under other ids, and the
    # real PDF made for it carries the right title, author and language.
    ids = ["A-1", "B-HANG", "C-3", "D-SKIP", "E-5", "F-6"]
    cases = copies(tmp_path / "cases", ids)
    out = tmp_path / "out"
    result = kotodoc.batch(cases, out, formats=["pdf"], jobs=1, doc_timeout=2, restart_after=10)
    status = {c.case_id: c.status for c in result.cases}
    assert status == {"A-1": "done", "B-HANG": "failed", "C-3": "done", "D-SKIP": "failed", "E-5": "done",
                      "F-6": "done"}
    failures = {c.case_id: c.failures for c in result.cases if c.failures}
    assert "did not finish it within 2 s (after one retry)" in failures["B-HANG"][0]
    assert "wrote no PDF (after one retry)" in failures["D-SKIP"][0]
    starts = log.read_text().splitlines()
    # The first start hangs on B; then B alone (retry), the rest, D alone (retry).
    assert [int(line.split()[1]) for line in starts] == [6, 1, 4, 1]
    for line in starts:
        pid = int(line.split()[0])
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not leftovers(out)
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".pdf") == [
        f"{i}.integration-plan.sv.pdf" for i in ("A-1", "C-3", "E-5", "F-6")]


@pytest.mark.soffice
def test_restart_after_bounds_documents_per_start(
    tmp_path: Path, real_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that LibreOffice is restarted after --restart-after documents, and that two
    instances share the work."""
    log = fake_soffice(tmp_path, real_pdf, monkeypatch)
    cases = copies(tmp_path / "cases", [f"N-{i}" for i in range(10)])
    result = kotodoc.batch(cases, tmp_path / "out", formats=["pdf"], jobs=2, restart_after=3)
    assert result.count("done") == 10
    sizes = [int(line.split()[1]) for line in log.read_text().splitlines()]
    assert sum(sizes) == 10 and max(sizes) <= 3 and result.libreoffice_starts == len(sizes) >= 4


@pytest.mark.soffice
def test_sigterm_stops_cleanly_and_a_rerun_finishes(
    tmp_path: Path, real_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that SIGTERM mid-batch kills LibreOffice, leaves no working files and no
    half-written document, keeps finished cases in the manifest, and that a rerun finishes the rest."""
    log = fake_soffice(tmp_path, real_pdf, monkeypatch)
    cases = copies(tmp_path / "cases", ["A-1", "B-2", "C-HANG", "D-4"])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "kotodoc", "batch", str(tmp_path / "cases"), "-o", str(out), "--format", "pdf",
           "--jobs", "1", "--timeout", "600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not (out / "B-2.integration-plan.sv.pdf").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and b"interrupted" in stderr and b"Traceback" not in stderr
    for line in log.read_text().splitlines():
        with pytest.raises(ProcessLookupError):
            os.kill(int(line.split()[0]), 0)
    assert not leftovers(out)
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".pdf") == [
        "A-1.integration-plan.sv.pdf", "B-2.integration-plan.sv.pdf"]
    # The rerun, with the hang gone, does only what is left.
    cases[2].rename(tmp_path / "cases" / "c.yaml")
    (tmp_path / "cases" / "c.yaml").write_text(
        (tmp_path / "cases" / "c.yaml").read_text(encoding="utf-8").replace("C-HANG", "C-3"), encoding="utf-8")
    rerun = kotodoc.batch([tmp_path / "cases"], out, formats=["pdf"], jobs=1)
    assert {c.case_id: c.reused for c in rerun.cases} == {"A-1": True, "B-2": True, "C-3": False, "D-4": False}
    assert rerun.count("done") == 4
