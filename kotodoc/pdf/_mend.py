"""What LibreOffice 7.4 leaves out of PDF/UA with PDF/A, mended in the bytes it wrote.

The structure tree and the pages are read once, with pikepdf (qpdf's parser, in C++): a document
has 400 to 1,000 structure objects, and parsing them in pure Python (pypdf, twice) cost about
150 ms of CPU a document, a third of what LibreOffice spends making it, on the cores LibreOffice
needs in a batch. The edits themselves are byte splices (`_layout`): the file stays as
LibreOffice laid it out.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from kotodoc._files import atomic_write
from kotodoc.errors import ConversionError
from kotodoc.pdf._layout import Splice, number_object, object_span, splice, stream_splices

# PDF/A-2 admits XMP properties of its own and XMP's schemas only, others when the packet describes
# their schema; LibreOffice 7.4 writes `pdfuaid:part` without that description.
_PDFUA_SCHEMA = b"""  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" \
xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>part</pdfaProperty:name>
     <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
     <pdfaProperty:category>internal</pdfaProperty:category>
     <pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
"""


def amend_pdf(path: Path) -> None:
    """Describe the PDF/UA schema in the XMP, give label cells the scope `Row`, tag the figures' pictures.

    The first two edits keep every byte offset: the schema's description takes the place of some
    of the XMP packet's padding, and `/Column` becomes `/Row` padded with spaces. Tagging a
    figure's picture (`_tag_figures`) rewrites a page's content stream and shifts the
    cross-reference table's offsets to match, as `pin_pdf` does; so does ending a stream whose
    data ends with a carriage return with CR LF (`_end_streams_cleanly`). All of them work from
    one reading of the file (`_survey`): the first two move nothing, and the object numbers the
    others look for do not change.

    Raises:
        ConversionError: the file cannot be read as a PDF.
    """
    data = path.read_bytes()
    survey = _survey(path)
    amended = _scope_row_headers(survey, _describe_pdfua(data))
    amended = _end_streams_cleanly(path, _tag_figures(path, survey, amended))
    if amended != data:
        atomic_write(path, amended)


def _describe_pdfua(data: bytes) -> bytes:
    if b"pdfuaid:" not in data or b"pdfaExtension:schemas" in data:
        return data
    end = data.find(b"</rdf:RDF>")
    match = re.compile(rb"</x:xmpmeta>(\s+)<\?xpacket end=").search(data, end) if end >= 0 else None
    if match is None or len(match.group(1)) < len(_PDFUA_SCHEMA) + 2:
        return data  # no room in the packet: left as LibreOffice wrote it
    return (data[:end] + _PDFUA_SCHEMA + data[end:match.start(1)] + match.group(1)[len(_PDFUA_SCHEMA):]
            + data[match.end(1):])


# ---------------------------------------------------------------------------------------------
# One reading of the structure tree and the pages


@dataclass
class _Page:
    """A page whose content is one stream: the page's index, the stream's object number, the page's key, the content."""

    index: int
    contents: int
    key: int  # the page's /StructParents, -1 when it has none
    content: bytes  # decoded


@dataclass
class _Survey:
    """What the mending needs to know of a PDF, read in one walk."""

    # The attribute objects of the TH cells that head a row of TD cells.
    row_headers: set[int] = field(default_factory=set)
    # Per page index, the figures with no content: (object number, lower-left corner of their box).
    figures: dict[int, list[tuple[int, tuple[float, float]]]] = field(default_factory=dict)
    # The parent tree (its object number, and per key the length of its array), when it is a
    # /Nums array as LibreOffice writes it; None when the PDF is not tagged or has another one.
    parent_tree: int | None = None
    entries: dict[int, int] = field(default_factory=dict)
    pages: list[_Page] = field(default_factory=list)


def _survey(path: Path) -> _Survey:
    """Read the structure tree once (row headers and empty figures in one walk), and each page's content.

    Raises:
        ConversionError: the file or its structure tree cannot be read.
    """
    try:
        # Page attributes are not pushed down to the pages: qpdf would resolve every inherited
        # one at opening (9 ms), and only /Contents and /StructParents are read, never inherited.
        with pikepdf.open(path, inherit_page_attributes=False) as pdf:
            return _read(pdf)
    except (pikepdf.PdfError, KeyError, AttributeError, TypeError, ValueError) as e:
        raise ConversionError(f"{path.name}: cannot read the structure tree ({type(e).__name__})") from None


def _read(pdf: pikepdf.Pdf) -> _Survey:
    survey = _Survey()
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    tree = pdf.Root.get("/StructTreeRoot")
    if isinstance(tree, pikepdf.Dictionary):
        # A tree has no more elements than the file has objects (/Size) unless it shares them
        # between parents or loops back; the walk stops at four times as many.
        size = pdf.trailer.get("/Size")
        _walk(tree, pages, survey, limit=4 * size + 1000 if isinstance(size, int) else 10**7)
        parent = tree.get("/ParentTree")
        if isinstance(parent, pikepdf.Dictionary) and parent.is_indirect and "/Nums" in parent:
            nums = list(parent.Nums)
            survey.parent_tree = parent.objgen[0]
            survey.entries = {int(nums[i]): len(nums[i + 1]) for i in range(0, len(nums) - 1, 2)}
    for index, page in enumerate(pdf.pages):
        contents = page.obj.get("/Contents")
        # LibreOffice writes one content stream a page; an array of them is not mended.
        if not isinstance(contents, pikepdf.Stream):
            continue
        key = int(page.obj.StructParents) if "/StructParents" in page.obj else -1
        survey.pages.append(_Page(index, contents.objgen[0], key, contents.read_bytes()))
    return survey


def _walk(tree: pikepdf.Dictionary, pages: dict[tuple[int, int], int], survey: _Survey, limit: int) -> None:
    """Every structure element: note the row headers of each TR and each figure without content.

    About 20 µs an element, half of it qpdf parsing the object, half pikepdf's wrappers: each
    element's keys are read once. A tree that loops back on itself would be walked without end;
    a walk that meets more than `limit` elements stops with an error (a set of the elements seen
    cost 2 µs an element).

    Raises:
        ValueError: the walk met more than `limit` elements.
    """
    stack: list[object] = [tree.get("/K")]
    met = 0
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Array):
            stack.extend(element)
            continue
        if not isinstance(element, pikepdf.Dictionary):
            continue  # a marked-content number, or nothing
        kind = element.get("/S")
        if kind is None:
            continue  # a marked-content or object reference, not an element
        met += 1
        if met > limit:
            raise ValueError("the structure tree loops back on itself")
        kids = element.get("/K")
        name = str(kind)
        if name == "/TR":
            _row_headers(_elements(kids), survey.row_headers)
        elif name == "/Figure" and kids is None and element.is_indirect:
            _empty_figure(element, pages, survey.figures)
        if kids is not None:
            stack.append(kids)


def _elements(kids: object) -> list[tuple[str, pikepdf.Dictionary]]:
    """The structure elements among an element's kids (/K: one kid or an array), with their types."""
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return [(str(c.get("/S")), c) for c in items if isinstance(c, pikepdf.Dictionary) and "/S" in c]


def _row_headers(cells: list[tuple[str, pikepdf.Dictionary]], found: set[int]) -> None:
    """The attribute objects of the TH cells of a row that holds TD cells: those cells head the row."""
    if not any(kind == "/TD" for kind, _ in cells):
        return
    for kind, cell in cells:
        attributes = cell.get("/A") if kind == "/TH" else None  # one object, or an array of them
        if attributes is None:
            continue
        items = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes]
        found.update(item.objgen[0] for item in items if isinstance(item, pikepdf.Object) and item.is_indirect)


def _empty_figure(figure: pikepdf.Dictionary, pages: dict[tuple[int, int], int],
                  found: dict[int, list[tuple[int, tuple[float, float]]]]) -> None:
    page = figure.get("/Pg")
    attributes = figure.get("/A")
    box = attributes.get("/BBox") if isinstance(attributes, pikepdf.Dictionary) else None
    if page is not None and page.is_indirect and page.objgen in pages and box is not None:
        found.setdefault(pages[page.objgen], []).append((figure.objgen[0], (float(box[0]), float(box[1]))))


# ---------------------------------------------------------------------------------------------
# The mending


def _scope_row_headers(survey: _Survey, data: bytes) -> bytes:
    """Give the label cells of label/value tables the scope `Row`.

    LibreOffice 7.4 writes `/Scope /Column` on every TH. A TH followed by TD cells in its row
    (a label and its value) heads that row, and a screen reader that trusts `Column` pairs the
    label with the cells below it. Each cell's attributes are an object of their own,
    `<</O/Table\n/Scope/Column\n>>`; `/Column` becomes `/Row` padded with spaces to the same
    length, so no offset moves and the file stays as LibreOffice laid it out.
    """
    if not survey.row_headers:
        return data
    amended = bytearray(data)
    for cell in _TABLE_SCOPE.finditer(data):
        head = _HEAD_BEFORE.search(data, max(0, cell.start() - 32), cell.start())
        if head is not None and int(head.group(1)) in survey.row_headers:
            amended[cell.end() - len(b"/Column"):cell.end()] = b"/Row   "
    return bytes(amended)


# A table cell's attributes as LibreOffice writes them, and the head of the object they are
# (found from the attributes back: `<</O/Table` is rare in the file, an object's head is not).
_TABLE_SCOPE = re.compile(rb"<</O/Table\s*/Scope/Column")
_HEAD_BEFORE = re.compile(rb"\n(\d+) 0 obj\n\Z")


# A picture LibreOffice 7.4 draws as an artifact: its clip, its placement (x, y) and its name.
_ARTIFACT_PICTURE = re.compile(
    rb"/Artifact BMC\n(?:Q q [^\n]* re\nW\* n\n)?q (?:[-\d.]+ ){4}([-\d.]+) ([-\d.]+) cm\n/\w+ Do Q\nEMC")


def _tag_figures(path: Path, survey: _Survey, data: bytes) -> bytes:
    """Make each figure's picture its tagged content, and loose lines artifacts.

    LibreOffice 7.4 writes a Figure element for a picture in the body, with its /Alt and its
    bounding box, but no content (no /K), and draws the picture itself as an artifact: a screen
    reader then meets neither the picture nor its text. The picture drawn at the figure's box
    becomes a marked-content sequence of the figure (`/Figure <</MCID n>> BDC`), the figure gets
    `/K n`, and the page's entry in the parent tree gets the figure as its number n. Pictures
    drawn elsewhere (the header's logo on later pages) stay artifacts: page furniture.

    It also draws a paragraph's border in the footer (the rule above it) outside any marked
    content, which PDF/UA forbids (content is either tagged or an artifact): such a
    `q … S Q` group becomes an artifact. Every page is looked at, with a figure or without.
    """
    if survey.parent_tree is None:
        return data  # not tagged, or a parent tree of /Kids (not as LibreOffice writes it)
    parent_at = object_span(data, survey.parent_tree)
    splices: list[Splice] = []
    for page in survey.pages:
        content = _artifact_paths(page.content)
        tagged: list[int] = []
        if page.key in survey.entries:
            mcid = survey.entries[page.key]
            for number, (x, y) in survey.figures.get(page.index, []):
                match = next((m for m in _ARTIFACT_PICTURE.finditer(content)
                              if abs(float(m.group(1)) - x) < 2 and abs(float(m.group(2)) - y) < 2), None)
                if match is None:
                    continue
                content = (content[:match.start()] + b"/Figure<</MCID %d>>BDC" % mcid
                           + content[match.start() + len(b"/Artifact BMC"):])
                head = object_span(data, number)
                marker = data.find(b"/S/Figure\n", head[0], head[1])
                if marker < 0:
                    raise ConversionError(f"{path.name}: unexpected layout of a figure; cannot tag its picture")
                at = marker + len(b"/S/Figure\n")
                splices.append((at, at, b"/K %d\n" % mcid))
                tagged.append(number)
                mcid += 1
        if content == page.content:
            continue
        splices.extend(stream_splices(path, data, page.contents, zlib.compress(content, 9)))
        if tagged:
            entry = re.compile(rb"[\[\n]%d \[[^\]]*\]" % page.key).search(data, *parent_at)
            if entry is None:
                raise ConversionError(f"{path.name}: unexpected layout of the parent tree; cannot tag a figure")
            refs = b"".join(b" %d 0 R" % n for n in tagged)
            splices.append((entry.end() - 1, entry.end() - 1, refs))
    return splice(data, splices, path) if splices else data


_PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}


def _artifact_paths(content: bytes) -> bytes:
    """Wrap each `q … Q` group that paints a path outside any marked content in `/Artifact BMC … EMC`.

    LibreOffice writes one operator a line and hexadecimal strings, so lines are operators.
    """
    lines = content.split(b"\n")
    out: list[bytes] = []
    depth = i = 0
    while i < len(lines):
        line = lines[i]
        if depth == 0 and (line == b"q" or line.startswith(b"q ")):
            # the group up to its Q (q/Q nest), if it holds no marked content and paints a path
            level, j = 0, i
            while j < len(lines):
                words = lines[j].split()
                level += words.count(b"q") - words.count(b"Q")
                if level <= 0:
                    break
                j += 1
            group = lines[i:j + 1]
            marked = any(g.endswith((b"BDC", b"BMC", b"EMC")) for g in group)
            if j < len(lines) and not marked and any(g.split()[-1:] and g.split()[-1] in _PAINT for g in group):
                out += [b"/Artifact BMC", *group, b"EMC"]
                i = j + 1
                continue
        if line.endswith((b"BDC", b"BMC")):
            depth += 1
        elif line == b"EMC":
            depth = max(0, depth - 1)
        out.append(line)
        i += 1
    return b"\n".join(out)


_STREAM_HEAD = re.compile(rb"\n(\d+) 0 obj\n<<[^>]*/Length (\d+)( 0 R)?[^>]*>>\nstream\n")


def _end_streams_cleanly(path: Path, data: bytes) -> bytes:
    """End with CR LF, not LF, each stream whose data ends with a carriage return.

    LibreOffice writes `\nendstream` after a stream's data. When the compressed data happens to
    end with a CR byte (a font file, now and then: its last byte is the data's checksum), a reader
    takes CR LF for the end-of-line before `endstream`, and the data is one byte shorter than its
    /Length: PDF/A-2 forbids it (found by the validator in tests/test_accessibility.py). With
    CR LF after it, the end-of-line is that CR LF and the data keeps its CR.
    """
    if b"\r\nendstream" not in data:
        return data  # no stream's data ends with CR (most files): the streams need not be read
    splices: list[Splice] = []
    for head in _STREAM_HEAD.finditer(data):
        length = int(head.group(2))
        if head.group(3) is not None:
            found = number_object(data, length)
            if found is None:
                continue
            length = int(found.group(1))
        end = head.end() + length
        if length and data[end - 1:end] == b"\r" and data[end:end + 10] == b"\nendstream":
            splices.append((end, end, b"\r"))
    return splice(data, splices, path) if splices else data
