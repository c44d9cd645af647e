"""Stage 7: check the finished PDF with pypdf: metadata, language, PDF/A identity, fonts.

LibreOffice writes the title, author and subject from the DOCX core properties into both the info
dictionary and the XMP packet, and the document language into /Lang; writing them again with
pypdf would have to keep info and XMP in step for PDF/A to stay valid. So this stage reads back
and verifies, and a PDF that lacks any of it is an error rather than a silent success.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from kotodoc.errors import ConversionError

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


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


def read_facts(path: Path) -> PdfFacts:
    """Read the metadata and fonts of a PDF."""
    reader = PdfReader(path)
    info = reader.metadata or {}
    lang = reader.trailer["/Root"].get("/Lang", "")
    pdfa = ""
    xmp = reader.xmp_metadata
    if xmp is not None:
        part = xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
        conf = xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "conformance")
        # pypdf returns attribute nodes for attributes and elements for elements; take either.
        part_text = _node_text(part)
        conf_text = _node_text(conf)
        pdfa = f"{part_text}{conf_text}".upper()
    fonts: set[str] = set()
    unembedded: set[str] = set()
    for page in reader.pages:
        _collect_fonts(page.get("/Resources"), fonts, unembedded, set())
    return PdfFacts(
        pages=len(reader.pages),
        title=str(info.get("/Title", "")),
        author=str(info.get("/Author", "")),
        subject=str(info.get("/Subject", "")),
        language=str(lang),
        pdfa=pdfa,
        fonts=frozenset(fonts),
        unembedded=frozenset(unembedded),
    )


def verify_pdf(path: Path, *, title: str, author: str, language: str) -> PdfFacts:
    """Check a converted document.

    Raises:
        ConversionError: metadata missing or wrong, not PDF/A-2b, or a font not embedded.
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
    if facts.unembedded:
        problems.append(f"fonts not embedded: {', '.join(sorted(facts.unembedded))}")
    if problems:
        raise ConversionError(f"{path.name}: " + "; ".join(problems))
    return facts


def _node_text(nodes: object) -> str:
    for node in nodes or []:  # type: ignore[attr-defined]
        value = getattr(node, "value", None) or getattr(node, "nodeValue", None)
        if value:
            return str(value)
        child = getattr(node, "firstChild", None)
        if child is not None and getattr(child, "data", None):
            return str(child.data)
    return ""


def _collect_fonts(resources: object, fonts: set[str], unembedded: set[str], seen: set[int]) -> None:
    if isinstance(resources, IndirectObject):
        resources = resources.get_object()
    if not isinstance(resources, DictionaryObject):
        return
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        fonts.add(name)
        descriptors = [font, *(desc.get_object() for desc in font.get("/DescendantFonts") or [])]
        embedded = False
        if font.get("/Subtype") == "/Type3":
            embedded = True  # Type 3 glyphs are drawn in the PDF itself
        for d in descriptors:
            fd = d.get("/FontDescriptor")
            if fd is not None and any(k in fd.get_object() for k in _FONT_FILES):
                embedded = True
        if not embedded:
            unembedded.add(name)
    # Form XObjects carry resources of their own.
    for xobj in (resources.get("/XObject") or {}).values():
        obj = xobj.get_object()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj.get("/Subtype") == "/Form":
            _collect_fonts(obj.get("/Resources"), fonts, unembedded, seen)
