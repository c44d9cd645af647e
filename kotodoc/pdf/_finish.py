"""Stage 7, the finish: pin a PDF's dates; encrypt it; bundle many for print.

Mending LibreOffice's output is `_mend`, checking it `_facts`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import struct
import zlib
from itertools import pairwise
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from kotodoc._files import atomic_write
from kotodoc.errors import ConversionError
from kotodoc.pdf._layout import number_object, splice, stream_object

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
    buffer = bytearray(data)
    digits = stamp.strftime("%Y%m%d%H%M%S").encode()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%S").encode()
    for key in (b"/CreationDate(D:", b"/ModDate(D:"):
        for at, end in _values(data, key, _DIGITS):
            buffer[at:end] = digits
    for key in (b"<xmp:CreateDate>", b"<xmp:ModifyDate>", b"<xmp:MetadataDate>"):
        for at, end in _values(data, key, _ISO_TIME):
            buffer[at:end] = iso
    data = _pin_profile(bytes(buffer), stamp, path)
    # /ID and /DocChecksum: a digest of everything else, written at the same length.
    ids = [(at - len(b"/ID "), end) for at, end in _values(data, b"/ID ", _ID)]
    sums = [(at - len(b"/DocChecksum "), end) for at, end in _values(data, b"/DocChecksum ", _CHECKSUM)]
    spans = sorted(ids + sums)
    kept = [data[end:begin] for (_, end), (begin, _) in pairwise([(0, 0), *spans, (len(data), len(data))])]
    digest = hashlib.md5(b"".join(kept), usedforsecurity=False).hexdigest().upper().encode()
    buffer = bytearray(data)
    for begin, end in ids:
        buffer[begin:end] = b"/ID [ <" + digest + b">\n<" + digest + b"> ]"
    for begin, end in sums:
        buffer[begin:end] = b"/DocChecksum /" + digest
    atomic_write(path, bytes(buffer))


# The values pinned, each after its key. Keys are found with `bytes.find`, values matched where
# found: a regular expression that scans the whole file for them took 0.5 ms a key.
_DIGITS = re.compile(rb"\d{14}")
_ISO_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_ID = re.compile(rb"\[ <[0-9A-F]{32}>\n<[0-9A-F]{32}> \]")
_CHECKSUM = re.compile(rb"/[0-9A-F]{32}")


def _values(data: bytes, key: bytes, value: re.Pattern[bytes]) -> list[tuple[int, int]]:
    """Where a value of the given form follows `key` (start and end of the value), through the file."""
    found = []
    at = data.find(key)
    while at >= 0:
        match = value.match(data, at + len(key))
        if match is not None:
            found.append(match.span())
        at = data.find(key, match.end() if match is not None else at + 1)
    return found


def _pin_profile(data: bytes, stamp: dt.datetime, path: Path) -> bytes:
    found = re.search(rb"/DestOutputProfile (\d+) 0 R", data)
    if found is None:
        return data  # not PDF/A: no profile to pin
    number = int(found.group(1))
    head = stream_object(data, number)
    if head is None or head.group(3) is None or b"/FlateDecode" not in head.group(0):
        raise ConversionError(f"{path.name}: unexpected layout of the colour profile; cannot pin its date")
    start = head.end()
    length_match = number_object(data, int(head.group(2)))
    if length_match is None:
        raise ConversionError(f"{path.name}: the colour profile's length is not where expected")
    old_length = int(length_match.group(1))
    stream = _pinned_profile(data[start:start + old_length], stamp)
    splices = [(start, start + old_length, stream),
               (length_match.start(1), length_match.end(1), str(len(stream)).encode())]
    return splice(data, splices, path)


@functools.lru_cache(maxsize=4)
def _pinned_profile(stream: bytes, stamp: dt.datetime) -> bytes:
    """The colour profile's compressed stream with its date pinned.

    Every PDF of a run carries the same profile and the same stamp: made once, not once a
    document (compressing it again took about 1 ms).
    """
    profile = bytearray(zlib.decompress(stream))
    # ICC header: creation date and time at bytes 24-35 (six big-endian uint16), profile ID at 84-99.
    profile[24:36] = struct.pack(">6H", stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    if any(profile[84:100]):
        # The ID is the MD5 of the profile with flags, rendering intent and the ID itself zeroed.
        copy = bytearray(profile)
        copy[44:48] = copy[64:68] = bytes(4)
        copy[84:100] = bytes(16)
        profile[84:100] = hashlib.md5(copy, usedforsecurity=False).digest()
    return zlib.compress(bytes(profile), 9)


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
