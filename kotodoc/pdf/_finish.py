"""Stage 7: check the finished PDF with pypdf: metadata, language, PDF/A and PDF/UA identity, fonts.

LibreOffice writes the title, author and subject from the DOCX core properties into both the info
dictionary and the XMP packet, and the document language into /Lang; writing them again with
pypdf would have to keep info and XMP in step for PDF/A to stay valid. So this stage reads back
and verifies, and a PDF that lacks any of it is an error rather than a silent success.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject, IndirectObject

from kotodoc._files import atomic_write
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
    pdfua: str = ""  # "1" for PDF/UA-1, "" when not identified as PDF/UA


def read_facts(path: Path) -> PdfFacts:
    """Read the metadata and fonts of a PDF."""
    reader = PdfReader(path)
    info: Mapping[str, Any] = reader.metadata or {}
    root = reader.trailer["/Root"]
    lang = root.get("/Lang", "") if isinstance(root, DictionaryObject) else ""
    pdfa = pdfua = ""
    xmp = reader.xmp_metadata
    if xmp is not None:
        part = xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "part")
        conf = xmp.get_element("", "http://www.aiim.org/pdfa/ns/id/", "conformance")
        # pypdf returns attribute nodes for attributes and elements for elements; take either.
        part_text = _node_text(part)
        conf_text = _node_text(conf)
        pdfa = f"{part_text}{conf_text}".upper()
        pdfua = _node_text(xmp.get_element("", "http://www.aiim.org/pdfua/ns/id/", "part"))
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
        pdfua=pdfua,
    )


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


# ---------------------------------------------------------------------------------------------
# What LibreOffice 7.4 leaves out of PDF/UA with PDF/A

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
    data ends with a carriage return with CR LF (`_end_streams_cleanly`).

    Raises:
        ConversionError: the file cannot be read as a PDF.
    """
    data = path.read_bytes()
    amended = _end_streams_cleanly(path, _tag_figures(path, _describe_pdfua(_scope_row_headers(path, data))))
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


def _scope_row_headers(path: Path, data: bytes) -> bytes:
    """Give the label cells of label/value tables the scope `Row`.

    LibreOffice 7.4 writes `/Scope /Column` on every TH. A TH followed by TD cells in its row
    (a label and its value) heads that row, and a screen reader that trusts `Column` pairs the
    label with the cells below it. Each cell's attributes are an object of their own,
    `<</O/Table\n/Scope/Column\n>>`; `/Column` becomes `/Row` padded with spaces to the same
    length, so no offset moves and the file stays as LibreOffice laid it out.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        root = reader.trailer["/Root"].get_object()
        tree = root.get("/StructTreeRoot") if isinstance(root, DictionaryObject) else None
        tree = tree.get_object() if tree is not None else None
        numbers = _row_header_attributes(tree) if isinstance(tree, DictionaryObject) else set()
    except (PyPdfError, KeyError, AttributeError, TypeError) as e:
        raise ConversionError(f"{path.name}: cannot read the structure tree ({type(e).__name__})") from None
    if not numbers:
        return data

    def row(match: re.Match[bytes]) -> bytes:
        if int(match.group(1)) not in numbers:
            return match.group(0)
        return match.group(0)[: -len(b"/Column")] + b"/Row   "

    return re.sub(rb"\n(\d+) 0 obj\n<</O/Table\s*/Scope/Column", row, data)


# A picture LibreOffice 7.4 draws as an artifact: its clip, its placement (x, y) and its name.
_ARTIFACT_PICTURE = re.compile(
    rb"/Artifact BMC\n(?:Q q [^\n]* re\nW\* n\n)?q (?:[-\d.]+ ){4}([-\d.]+) ([-\d.]+) cm\n/\w+ Do Q\nEMC")


def _tag_figures(path: Path, data: bytes) -> bytes:
    """Make each figure's picture its tagged content, and loose lines artifacts.

    LibreOffice 7.4 writes a Figure element for a picture in the body, with its /Alt and its
    bounding box, but no content (no /K), and draws the picture itself as an artifact: a screen
    reader then meets neither the picture nor its text. The picture drawn at the figure's box
    becomes a marked-content sequence of the figure (`/Figure <</MCID n>> BDC`), the figure gets
    `/K n`, and the page's entry in the parent tree gets the figure as its number n. Pictures
    drawn elsewhere (the header's logo on later pages) stay artifacts: page furniture.

    It also draws a paragraph's border in the footer (the rule above it) outside any marked
    content, which PDF/UA forbids (content is either tagged or an artifact): such a
    `q … S Q` group becomes an artifact.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        found = _empty_figures(reader)
    except (PyPdfError, KeyError, AttributeError, TypeError, ValueError) as e:
        raise ConversionError(f"{path.name}: cannot read the structure tree ({type(e).__name__})") from None
    root = reader.trailer["/Root"].get_object()
    root = root.get("/StructTreeRoot") if isinstance(root, DictionaryObject) else None
    root = root.get_object() if root is not None else None
    if not isinstance(root, DictionaryObject) or "/ParentTree" not in root:
        return data  # not tagged: nothing to mend
    parent_ref = root.raw_get("/ParentTree")
    parent_tree = root["/ParentTree"].get_object()
    if not isinstance(parent_ref, IndirectObject) or not isinstance(parent_tree, DictionaryObject) \
            or "/Nums" not in parent_tree:
        return data  # a parent tree of /Kids: not as LibreOffice writes it
    nums: list[Any] = list(parent_tree["/Nums"].get_object())  # type: ignore[call-overload]
    entries = {int(nums[i]): len(nums[i + 1].get_object()) for i in range(0, len(nums) - 1, 2)}
    parent_at = _object_span(data, parent_ref.idnum)
    splices: list[tuple[int, int, bytes]] = []
    for page_number, page in enumerate(reader.pages):
        contents = page.raw_get("/Contents") if "/Contents" in page else None
        if not isinstance(contents, IndirectObject):
            continue
        stream = page.get_contents()
        original = stream.get_data() if stream is not None else b""
        content = _artifact_paths(original)
        key = int(page["/StructParents"]) if "/StructParents" in page else -1  # type: ignore[call-overload]
        tagged: list[int] = []
        if key in entries:
            mcid = entries[key]
            for number, (x, y) in found.get(page_number, []):
                match = next((m for m in _ARTIFACT_PICTURE.finditer(content)
                              if abs(float(m.group(1)) - x) < 2 and abs(float(m.group(2)) - y) < 2), None)
                if match is None:
                    continue
                content = (content[:match.start()] + b"/Figure<</MCID %d>>BDC" % mcid
                           + content[match.start() + len(b"/Artifact BMC"):])
                head = _object_span(data, number)
                marker = data.find(b"/S/Figure\n", head[0], head[1])
                if marker < 0:
                    raise ConversionError(f"{path.name}: unexpected layout of a figure; cannot tag its picture")
                at = marker + len(b"/S/Figure\n")
                splices.append((at, at, b"/K %d\n" % mcid))
                tagged.append(number)
                mcid += 1
        if content == original:
            continue
        splices.extend(_stream_splices(path, data, contents.idnum, zlib.compress(content, 9)))
        if tagged:
            entry = re.compile(rb"[\[\n]%d \[[^\]]*\]" % key).search(data, *parent_at)
            if entry is None:
                raise ConversionError(f"{path.name}: unexpected layout of the parent tree; cannot tag a figure")
            refs = b"".join(b" %d 0 R" % n for n in tagged)
            splices.append((entry.end() - 1, entry.end() - 1, refs))
    return _splice(data, splices, path) if splices else data


_STREAM_HEAD = re.compile(rb"\n(\d+) 0 obj\n<<[^>]*/Length (\d+)( 0 R)?[^>]*>>\nstream\n")


def _end_streams_cleanly(path: Path, data: bytes) -> bytes:
    """End with CR LF, not LF, each stream whose data ends with a carriage return.

    LibreOffice writes `\nendstream` after a stream's data. When the compressed data happens to
    end with a CR byte (a font file, now and then: its last byte is the data's checksum), a reader
    takes CR LF for the end-of-line before `endstream`, and the data is one byte shorter than its
    /Length: PDF/A-2 forbids it (found by the validator in tests/test_accessibility.py). With
    CR LF after it, the end-of-line is that CR LF and the data keeps its CR.
    """
    splices: list[tuple[int, int, bytes]] = []
    for head in _STREAM_HEAD.finditer(data):
        length = int(head.group(2))
        if head.group(3) is not None:
            found = re.compile(rb"\n%d 0 obj\n(\d+)\nendobj" % length).search(data)
            if found is None:
                continue
            length = int(found.group(1))
        end = head.end() + length
        if length and data[end - 1:end] == b"\r" and data[end:end + 10] == b"\nendstream":
            splices.append((end, end, b"\r"))
    return _splice(data, splices, path) if splices else data


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


def _empty_figures(reader: PdfReader) -> dict[int, list[tuple[int, tuple[float, float]]]]:
    """Per page index, the figures with no content: (object number, lower-left corner of their box)."""
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)
             if page.indirect_reference is not None}
    found: dict[int, list[tuple[int, tuple[float, float]]]] = {}
    root = reader.trailer["/Root"].get_object()
    tree = root.get("/StructTreeRoot") if isinstance(root, DictionaryObject) else None
    tree = tree.get_object() if tree is not None else None
    stack: list[Any] = [tree.raw_get("/K")] if isinstance(tree, DictionaryObject) and "/K" in tree else []
    while stack:
        ref = stack.pop()
        element = ref.get_object()
        if isinstance(element, list):
            stack.extend(element)
            continue
        if not isinstance(element, DictionaryObject) or "/S" not in element:
            continue
        if str(element["/S"]) == "/Figure" and "/K" not in element and isinstance(ref, IndirectObject):
            page = element.raw_get("/Pg") if "/Pg" in element else None
            attributes = element.get("/A")
            attributes = attributes.get_object() if attributes is not None else None
            box = attributes.get("/BBox") if isinstance(attributes, DictionaryObject) else None
            if isinstance(page, IndirectObject) and page.idnum in pages and box is not None:
                found.setdefault(pages[page.idnum], []).append((ref.idnum, (float(box[0]), float(box[1]))))
        if "/K" in element:
            stack.append(element.raw_get("/K"))
    return found


def _object_span(data: bytes, number: int) -> tuple[int, int]:
    """Where object `number` starts and ends in the file (LibreOffice writes each object once)."""
    start = data.find(b"\n%d 0 obj\n" % number)
    end = data.find(b"endobj", start)
    if start < 0 or end < 0:
        raise ConversionError(f"object {number} is not where LibreOffice writes it")
    return start, end


def _stream_splices(path: Path, data: bytes, number: int, stream: bytes) -> list[tuple[int, int, bytes]]:
    """The splices that replace the Flate-compressed stream of object `number` and its /Length."""
    head = re.compile(rb"\n%d 0 obj\n<<([^>]*)/Length (\d+)( 0 R)?([^>]*)>>\nstream\n" % number).search(data)
    if head is None or b"/FlateDecode" not in head.group(0):
        raise ConversionError(f"{path.name}: unexpected layout of a page's content; cannot tag a figure")
    start = head.end()
    if head.group(3) is None:  # a direct length
        return [(start, start + int(head.group(2)), stream), (head.start(2), head.end(2), b"%d" % len(stream))]
    length = re.compile(rb"\n%d 0 obj\n(\d+)\nendobj" % int(head.group(2))).search(data)
    if length is None:
        raise ConversionError(f"{path.name}: a page content's length is not where expected")
    return [(start, start + int(length.group(1)), stream), (length.start(1), length.end(1), b"%d" % len(stream))]


def _row_header_attributes(node: DictionaryObject) -> set[int]:
    """The object numbers of the attribute objects of the TH cells that head a row of TD cells."""
    found: set[int] = set()
    stack = [node]
    while stack:
        element = stack.pop()
        kids = element.get("/K")
        kids = kids.get_object() if kids is not None else None
        children = [k.get_object() for k in (kids if isinstance(kids, list) else [kids] if kids is not None else [])]
        children = [c for c in children if isinstance(c, DictionaryObject) and "/S" in c]
        if element.get("/S") == "/TR":
            kinds = [c.get("/S") for c in children]
            if "/TD" in kinds:
                for cell in children:
                    if cell.get("/S") != "/TH" or "/A" not in cell:
                        continue
                    attributes = cell.raw_get("/A")  # one object, or an array of them
                    items = attributes.get_object()
                    refs = items if isinstance(items, list) else [attributes]
                    found.update(ref.idnum for ref in refs if isinstance(ref, IndirectObject))
        stack.extend(children)
    return found


# ---------------------------------------------------------------------------------------------
# Reproducible PDFs


def pin_pdf(path: Path, stamp: dt.datetime) -> None:
    """Make a PDF from LibreOffice byte-identical from run to run: pin its dates and its /ID.

    LibreOffice stamps the time into the info dictionary, the XMP packet and the sRGB profile of
    the PDF/A output intent, and derives /ID and /DocChecksum from them. The info and XMP dates
    are rewritten in place (same length, so nothing moves); the profile's date is rewritten in
    its decompressed header, which changes the stream's length, so the following objects'
    offsets in the cross-reference table are shifted by the difference. /ID and /DocChecksum
    become a digest of the pinned file. The XMP and info dates stay equal, so PDF/A stays valid.
    LibreOffice runs with TZ=UTC, so its dates always have the same form.

    Raises:
        ConversionError: the file is not laid out as LibreOffice writes it.
    """
    data = path.read_bytes()
    digits = stamp.strftime("%Y%m%d%H%M%S").encode()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%S").encode()
    data = re.sub(rb"(/(?:CreationDate|ModDate)\(D:)\d{14}", rb"\g<1>" + digits, data)
    data = re.sub(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rb"\g<1>" + iso,
                  data)
    data = _pin_profile(data, stamp, path)
    # /ID and /DocChecksum: a digest of everything else, written at the same length.
    blank = re.sub(rb"/ID \[ <[0-9A-F]{32}>\n<[0-9A-F]{32}> \]|/DocChecksum /[0-9A-F]{32}", b"", data)
    digest = hashlib.md5(blank, usedforsecurity=False).hexdigest().upper().encode()
    data = re.sub(rb"/ID \[ <[0-9A-F]{32}>\n<[0-9A-F]{32}> \]", b"/ID [ <" + digest + b">\n<" + digest + b"> ]", data)
    data = re.sub(rb"/DocChecksum /[0-9A-F]{32}", b"/DocChecksum /" + digest, data)
    atomic_write(path, data)


def _pin_profile(data: bytes, stamp: dt.datetime, path: Path) -> bytes:
    found = re.search(rb"/DestOutputProfile (\d+) 0 R", data)
    if found is None:
        return data  # not PDF/A: no profile to pin
    number = int(found.group(1))
    head = re.search(rb"\n%d 0 obj\n<<([^>]*)/Length (\d+) 0 R([^>]*)>>\nstream\n" % number, data)
    if head is None or b"/FlateDecode" not in head.group(0):
        raise ConversionError(f"{path.name}: unexpected layout of the colour profile; cannot pin its date")
    start = head.end()
    length_obj = int(head.group(2))
    length_match = re.search(rb"\n%d 0 obj\n(\d+)\nendobj" % length_obj, data)
    if length_match is None:
        raise ConversionError(f"{path.name}: the colour profile's length is not where expected")
    old_length = int(length_match.group(1))
    profile = bytearray(zlib.decompress(data[start:start + old_length]))
    # ICC header: creation date and time at bytes 24-35 (six big-endian uint16), profile ID at 84-99.
    profile[24:36] = struct.pack(">6H", stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    if any(profile[84:100]):
        # The ID is the MD5 of the profile with flags, rendering intent and the ID itself zeroed.
        copy = bytearray(profile)
        copy[44:48] = copy[64:68] = bytes(4)
        copy[84:100] = bytes(16)
        profile[84:100] = hashlib.md5(copy, usedforsecurity=False).digest()
    stream = zlib.compress(bytes(profile), 9)
    splices = [(start, start + old_length, stream),
               (length_match.start(1), length_match.end(1), str(len(stream)).encode())]
    return _splice(data, splices, path)


def _splice(data: bytes, splices: list[tuple[int, int, bytes]], path: Path) -> bytes:
    """Replace byte ranges and shift the cross-reference table's offsets to match."""
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\s*$", data).group(1))  # type: ignore[union-attr]
    table = re.match(rb"xref\n0 (\d+)\n", data[xref_at:])
    if table is None:
        raise ConversionError(f"{path.name}: no classic cross-reference table; cannot pin the PDF")
    count = int(table.group(1))
    entries_at = xref_at + table.end()
    entries = data[entries_at:entries_at + 20 * count]

    def shifted(offset: int) -> int:
        return offset + sum(len(new) - (end - begin) for begin, end, new in splices if end <= offset)

    rows = []
    for i in range(count):
        row = entries[20 * i:20 * i + 20]
        if row[17:18] == b"n":
            row = b"%010d" % shifted(int(row[:10])) + row[10:]
        rows.append(row)
    out = bytearray()
    cursor = 0
    for begin, end, new in sorted(splices):
        out += data[cursor:begin] + new
        cursor = end
    out += data[cursor:entries_at]
    new_xref = shifted(xref_at)
    tail = data[entries_at + 20 * count:]
    tail = re.sub(rb"startxref\n\d+\n", b"startxref\n%d\n" % new_xref, tail)
    return bytes(out) + b"".join(rows) + tail


# ---------------------------------------------------------------------------------------------
# The print bundle


def bundle_pdfs(documents: list[tuple[str, Path]], target: Path) -> None:
    """One print-ready PDF of many documents, in order, each starting on an odd page.

    Args:
        documents: (outline label, PDF) pairs in print order.
        target: the bundle, written under a temporary name and renamed when whole.

    A blank page follows a document with an odd number of pages, so that the next one starts on a
    front side in duplex printing. The bundle is for printing: merging drops the parts' PDF/A
    identity and tags (engine notes), so the archive keeps the individual files.
    """
    writer = PdfWriter()
    for label, pdf in documents:
        first = len(writer.pages)
        reader = PdfReader(pdf)
        writer.append(reader, import_outline=False)
        writer.add_outline_item(title=label, page_number=first)
        if (len(writer.pages) - first) % 2:
            last = writer.pages[-1]
            writer.add_blank_page(width=last.mediabox.width, height=last.mediabox.height)
    buffer = io.BytesIO()
    writer.write(buffer)
    atomic_write(target, buffer.getvalue())


def encrypt_pdf(path: Path, password: str) -> None:
    """Encrypt a finished PDF in place with AES-256 (pypdf, with the `cryptography` package).

    The whole document is cloned (text, tags, outline, metadata) and the password is both the user
    and the owner password: whoever opens it may print it, as an official must. PDF/A forbids
    encryption, so an encrypted PDF is no longer PDF/A: it is checked first, and encrypted last.
    The salt and keys are random, so an encrypted PDF is not byte-identical from run to run.

    Raises:
        ConversionError: the PDF could not be encrypted.
    """
    if not password:
        raise ConversionError("the PDF password is empty")
    try:
        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
        buffer = io.BytesIO()
        writer.write(buffer)
    except Exception as e:  # noqa: BLE001 (pypdf's errors have no common base; the type is enough to report)
        raise ConversionError(f"{path.name}: could not be encrypted ({type(e).__name__})") from None
    atomic_write(path, buffer.getvalue())
