"""Make `docs/contact-sheet.png`: page 1 of every kind, in fi, sv and en, side by side.

Renders the samples with the real pipeline and LibreOffice, takes page 1 of each PDF with
poppler's `pdftoppm` (as a PPM, so no image library is needed) and tiles them into one PNG,
four to a row: the integration plan in fi, sv and en, the bilingual municipal plan (its own
template and logo), the plan for a minor, the family plan, the claim and the no-show notice.
Run: `uv run python tools/contact_sheet.py`
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import kotodoc

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "contact-sheet.png"
RESOLUTION = 40  # dpi: an A4 page is 331 x 468 pixels
COLUMNS = 4
GUTTER = 12
GREY = b"\xb4\xb4\xb4"


def documents(work: Path) -> list[Path]:
    """Render the documents of the sheet, in its order; return their PDFs."""
    samples = ROOT / "samples"
    municipality = samples / "municipality"
    espoo = samples / "espoo-municipality-fi.yaml"
    runs: list[tuple[list[Path], dict[str, object], str]] = [
        ([espoo], {"languages": ["fi", "sv", "en"]}, ".integration-plan."),
        (sorted((municipality / "cases").glob("*.yaml")), {"templates": municipality}, ".integration-plan."),
        ([samples / "minor-guardians-sv.yaml"], {}, ".minor-plan."),
        ([samples / "family-en.yaml"], {}, ".family-plan."),
        ([samples / "claims" / "espoo-2025-h1.yaml"], {"languages": ["fi"]}, ".interpretation-claim."),
        ([espoo], {"languages": ["fi"]}, ".no-show-notice."),
    ]
    found: list[Path] = []
    for n, (cases, options, part) in enumerate(runs):
        reports = kotodoc.render(cases, work / str(n), formats=["pdf"], **options)  # type: ignore[arg-type]
        for report in reports:
            if report.status != "done":
                raise SystemExit(f"{report.file}: {report.status}")
            found += sorted(p for p in report.outputs if part in p.name and p.suffix == ".pdf")
    return found


def first_page(pdf: Path, work: Path) -> tuple[int, int, bytes]:
    """Page 1 as (width, height, RGB bytes)."""
    stem = work / pdf.stem
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(RESOLUTION), "-singlefile", str(pdf), str(stem)],
                   check=True)
    data = Path(f"{stem}.ppm").read_bytes()
    fields = data.split(maxsplit=4)  # P6, width, height, maxval, pixels
    if fields[0] != b"P6" or fields[3] != b"255":
        raise SystemExit(f"{pdf.name}: unexpected PPM from pdftoppm")
    width, height = int(fields[1]), int(fields[2])
    return width, height, fields[4][: width * height * 3]


def sheet(pages: list[tuple[int, int, bytes]]) -> tuple[int, int, bytearray]:
    """Tile the pages on a grey ground, `COLUMNS` to a row."""
    cell_w = max(w for w, _, _ in pages)
    cell_h = max(h for _, h, _ in pages)
    rows = -(-len(pages) // COLUMNS)
    width = COLUMNS * cell_w + (COLUMNS + 1) * GUTTER
    height = rows * cell_h + (rows + 1) * GUTTER
    canvas = bytearray(GREY * width * height)
    for i, (w, h, pixels) in enumerate(pages):
        x0 = GUTTER + (i % COLUMNS) * (cell_w + GUTTER)
        y0 = GUTTER + (i // COLUMNS) * (cell_h + GUTTER)
        for y in range(h):
            at = ((y0 + y) * width + x0) * 3
            canvas[at:at + w * 3] = pixels[y * w * 3:(y + 1) * w * 3]
    return width, height, canvas


def png(width: int, height: int, rgb: bytes) -> bytes:
    """An RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    """Render, tile and write the sheet."""
    with tempfile.TemporaryDirectory(prefix="kotodoc-sheet-") as tmp:
        work = Path(tmp)
        pdfs = documents(work)
        width, height, canvas = sheet([first_page(pdf, work) for pdf in pdfs])
    OUT.write_bytes(png(width, height, bytes(canvas)))
    print(f"{OUT.relative_to(ROOT)}: {len(pdfs)} pages")


if __name__ == "__main__":
    main()
