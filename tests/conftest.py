"""Shared fixtures: the samples rendered once per session by the real pipeline and LibreOffice."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from docx.table import Table
from pypdf import PdfReader

import kotodoc
from kotodoc.load import load_case
from kotodoc.model import Case, build_case

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
STRESS = ROOT / "tests" / "cases" / "stress-fi.yaml"


def read_case(path: Path) -> Case:
    """A validated case, for comparing documents with their source."""
    return build_case(load_case(path))


def norm(text: str) -> str:
    """Fold every kind of space (incl. U+00A0 and U+202F from CLDR) and line breaks to one space."""
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\s\u00a0\u202f\u2009]+", " ", text).strip()


def docx_text(path: Path) -> str:
    """All text of a DOCX: body paragraphs, tables, headers and footers, read with python-docx."""
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return norm("\n".join(parts))


def docx_body_text(path: Path) -> str:
    """The body of a DOCX in reading order, paragraphs and table cells interleaved as on the page."""
    parts: list[str] = []
    for block in Document(str(path)).iter_inner_content():
        if isinstance(block, Table):
            parts.extend(cell.text for row in block.rows for cell in row.cells)
        else:
            parts.append(block.text)
    return norm("\n".join(parts))


def pdf_text(path: Path) -> str:
    """All text of a PDF, read with pypdf; a word hyphenated at a line end ("single-/parent") joined."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return norm(re.sub(r"-[ ]*\n\s*(?=\w)", "-", text))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, kotodoc.CaseReport]:
    """Every sample and the stress case, rendered to DOCX and PDF in one LibreOffice run."""
    out = tmp_path_factory.mktemp("rendered")
    reports = kotodoc.render([*SAMPLES, STRESS], out)
    return {r.case_id or str(r.file): r for r in reports}


@pytest.fixture(scope="session")
def rendered_all_languages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[kotodoc.CaseReport]]:
    """Every sample in all three languages (the case's own choice replaced)."""
    out = tmp_path_factory.mktemp("languages")
    return out, kotodoc.render(SAMPLES, out, languages=["fi", "sv", "en"])

ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"
VAASA = ROOT / "samples" / "vaasa-employment-sv.yaml"


# ---------------------------------------------------------------------------------------------
# The soffice marker is enforced, not remembered: a test without it gets a stand-in LibreOffice
# that fails loudly, so `pytest -m "not soffice"` never starts the real one by accident, and a
# test that needs it cannot hide in the fast part.

NO_SOFFICE = """#!/bin/sh
echo "kotodoc tests: this test runs LibreOffice but is not marked @pytest.mark.soffice" >&2
exit 3
"""


@pytest.fixture(scope="session")
def _no_soffice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    guard = tmp_path_factory.mktemp("no-soffice") / "soffice"
    guard.write_text(NO_SOFFICE)
    guard.chmod(0o755)
    return guard


@pytest.fixture(autouse=True)
def _soffice_needs_its_marker(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, _no_soffice: Path
) -> None:
    if request.node.get_closest_marker("soffice") is None:
        monkeypatch.setenv("KOTODOC_SOFFICE", str(_no_soffice))


# ---------------------------------------------------------------------------------------------
# The prepared templates' cache (KOTODOC_CACHE) is never the user's real one, and no test finds
# what another left there: the session's fixtures get one folder, and each test a folder of its own.


@pytest.fixture(scope="session", autouse=True)
def _session_template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOTODOC_CACHE", str(tmp_path_factory.mktemp("template-cache") / "templates"))
        yield


@pytest.fixture(autouse=True)
def _template_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOTODOC_CACHE", str(tmp_path_factory.mktemp("template-cache") / "templates"))
