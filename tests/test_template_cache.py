"""The prepared templates' cache (`KOTODOC_CACHE`): reused only while the template's bytes are the same,
and only from a folder and entries that are the user's own, closed to others and intact.

Each run here is a process of its own (`python -m kotodoc`), as a real run is: a process keeps the
templates it compiled in memory, so only a new process shows what the cache on disk gives it. The
documents are read back. An entry is forged the way someone who could write to the folder would
forge it (a valid entry saying something else) to show that such an entry is used when the
folder and entry are the user's own, and refused otherwise.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app

from .conftest import ROOT, docx_text

CASE = ROOT / "samples" / "helsinki-later-plan-fi.yaml"  # an integration plan, without notices
ONE, TWO, FORGED = "CACHEMARK-ONE", "CACHEMARK-TWO", "CACHEFORGED-1"  # the same length
SV = "Uppgifter om kunden"  # a heading of the Swedish integration plan, replaced by the marks


def _template(target: Path, lang: str, mark: str) -> None:
    """The built-in integration plan of `lang`, its first heading replaced by `mark`, stored uncompressed.

    Stored, so that the same template with another mark of the same length has the same size.
    """
    heading = {"fi": "Asiakkaan tiedot", "sv": SV}[lang]
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(ROOT / "templates" / lang / "integration-plan.docx") as src, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                assert data.count(f">{heading}<".encode()) == 1
                data = data.replace(f">{heading}<".encode(), f">{mark}<".encode())
            dst.writestr(zipfile.ZipInfo(info.filename, info.date_time), data)


def _render(out: Path, templates: Path, *, lang: str = "fi+sv", **env: str) -> str:
    """Render the plan to DOCX in a process of its own; the text of the document, read back."""
    run = subprocess.run([sys.executable, "-m", "kotodoc", "render", str(CASE), "-o", str(out), "--format", "docx",
                          "--lang", lang, "--templates", str(templates), "-q"],
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    (docx,) = out.glob("*.docx")
    return docx_text(docx)


def _cache() -> Path:
    return Path(os.environ["KOTODOC_CACHE"])


def _entries() -> list[Path]:
    return sorted(_cache().glob("*.template"))


def _forge(entry: Path, old: str, new: str, *, digest: bool = True) -> None:
    """Change the text `old` to `new` in an entry, in place; with `digest`, the entry's digest made to match.

    An entry is a line of magic, the SHA-256 of its body, and the body (the Jinja source and code).
    """
    data = entry.read_bytes()
    start = data.index(b"\n") + 1
    body = data[start + 32:].replace(old.encode(), new.encode())
    assert body != data[start + 32:]
    check = hashlib.sha256(body).digest() if digest else data[start:start + 32]
    with entry.open("r+b") as fh:  # in place: the file keeps its owner and mode
        fh.write(data[:start] + check + body)


def test_a_template_edited_between_runs_is_prepared_again(tmp_path: Path) -> None:
    """This test ensures that a bilingual plan's second template, edited between two runs (same size,
    its old time of change put back), is prepared again: the new text is in the document, the old
    is not; the cache is created owner-only, one entry a prepared template."""
    templates = tmp_path / "templates"
    _template(templates / "sv" / "integration-plan.docx", "sv", ONE)
    text = _render(tmp_path / "one", templates)
    assert ONE in text and "Asiakkaan tiedot" in text
    (entry,) = _entries()
    assert _cache().stat().st_mode & 0o777 == 0o700 and entry.stat().st_mode & 0o777 == 0o600

    template = templates / "sv" / "integration-plan.docx"
    before = template.stat()
    _template(template, "sv", TWO)
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert template.stat().st_size == before.st_size and template.stat().st_mtime_ns == before.st_mtime_ns
    text = _render(tmp_path / "two", templates)
    assert TWO in text and ONE not in text
    assert len(_entries()) == 2


def test_a_template_edited_in_place_is_read_again_by_a_process_that_rendered_it(tmp_path: Path) -> None:
    """This test ensures that a process that has rendered from a template (a batch worker, `kotodoc
    serve`) renders from its new bytes once it is edited in place (same size, its old time of change
    put back), although it no longer reads and hashes a settled template for each document."""
    templates = tmp_path / "templates"
    template = templates / "fi" / "integration-plan.docx"
    _template(template, "fi", ONE)
    time.sleep(2.5)  # settled: a file changed in the last two seconds is read for each document
    for n in range(2):
        (report,) = kotodoc.render([CASE], tmp_path / f"one-{n}", formats=["docx"], languages=["fi"],
                                   templates=templates)
        assert ONE in docx_text(report.outputs[0])
    before = template.stat()
    _template(template, "fi", TWO)
    os.utime(template, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert template.stat().st_ino == before.st_ino and template.stat().st_size == before.st_size
    (report,) = kotodoc.render([CASE], tmp_path / "two", formats=["docx"], languages=["fi"], templates=templates)
    text = docx_text(report.outputs[0])
    assert TWO in text and ONE not in text


def test_an_entry_is_used_only_if_it_is_the_users_own_and_closed_to_others(tmp_path: Path) -> None:
    """This test ensures that a valid entry is used from the user's own folder (a forged one shows
    its forged text), and that the same entry is not used when the group or others can write it,
    when it belongs to another user, or when its folder is writable by others; a refused entry is
    replaced by a fresh one, and nothing is written into a folder others can write."""
    templates = tmp_path / "templates"
    _template(templates / "fi" / "integration-plan.docx", "fi", ONE)
    assert ONE in _render(tmp_path / "first", templates, lang="fi")
    (entry,) = _entries()

    _forge(entry, ONE, FORGED)
    assert FORGED in _render(tmp_path / "forged", templates, lang="fi")  # the user's own entry is trusted

    entry.chmod(0o620)
    text = _render(tmp_path / "group", templates, lang="fi")
    assert ONE in text and FORGED not in text
    assert entry.stat().st_mode & 0o777 == 0o600 and FORGED.encode() not in entry.read_bytes()  # replaced

    _forge(entry, ONE, FORGED)
    entry.chmod(0o602)
    assert FORGED not in _render(tmp_path / "world", templates, lang="fi")

    _forge(entry, ONE, FORGED)
    os.chown(entry, 4242, -1)  # the tests run as root (see test_faults), which may give a file away
    text = _render(tmp_path / "other-user", templates, lang="fi")
    assert ONE in text and FORGED not in text
    assert entry.stat().st_uid == os.geteuid()

    _forge(entry, ONE, FORGED)
    _cache().chmod(0o770)
    text = _render(tmp_path / "open-folder", templates, lang="fi")
    assert ONE in text and FORGED not in text
    assert FORGED.encode() in entry.read_bytes() and _entries() == [entry]  # the folder was left alone


def test_a_damaged_or_misplaced_entry_is_not_used_and_the_document_is_still_right(tmp_path: Path) -> None:
    """This test ensures that an entry whose bytes were changed (its digest no longer matching), one
    cut short, and another template's intact entry put in its place are passed over: the document
    is the same as from a fresh preparation, and the entry is replaced."""
    templates = tmp_path / "templates"
    _template(templates / "sv" / "integration-plan.docx", "sv", ONE)
    fresh = _render(tmp_path / "fresh", templates)
    (entry,) = _entries()
    _forge(entry, ONE, FORGED, digest=False)
    assert _render(tmp_path / "damaged", templates) == fresh
    assert FORGED.encode() not in entry.read_bytes()
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short
    assert _render(tmp_path / "short", templates) == fresh

    _template(templates / "sv" / "integration-plan.docx", "sv", TWO)
    assert TWO in _render(tmp_path / "two", templates)
    (other,) = set(_entries()) - {entry}
    other.write_bytes(entry.read_bytes())  # the first template's entry under the second's name
    text = _render(tmp_path / "misplaced", templates)
    assert TWO in text and ONE not in text


def test_with_the_cache_off_nothing_is_written_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that with KOTODOC_CACHE=off a batch with two workers renders its documents
    and writes nothing into the user's cache folder (XDG_CACHE_HOME here)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    templates = tmp_path / "templates"
    _template(templates / "sv" / "integration-plan.docx", "sv", ONE)
    run = subprocess.run([sys.executable, "-m", "kotodoc", "batch", str(CASE), str(ROOT / "samples" / "family-en.yaml"),
                          "-o", str(tmp_path / "out"), "--format", "docx", "--lang", "fi+sv", "--templates",
                          str(templates), "--jobs", "2", "-q"],
                         env={**os.environ, "KOTODOC_CACHE": "off"}, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "out").glob("*.docx"))) == 2
    assert ONE in docx_text(next((tmp_path / "out").glob("*integration-plan*.docx")))
    assert not (tmp_path / "xdg").exists() and not _cache().exists()


def test_the_cache_folder_follows_the_environment(tmp_path: Path) -> None:
    """This test ensures that the cache is `$XDG_CACHE_HOME/kotodoc/templates`, else under `~/.cache`
    (a relative XDG_CACHE_HOME ignored), or the folder KOTODOC_CACHE names, or off; anything else
    is a usage error (exit 2) naming the variable."""
    folder = kotodoc.RunOptions.make
    assert folder(environ={"XDG_CACHE_HOME": "/c", "HOME": "/h"}).template_cache == Path("/c/kotodoc/templates")
    assert folder(environ={"XDG_CACHE_HOME": "c", "HOME": "/h"}).template_cache == Path("/h/.cache/kotodoc/templates")
    assert folder(environ={"HOME": "/h", "KOTODOC_CACHE": "on"}).template_cache == Path("/h/.cache/kotodoc/templates")
    assert folder(environ={"HOME": "/h", "KOTODOC_CACHE": "/srv/c"}).template_cache == Path("/srv/c")
    assert folder(environ={"HOME": "/h", "KOTODOC_CACHE": "OFF"}).template_cache is None
    result = CliRunner().invoke(app, ["render", str(CASE), "-o", str(tmp_path), "--format", "docx"],
                                env={"KOTODOC_CACHE": "cache"})
    assert result.exit_code == 2 and "KOTODOC_CACHE" in result.output


def test_a_documents_zip_is_what_zipfile_writes(tmp_path: Path) -> None:
    """This test ensures that the DOCX archive, written with the template's unchanged parts deflated
    once, is byte for byte what zipfile writes for the same entries (deflated, fixed times, 0600):
    a bilingual plan with the municipality's logo, rendered twice in one process."""
    case = ROOT / "samples" / "municipality" / "cases" / "esimerkkila-fi-sv.yaml"
    logo = (ROOT / "samples" / "municipality" / "logo.png").read_bytes()
    for n in (1, 2):
        result = CliRunner().invoke(app, ["render", str(case), "-o", str(tmp_path / str(n)), "--format", "docx",
                                          "--templates", str(ROOT / "samples" / "municipality")])
        assert result.exit_code == 0, result.output
    for docx in sorted(tmp_path.glob("*/*.docx")):
        ours = docx.read_bytes()
        again = tmp_path / "again.zip"
        with zipfile.ZipFile(docx) as src, zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED) as dst:
            assert any(info.filename == "word/styles.xml" for info in src.infolist())
            # The rendered parts are the rendered ones, the logo the municipality's, not the template's.
            assert b"{{" not in src.read("word/document.xml") and b"{%" not in src.read("word/document.xml")
            assert logo in [src.read(n) for n in src.namelist() if n.startswith("word/media/")]
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o600 << 16
                dst.writestr(entry, src.read(info.filename))
        assert again.read_bytes() == ours, docx.name
