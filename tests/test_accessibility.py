"""Accessible and print-perfect documents (issue 17): PDF/UA-1 with PDF/A-2b, read back from the PDF.

Every kind in fi, sv and en, the stress case (long names, Arabic script), a bilingual built-in
plan, the sample municipality's bilingual plan (its own template, its logo) and a family of eight
are rendered by the real pipeline and LibreOffice once; each PDF's structure tree and the
positions of its text are then read with pypdf. What only a full validator (veraPDF) checks is
listed in the README's "Accessibility" section.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from page import ValidationProfile, validate_pdf
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from ruamel.yaml import YAML

import kotodoc

from .conftest import ESPOO, ROOT, SAMPLES, STRESS, docx_text
from .test_family import family_of_eight

pytestmark = pytest.mark.soffice

CLAIM = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
MUNICIPALITY = ROOT / "samples" / "municipality"
PAGE = {"fi": "Sivu", "sv": "Sida", "en": "Page"}  # the footer's word, from tools/template-text.yaml
INTERPRETER = {"fi": "Tulkkina toimi", "sv": "Tolk", "en": "Interpreter"}
CUSTOMER = {"fi": "Asiakkaan allekirjoitus", "sv": "Kundens underskrift", "en": "Customer's signature"}
SIGNATURES = {"fi": "Allekirjoitukset", "sv": "Underskrifter", "en": "Signatures"}
BCP47 = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}
GAP = 2.0  # points of white required between body text and the header's or footer's text
# The page's furniture: artifacts in the top and bottom margins (2.4 cm of an A4 page, 842 pt
# high). Other artifacts, such as a table's header row repeated on the next page, are body.
HEADER_FROM, FOOTER_UNTIL = 842 - 68, 68


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every PDF of the documents listed in the module docstring."""
    out = tmp_path_factory.mktemp("accessibility")
    family = out / "family-of-eight.yaml"
    family.write_text(family_of_eight(), encoding="utf-8")
    both = ["docx", "pdf"]  # the DOCX beside each PDF: the words as written, before any line break
    reports = kotodoc.render([*SAMPLES, CLAIM], out / "all", formats=both, languages=["fi", "sv", "en"])
    reports += kotodoc.render([STRESS, family], out / "own", formats=both)
    reports += kotodoc.render([ESPOO], out / "pair", formats=both, languages=["fi+sv"])
    reports += kotodoc.render(sorted((MUNICIPALITY / "cases").glob("*.yaml")), out / "municipality",
                              formats=both, templates=MUNICIPALITY)
    for report in reports:
        assert report.status == "done", (report.file, report.failures)
    found = [p for r in reports for p in r.outputs if p.suffix == ".pdf"]
    assert len(found) >= 35
    return found


def languages_of(pdf: Path) -> list[str]:
    """The languages of a document, from its name: `X.integration-plan.fi+sv.pdf` -> [fi, sv]."""
    return pdf.stem.rsplit(".", 1)[-1].split("+")


# ---------------------------------------------------------------------------------------------
# The structure tree


@dataclass
class Element:
    """A structure element: its standard type (role map applied), attributes and children."""

    kind: str
    own: str
    node: DictionaryObject
    children: list[Element]

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.walk()


def structure(reader: PdfReader) -> Element:
    """The structure tree of a tagged PDF, each element's type mapped to a standard one."""
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    role_map = root.get("/RoleMap", {})

    def build(node: DictionaryObject) -> Element:
        own = str(node["/S"])
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else ArrayObject()
        items = [k.get_object() for k in (kids if isinstance(kids, ArrayObject) else [kids])]
        children = [build(k) for k in items if isinstance(k, DictionaryObject) and "/S" in k]
        return Element(str(role_map.get(own, own)), own, node, children)

    kids = root["/K"].get_object()
    top = [build(k.get_object()) for k in (kids if isinstance(kids, ArrayObject) else [kids])]
    return Element("/StructTreeRoot", "", root, top)


def attributes(element: Element) -> dict[str, Any]:
    """An element's attributes (/A may be a dictionary or an array of them) merged."""
    found: dict[str, Any] = {}
    a = element.node.get("/A")
    a = a.get_object() if a is not None else None
    for item in a if isinstance(a, ArrayObject) else [a] if a is not None else []:
        found.update(item.get_object())
    return found


def xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def test_every_document_is_identified_as_pdf_ua_1_and_pdf_a_2b(pdfs: list[Path]) -> None:
    """This test ensures that every document says it is PDF/UA-1 and PDF/A-2b (the PDF/UA schema
    described for PDF/A), is marked as tagged, carries its language and shows its title in the
    viewer's title bar."""
    for pdf in pdfs:
        reader = PdfReader(pdf)
        root = reader.trailer["/Root"]
        meta = xmp(reader)
        assert re.search(r"<pdfuaid:part>1</pdfuaid:part>|pdfuaid:part=\"1\"", meta), pdf.name
        assert re.search(r"<pdfaid:part>2</pdfaid:part>", meta) and "<pdfaid:conformance>B<" in meta, pdf.name
        # PDF/A-2 admits the pdfuaid property only with its schema described in the packet.
        assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in meta, pdf.name
        assert bool(root["/MarkInfo"]["/Marked"]), pdf.name
        assert root["/ViewerPreferences"]["/DisplayDocTitle"], pdf.name
        assert str(root["/Lang"]) == BCP47[languages_of(pdf)[0]], pdf.name
        assert str(reader.metadata.get("/Title", "")).strip(), pdf.name


def test_every_table_has_header_cells(pdfs: list[Path]) -> None:
    """This test ensures that every table has header cells (TH), that each row of a label/value
    table (two columns) starts with a header cell, the label, and that a label's scope is its row
    (LibreOffice writes `Column` on every TH; kotodoc corrects the labels')."""
    for pdf in pdfs:
        for element in structure(PdfReader(pdf)).walk():
            if element.kind != "/Table":
                continue
            rows = [row for row in element.walk() if row.kind == "/TR"]
            cells = [[c.kind for c in row.children] for row in rows]
            assert any("/TH" in row for row in cells), (pdf.name, cells)
            if all(len(row) == 2 for row in cells) and not any(row == ["/TH", "/TH"] for row in cells):
                assert all(row[0] == "/TH" for row in cells), (pdf.name, cells)
            # A TH beside TD cells heads its row; a row of TH cells heads the columns.
            for row in rows:
                kinds = [c.kind for c in row.children]
                for cell in row.children:
                    if cell.kind == "/TH":
                        scope = attributes(cell).get("/Scope")
                        assert scope == ("/Row" if "/TD" in kinds else "/Column"), (pdf.name, kinds, scope)


def test_every_figure_has_alternative_text(pdfs: list[Path]) -> None:
    """This test ensures that every figure in the structure has non-empty alternative text."""
    for pdf in pdfs:
        for element in structure(PdfReader(pdf)).walk():
            if element.kind == "/Figure":
                assert str(element.node.get("/Alt", "")).strip(), pdf.name


def test_headings_nest_without_skipping_a_level(pdfs: list[Path]) -> None:
    """This test ensures that each document's headings start at H1 and never skip a level going
    down (H2 after H1, H3 after H2), in reading order; a bilingual document starts again at H1."""
    for pdf in pdfs:
        levels = [int(e.kind[2:]) for e in structure(PdfReader(pdf)).walk() if re.fullmatch(r"/H[1-6]", e.kind)]
        assert levels and levels[0] == 1, pdf.name
        for before, after in pairwise(levels):
            assert after <= before + 1, (pdf.name, levels)
        assert levels.count(1) == len(languages_of(pdf)), (pdf.name, levels)


def test_a_bilingual_document_marks_the_language_of_its_second_version(pdfs: list[Path]) -> None:
    """This test ensures that the second version of a bilingual document carries its own /Lang,
    so a screen reader switches voice (the document's /Lang is the first language)."""
    pairs = [pdf for pdf in pdfs if len(languages_of(pdf)) == 2]
    assert len(pairs) >= 3
    for pdf in pairs:
        second = BCP47[languages_of(pdf)[1]]
        tree = structure(PdfReader(pdf))
        marked = [e for e in tree.walk() if str(e.node.get("/Lang", "")) == second]
        assert len(marked) > 10, pdf.name


# ---------------------------------------------------------------------------------------------
# The text on the page, with its position and whether it is tagged or an artifact


@dataclass(frozen=True)
class Text:
    """A piece of text on a page: baseline y, x, size, the marked content it is in, the text."""

    y: float
    x: float
    size: float
    tag: str  # "/Artifact", a structure type, or "" when outside any marked content
    text: str

    @property
    def top(self) -> float:
        return self.y + 0.8 * self.size

    @property
    def bottom(self) -> float:
        return self.y - 0.25 * self.size


def texts(page: Any) -> list[Text]:
    """The text of a page with positions, read with pypdf's visitors, each with its marked content."""
    stack: list[str] = []
    found: list[Text] = []

    def before(op: bytes, args: Any, cm: Any, tm: Any) -> None:
        if op in (b"BDC", b"BMC"):
            stack.append(str(args[0]))
        elif op == b"EMC" and stack:
            stack.pop()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append(Text(y, x, abs(size * tm[3] * cm[3]), stack[0] if stack else "", text.strip()))

    page.extract_text(visitor_operand_before=before, visitor_text=visit)
    return found


def furniture(found: list[Text]) -> tuple[list[Text], list[Text]]:
    """The header's and the footer's text on a page."""
    header = [t for t in found if t.tag == "/Artifact" and t.bottom > HEADER_FROM]
    footer = [t for t in found if t.tag == "/Artifact" and t.top < FOOTER_UNTIL]
    return header, footer


def pages(pdf: Path) -> Iterator[tuple[int, list[Text]]]:
    for number, page in enumerate(PdfReader(pdf).pages, 1):
        yield number, texts(page)


def test_all_text_is_tagged_or_an_artifact(pdfs: list[Path]) -> None:
    """This test ensures that every text on every page is in the structure or marked as an artifact
    (the header and footer): nothing is left out of what a screen reader reads."""
    for pdf in pdfs:
        for number, found in pages(pdf):
            loose = [t.text for t in found if not t.tag]
            assert not loose, (pdf.name, number, loose[:5])


def test_no_body_text_overlaps_the_header_or_footer(pdfs: list[Path]) -> None:
    """This test ensures that on every page the body's text stays clear of the header's and the
    footer's (the artifacts at the top and the foot of the page), with long names and Arabic script."""
    for pdf in pdfs:
        for number, found in pages(pdf):
            header, footer = furniture(found)
            body = [t for t in found if t not in header and t not in footer]
            assert header and footer, (pdf.name, number)
            footer_top = max(t.top for t in footer)
            header_bottom = min(t.bottom for t in header)
            for t in body:
                assert t.bottom > footer_top + GAP, (pdf.name, number, t.text, round(t.bottom - footer_top, 1))
                assert t.top < header_bottom - GAP, (pdf.name, number, t.text, round(header_bottom - t.top, 1))


def test_footer_and_page_numbers_are_one_size(pdfs: list[Path]) -> None:
    """This test ensures that "Sivu 2 / 5" has its numbers the size of the word, and that the
    footer's text is one size throughout, an Arabic name included (the stress case)."""
    for pdf in pdfs:
        words = tuple(PAGE[lang] for lang in languages_of(pdf))
        for number, found in pages(pdf):
            _, footer = furniture(found)
            assert any(t.text.startswith(words) for t in footer), (pdf.name, number)
            sizes = {round(t.size, 1) for t in footer}
            assert len(sizes) == 1, (pdf.name, number, [(t.text, t.size) for t in footer])


def test_the_interpreter_line_is_in_the_signature_block(pdfs: list[Path]) -> None:
    """This test ensures that the interpreter's label sits under its own line, on the page of the
    customer's signature, and is not the last thing above the footer that names the customer."""
    plans = [pdf for pdf in pdfs if ".integration-plan." in pdf.name and len(languages_of(pdf)) == 1]
    assert len(plans) >= 10
    for pdf in plans:
        lang = languages_of(pdf)[0]
        [(number, found)] = [(n, f) for n, f in pages(pdf) if any(t.text == INTERPRETER[lang] for t in f)]
        [label] = [t for t in found if t.text == INTERPRETER[lang]]
        assert any(t.text.startswith(CUSTOMER[lang]) and t.y > label.y for t in found), (pdf.name, number)
        line = [t for t in found if set(t.text) == {"_"} and t.y > label.y and abs(t.x - label.x) < 1]
        assert line and min(t.y for t in line) - label.y < 30, (pdf.name, number)  # the line right above it
        assert all(not t.text.startswith(f"{INTERPRETER[lang]}:") for t in found), pdf.name


def test_the_signature_block_stays_on_one_page(pdfs: list[Path]) -> None:
    """This test ensures that in every plan, the family of eight's too, the signatures' heading,
    every signer's line and the interpreter's line are on one page: no signer is left alone."""
    plans = [pdf for pdf in pdfs if "-plan." in pdf.name and len(languages_of(pdf)) == 1]
    assert any(".family-plan." in pdf.name for pdf in plans) and any(".minor-plan." in pdf.name for pdf in plans)
    for pdf in plans:
        lang = languages_of(pdf)[0]
        [(number, found)] = [(n, f) for n, f in pages(pdf) if any(t.text == INTERPRETER[lang] for t in f)]
        assert any(t.text == SIGNATURES[lang] for t in found), (pdf.name, number)
        lines = sum(1 for n, f in pages(pdf) for t in f if set(t.text) == {"_"})
        assert lines == sum(1 for t in found if set(t.text) == {"_"}), (pdf.name, number)


def test_the_unit_line_sits_under_the_authority_name_not_the_logo(pdfs: list[Path]) -> None:
    """This test ensures that with a logo, the header's second line (the unit) starts where the
    authority's name starts, right of the logo, on every page of the municipality's plan."""
    [pdf] = [p for p in pdfs if p.name.startswith("EKL-") and ".integration-plan." in p.name]
    for number, found in pages(pdf):
        header = sorted(furniture(found)[0], key=lambda t: (-t.y, t.x))
        first, second = header[0], next(t for t in header if t.y < header[0].y - 1)
        assert first.x > 62.5 + 20, (number, first)  # right of the logo
        assert abs(first.x - second.x) < 1, (number, first, second)


# ---------------------------------------------------------------------------------------------
# Line breaks: at a space, at a hyphen, or at a syllable with a hyphen added; never mid-word bare

WORD = re.compile(r"[^\W\d_]+")  # letters only: a word, not an address, a number or an identifier


def line_breaks(pdf: Path) -> Iterator[tuple[str, str]]:
    """Each line end of the PDF's text with the next line's start: (last token, next line's first token).

    pypdf gives a line's text as it stands on the page; a line that ends at a space ends with one.
    """
    for page in PdfReader(pdf).pages:
        lines = (page.extract_text() or "").split("\n")
        for line, after in pairwise(lines):
            if line and not line[-1].isspace() and after.strip() and line.split() and after.split():
                yield line.split()[-1], after.split()[0]


def test_no_word_breaks_mid_word_without_a_hyphen(pdfs: list[Path]) -> None:
    """This test ensures that in every document (narrow table cells with long Finnish and Swedish
    compounds: service providers, purposes, long names) a word that does not fit its column is
    hyphenated at a syllable, never broken bare ("Maahanmuuttaja / palvelut"), in fi, sv and en;
    that a break was hyphenated in each language (Finnish by kotodoc's own patterns); and that no
    hyphen is added to an e-mail address or an identifier. The words are the DOCX's, before
    LibreOffice broke lines."""
    hyphenated: set[str] = set()
    for pdf in pdfs:
        text = docx_text(pdf.with_suffix(".docx"))
        words, tokens = set(WORD.findall(text)), set(text.split())
        for end, start in line_breaks(pdf):
            # A hyphen added to an address or an identifier ("CLAIM-CITI-ZEN"): what a reader types.
            joined = end[:-1] + start
            added = end.endswith("-") and joined in tokens and end + start not in tokens
            code = "@" in joined or any(c.isdigit() for c in joined) or joined.upper() == joined
            assert not (added and code), (pdf.name, end, start)
            if WORD.fullmatch(end) and WORD.fullmatch(start) and start[0].islower():
                # Two pieces of letters that together make one of the document's words, apart not.
                bare = end + start in words and not (end in words and start in words)
                assert not bare, (pdf.name, f"{end} / {start}")
            syllables = end.endswith("-") and WORD.fullmatch(end[:-1]) and WORD.fullmatch(start)
            if syllables and end[:-1] + start in words and f"{end}{start}" not in words:
                hyphenated.update(languages_of(pdf))
    assert hyphenated >= {"fi", "sv", "en"}, hyphenated


def test_a_hyphenated_word_reads_whole_in_the_extracted_text(pdfs: list[Path]) -> None:
    """This test ensures that a word hyphenated at a line end reads whole in the text poppler's
    pdftotext extracts (as a search or a copy does): "Maahanmuuttajapalvelut", not "Maahanmuutta- japalvelut"."""
    [pdf] = [p for p in pdfs if p.name == "ESP-2025-0217.integration-plan.fi.pdf"]
    assert any(end.endswith("-") and end[:-1] + start == "Maahanmuuttajapalvelut" for end, start in line_breaks(pdf))
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Maahanmuuttajapalvelut" in text and "Maahanmuutta-" not in text


# ---------------------------------------------------------------------------------------------
# The logo


def images(page: Any) -> list[tuple[str, str]]:
    """Each picture drawn on a page (`Do`) with the marked content it is drawn in ("" when none)."""
    stack: list[str] = []
    drawn: list[tuple[str, str]] = []

    def before(op: bytes, args: Any, cm: Any, tm: Any) -> None:
        if op in (b"BDC", b"BMC"):
            stack.append(str(args[0]))
        elif op == b"EMC" and stack:
            stack.pop()
        elif op == b"Do":
            drawn.append((str(args[0]), stack[0] if stack else ""))

    page.extract_text(visitor_operand_before=before)
    return drawn


def test_the_logo_is_a_figure_with_the_authority_name(pdfs: list[Path]) -> None:
    """This test ensures that in the municipality's plan the logo on the first page of each version
    is a figure in the structure whose alternative text is the authority's name and whose content
    is the picture itself, that the later pages' header logos are artifacts (page furniture), and
    that no picture in any document is drawn outside the structure and the artifacts."""
    name = YAML(typ="safe").load((MUNICIPALITY / "profile.yaml").read_text(encoding="utf-8"))["authority"]["name"]
    [pdf] = [p for p in pdfs if p.name.startswith("EKL-") and ".integration-plan." in p.name]
    reader = PdfReader(pdf)
    figures = [e.node for e in structure(reader).walk() if e.kind == "/Figure"]
    assert len(figures) == 2, pdf.name  # one per version
    for figure in figures:
        assert str(figure["/Alt"]) == name and isinstance(figure.get("/K"), int), figure
    firsts = sorted(reader.get_page_number(figure["/Pg"]) for figure in figures)
    assert firsts[0] == 0 and firsts[1] > 1
    for number, page in enumerate(reader.pages):
        drawn = [tag for _, tag in images(page)]
        assert drawn == (["/Figure"] if number in firsts else ["/Artifact"]), (number, drawn)
    for other in pdfs:
        for page in PdfReader(other).pages:
            assert all(tag for _, tag in images(page)), other.name


# ---------------------------------------------------------------------------------------------
# A full validator


def test_a_full_validator_finds_every_document_pdf_ua_1_and_pdf_a_2b(pdfs: list[Path]) -> None:
    """This test ensures that every document passes a full PDF/UA-1 and PDF/A-2b validation
    (`page`, from the package index, which passes veraPDF's test corpus): Matterhorn's machine
    conditions and the PDF/A rules, not only what the tests above read. LibreOffice's own output
    fails both (the PDF/UA schema undescribed in the XMP, the footer's rule untagged); kotodoc
    mends them (`kotodoc.pdf.amend_pdf`)."""
    for pdf in pdfs:
        for profile in (ValidationProfile.PDF_UA_1, ValidationProfile.PDF_A_2B):
            report = validate_pdf(str(pdf), profile=profile)
            assert report.is_compliant, (pdf.name, profile, [(f.rule_id, f.message) for f in report.failures][:5])
