"""The finish of a PDF from LibreOffice (`kotodoc.pdf.amend_pdf`, `pin_pdf`, `verify_pdf`), read back.

One document holds all that LibreOffice 7.4 leaves out of PDF/UA with PDF/A: the sample
municipality's plan has label/value tables, its logo as a figure and a rule above its footer.
kotodoc makes its DOCX and LibreOffice its PDF, unfinished, once; each test finishes a copy with
the public functions and reads it back with pypdf, a reader of its own, and with the full
validator. One stream of the copy is made to end with a carriage return, as a font file of
LibreOffice's does now and then, so that every mending happens in the one file, in one call.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from page import ValidationProfile, validate_pdf
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

import kotodoc
from kotodoc.errors import ConversionError
from kotodoc.pdf import amend_pdf, convert, pin_pdf, read_facts, verify_pdf

from .conftest import ROOT

pytestmark = pytest.mark.soffice

MUNICIPALITY = ROOT / "samples" / "municipality"
STAMP = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_PAINT = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}


@pytest.fixture(scope="module")
def unfinished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The municipality's bilingual plan as LibreOffice writes it, before kotodoc's finish."""
    out = tmp_path_factory.mktemp("finish")
    [report] = kotodoc.render(sorted((MUNICIPALITY / "cases").glob("*.yaml")), out / "docx", formats=["docx"],
                              templates=MUNICIPALITY)
    [docx] = [p for p in report.outputs if ".integration-plan." in p.name]
    [conversion] = convert([docx], out / "pdf")
    assert conversion.error is None and conversion.pdf is not None, conversion.error
    return conversion.pdf


def copy(unfinished: Path, tmp_path: Path, name: str = "plan.pdf") -> Path:
    target = tmp_path / name
    shutil.copy(unfinished, target)
    return target


# ---------------------------------------------------------------------------------------------
# A stream that ends with a carriage return


def end_a_stream_with_cr(pdf: Path) -> int:
    """Make the compressed data of a character map end with CR; return its object number.

    Comment lines are added to the map (PostScript ignores them) until its Flate data ends with
    the byte 13, and the file's cross-reference table is written anew for the moved objects.
    """
    data = pdf.read_bytes()
    number = int(re.search(rb"/ToUnicode (\d+) 0 R", data).group(1))  # type: ignore[union-attr]
    head = re.compile(rb"\n%d 0 obj\n<</Length (\d+)/Filter/FlateDecode>>\nstream\n" % number).search(data)
    assert head is not None, "the character map is not where LibreOffice writes it"
    start, length = head.end(), int(head.group(1))
    cmap = zlib.decompress(data[start:start + length])
    padding = 0
    while (stream := zlib.compress(cmap + b"\n%" + b"x" * padding, 9))[-1:] != b"\r":
        padding += 1
    data = (data[:head.start(1)] + b"%d" % len(stream) + data[head.end(1):start] + stream
            + data[start + length:])
    xref_at = data.rindex(b"\nxref\n") + 1
    count = int(re.match(rb"xref\n0 (\d+)\n", data[xref_at:]).group(1))  # type: ignore[union-attr]
    rows = [b"0000000000 65535 f \n", *(b"%010d 00000 n \n" % (data.index(b"\n%d 0 obj\n" % n) + 1)
                                         for n in range(1, count))]
    tail = data[xref_at + len(b"xref\n0 %d\n" % count) + 20 * count:]
    tail = re.sub(rb"startxref\n\d+\n", b"startxref\n%d\n" % xref_at, tail)
    pdf.write_bytes(data[:xref_at] + b"xref\n0 %d\n" % count + b"".join(rows) + tail)
    return number


def stream_ends(data: bytes, number: int) -> bytes:
    """The last byte of a stream's data (by its /Length) and what follows it up to `endstream`."""
    head = re.compile(rb"\n%d 0 obj\n<</Length (\d+)[^>]*>>\nstream\n" % number).search(data)
    assert head is not None
    end = head.end() + int(head.group(1))
    return data[end - 1:data.index(b"endstream", end) + len(b"endstream")]


# ---------------------------------------------------------------------------------------------
# The structure tree and the pages, read with pypdf


def elements(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element, in reading order."""
    found: list[DictionaryObject] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject) and "/S" in node:
            found.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def cells(row: DictionaryObject) -> list[DictionaryObject]:
    kids = row["/K"].get_object()
    items = [k.get_object() for k in (kids if isinstance(kids, ArrayObject) else [kids])]
    return [k for k in items if isinstance(k, DictionaryObject) and "/S" in k]


def scope(cell: DictionaryObject) -> str:
    a = cell["/A"].get_object()
    for item in a if isinstance(a, ArrayObject) else [a]:
        if "/Scope" in item.get_object():
            return str(item.get_object()["/Scope"])
    return ""


def marked(page: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """A page's pictures with the marked content each is drawn in (tag, MCID), and the paths it
    paints outside any marked content."""
    stack: list[tuple[str, str]] = []
    pictures: list[tuple[str, str]] = []
    loose: list[str] = []

    def before(op: bytes, args: Any, cm: Any, tm: Any) -> None:
        if op == b"BDC":
            props = args[1] if isinstance(args[1], DictionaryObject) else {}
            stack.append((str(args[0]), str(props.get("/MCID", ""))))
        elif op == b"BMC":
            stack.append((str(args[0]), ""))
        elif op == b"EMC" and stack:
            stack.pop()
        elif op == b"Do":
            pictures.append(stack[0] if stack else ("", ""))
        elif op.decode() in _PAINT and not stack:
            loose.append(op.decode())

    page.extract_text(visitor_operand_before=before)
    return pictures, loose


def test_one_amend_mends_all_that_libreoffice_leaves_out(unfinished: Path, tmp_path: Path) -> None:
    """This test ensures that one `amend_pdf` call on LibreOffice's PDF, from one reading of its
    structure tree, gives the label cells of label/value tables the scope Row (header rows keep
    Column), makes each figure's picture its tagged content (its MCID in the page's parent-tree
    entry), makes the footer's rule an artifact, ends a stream whose data ends with CR with CR LF,
    and that the result passes the full PDF/UA-1 and PDF/A-2b validation. Each of these is first
    seen missing in LibreOffice's PDF, so the test shows the amending, not LibreOffice's output."""
    pdf = copy(unfinished, tmp_path)
    cmap = end_a_stream_with_cr(pdf)
    before = PdfReader(pdf)
    rows = [e for e in elements(before) if e["/S"] == "/TR"]
    labels = [c for row in rows for c in cells(row) if c["/S"] == "/TH" and any(d["/S"] == "/TD" for d in cells(row))]
    assert labels and {scope(c) for c in labels} == {"/Column"}
    assert [e for e in elements(before) if e["/S"] == "/Figure" and "/K" not in e]
    assert any(marked(page)[1] for page in before.pages)
    assert stream_ends(pdf.read_bytes(), cmap) == b"\r\nendstream"

    amend_pdf(pdf)

    reader = PdfReader(pdf)
    found = elements(reader)
    for row in (e for e in found if e["/S"] == "/TR"):
        kinds = [c["/S"] for c in cells(row)]
        for cell in cells(row):
            if cell["/S"] == "/TH":
                assert scope(cell) == ("/Row" if "/TD" in kinds else "/Column"), kinds
    figures = [e for e in found if e["/S"] == "/Figure"]
    assert len(figures) == 2  # the logo on the first page of each version
    parent_tree = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    entries = {int(parent_tree[i]): parent_tree[i + 1].get_object() for i in range(0, len(parent_tree), 2)}
    for figure in figures:
        mcid = figure["/K"]
        assert isinstance(mcid, int), figure
        page = reader.pages[reader.get_page_number(figure["/Pg"])]
        assert ("/Figure", str(mcid)) in marked(page)[0]
        entry = entries[int(page["/StructParents"])][mcid]
        assert isinstance(entry, IndirectObject) and entry.get_object() == figure
    for number, page in enumerate(reader.pages):
        assert marked(page)[1] == [], number
    assert stream_ends(pdf.read_bytes(), cmap) == b"\r\r\nendstream"
    for profile in (ValidationProfile.PDF_UA_1, ValidationProfile.PDF_A_2B):
        report = validate_pdf(str(pdf), profile=profile)
        assert report.is_compliant, (profile, [(f.rule_id, f.message) for f in report.failures][:5])


def test_a_structure_tree_that_loops_is_refused_not_walked_forever(unfinished: Path, tmp_path: Path) -> None:
    """This test ensures that a PDF whose structure tree loops back on itself (a table cell made its
    own kid) is refused with a clear error in bounded time, not walked without end. It runs in a
    process of its own, which a walk without end would keep past the timeout."""
    pdf = copy(unfinished, tmp_path)
    data = pdf.read_bytes()
    cell = next(m for m in re.finditer(rb"\n(\d+) 0 obj\n<</Type/StructElem\n/S/TH\n[^>]*?/K\[(\d+) 0 R ", data)
                if len(m.group(1)) == len(m.group(2)))
    pdf.write_bytes(data[:cell.start(2)] + cell.group(1) + data[cell.end(2):])  # same length
    code = "import sys; from pathlib import Path; from kotodoc.pdf import amend_pdf; amend_pdf(Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(pdf)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode != 0
    assert "ConversionError: plan.pdf: cannot read the structure tree" in done.stderr, done.stderr[-500:]


# ---------------------------------------------------------------------------------------------
# Pinning and verifying


def test_pinned_finishes_are_byte_identical_and_verified(unfinished: Path, tmp_path: Path) -> None:
    """This test ensures that amending and pinning the same PDF twice gives the same bytes, and that
    `read_facts` says what pypdf reads: the pages, title, author, subject, language, PDF/A-2b and
    PDF/UA-1 identity (from the XMP packet) and the fonts, all embedded; `verify_pdf` accepts it."""
    finished = []
    for name in ("one.pdf", "two.pdf"):
        pdf = copy(unfinished, tmp_path, name)
        amend_pdf(pdf)
        pin_pdf(pdf, STAMP)
        finished.append(pdf)
    assert finished[0].read_bytes() == finished[1].read_bytes()
    assert finished[0].read_bytes() != unfinished.read_bytes()
    pdf = finished[0]
    facts = read_facts(pdf)
    reader = PdfReader(pdf)
    info = reader.metadata
    assert info is not None
    assert facts.pages == len(reader.pages) >= 2
    assert (facts.title, facts.author, facts.subject) == (info.title, info.author, info.subject)
    assert facts.title and facts.author and facts.subject
    assert facts.language == str(reader.trailer["/Root"]["/Lang"]) == "fi-FI"
    assert (facts.pdfa, facts.pdfua) == ("2B", "1")
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).lstrip("/"))
    assert facts.fonts == fonts and not facts.unembedded
    assert verify_pdf(pdf, title=facts.title, author=facts.author, language="fi-FI") == facts


@pytest.mark.parametrize(("change", "problem"), [
    ((b"<pdfaid:conformance>B<", b"<pdfaid:conformance>A<"), "it is not identified as PDF/A-2b"),
    ((b"<pdfuaid:part>1<", b"<pdfuaid:part>2<"), "it is not identified as PDF/UA-1"),
    ((b"/Lang(fi-FI)", b"/Lang(sv-FI)"), "its language is sv-FI, not fi-FI"),
    ((b"/Subject<", b"/Subjekt<"), "it has no subject"),
    ((b"/FontFile2 ", b"/FontFileX "), "fonts not embedded: "),
], ids=["pdfa", "pdfua", "language", "subject", "font"])
def test_verify_finds_what_is_wrong(unfinished: Path, tmp_path: Path, change: tuple[bytes, bytes],
                                    problem: str) -> None:
    """This test ensures that `verify_pdf` rejects a finished PDF that is no longer identified as
    PDF/A-2b or PDF/UA-1, whose language is another, that has no subject, or with a font whose
    program is not embedded (its descriptor's /FontFile2 renamed), and one whose title or author
    is not the document's, each with its reason."""
    pdf = copy(unfinished, tmp_path)
    amend_pdf(pdf)
    facts = read_facts(pdf)
    data = pdf.read_bytes()
    assert change[0] in data
    pdf.write_bytes(data.replace(*change, 1))  # the first one, at the same length: nothing moves
    with pytest.raises(ConversionError, match=re.escape(problem)):
        verify_pdf(pdf, title=facts.title, author=facts.author, language="fi-FI")
    with pytest.raises(ConversionError, match="its title is not the document's; its author is not the authority"):
        verify_pdf(pdf, title="another", author="someone else", language="fi-FI")


# ---------------------------------------------------------------------------------------------
# The cost


def test_the_finish_costs_little_cpu(unfinished: Path, tmp_path: Path) -> None:
    """This test ensures that amending, pinning and verifying a document costs little of the CPU
    that LibreOffice needs in a batch: under 150 ms of CPU time for this two-language plan of eight
    pages (about 40 ms on the 2-core machine of docs/performance.md; when the structure tree was
    read with pypdf, twice, it cost about 320 ms). CPU time of this process, not the clock: a busy
    machine makes it wait, not count more; the median of three copies, after one that pays for the
    imports."""
    costs = []
    for n in range(4):
        pdf = copy(unfinished, tmp_path, f"{n}.pdf")
        started = time.process_time()
        amend_pdf(pdf)
        pin_pdf(pdf, STAMP)
        facts = read_facts(pdf)
        verify_pdf(pdf, title=facts.title, author=facts.author, language="fi-FI")
        costs.append(time.process_time() - started)
    assert statistics.median(costs[1:]) < 0.150, costs
