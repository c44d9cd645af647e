"""Bilingual documents: two complete language versions in one DOCX and one PDF (issue 7, point 1).

The documents are rendered by the real pipeline and LibreOffice, and compared with the same case
rendered in each language alone: the bilingual document must hold exactly both, in order.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.context import Formatter
from kotodoc.errors import UsageError
from kotodoc.run import editions

from .conftest import ESPOO, ROOT, docx_body_text, norm

CLAIM = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
PAIRS = ["fi+sv", "sv+fi", "fi+en", "sv+en"]
PAGE = {"fi": "Sivu", "sv": "Sida", "en": "Page"}  # the footer's word, from tools/template-text.yaml
TITLE = {"integration-plan": "integration_plan", "no-show-notice": "no_show_fee_notice",
         "interpretation-claim": "interpretation_claim"}
runner = CliRunner()


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The Espoo plan and its no-show notice in the four pairs, and the claim in sv+en, in one run;
    the same plan, notice and claim alone in each language as DOCX, to compare with."""
    out = tmp_path_factory.mktemp("bilingual")
    reports = kotodoc.render([ESPOO], out / "pairs", languages=PAIRS)
    reports += kotodoc.render([CLAIM], out / "pairs", languages=["sv+en"])
    singles = kotodoc.render([ESPOO, CLAIM], out / "singles", languages=["fi", "sv", "en"], formats=("docx",))
    for report in (*reports, *singles):
        assert report.status == "done", [str(f) for f in report.errors] + report.failures
    return {"out": out, "pairs": reports, "singles": singles}


def single(bundle: dict[str, Any], stem: str) -> Path:
    path = bundle["out"] / "singles" / f"{stem}.docx"
    assert path.is_file(), path
    return path


def documents_of(bundle: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(stem without languages, kind, languages) of every bilingual document rendered."""
    found = []
    for report in bundle["pairs"]:
        for path in report.outputs:
            if path.suffix == ".docx":
                base, edition = path.stem.rsplit(".", 1)
                kind = "no-show-notice" if ".no-show-notice." in base else report.kind
                found.append((base, kind, tuple(edition.split("+"))))
    return found


@pytest.mark.soffice
def test_one_docx_and_one_pdf_per_pair_for_plans_notices_and_claims(bilingual: dict[str, Any]) -> None:
    """This test ensures that each pair gives one DOCX and one PDF, for plans, notices and claims alike."""
    names = sorted(p.name for r in bilingual["pairs"] for p in r.outputs)
    expected = sorted(
        [f"ESP-2025-0217.{kind}.{pair}.{suffix}" for kind in ("integration-plan", "no-show-notice.2025-06-11")
         for pair in PAIRS for suffix in ("docx", "pdf")]
        + [f"ESP-KEHA-2025-H1.interpretation-claim.sv+en.{s}" for s in ("docx", "pdf")]
        + ["ESP-KEHA-2025-H1.interpretation-claim.csv"]
    )
    assert names == expected


@pytest.mark.soffice
def test_the_docx_holds_both_complete_versions_in_order(bilingual: dict[str, Any]) -> None:
    """This test ensures that a bilingual DOCX's body is exactly the first language's document followed by
    the second's: nothing lost, nothing repeated, in the order given."""
    docs = documents_of(bilingual)
    assert len(docs) == 9
    for base, _, (first, second) in docs:
        joined = docx_body_text(bilingual["out"] / "pairs" / f"{base}.{first}+{second}.docx")
        alone = [docx_body_text(single(bilingual, f"{base}.{lang}")) for lang in (first, second)]
        assert joined == norm(" ".join(alone)), base


@pytest.mark.soffice
def test_each_version_has_its_own_language_header_and_footer(bilingual: dict[str, Any]) -> None:
    """This test ensures that the second version keeps its own header and footer (not the first's) and
    that its text is marked with its own language for hyphenation and the tagged PDF."""
    for base, _, (first, second) in docs_in(bilingual):
        path = bilingual["out"] / "pairs" / f"{base}.{first}+{second}.docx"
        with zipfile.ZipFile(path) as z:
            document = z.read("word/document.xml").decode()
            footers = [z.read(n).decode() for n in z.namelist() if re.fullmatch(r"word/footer\d+\.xml", n)]
        # Two sections: the first closed by a paragraph's sectPr, the last one the body's.
        assert document.count("<w:sectPr") == 2
        assert any(PAGE[first] in f for f in footers) and any(PAGE[second] in f for f in footers)
        tag = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}[second]
        second_half = document[document.index("</w:sectPr></w:pPr>"):]
        assert f'w:lang w:val="{tag}"' in second_half


def docs_in(bundle: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    return documents_of(bundle)


@pytest.mark.soffice
def test_the_pdf_starts_each_version_on_a_new_page_with_both_in_the_outline(bilingual: dict[str, Any]) -> None:
    """This test ensures that the PDF's outline has one entry per version, titled in its language, that the
    second version starts on a page of its own (no text of the first on it), and that every page's footer
    is in the language of the version it belongs to."""
    for base, kind, (first, second) in documents_of(bilingual):
        reader = PdfReader(bilingual["out"] / "pairs" / f"{base}.{first}+{second}.pdf")
        top = [entry for entry in reader.outline if not isinstance(entry, list)]
        titles = [Formatter(lang).terms[TITLE[kind]] for lang in (first, second)]
        assert [norm(e.title).lower() for e in top] == [t.lower() for t in titles], base
        start = reader.get_destination_page_number(top[1])
        assert reader.get_destination_page_number(top[0]) == 0 and 0 < start < len(reader.pages)
        pages = [norm(p.extract_text() or "") for p in reader.pages]
        assert titles[0].lower() not in pages[start].lower()
        assert titles[1].lower() in pages[start].lower()
        for n, text in enumerate(pages):
            lang = first if n < start else second
            assert f"{PAGE[lang]} {n + 1} / {len(pages)}" in text, (base, n)
        assert reader.metadata is not None and reader.metadata.title == " / ".join(
            t[:1].upper() + t[1:] for t in titles)
        assert reader.trailer["/Root"]["/Lang"] == {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}[first]


def test_language_editions_are_parsed_and_checked() -> None:
    """This test ensures that "fi,sv" means two documents, "fi+sv" one bilingual document, and that an
    unknown language or a pair of the same language is a usage error."""
    assert editions(["fi", "sv"]) == [("fi",), ("sv",)]
    assert editions(["fi+sv", "en"]) == [("fi", "sv"), ("en",)]
    for bad in (["fi+fi"], ["fi+de"], ["fi+sv+en"]):
        with pytest.raises(UsageError):
            editions(bad)


def test_the_cli_takes_a_pair_and_a_case_with_two_languages_is_bilingual(tmp_path: Path) -> None:
    """This test ensures that `--lang sv+fi` and a case's own `languages: [sv, fi]` each give one
    bilingual DOCX, and that `--lang fi+fi` is refused with exit 2 and no traceback."""
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path / "a"), "--format", "docx",
                                 "--lang", "sv+fi"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "ESP-2025-0217.integration-plan.sv+fi.docx", "ESP-2025-0217.no-show-notice.2025-06-11.sv+fi.docx"]
    case = tmp_path / "case.yaml"
    case.write_text(ESPOO.read_text(encoding="utf-8").replace("languages: [fi]", "languages: [sv, fi]"),
                    encoding="utf-8")
    result = runner.invoke(app, ["render", str(case), "-o", str(tmp_path / "b"), "--format", "docx"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "b" / "ESP-2025-0217.integration-plan.sv+fi.docx").is_file()
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path / "c"), "--lang", "fi+fi"])
    assert result.exit_code == 2
    assert "two different languages" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "c").exists()
