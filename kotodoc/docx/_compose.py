"""Stage 5b: join language templates into one bilingual template, each version a section of its own.

A bilingual document is rendered from a joined template: the first language's template and the
second's, joined with docxcompose once (and kept with the prepared template, `_cache`), then
compiled like any template, each version's part rendered with that version's context
(`docx._render.CompiledTemplate`). Joining the templates, not each rendered document, costs
docxcompose's join once instead of per document.

docxcompose does the hard part of joining (styles, numbering, images, bookmarks), but it keeps only
the first document's section properties: the appended version would lose its own header and
footer and run on from the first version's last page. Official bilingual documents need each
version complete: starting on a new page, with its own header and footer (the Swedish version's
footer says "Sida", not "Sivu"). So, around docxcompose:

- the first version is closed by a new paragraph of 1 pt holding a section break (next page)
  with its own header and footer references, and a hidden bookmark (`VERSION_MARK`) that
  tells the compiler where the version ends. A paragraph of the template's own cannot carry it:
  a `{%p %}` tag paragraph is removed when rendered;
- the appended version's header and footer parts (and their images, the logo) are copied into the
  joined package, and the final section refers to them. Page numbers run on through the whole
  document ("Sida 1 / 8" ... "Sivu 8 / 8"): restarting them per version would need a per-section
  page count, and LibreOffice 7.4 leaves Word's SECTIONPAGES field at its placeholder;
- every run of the appended version is marked with its language (`w:lang`), since docxcompose maps
  its styles onto the first version's, whose default language is the first version's: hyphenation,
  spell-checking and the PDF's per-span language (tagged PDF) follow the text's real language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from copy import deepcopy

from docx import Document
from docx.document import Document as DocumentObject
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.oxml.parser import OxmlElement
from docx.parts.hdrftr import FooterPart, HeaderPart
from docxcompose.composer import Composer
from lxml import etree

from kotodoc._languages import BCP47
from kotodoc.docx._cache import VERSION_MARK


def compose(versions: Sequence[bytes], languages: Sequence[str]) -> bytes:
    """Join DOCX templates (one per language, in order) into one template.

    Args:
        versions: the language versions' templates, each a whole DOCX.
        languages: their languages (fi, sv, en), in the same order.

    Returns:
        The joined template, for `docx._render.CompiledTemplate`.
    """
    master = Document(io.BytesIO(versions[0]))
    composer = Composer(master)
    for n, (data, lang) in enumerate(zip(versions[1:], languages[1:], strict=True)):
        version = Document(io.BytesIO(data))
        _mark_language(version, BCP47[lang])
        _close_section(master, n)
        composer.append(version)
        _take_section(master, version)
    out = io.BytesIO()
    master.save(out)
    return out.getvalue()


def _close_section(doc: DocumentObject, version: int) -> None:
    """End the document's last section with a page break after version `version`, keeping its header and footer.

    The section's properties go into a new 1 pt paragraph at the end (Word's way of ending a
    section that is not the document's last), with the version's end mark.
    """
    body = doc.element.body
    sect = body.sectPr
    closing = OxmlElement("w:p")
    p_pr = closing.get_or_add_pPr()
    make_one_point(p_pr)
    closed = deepcopy(sect)
    closed_type = closed.find(qn("w:type"))
    if closed_type is not None:
        closed.remove(closed_type)  # the default section start is "next page"
    p_pr.append(closed)
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(90_000 + version))  # docxcompose renumbers bookmark ids
    start.set(qn("w:name"), f"{VERSION_MARK}_{version}")
    end.set(qn("w:id"), str(90_000 + version))
    closing.append(start)
    closing.append(end)
    sect.addprevious(closing)


def make_one_point(p_pr: etree._Element) -> None:
    """Make an empty paragraph 1 pt high: no spacing, an exact 1 pt line, a 1 pt paragraph mark.

    An empty paragraph is as high as its mark's font. Call it on a paragraph's properties that
    hold no section properties yet (w:rPr must come before w:sectPr).
    """
    for old in (*p_pr.findall(qn("w:spacing")), *p_pr.findall(qn("w:rPr"))):
        p_pr.remove(old)
    spacing = OxmlElement("w:spacing")
    for attr, value in (("w:before", "0"), ("w:after", "0"), ("w:line", "20"), ("w:lineRule", "exact")):
        spacing.set(qn(attr), value)
    style = p_pr.find(qn("w:pStyle"))  # w:spacing follows the style and the paragraph's other settings
    if style is not None:
        style.addnext(spacing)
    else:
        p_pr.insert(0, spacing)
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")  # half points
    mark.append(size)
    p_pr.append(mark)


def _take_section(master: DocumentObject, version: DocumentObject) -> None:
    """Make the document's final section the appended version's, with its own header and footer."""
    body = master.element.body
    own = deepcopy(version.element.body.sectPr)
    for ref in own.xpath("w:headerReference|w:footerReference"):
        source = version.part.related_parts[ref.get(qn("r:id"))]
        is_header = ref.tag == qn("w:headerReference")
        copy = _copy_part(master, source, header=is_header)
        ref.set(qn("r:id"), master.part.relate_to(copy, RT.HEADER if is_header else RT.FOOTER))
    body.replace(body.sectPr, own)


def _copy_part(master: DocumentObject, source: Part, *, header: bool) -> Part:
    """Copy a header or footer part into the master package, with the images it shows."""
    package = master.part.package
    kind, template = (HeaderPart, "/word/header%d.xml") if header else (FooterPart, "/word/footer%d.xml")
    copy = kind.load(package.next_partname(template), source.content_type, source.blob, package)
    for r_id, rel in source.rels.items():
        if rel.is_external:
            copy.rels.add_relationship(rel.reltype, rel.target_ref, r_id, is_external=True)
        elif rel.reltype == RT.IMAGE:
            # get_or_add_image_part shares one part between identical images (the same logo twice).
            image = package.get_or_add_image_part(io.BytesIO(rel.target_part.blob))
            copy.rels.add_relationship(rel.reltype, image, r_id)
    part: Part = copy
    return part


def _mark_language(doc: DocumentObject, tag: str) -> None:
    """Give every run (and paragraph mark) of the body an explicit language."""
    for r_pr_parent in doc.element.body.iter(qn("w:r"), qn("w:pPr")):
        if r_pr_parent.tag == qn("w:pPr"):
            r_pr = r_pr_parent.find(qn("w:rPr"))
            if r_pr is None:
                continue  # a paragraph mark without properties follows the style
        else:
            r_pr = r_pr_parent.get_or_add_rPr()
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = _insert_lang(r_pr)
        lang.set(qn("w:val"), tag)


# The children of w:rPr that come after w:lang in the schema's sequence.
_AFTER_LANG = {qn(n) for n in ("w:eastAsianLayout", "w:specVanish", "w:oMath", "w:rPrChange")}


def _insert_lang(r_pr: etree._Element) -> etree._Element:
    lang = OxmlElement("w:lang")
    for child in r_pr:
        if child.tag in _AFTER_LANG:
            child.addprevious(lang)
            return lang
    r_pr.append(lang)
    return lang
