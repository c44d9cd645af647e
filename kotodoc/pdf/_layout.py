"""The PDF as LibreOffice lays it out: find an object's bytes, replace byte ranges, keep the xref right.

LibreOffice 7.4 writes each object once, as `\\nN 0 obj\\n … endobj`, uncompressed (no object
streams), with a classic cross-reference table. The finish edits such a file in place, byte range
by byte range, instead of writing it anew with a PDF library: the file stays as LibreOffice laid
it out, and what is not edited keeps its bytes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from pathlib import Path

from kotodoc.errors import ConversionError

Splice = tuple[int, int, bytes]  # replace data[begin:end] with the bytes

_STARTXREF = re.compile(rb"startxref\n(\d+)\n%%EOF\s*$")


def object_span(data: bytes, number: int) -> tuple[int, int]:
    """Where object `number` starts and ends in the file (LibreOffice writes each object once)."""
    start = data.find(b"\n%d 0 obj\n" % number)
    end = data.find(b"endobj", start)
    if start < 0 or end < 0:
        raise ConversionError(f"object {number} is not where LibreOffice writes it")
    return start, end


def stream_object(data: bytes, number: int) -> re.Match[bytes] | None:
    """The head of stream object `number` up to its data: groups 2 and 3 are its /Length and ` 0 R`
    when that length is an object of its own.

    The object is found by its head with `bytes.find`, then matched: a pattern with the object's
    number in it would be compiled anew for each object, and it scans the whole file.
    """
    at = data.find(b"\n%d 0 obj\n" % number)
    return _STREAM_OBJECT.match(data, at) if at >= 0 else None


def number_object(data: bytes, number: int) -> re.Match[bytes] | None:
    """Object `number` when it is a number alone (a stream's length): group 1 is the number."""
    at = data.find(b"\n%d 0 obj\n" % number)
    return _NUMBER_OBJECT.match(data, at) if at >= 0 else None


_STREAM_OBJECT = re.compile(rb"\n\d+ 0 obj\n<<([^>]*)/Length (\d+)( 0 R)?([^>]*)>>\nstream\n")
_NUMBER_OBJECT = re.compile(rb"\n\d+ 0 obj\n(\d+)\nendobj")


def stream_splices(path: Path, data: bytes, number: int, stream: bytes) -> list[Splice]:
    """The splices that replace the Flate-compressed stream of object `number` and its /Length."""
    head = stream_object(data, number)
    if head is None or b"/FlateDecode" not in head.group(0):
        raise ConversionError(f"{path.name}: unexpected layout of a page's content; cannot tag a figure")
    start = head.end()
    if head.group(3) is None:  # a direct length
        return [(start, start + int(head.group(2)), stream), (head.start(2), head.end(2), b"%d" % len(stream))]
    length = number_object(data, int(head.group(2)))
    if length is None:
        raise ConversionError(f"{path.name}: a page content's length is not where expected")
    return [(start, start + int(length.group(1)), stream), (length.start(1), length.end(1), b"%d" % len(stream))]


def splice(data: bytes, splices: list[Splice], path: Path) -> bytes:
    """Replace byte ranges and shift the cross-reference table's offsets to match."""
    # The file ends with it: looked for in its last kilobyte, not in the whole file.
    marker = _STARTXREF.search(data, max(0, len(data) - 1024))
    if marker is None:
        raise ConversionError(f"{path.name}: no end-of-file marker; not a PDF as LibreOffice writes it")
    xref_at = int(marker.group(1))
    table = re.match(rb"xref\n0 (\d+)\n", data[xref_at:])
    if table is None:
        raise ConversionError(f"{path.name}: no classic cross-reference table; cannot pin the PDF")
    count = int(table.group(1))
    entries_at = xref_at + table.end()
    entries = data[entries_at:entries_at + 20 * count]
    # An offset moves by the growth of every splice that ends at or before it: the splices
    # ordered by their end, and the growth summed up to each (a row is one bisection, not a sum
    # over all splices: the table has a row per object, a thousand or more).
    ordered = sorted(splices, key=lambda s: s[1])
    ends = [end for _, end, _ in ordered]
    growth = [0, *accumulate(len(new) - (end - begin) for begin, end, new in ordered)]

    def shifted(offset: int) -> int:
        return offset + growth[bisect_right(ends, offset)]

    rows = [entries[i:i + 20] for i in range(0, 20 * count, 20)]
    if ordered:
        # Only offsets past the first splice's end move (ten zero-padded digits compare as
        # numbers), and those past the last one by all the growth: most need no bisection.
        first, last, total = b"%010d" % ends[0], ends[-1], growth[-1]
        for i, row in enumerate(rows):
            if row[:10] >= first and row[17:18] == b"n":
                offset = int(row[:10])
                offset += total if offset >= last else growth[bisect_right(ends, offset)]
                rows[i] = b"%010d" % offset + row[10:]
    parts = []
    cursor = 0
    for begin, end, new in sorted(splices):
        parts += [data[cursor:begin], new]
        cursor = end
    parts.append(data[cursor:entries_at])
    tail = data[entries_at + 20 * count:]
    parts += rows
    parts.append(re.sub(rb"startxref\n\d+\n", b"startxref\n%d\n" % shifted(xref_at), tail))
    return b"".join(parts)
