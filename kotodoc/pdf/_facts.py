"""Stage 7: check the finished PDF: metadata, language, PDF/A and PDF/UA identity, fonts.

LibreOffice writes the title, author and subject from the DOCX core properties into both the info
dictionary and the XMP packet, and the document language into /Lang; writing them again would
have to keep info and XMP in step for PDF/A to stay valid. So this stage reads back and verifies,
and a PDF that lacks any of it is an error rather than a silent success.

It reads what it checks and nothing else, with pikepdf (qpdf's parser, in C++): the catalogue,
the info dictionary, the XMP packet and each page's fonts; the structure tree is not parsed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from kotodoc.errors import ConversionError

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_PDFA = "{http://www.aiim.org/pdfa/ns/id/}"
_PDFUA = "{http://www.aiim.org/pdfua/ns/id/}"


@dataclass(frozen=True)
class PdfFacts:
    """What a finished PDF says about itself."""

    pages: int
    title: str
    author: str
    subject: str
    language: str
    pdfa: str  # "2B" for PDF/A-2b, "" when not PDF/A
    fonts: frozenset[str]
    unembedded: frozenset[str]
    pdfua: str = ""  # "1" for PDF/UA-1, "" when not identified as PDF/UA


def read_facts(path: Path) -> PdfFacts:
    """Read the metadata and fonts of a PDF.

    Raises:
        ConversionError: the file cannot be read as a PDF.
    """
    try:
        # Inherited page attributes are not pushed down at opening (qpdf would resolve them all);
        # the one read here, /Resources, is looked up the page tree by `_resources`.
        with pikepdf.open(path, inherit_page_attributes=False) as pdf:
            return _read(pdf)
    except (pikepdf.PdfError, KeyError, AttributeError, TypeError, ValueError) as e:
        raise ConversionError(f"{path.name}: cannot be read as a PDF ({type(e).__name__})") from None


def _read(pdf: pikepdf.Pdf) -> PdfFacts:
    info = pdf.trailer.get("/Info")
    info = info if isinstance(info, pikepdf.Dictionary) else pikepdf.Dictionary()
    root = pdf.Root
    xmp = root.get("/Metadata")
    pdfa, pdfua = _identity(xmp.read_bytes()) if isinstance(xmp, pikepdf.Stream) else ("", "")
    fonts: set[str] = set()
    unembedded: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        _collect_fonts(_resources(page.obj), fonts, unembedded, seen)
    return PdfFacts(
        pages=len(pdf.pages),
        title=str(info.get("/Title", "")),
        author=str(info.get("/Author", "")),
        subject=str(info.get("/Subject", "")),
        language=str(root.get("/Lang", "")),
        pdfa=pdfa,
        fonts=frozenset(fonts),
        unembedded=frozenset(unembedded),
        pdfua=pdfua,
    )


def _identity(packet: bytes) -> tuple[str, str]:
    """The PDF/A part and conformance ("2B") and the PDF/UA part ("1") that the XMP packet states.

    Each may be written as an element or as an attribute of a description about the document
    (`rdf:about=""`); the first one found counts. A packet that is not XML states nothing.
    """
    try:
        top = ET.fromstring(packet)
    except ET.ParseError:
        return "", ""
    found: dict[str, str] = {}
    for description in top.iter(f"{_RDF}Description"):
        if description.get(f"{_RDF}about", "") != "":
            continue
        for name in (f"{_PDFA}part", f"{_PDFA}conformance", f"{_PDFUA}part"):
            if name in found:
                continue
            value = description.get(name)
            if not value:
                value = next((e.text for e in description.iter(name) if e.text), None)
            if value:
                found[name] = value
    pdfa = f"{found.get(f'{_PDFA}part', '')}{found.get(f'{_PDFA}conformance', '')}".upper()
    return pdfa, found.get(f"{_PDFUA}part", "")


def _resources(page: pikepdf.Dictionary) -> pikepdf.Object | None:
    """A page's resources, its own or inherited from the page tree above it."""
    node: pikepdf.Object | None = page
    for _ in range(64):  # a page tree deeper than this loops
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if "/Resources" in node:
            return node.Resources
        node = node.get("/Parent")
    return None


def _collect_fonts(resources: object, fonts: set[str], unembedded: set[str], seen: set[tuple[int, int]]) -> None:
    if not isinstance(resources, pikepdf.Dictionary):
        return
    if resources.is_indirect:
        if resources.objgen in seen:
            return  # the pages share their resources: read once
        seen.add(resources.objgen)
    for font in (resources.get("/Font") or pikepdf.Dictionary()).values():
        if not isinstance(font, pikepdf.Dictionary):
            continue
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        fonts.add(name)
        descriptors = [font, *(font.get("/DescendantFonts") or [])]
        embedded = font.get("/Subtype") == "/Type3"  # Type 3 glyphs are drawn in the PDF itself
        for d in descriptors:
            fd = d.get("/FontDescriptor") if isinstance(d, pikepdf.Dictionary) else None
            if isinstance(fd, pikepdf.Dictionary) and any(k in fd for k in _FONT_FILES):
                embedded = True
        if not embedded:
            unembedded.add(name)
    # Form XObjects carry resources of their own.
    for xobj in (resources.get("/XObject") or pikepdf.Dictionary()).values():
        if not isinstance(xobj, pikepdf.Stream) or xobj.objgen in seen:
            continue
        seen.add(xobj.objgen)
        if xobj.get("/Subtype") == "/Form":
            _collect_fonts(xobj.get("/Resources"), fonts, unembedded, seen)


def verify_pdf(path: Path, *, title: str, author: str, language: str) -> PdfFacts:
    """Check a converted document.

    Raises:
        ConversionError: metadata missing or wrong, not PDF/A-2b or not PDF/UA-1, or a font not
            embedded.
    """
    facts = read_facts(path)
    problems = []
    if facts.title != title:
        problems.append("its title is not the document's")
    if facts.author != author:
        problems.append("its author is not the authority")
    if not facts.subject:
        problems.append("it has no subject")
    if not facts.language.lower().startswith(language.lower()):
        problems.append(f"its language is {facts.language or 'missing'}, not {language}")
    if facts.pdfa != "2B":
        problems.append("it is not identified as PDF/A-2b")
    if facts.pdfua != "1":
        problems.append("it is not identified as PDF/UA-1")
    if facts.unembedded:
        problems.append(f"fonts not embedded: {', '.join(sorted(facts.unembedded))}")
    if problems:
        raise ConversionError(f"{path.name}: " + "; ".join(problems))
    return facts
