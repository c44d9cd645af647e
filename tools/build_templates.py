"""Build the built-in Word templates `templates/<lang>/<kind>.docx` from their wording.

The committed .docx files are the templates: a municipality opens and edits them in Word or
LibreOffice. This script is how we, the maintainers, keep the three languages in step: the fixed
wording is in `tools/template-text.yaml`, domain terms and enumeration labels are Jinja variables
(`t.*`, and already localized values) that come from the vocabulary (`kotodoc/locale/<lang>/LC_MESSAGES/terms.po`)
at render time.

Each Jinja tag is written as one run of one paragraph, so Word's run splitting cannot break it.

Run: `uv run python tools/build_templates.py`
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph
from ruamel.yaml import YAML

from kotodoc.docx import make_one_point, normalise_zip

BUILD_TIME = dt.datetime(2025, 1, 1)
ROOT = Path(__file__).resolve().parent.parent
LANGS = ("fi", "sv", "en")
DOC_LANG = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
LABEL_FILL = "EEF1F5"
TABLE_HEADING = "Table Heading"  # the paragraph style LibreOffice exports as a table header cell
HEAD_FILL = "D9E1EA"
BODY_FONT = "Calibri"  # LibreOffice uses the metric-compatible Carlito
CS_FONT = "Arial"  # complex scripts (Arabic); LibreOffice falls back per glyph where needed


def load_text(kind: str, lang: str) -> dict[str, Any]:
    """The wording of one kind in one language."""
    data = YAML(typ="safe").load((ROOT / "tools" / "template-text.yaml").read_text(encoding="utf-8"))
    return {key: value[lang] for key, value in data[kind].items()}


# ---------------------------------------------------------------------------------------------
# Low-level helpers on python-docx


def set_cell_fill(cell: Any, fill: str) -> None:
    """Shade a table cell."""
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def mark_header_row(row: _Row) -> None:
    """Repeat this row at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))
    no_split(row)


def no_split(row: _Row) -> None:
    """Keep a row on one page."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def keep_with_next(p: Paragraph) -> Paragraph:
    """Keep a paragraph on the same page as the next one."""
    p.paragraph_format.keep_with_next = True
    return p


def add_field(paragraph: Paragraph, instruction: str, size: float) -> None:
    """Insert a Word field (PAGE, NUMPAGES) as a simple field with a placeholder result of `size` pt.

    The result run needs its own size: without one it takes the paragraph style's, and "Sivu 2 / 5"
    came out with the numbers larger than the word.
    """
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    set_size(r_pr, size)
    run.append(r_pr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


# The children of w:rPr that follow w:sz and w:szCs in the schema's sequence.
_AFTER_SIZE = {qn(n) for n in ("w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign",
                               "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")}


def set_size(r_pr: Any, size: float) -> None:
    """Set a run property's size for every script: w:sz, and w:szCs, which Arabic text goes by.

    python-docx sets only w:sz, so an Arabic name kept the default size while the Latin text
    around it was smaller (seen in the footer of the bilingual plan).
    """
    for name in ("w:sz", "w:szCs"):
        for old in r_pr.findall(qn(name)):
            r_pr.remove(old)
    following = [child for child in r_pr if child.tag in _AFTER_SIZE]
    for name in ("w:sz", "w:szCs"):
        el = OxmlElement(name)
        el.set(qn("w:val"), str(round(size * 2)))
        if following:
            following[0].addprevious(el)
        else:
            r_pr.append(el)


def small(run: Any, size: float) -> Any:
    """Set a run's size for every script (see `set_size`)."""
    set_size(run._r.get_or_add_rPr(), size)
    return run


# The children of w:pPr that follow w:outlineLvl in the schema's sequence.
_AFTER_OUTLINE = {qn(n) for n in ("w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")}


def set_outline_level(p_pr: Any, level: int) -> None:
    """Give a paragraph style an outline level (0 is the top), in its place in the schema's order."""
    el = p_pr.find(qn("w:outlineLvl"))
    if el is None:
        el = OxmlElement("w:outlineLvl")
        following = [child for child in p_pr if child.tag in _AFTER_OUTLINE]
        if following:
            following[0].addprevious(el)
        else:
            p_pr.append(el)
    el.set(qn("w:val"), str(level))


def placeholder_png() -> bytes:
    """A 1 x 1 transparent PNG: the logo picture's stand-in until a profile's logo replaces it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1 x 1, 8-bit RGBA
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")  # filter byte, one transparent pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


LOGO_HEIGHT = Cm(1.1)
# Where the header's text starts when there is a logo: the logo's width (EMU to twips) and a gap
# of 0.3 cm; with no logo, at the margin. Both header lines start there, so the unit line sits
# under the authority's name, not under the logo.
LOGO_INDENT = "{{ ((logo.cx / 635)|int + 170) if logo else 0 }}"


def add_logo(paragraph: Paragraph, alt: str) -> None:
    """The authority's logo, shown only when a profile gives one (`{%r if logo %}` removes the runs).

    The picture is found at render time by its name `kotodoc-logo`; its description, the
    alternative text a screen reader reads and the tagged PDF's /Alt, is `alt` (the authority's
    name). Its size comes from the `logo` context value (EMU), so any aspect ratio fits the line
    height. It floats at the margin, the header's lines indented past it (`LOGO_INDENT`): as a
    picture in the line followed by a tab, LibreOffice 7.4 sent the tab to the right-hand stop.
    """
    paragraph.add_run("{%r if logo %}")
    run = paragraph.add_run()
    run.add_picture(io.BytesIO(placeholder_png()), height=LOGO_HEIGHT, width=LOGO_HEIGHT)
    inline = run._r.xpath(".//wp:inline")[0]
    inline.docPr.set("descr", alt)
    inline.docPr.set("name", "kotodoc-logo")
    for ext in (*inline.xpath("wp:extent"), *inline.xpath(".//a:ext")):
        ext.set("cx", "{{ logo.cx }}")
        ext.set("cy", "{{ logo.cy }}")
    float_at_margin(inline)
    paragraph.add_run("{%r endif %}")


def float_at_margin(inline: Any) -> None:
    """Turn an inline picture into one anchored at the top left of the margin, text not wrapped."""
    wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    anchor = OxmlElement("wp:anchor")
    for attr, value in (("distT", "0"), ("distB", "0"), ("distL", "0"), ("distR", "0"), ("simplePos", "0"),
                        ("relativeHeight", "2"), ("behindDoc", "0"), ("locked", "1"), ("layoutInCell", "1"),
                        ("allowOverlap", "1")):
        anchor.set(attr, value)
    simple = OxmlElement("wp:simplePos")
    simple.set("x", "0")
    simple.set("y", "0")
    anchor.append(simple)
    for axis, relative in (("H", "margin"), ("V", "paragraph")):
        position = OxmlElement(f"wp:position{axis}")
        position.set("relativeFrom", relative)
        offset = OxmlElement("wp:posOffset")
        offset.text = "0"
        position.append(offset)
        anchor.append(position)
    children = {child.tag: child for child in inline}
    anchor.append(children[f"{{{wp}}}extent"])
    effect = OxmlElement("wp:effectExtent")
    for side in ("l", "t", "r", "b"):
        effect.set(side, "0")
    anchor.append(effect)
    anchor.append(OxmlElement("wp:wrapNone"))
    for name in ("docPr", "cNvGraphicFramePr"):
        if f"{{{wp}}}{name}" in children:
            anchor.append(children[f"{{{wp}}}{name}"])
    anchor.append(inline[-1] if inline[-1].tag.endswith("}graphic") else inline.find(qn("a:graphic")))
    inline.getparent().replace(inline, anchor)


def header_tabs(paragraph: Paragraph, width: int) -> None:
    """A header line: indented past the logo (`LOGO_INDENT`), a right tab at the right margin."""
    p_pr = paragraph._p.get_or_add_pPr()
    tabs = OxmlElement("w:tabs")
    stop = OxmlElement("w:tab")
    stop.set(qn("w:val"), "right")
    stop.set(qn("w:pos"), str(int(Length(width).twips)))
    tabs.append(stop)
    p_pr.append(tabs)
    ind = OxmlElement("w:ind")
    ind.set(qn("w:left"), LOGO_INDENT)
    p_pr.append(ind)


def tag(doc: DocumentObject, text: str) -> None:
    """A paragraph holding only a `{%p ... %}` tag: docxtpl removes it when rendering."""
    doc.add_paragraph(text)


def set_col_widths(table: Table, widths: list[float]) -> None:
    """Fix column widths (Word honours cell widths, LibreOffice the grid)."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for i, col in enumerate(grid.findall(qn("w:gridCol"))):
        col.set(qn("w:w"), str(int(Cm(widths[i]).twips)))
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])


# ---------------------------------------------------------------------------------------------
# Styles


def setup_styles(doc: DocumentObject, lang: str) -> None:
    """Fonts, sizes, colours and the document language."""
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = BODY_FONT
    set_size(normal.element.get_or_add_rPr(), 10.5)  # Arabic text too (w:szCs)
    normal.paragraph_format.space_after = Pt(4)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), BODY_FONT)
    fonts.set(qn("w:cs"), CS_FONT)

    # The document language drives hyphenation, spelling, and the PDF's /Lang.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang_el = rpr_default.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        rpr_default.append(lang_el)
    lang_el.set(qn("w:val"), DOC_LANG[lang])
    lang_el.set(qn("w:eastAsia"), DOC_LANG[lang])
    lang_el.set(qn("w:bidi"), "ar-SA")
    for el in rpr_default.findall(qn("w:rFonts")):
        for attr in list(el.attrib):
            if attr.endswith("Theme"):
                del el.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            el.set(qn(attr), BODY_FONT)
        el.set(qn("w:cs"), CS_FONT)

    for name, size, before in (("Title", 20, 0), ("Heading 1", 13.5, 14), ("Heading 2", 11, 8),
                               ("Heading 3", 10.5, 6)):
        style = styles[name]
        style.font.name = BODY_FONT
        set_size(style.element.get_or_add_rPr(), size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = ACCENT
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True
        srpr = style.element.get_or_add_rPr()
        sfonts = srpr.find(qn("w:rFonts"))
        if sfonts is not None:
            for attr in list(sfonts.attrib):
                del sfonts.attrib[attr]
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
                sfonts.set(qn(attr), BODY_FONT)
            sfonts.set(qn("w:cs"), CS_FONT)
    # Outline levels: the title is level 1 and the headings nest under it, so a PDF's outline (and
    # a bilingual document's) shows each language version as one entry with its sections inside.
    for level, name in enumerate(("Title", "Heading 1", "Heading 2", "Heading 3")):
        set_outline_level(styles[name].element.get_or_add_pPr(), level)
    # The third level (a family member's goals, services...) reads as a run-in heading in the body
    # colour, as it did when it was a bold paragraph; now it is a heading in the PDF's structure.
    styles["Heading 3"].font.color.rgb = RGBColor(0, 0, 0)
    styles["Heading 3"].paragraph_format.space_after = Pt(2)
    # LibreOffice tags a table cell as a header cell (TH) in the PDF when its first paragraph has
    # the style it knows as "Table Heading" (or the row repeats as a header row, w:tblHeader).
    # A table style's first-column formatting does not do it (measured with LibreOffice 7.4), so
    # the label cells of label/value tables get this style; it looks like Normal.
    label = styles.add_style(TABLE_HEADING, WD_STYLE_TYPE.PARAGRAPH)
    label.base_style = normal
    label.quick_style = False
    # The default Title style draws a border line under the text; keep the page calm.
    title_ppr = styles["Title"].element.find(qn("w:pPr"))
    if title_ppr is not None:
        for border in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(border)
    for name in ("List Bullet",):
        styles[name].font.name = BODY_FONT
        styles[name].paragraph_format.space_after = Pt(2)


PERSON_FOOTER = "{{ person.full_name }}, {{ person.date_of_birth }}"


FOOTER_SIZE = 8.5
HEADER_SIZE = 9


# Finnish and Swedish build long compounds ("Maahanmuuttajapalvelut", "sysselsättningsområde") that
# LibreOffice broke mid-word, with no hyphen, in narrow table cells ("Maahanmuuttaja / palvelut").
# Narrow table cells are therefore hyphenated, and only they: Finnish with the patterns kotodoc gives
# LibreOffice's profile (`kotodoc.pdf.make_profile`), Swedish and English with hyphen-sv and
# hyphen-en-gb (scripts/setup). Running text and wide cells are not: their lines are wide, and a
# hyphenated line's "-" is a plain hyphen in the PDF's text (LibreOffice 7.4 writes no /ActualText).
HYPHENATED: tuple[str, ...] = ("fi", "sv", "en")
HYPHENATION_ZONE = 2.5  # cm
HYPHENATED_UP_TO = 6.0  # cm: a wider cell (a label/value table's value, 11 cm) is running text


def hyphenate(doc: DocumentObject) -> None:
    """Turn on automatic hyphenation, at most two hyphenated lines in a row, with a wide zone.

    `hyphenate_cells_only` then turns it off outside the narrow cells, once the document is built.
    """
    settings = doc.settings.element
    anchor = settings.find(qn("w:defaultTabStop"))
    # The zone: a word is hyphenated only where moving it whole to the next line would leave more
    # than 2.5 cm blank, so a word that fits its column on a line of its own stays whole ("Espoon
    # kaupunki," not "Espoon kaupun-ki,"), and one longer than its column is hyphenated.
    zone = str(int(Cm(HYPHENATION_ZONE).twips))
    for name, value in (("w:hyphenationZone", zone), ("w:consecutiveHyphenLimit", "2"), ("w:autoHyphenation", None)):
        el = OxmlElement(name)
        if value is not None:
            el.set(qn("w:val"), value)
        if anchor is not None:
            anchor.addnext(el)
        else:
            settings.append(el)


def hyphenate_cells_only(doc: DocumentObject) -> None:
    """Turn hyphenation off outside the narrow table cells (body, header, footer, wide cells).

    Off, paragraph by paragraph, rather than off in the Normal style and on again in the cells:
    LibreOffice 7.4 takes a paragraph's "hyphenate" as the whole of its hyphenation settings, and
    a cell's "on" dropped the document's zone (measured: "Espoon kaupun-ki," came back).
    """
    parts = [doc.element.body, *(s.header._element for s in doc.sections), *(s.footer._element for s in doc.sections)]
    for part in parts:
        for p in part.iter(qn("w:p")):
            cell = next((a for a in p.iterancestors() if a.tag == qn("w:tc")), None)
            width = cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}") if cell is not None else None
            wide = width is not None and int(width.get(qn("w:w"), "0")) > Cm(HYPHENATED_UP_TO).twips
            if cell is None or wide or NOT_HYPHENATED.search("".join(p.itertext())):
                set_suppress_hyphens(p.get_or_add_pPr(), True)


# Cells whose value is an address, a number or an identifier: a hyphen added there changes what a
# reader types ("yonas.gebremedh-in@example.org" was written with the English patterns, the claim's
# rule ids "CLAIM-CITI-ZEN"). One longer than its column still breaks where the column ends.
NOT_HYPHENATED = re.compile(r"\{\{[^}]*\b(email|phone|contact|case_id|invoice|number|rule)\b")


def set_suppress_hyphens(p_pr: Any, on: bool) -> None:
    """Write `w:suppressAutoHyphens` (on or off) at its place in the schema's sequence."""
    for old in p_pr.findall(qn("w:suppressAutoHyphens")):
        p_pr.remove(old)
    el = OxmlElement("w:suppressAutoHyphens")
    if not on:
        el.set(qn("w:val"), "0")
    following = [child for child in p_pr if child.tag not in _BEFORE_NO_HYPHENS]
    if following:
        following[0].addprevious(el)
    else:
        p_pr.append(el)


# The children of w:pPr that come before w:suppressAutoHyphens in the schema's sequence.
_BEFORE_NO_HYPHENS = {qn(n) for n in ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
                                      "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd",
                                      "w:tabs")}


def setup_page(doc: DocumentObject, tx: dict[str, Any], footer_text: str = PERSON_FOOTER) -> None:
    """A4 portrait, header with the authority and case id, footer with whom it is for and "page x / y".

    The authority's name heads the page and is the logo's alternative text (a claim's context gives
    its claimant as `authority`).
    """
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    # The body ends 2.4 cm above the paper's edge; the footer (two 8.5 pt lines under a rule)
    # starts 1.0 cm above it, so at least 0.5 cm of white lies between the last body line and the
    # footer's rule, even when the footer's first line wraps.
    section.top_margin, section.bottom_margin = Cm(2.4), Cm(2.4)
    section.header_distance = section.footer_distance = Cm(1.0)
    width = section.page_width - section.left_margin - section.right_margin

    # The header and footer styles: one size for every script and no spacing, so a footer with an
    # Arabic name is as high as one without. The default styles carry centre and right tabs of
    # Letter paper; ours are A4.
    for name, size in (("Header", HEADER_SIZE), ("Footer", FOOTER_SIZE)):
        style = doc.styles[name]
        style.paragraph_format.tab_stops.clear_all()
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.space_before = Pt(0)
        set_size(style.element.get_or_add_rPr(), size)

    # Page 1 has a header of its own, the same but for the logo: LibreOffice exports a header as an
    # artifact, so a logo there is no figure and its alternative text reaches no one. Page 1's logo
    # is in the body instead (`body_logo`), a figure with the authority's name as /Alt, at the very
    # place of the later pages' header logo, which stays an artifact (pagination, PDF/UA 7.8).
    section.different_first_page_header_footer = True
    for part, logo in ((section.header, True), (section.first_page_header, False)):
        header = part.paragraphs[0]
        header_tabs(header, width)
        if logo:
            add_logo(header, "{{ authority.name }}")
        run = small(header.add_run("{{ authority.name }}"), HEADER_SIZE)
        run.bold = True
        small(header.add_run("\t" + tx["case_id"] + " {{ case_id }}"), HEADER_SIZE)
        second = part.add_paragraph()
        header_tabs(second, width)
        run = small(second.add_run("{{ authority.unit }}\t{{ title }}"), HEADER_SIZE)
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    for part in (section.footer, section.first_page_footer):
        footer = part.paragraphs[0]
        rule_above(footer)
        small(footer.add_run(footer_text), FOOTER_SIZE)
        footer = part.add_paragraph()
        footer.alignment = WD_PARAGRAPH_ALIGNMENT.RIGHT
        small(footer.add_run(tx["page"] + " "), FOOTER_SIZE)
        add_field(footer, "PAGE", FOOTER_SIZE)
        small(footer.add_run(" / "), FOOTER_SIZE)
        add_field(footer, "NUMPAGES", FOOTER_SIZE)


def body_logo(doc: DocumentObject) -> None:
    """Page 1's logo: in a 1 pt paragraph that opens the body, placed where the header's logo is.

    Anchored to the page at the header's distance from the top, at the left margin, text not
    wrapped: it sits in the top margin beside the first-page header's text. LibreOffice 7.4 makes
    it a figure whose /Alt is the authority's name but draws the picture as an artifact, which
    `kotodoc.pdf.amend_pdf` mends. It is the same picture as the header's, so kotodoc's logo
    replaces both.
    """
    paragraph = doc.add_paragraph()
    body = doc.element.body
    body.remove(paragraph._p)
    body.insert(0, paragraph._p)
    add_logo(paragraph, "{{ authority.name }}")
    anchor = paragraph._p.xpath(".//wp:anchor")[0]
    position = anchor.xpath("wp:positionV")[0]
    position.set("relativeFrom", "page")
    position[0].text = str(int(doc.sections[0].header_distance))
    make_one_point(paragraph._p.get_or_add_pPr())


def rule_above(paragraph: Paragraph) -> None:
    """A thin grey rule above a paragraph: the footer reads as the page's, not as the body's last line."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for attr, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "4"), ("w:color", "999999")):
        top.set(qn(attr), value)
    borders.append(top)
    p_pr.append(borders)


# ---------------------------------------------------------------------------------------------
# Building blocks of the document


def heading(doc: DocumentObject, text: str, level: int = 1) -> None:
    """A heading that stays with what follows it."""
    keep_with_next(doc.add_heading(text, level=level))


def label_table(doc: DocumentObject, rows: list[tuple[str, str]], *, together: bool = False) -> Table:
    """Two columns: a shaded label and its value; `together` keeps the whole table on one page."""
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for n, (row, (label, value)) in enumerate(zip(table.rows, rows, strict=True)):
        no_split(row)
        row.cells[0].text = label
        row.cells[0].paragraphs[0].style = doc.styles[TABLE_HEADING]
        row.cells[1].text = value
        set_cell_fill(row.cells[0], LABEL_FILL)
        if together and n < len(rows) - 1:
            for cell in row.cells:
                keep_with_next(cell.paragraphs[0])
    set_col_widths(table, [5.6, 11.0])
    doc.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def list_table(doc: DocumentObject, headers: list[str], loop: str, cells: list[str], widths: list[float]) -> Table:
    """A table with a repeated header row and one row per item of `loop` (`s in plan.services`)."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    head, opener, body, closer = table.rows
    mark_header_row(head)
    for cell, text in zip(head.cells, headers, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
        set_cell_fill(cell, HEAD_FILL)
    opener.cells[0].text = "{%tr for " + loop + " %}"
    no_split(body)
    for cell, text in zip(body.cells, cells, strict=True):
        cell.text = text
    closer.cells[0].text = "{%tr endfor %}"
    set_col_widths(table, widths)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def bullets(doc: DocumentObject, loop: str, item: str) -> None:
    """One bullet paragraph per item."""
    tag(doc, "{%p for " + loop + " %}")
    doc.add_paragraph(item, style="List Bullet")
    tag(doc, "{%p endfor %}")


def plain(doc: DocumentObject, text: str) -> Paragraph:
    """A body paragraph."""
    return doc.add_paragraph(text)


# ---------------------------------------------------------------------------------------------
# The integration plan


def new_document(kind: str, lang: str, footer_text: str = PERSON_FOOTER) -> tuple[DocumentObject, dict[str, Any]]:
    """An empty document with styles, page, header and footer, and the kind's wording."""
    tx = load_text(kind, lang)
    doc = Document()
    setup_styles(doc, lang)
    if lang in HYPHENATED:
        hyphenate(doc)
    setup_page(doc, tx, footer_text)
    doc.core_properties.author = "kotodoc"
    doc.core_properties.title = "{{ title }}"
    return doc, tx


def title_block(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """Title, dates, and the Act the plan is based on."""
    doc.add_paragraph("{{ title }}", style="Title")
    meta = plain(doc, f"{tx['drawn_up']} {{{{ plan.drawn_up }}}} · {tx['valid']} {{{{ plan.period }}}}")
    meta.runs[0].bold = True
    plain(doc, f"{tx['legal_basis']}: {{{{ act|upfirst }}}}")


def person_section(doc: DocumentObject, tx: dict[str, Any], *, adult: bool = True) -> None:
    """The person's details."""
    heading(doc, tx["h_person"])
    rows = [
        (tx["family_name"], "{{ person.family_name }}"),
        (tx["given_names"], "{{ person.given_names }}"),
        (tx["personal_id"], "{{ person.personal_id }}"),
        (tx["date_of_birth"], "{{ person.date_of_birth }}"),
        (tx["citizenship"], "{{ person.citizenship }}"),
        (tx["native_language"], "{{ person.native_language }}"),
        (tx["other_languages"], "{{ person.other_languages }}"),
        (tx["address"], "{{ person.address }}"),
        (tx["phone"], "{{ person.phone }}"),
        (tx["email"], "{{ person.email }}"),
        (tx["residence_basis"], "{{ person.residence_basis|upfirst }}"),
        (tx["permit_section"], "{{ person.permit_section }}"),
        (tx["first_permit_date"], "{{ person.first_permit_date }}"),
        (tx["municipality_since"], "{{ person.municipality_since }}"),
    ]
    if adult:
        rows.append((tx["jobseeker"], "{{ person.jobseeker|upfirst }}"))
    rows.append((tx["interpreter"], "{{ person.interpreter|upfirst }}"))
    label_table(doc, rows)


def authority_section(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """The responsible authority and official, then the participants of a multi-sectoral plan."""
    heading(doc, tx["h_authority"])
    label_table(doc, [
        # kind_name, not kind|lower: "TE-toimisto" (a plan under 1386/2010) keeps its capitals.
        (tx["authority_name"], "{{ authority.name }} ({{ authority.kind_name }})"),
        (tx["unit"], "{{ authority.unit }}"),
        (tx["address"], "{{ authority.address }}"),
        (tx["business_id"], "{{ authority.business_id }}"),
        (tx["official"], "{{ authority.official.name }}, {{ authority.official.title }}"),
        (tx["contact"], "{{ authority.official.phone }} · {{ authority.official.email }}"),
    ])
    tag(doc, "{%p if multi_sectoral %}")
    heading(doc, tx["h_participants"])
    # Under 1386/2010 the state's TE Office was responsible, not a municipal employment authority.
    tag(doc, "{%p if is_681 %}")
    plain(doc, tx["multisectoral_text"])
    tag(doc, "{%p else %}")
    plain(doc, tx["multisectoral_text_1386"])
    tag(doc, "{%p endif %}")
    list_table(doc, [tx["authority_name"], tx["participant_kind"], tx["contact"]], "x in participants",
               ["{{ x.name }}", "{{ x.kind }}", "{{ x.contact }}"], [6.6, 4.4, 5.6])
    tag(doc, "{%p endif %}")


def assessment_section(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """The assessment of skills and the need for services (or the initial assessment)."""
    heading(doc, "{{ assessment_title }}")
    label_table(doc, [
        (tx["h_assessment_basis"], "{{ assessment.date }}"),
        (tx["conducted_by"], "{{ assessment.conducted_by }}"),
        (tx["literacy"], "{{ assessment.literacy }}"),
        (tx["integration_language"], "{{ assessment.integration_language|upfirst }}"),
        (tx["finnish_level"], "{{ assessment.finnish_level }}"),
        (tx["swedish_level"], "{{ assessment.swedish_level }}"),
        (tx["special_measures"], "{{ assessment.special_measures|upfirst }}"),
    ])
    tag(doc, "{%p if assessment.education %}")
    heading(doc, tx["h_education"], 2)
    list_table(doc, [tx["level"], tx["field"], tx["country"], tx["years"]], "e in assessment.education",
               ["{{ e.level }}", "{{ e.field }}", "{{ e.country }}", "{{ e.years }}"], [4.6, 6.4, 3.8, 1.8])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if assessment.work_experience %}")
    heading(doc, tx["h_work_experience"], 2)
    list_table(doc, [tx["occupation"], tx["country"], tx["years"]], "w in assessment.work_experience",
               ["{{ w.occupation }}", "{{ w.country }}", "{{ w.years }}"], [11.0, 3.8, 1.8])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if assessment.strengths %}")
    heading(doc, tx["h_strengths"], 2)
    bullets(doc, "x in assessment.strengths", "{{ x }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if assessment.life_situation %}")
    heading(doc, tx["h_life_situation"], 2)
    plain(doc, "{{ assessment.life_situation }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if assessment.health %}")
    heading(doc, tx["h_health"], 2)
    plain(doc, "{{ assessment.health }}")
    tag(doc, "{%p endif %}")


def goals_and_services(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """Long-term and plan-period goals, then the agreed services."""
    heading(doc, tx["h_goals"])
    for key, var in (("h_goals_long_term", "plan.goals_long_term"), ("h_goals_plan_period", "plan.goals_plan_period")):
        heading(doc, tx[key], 2)
        tag(doc, "{%p if " + var + " %}")
        bullets(doc, "x in " + var, "{{ x }}")
        tag(doc, "{%p else %}")
        plain(doc, tx["none"])
        tag(doc, "{%p endif %}")

    heading(doc, tx["h_services"])
    services_table(doc, tx, "plan.services")
    plain(doc, tx["no_subjective_right"]).runs[0].italic = True


def job_search_section(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """The jobseeking obligation, for a jobseeker."""
    tag(doc, "{%p if plan.job_search %}")
    heading(doc, "{{ t.job_search_obligation|upfirst }}")
    plain(doc, tx["job_search_text"])
    label_table(doc, [(tx["opportunities_per_month"], "{{ plan.job_search.opportunities_per_month }}")])
    tag(doc, "{%p if plan.job_search.goals %}")
    keep_with_next(plain(doc, tx["job_search_goals"])).runs[0].bold = True
    bullets(doc, "x in plan.job_search.goals", "{{ x }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def monitoring_and_rights(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """Monitoring and reviews, extension, notes, and the rights and obligations under the Act."""
    heading(doc, tx["h_monitoring"])
    label_table(doc, [
        (tx["monitoring_method"], "{{ plan.monitoring_method }}"),
        (tx["reviews"], "{{ plan.reviews|join(', ') or '–' }}"),
    ])
    tag(doc, "{%p if plan.extension %}")
    heading(doc, tx["h_extension"], 2)
    label_table(doc, [
        (tx["extension_until"], "{{ plan.extension.until }}"),
        (tx["extension_grounds"], "{{ plan.extension.grounds }}"),
    ])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if plan.notes %}")
    heading(doc, tx["h_notes"])
    plain(doc, "{{ plan.notes }}")
    tag(doc, "{%p endif %}")

    heading(doc, tx["h_rights"])
    tag(doc, "{%p if is_681 %}")
    for para in tx["rights_681"]:
        plain(doc, para)
    tag(doc, "{%p else %}")
    for para in tx["rights_1386"]:
        plain(doc, para)
    tag(doc, "{%p endif %}")


def signatures_heading(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """The signature section's heading, introduction, place and date."""
    heading(doc, tx["h_signatures"])
    keep_with_next(plain(doc, tx["signature_intro"]))
    keep_with_next(plain(doc, f"{tx['place_date']}: {{{{ signatures.place }}}} {{{{ signatures.date }}}}"))


def build_integration_plan(lang: str) -> DocumentObject:
    """The individual integration plan (case format section 1) in one language."""
    doc, tx = new_document("integration-plan", lang)
    title_block(doc, tx)
    person_section(doc, tx)
    authority_section(doc, tx)
    assessment_section(doc, tx)
    goals_and_services(doc, tx)
    job_search_section(doc, tx)
    monitoring_and_rights(doc, tx)
    signatures_heading(doc, tx)
    signature_table(doc, tx, [("{{ person.full_name }}", tx["customer_signature"])])
    interpreter_line(doc, tx)
    return doc


def build_minor_plan(lang: str) -> DocumentObject:
    """The plan for a minor (case format section 2) in one language."""
    doc, tx = new_document("minor-plan", lang)
    title_block(doc, tx)
    person_section(doc, tx, adult=False)

    tag(doc, "{%p if unaccompanied and representative %}")
    heading(doc, tx["h_representative"])
    plain(doc, tx["representative_text"])
    label_table(doc, [
        (tx["name"], "{{ representative.name }}"),
        (tx["appointed_by"], "{{ representative.appointed_by }}"),
        (tx["appointed_on"], "{{ representative.appointed_on }}"),
        (tx["contact"], "{{ representative.phone }} · {{ representative.email }}"),
    ])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if guardians %}")
    heading(doc, tx["h_guardians"])
    list_table(doc, [tx["name"], tx["relation"], tx["phone"], tx["email"]], "g in guardians",
               ["{{ g.name }}", "{{ g.relation }}", "{{ g.phone }}", "{{ g.email }}"], [5.4, 3.2, 3.6, 4.4])
    tag(doc, "{%p endif %}")

    authority_section(doc, tx)

    heading(doc, tx["h_child_opinion"])
    plain(doc, tx["child_opinion_text"]).runs[0].italic = True
    plain(doc, "{{ child_opinion }}")

    heading(doc, tx["h_schooling"])
    tag(doc, "{%p if schooling %}")
    label_table(doc, [
        (tx["institution"], "{{ schooling.institution }}"),
        (tx["grade"], "{{ schooling.grade }}"),
        (tx["class_type"], "{{ schooling.class_type }}"),
    ])
    tag(doc, "{%p else %}")
    plain(doc, tx["none"])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if related_plans %}")
    keep_with_next(plain(doc, tx["h_related_plans"])).runs[0].bold = True
    bullets(doc, "x in related_plans", "{{ x }}")
    tag(doc, "{%p endif %}")

    assessment_section(doc, tx)
    goals_and_services(doc, tx)
    monitoring_and_rights(doc, tx)
    signatures_heading(doc, tx)
    tag(doc, "{%p if unaccompanied and representative %}")
    signature_table(doc, tx, [("{{ representative.name }}", tx["representative_signature"])])
    tag(doc, "{%p else %}")
    signature_table(doc, tx, [("{{ guardians[0].name }}", tx["guardian_signature"])])
    tag(doc, "{%p if guardians|length > 1 %}")
    signature_table(doc, tx, [("{{ guardians[1].name }}", tx["guardian_signature"])], official=False)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if signatures.child_signs %}")
    signature_table(doc, tx, [("{{ person.full_name }}", tx["child_signature"])], official=False)
    tag(doc, "{%p endif %}")
    interpreter_line(doc, tx)
    return doc


def build_family_plan(lang: str) -> DocumentObject:
    """The plan for a family (case format section 3): the family, then a section per member."""
    doc, tx = new_document("family-plan", lang, footer_text="{{ family.name }}")
    title_block(doc, tx)

    heading(doc, tx["h_family"])
    label_table(doc, [
        (tx["family_name_label"], "{{ family.name }}"),
        (tx["address"], "{{ family.address }}"),
        (tx["member_count"], "{{ family.size }}"),
    ])
    list_table(doc, [tx["family_name"], tx["given_names"], tx["role"], tx["date_of_birth"]], "m in members",
               ["{{ m.person.family_name }}", "{{ m.person.given_names }}", "{{ m.role }}",
                "{{ m.person.date_of_birth }}"], [4.6, 5.6, 3.2, 3.2])

    authority_section(doc, tx)

    heading(doc, tx["h_family_goals"])
    tag(doc, "{%p if family_goals %}")
    bullets(doc, "x in family_goals", "{{ x }}")
    tag(doc, "{%p else %}")
    plain(doc, tx["none"])
    tag(doc, "{%p endif %}")
    heading(doc, tx["h_family_services"])
    services_table(doc, tx, "family_services")
    plain(doc, tx["no_subjective_right"]).runs[0].italic = True

    heading(doc, tx["h_members"])
    tag(doc, "{%p for m in members %}")
    # The heading keeps with the member's details, and those stay on one page, so a member's
    # section never starts at the foot of a page.
    heading(doc, "{{ m.person.full_name }} · {{ m.role }}", 2)
    label_table(doc, [
        (tx["family_name"], "{{ m.person.family_name }}"),
        (tx["given_names"], "{{ m.person.given_names }}"),
        (tx["personal_id"], "{{ m.person.personal_id }}"),
        (tx["date_of_birth"], "{{ m.person.date_of_birth }}"),
        (tx["citizenship"], "{{ m.person.citizenship }}"),
        (tx["native_language"], "{{ m.person.native_language }}"),
        (tx["other_languages"], "{{ m.person.other_languages }}"),
        (tx["address"], "{{ m.person.address }}"),
        (tx["contact"], "{{ m.person.contact }}"),
        (tx["residence_basis"], "{{ m.person.residence_basis|upfirst }}"),
        (tx["permit_section"], "{{ m.person.permit_section }}"),
        (tx["first_permit_date"], "{{ m.person.first_permit_date }}"),
        (tx["municipality_since"], "{{ m.person.municipality_since }}"),
        (tx["jobseeker"], "{{ m.person.jobseeker|upfirst }}"),
        (tx["interpreter"], "{{ m.person.interpreter|upfirst }}"),
    ], together=True)
    sub_heading(doc, tx["member_goals"])
    tag(doc, "{%p if m.goals %}")
    bullets(doc, "x in m.goals", "{{ x }}")
    tag(doc, "{%p else %}")
    plain(doc, tx["none"])
    tag(doc, "{%p endif %}")
    sub_heading(doc, tx["member_services"])
    services_table(doc, tx, "m.services")

    tag(doc, "{%p if m.job_search %}")
    sub_heading(doc, "{{ t.job_search_obligation|upfirst }}")
    plain(doc, tx["job_search_text"])
    label_table(doc, [(tx["opportunities_per_month"], "{{ m.job_search.opportunities_per_month }}")])
    tag(doc, "{%p if m.job_search.goals %}")
    keep_with_next(plain(doc, tx["job_search_goals"])).runs[0].italic = True
    bullets(doc, "x in m.job_search.goals", "{{ x }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if m.schooling %}")
    sub_heading(doc, tx["h_schooling"])
    label_table(doc, [
        (tx["institution"], "{{ m.schooling.institution }}"),
        (tx["grade"], "{{ m.schooling.grade }}"),
        (tx["class_type"], "{{ m.schooling.class_type }}"),
    ], together=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if m.child_opinion %}")
    sub_heading(doc, tx["h_child_opinion"])
    keep_with_next(plain(doc, tx["child_opinion_text"])).runs[0].italic = True
    plain(doc, "{{ m.child_opinion }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")

    monitoring_and_rights(doc, tx)
    signatures_heading(doc, tx)
    signer_table(doc, tx)
    interpreter_line(doc, tx)
    return doc


def sub_heading(doc: DocumentObject, text: str) -> None:
    """A third-level heading inside a member's section (under the member's own), kept with what follows."""
    heading(doc, text, 3)


def services_table(doc: DocumentObject, tx: dict[str, Any], var: str) -> None:
    """The services of `var` as a table with a repeated header, or a dash when there are none."""
    tag(doc, "{%p if " + var + " %}")
    list_table(doc, [tx["service_type"], tx["description"], tx["provider"], tx["period"], tx["hours_per_week"]],
               "s in " + var,
               ["{{ s.type }}", "{{ s.description }}", "{{ s.provider }}", "{{ s.period }}", "{{ s.hours }}"],
               [4.1, 4.3, 3.0, 3.2, 2.0])
    tag(doc, "{%p else %}")
    plain(doc, tx["none"])
    tag(doc, "{%p endif %}")


def signer_table(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """Signature lines two a row for a list of signers (`signature_rows`, the official last)."""
    table = doc.add_table(rows=4, cols=2)
    opener, body, labels, closer = table.rows
    opener.cells[0].text = "{%tr for row in signature_rows %}"
    no_split(body)
    no_split(labels)
    for i in range(2):
        cell = body.cells[i]
        c = f"row[{i}]"
        cell.text = "\n\n{{ " + c + ".line }}"
        keep_with_next(cell.paragraphs[0])
        keep_with_next(cell.add_paragraph("{{ " + c + ".name }}"))
        # The label, in a row of its own, is a header cell in the tagged PDF (see `signature_table`).
        label = labels.cells[i].paragraphs[0]
        label.text = (
            "{% if " + c + ".role == 'official' %}" + tx["official_signature"]
            + "{% elif " + c + ".role == 'member' %}" + tx["member_signature"] + "{% endif %}"
        )
        label.style = doc.styles[TABLE_HEADING]
        small(label.runs[0], 8.5)
        # Every row keeps with the next, so the signers of a large family are not split from
        # each other, nor the last of them (the official) left alone on a page of its own.
        keep_with_next(label)
    closer.cells[0].text = "{%tr endfor %}"
    set_col_widths(table, [8.3, 8.3])


def signature_table(
    doc: DocumentObject, tx: dict[str, Any], signers: list[tuple[str, str]], *, official: bool = True
) -> None:
    """Signature lines: each signer (name, label) beside the official, rows kept together on one page."""
    pairs = list(signers)
    if official:
        pairs.append(("{{ authority.official.name }}", tx["official_signature"]))
    table = doc.add_table(rows=3, cols=2)
    lines, names, labels = table.rows
    for row in table.rows:
        no_split(row)
    for i, (name, label) in enumerate(pairs[:2]):
        lines.cells[i].text = "\n\n_________________________________"
        names.cells[i].text = name
        labels.cells[i].text = label
        # The label names the column's signer: a header cell in the tagged PDF (scope: column).
        labels.cells[i].paragraphs[0].style = doc.styles[TABLE_HEADING]
        small(labels.cells[i].paragraphs[0].runs[0], 8.5)
    # Every row keeps with the next, the last one too: the signature block (the tables of the
    # signers, then the interpreter's line) stays together on one page.
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                keep_with_next(p)
    set_col_widths(table, [8.3, 8.3])


def interpreter_line(doc: DocumentObject, tx: dict[str, Any]) -> None:
    """A signature line for the interpreter, its label under it like the signers' labels.

    "Tulkkina toimi: ____" as the body's last line sat right above the footer that names the
    customer, and the name read as the interpreter's; under the line, the label belongs to it.
    """
    table = doc.add_table(rows=2, cols=2)
    lines, labels = table.rows
    for row in table.rows:
        no_split(row)
    lines.cells[0].text = "\n\n_________________________________"
    for p in lines.cells[0].paragraphs:
        keep_with_next(p)
    labels.cells[0].text = tx["interpreter_present"]
    labels.cells[0].paragraphs[0].style = doc.styles[TABLE_HEADING]
    small(labels.cells[0].paragraphs[0].runs[0], 8.5)
    set_col_widths(table, [8.3, 8.3])


# ---------------------------------------------------------------------------------------------
# The interpretation-cost claim and the no-show fee notice

# A claim names no one: its footer shows the claimant and the period, never a person.
CLAIM_FOOTER = "{{ claimant.name }} · {{ period }}"


def compact_table(table: Table, size: float = 8, right: tuple[int, ...] = (), margin: float | None = None) -> Table:
    """Smaller text in every cell (a long table of many columns); numbers right-aligned in `right` columns.

    Each cell holds one run (a label, or one Jinja tag), so resizing runs keeps every tag whole.
    `margin` (cm) narrows the cells' left and right padding, for tables of many columns.
    """
    if margin is not None:
        # Narrower padding leaves room for the longest word of a column: a word that does not fit its
        # cell is broken mid-word by LibreOffice ("Kotoutumissuunnitelma n").
        cell_margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(int(Cm(margin).twips)))
            el.set(qn("w:type"), "dxa")
            cell_margins.append(el)
        table._tbl.tblPr.append(cell_margins)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            for p in cell.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                if i in right and not p.text.startswith("{%"):
                    p.alignment = WD_PARAGRAPH_ALIGNMENT.RIGHT
                for run in p.runs:
                    small(run, size)
    return table


def build_interpretation_claim(lang: str) -> DocumentObject:
    """The interpretation-cost claim to the KEHA Centre (case format section 4) in one language."""
    doc, tx = new_document("interpretation-claim", lang, footer_text=CLAIM_FOOTER)
    doc.add_paragraph("{{ title }}", style="Title")
    meta = plain(doc, f"{tx['recipient']}: {{{{ recipient }}}} · {tx['period']} {{{{ period }}}}")
    meta.runs[0].bold = True
    plain(doc, f"{tx['submitted']}: {{{{ submitted }}}} · {tx['legal_basis']}: {{{{ act|upfirst }}}}")

    heading(doc, tx["h_claimant"])
    label_table(doc, [
        (tx["name"], "{{ claimant.name }}"),
        (tx["business_id"], "{{ claimant.business_id }}"),
        (tx["address"], "{{ claimant.address }}"),
        (tx["contact_person"], "{{ claimant.contact_name }}"),
        (tx["contact"], "{{ claimant.contact }}"),
        (tx["iban"], "{{ claimant.iban }}"),
    ])
    heading(doc, tx["h_summary"])
    label_table(doc, [
        (tx["period"], "{{ period }}"),
        (tx["claimed_rows"], "{{ totals.rows }}"),
        (tx["minutes_total"], "{{ totals.minutes }}"),
        (tx["cost_total"], "{{ totals.cost }}"),
        (tx["vat_total"], "{{ totals.vat }}"),
        (tx["grand_total"], "{{ totals.total }}"),
        (tx["not_claimed"], "{{ excluded_totals.rows }}"),
    ], together=True)
    plain(doc, tx["privacy_text"]).runs[0].italic = True

    heading(doc, tx["h_rows"])
    tag(doc, "{%p if rows %}")
    # The long table: its header row repeats on every page it runs onto (list_table marks it). Each row
    # carries its invoice, so that the KEHA Centre and the auditor can trace it. The widths leave the
    # longest word of every purpose in fi, sv and en whole (tests/test_claim.py renders them all).
    compact_table(list_table(
        doc,
        [tx["col_case"], tx["col_initials"], tx["col_born"], tx["col_date"], tx["col_purpose"], tx["col_language"],
         tx["col_minutes"], tx["col_cost"], tx["col_vat"], tx["col_invoice"]],
        "r in rows",
        ["{{ r.case_id }}", "{{ r.initials }}", "{{ r.date_of_birth }}", "{{ r.date }}", "{{ r.purpose }}",
         "{{ r.language }}", "{{ r.minutes }}", "{{ r.cost }}", "{{ r.vat }}", "{{ r.invoice }}"],
        [2.2, 1.2, 1.55, 1.55, 3.2, 1.35, 0.8, 1.6, 1.35, 1.8],
    ), size=7.5, right=(6, 7, 8), margin=0.08)
    tag(doc, "{%p else %}")
    plain(doc, tx["none"])
    tag(doc, "{%p endif %}")
    # CLAIM-VAT: the rule data decides whether the amount claimed includes VAT; the text says which.
    tag(doc, "{%p if vat_claimed %}")
    plain(doc, tx["vat_text_included"]).runs[0].italic = True
    tag(doc, "{%p else %}")
    plain(doc, tx["vat_text"]).runs[0].italic = True
    tag(doc, "{%p endif %}")

    heading(doc, tx["h_per_person"])
    compact_table(list_table(
        doc,
        [tx["col_case"], tx["col_initials"], tx["col_born"], tx["col_rows"], tx["col_minutes"], tx["col_cost"],
         tx["col_vat"], tx["col_claimed"]],
        "s in per_person",
        ["{{ s.case_id }}", "{{ s.initials }}", "{{ s.date_of_birth }}", "{{ s.rows }}", "{{ s.minutes }}",
         "{{ s.cost }}", "{{ s.vat }}", "{{ s.total }}"],
        [3.0, 1.6, 2.2, 1.2, 1.4, 2.5, 2.2, 2.5],
    ), right=(3, 4, 5, 6, 7))
    heading(doc, tx["h_per_purpose"])
    compact_table(list_table(
        doc,
        [tx["col_purpose"], tx["col_rows"], tx["col_minutes"], tx["col_cost"], tx["col_vat"], tx["col_claimed"]],
        "s in per_purpose",
        ["{{ s.purpose }}", "{{ s.rows }}", "{{ s.minutes }}", "{{ s.cost }}", "{{ s.vat }}", "{{ s.total }}"],
        [6.0, 1.2, 1.4, 2.8, 2.4, 2.8],
    ), right=(1, 2, 3, 4, 5))

    heading(doc, tx["h_total"])
    total = label_table(doc, [
        (tx["cost_total"], "{{ totals.cost }}"),
        (tx["vat_total"], "{{ totals.vat }}"),
        (tx["grand_total"], "{{ totals.total }}"),
    ], together=True)
    for cell in total.rows[-1].cells:
        cell.paragraphs[0].runs[0].bold = True

    heading(doc, tx["h_signature"])
    keep_with_next(plain(doc, tx["certify"]))
    signature_table(doc, tx, [("", tx["place_date"]), ("{{ claimant.contact_name }}", tx["signature"])],
                    official=False)

    annex = doc.add_heading(tx["h_annex"], level=1)
    annex.paragraph_format.page_break_before = True
    keep_with_next(annex)
    plain(doc, tx["annex_text"])
    tag(doc, "{%p if excluded %}")
    compact_table(list_table(
        doc,
        [tx["col_case"], tx["col_initials"], tx["col_born"], tx["col_date"], tx["col_purpose"], tx["col_cost"],
         tx["col_invoice"], tx["col_reason"], tx["col_rule"]],
        "x in excluded",
        ["{{ x.case_id }}", "{{ x.initials }}", "{{ x.date_of_birth }}", "{{ x.date }}", "{{ x.purpose }}",
         "{{ x.cost }}", "{{ x.invoice }}", "{{ x.reason }}", "{{ x.rule }}"],
        [2.1, 1.15, 1.55, 1.55, 3.0, 1.45, 1.95, 2.1, 1.75],
    ), size=7.5, right=(5,), margin=0.08)
    heading(doc, tx["h_per_reason"], 2)
    compact_table(list_table(
        doc,
        [tx["col_reason"], tx["col_rule"], tx["col_rows"], tx["col_cost"]],
        "s in per_reason",
        ["{{ s.reason }}", "{{ s.rule }}", "{{ s.rows }}", "{{ s.cost }}"],
        [8.0, 3.2, 1.6, 3.8],
    ), right=(2, 3))
    tag(doc, "{%p else %}")
    plain(doc, tx["annex_none"])
    tag(doc, "{%p endif %}")
    return doc


def build_no_show_notice(lang: str) -> DocumentObject:
    """The notice of a fee for unused interpretation (case format section 5) in one language, on one page."""
    doc, tx = new_document("no-show-notice", lang, footer_text="{{ customer.full_name }}")
    doc.add_paragraph("{{ title }}", style="Title")
    plain(doc, f"{tx['date']} {{{{ issued }}}} · {tx['case_id']} {{{{ case_id }}}}").runs[0].bold = True
    plain(doc, f"{tx['legal_basis']}: {{{{ act|upfirst }}}}, {tx['section']}")

    # The addressee as on a letter: name and address, no heading.
    to = keep_with_next(plain(doc, "{{ customer.full_name }}"))
    to.paragraph_format.space_before = Pt(10)
    to.paragraph_format.space_after = Pt(0)
    plain(doc, "{{ customer.address }}").paragraph_format.space_after = Pt(10)
    plain(doc, tx["intro"])

    heading(doc, tx["h_appointment"])
    label_table(doc, [
        (tx["appointment_date"], "{{ appointment.date }}"),
        (tx["purpose"], "{{ appointment.purpose }}"),
        (tx["language"], "{{ appointment.language }}"),
        (tx["mode"], "{{ appointment.mode }}"),
        (tx["provider"], "{{ appointment.provider }}"),
        (tx["booked_at"], "{{ appointment.booked_at }}"),
    ], together=True)
    # The notice is one page in every language (the Swedish title takes two lines): the empty
    # paragraphs after its tables are 1 pt, the heading or the text that follows gives the space.
    make_one_point(doc.paragraphs[-1]._p.get_or_add_pPr())

    heading(doc, tx["h_fee"])
    fee = label_table(doc, [(tx["amount"], "{{ fee.amount }}"), (tx["due"], "{{ fee.due }}")], together=True)
    for row in fee.rows:
        row.cells[1].paragraphs[0].runs[0].bold = True
    make_one_point(doc.paragraphs[-1]._p.get_or_add_pPr())
    plain(doc, tx["fee_text"]).paragraph_format.space_before = Pt(8)

    heading(doc, tx["h_explain"])
    plain(doc, tx["explain_text"])
    keep_with_next(plain(doc, tx["reasons_text"] + ":")).runs[0].bold = True
    bullets(doc, "x in reasons", "{{ x }}")

    heading(doc, tx["h_contact"])
    label_table(doc, [
        (tx["authority_name"], "{{ authority.name }}"),
        (tx["official"], "{{ authority.official.name }}, {{ authority.official.title }}"),
        (f"{tx['phone']} · {tx['email']}", "{{ authority.official.phone }} · {{ authority.official.email }}"),
        (tx["address"], "{{ authority.address }}"),
    ], together=True)
    return doc


BUILDERS = {
    "integration-plan": build_integration_plan,
    "minor-plan": build_minor_plan,
    "family-plan": build_family_plan,
    "interpretation-claim": build_interpretation_claim,
    "no-show-notice": build_no_show_notice,
}


def end_with_small_paragraph(doc: DocumentObject) -> None:
    """End the body with a 1 pt empty paragraph after its last table.

    Word and Writer need a paragraph after a table at the end of a document; at the Normal size,
    when the table ends at the foot of a page, that empty paragraph alone made an empty last page
    (seen on the English no-show notice with a long name). At 1 pt it fits under the table.
    """
    body = doc.element.body
    last = body.sectPr.getprevious() if body.sectPr is not None else None
    if last is None:
        return
    if last.tag == qn("w:tbl"):
        last = doc.add_paragraph()._p
    elif last.tag != qn("w:p") or "".join(last.itertext()).strip():
        return
    make_one_point(last.get_or_add_pPr())


_STYLE_REFS = re.compile(rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"')
_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def lean(doc: DocumentObject) -> None:
    """Leave out what python-docx's default document carries and no template uses.

    Its styles part defines 165 styles, of which a template uses about 20, and a second copy of
    them (`stylesWithEffects.xml`, for Word 2010) comes with a thumbnail picture: together some
    800 kB of XML in every document, which LibreOffice reads for each conversion (measured: about
    a quarter of its CPU time a document, for the same pages, pixel for pixel) and kotodoc
    compresses for each DOCX. Kept: the styles the body, headers, footers and numbering name, the
    default styles, the styles those are based on or linked to, and the latent-style table, with
    which Word still offers its built-in styles to a municipality editing the template.
    """
    package = doc.part.package
    used: set[str] = set()
    for part in package.iter_parts():
        if part.partname.startswith("/word/") and part.partname.endswith(".xml") and "styles" not in part.partname:
            used.update(v.decode() for v in _STYLE_REFS.findall(part.blob))
    styles = {s.get(qn("w:styleId")): s for s in doc.styles.element.iterchildren(qn("w:style"))}
    keep = {sid for sid, s in styles.items() if sid in used or s.get(qn("w:default")) == "1"}
    grown = True
    while grown:
        grown = False
        for sid in list(keep):
            for tag in ("w:basedOn", "w:next", "w:link"):
                ref = styles[sid].find(qn(tag))
                target = ref.get(qn("w:val")) if ref is not None else None
                if target in styles and target not in keep:
                    keep.add(target)
                    grown = True
    for sid, style in styles.items():
        if sid not in keep:
            doc.styles.element.remove(style)
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype == _WITH_EFFECTS:
            doc.part.drop_rel(rid)
    for rid, rel in list(package.rels.items()):
        if rel.reltype == _THUMBNAIL:
            package.rels.pop(rid)


def main() -> None:
    """Write every kind in every language."""
    data = YAML(typ="safe").load((ROOT / "tools" / "template-text.yaml").read_text(encoding="utf-8"))
    for kind, build in BUILDERS.items():
        if kind not in data:
            print(f"skipping {kind}: no wording in tools/template-text.yaml yet")
            continue
        for lang in LANGS:
            doc = build(lang)
            body_logo(doc)
            if lang in HYPHENATED:
                hyphenate_cells_only(doc)
            end_with_small_paragraph(doc)
            lean(doc)
            out = ROOT / "templates" / lang / f"{kind}.docx"
            out.parent.mkdir(parents=True, exist_ok=True)
            # Fixed ZIP entry times, so rebuilding unchanged wording leaves the files byte-identical.
            buffer = io.BytesIO()
            doc.save(buffer)
            out.write_bytes(normalise_zip(buffer.getvalue(), BUILD_TIME, out))
            print(out.relative_to(ROOT))


if __name__ == "__main__":
    main()
