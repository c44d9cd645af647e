"""Make the sample municipality `samples/municipality/`: its logo and its own Finnish plan template.

The fictitious city of Esimerkkilä shows what a municipality does: a logo (drawn here as a PNG
with no image library: a blue shield with a golden wave and a white sun, 4 x 4 supersampled), and
its own `fi/integration-plan.docx`, made the way a municipality would make it: the built-in
template opened, restyled in the city's colour and given a line of its own under the title. Its
Swedish plan and every other kind fall back to the built-in templates. Run:
`uv run python tools/make_sample_municipality.py`
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
import zlib
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.shared import RGBColor

from kotodoc.docx import normalise_zip
from kotodoc.run import templates_root

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "samples" / "municipality"
CITY_LINE = "Esimerkkilän kaupunki · Kotoutumispalvelut palvelevat suomeksi ja ruotsiksi · puh. 09 000 0000"

W, H, SS = 240, 280, 4
BLUE, GOLD, WHITE = (0x1F, 0x3A, 0x5F), (0xF2, 0xC1, 0x4E), (0xFF, 0xFF, 0xFF)


def colour(x: float, y: float) -> tuple[int, int, int] | None:
    """The colour at (x, y) in a 240 x 280 box, or None outside the shield."""
    if not (10 <= x <= 230 and 10 <= y):
        return None
    if y > 150:  # the shield's lower half narrows to a point
        half = 110 * math.sqrt(max(0.0, 1 - ((y - 150) / 120) ** 2))
        if abs(x - 120) > half:
            return None
    wave = 170 + 12 * math.sin((x - 10) / 220 * 2 * math.pi * 1.5)
    if wave <= y <= wave + 22:
        return GOLD
    if (x - 120) ** 2 + (y - 85) ** 2 <= 38**2:
        return WHITE
    return BLUE


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An RGBA PNG from raw rows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def draw_logo(out: Path) -> None:
    """Draw and write the logo."""
    rows = []
    for py in range(H):
        row = bytearray()
        for px in range(W):
            samples = [colour(px + (i + 0.5) / SS, py + (j + 0.5) / SS) for i in range(SS) for j in range(SS)]
            inside = [c for c in samples if c is not None]
            if not inside:
                row += b"\x00\x00\x00\x00"
                continue
            rgb = [round(sum(c[k] for c in inside) / len(inside)) for k in range(3)]
            row += bytes(rgb) + bytes([round(255 * len(inside) / len(samples))])
        rows.append(bytes(row))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png(W, H, rows))


def make_template(out: Path) -> None:
    """The city's Finnish plan: the built-in one in the city's blue, with its own line under the title."""
    doc = Document(str(templates_root() / "fi" / "integration-plan.docx"))
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].font.color.rgb = RGBColor(*BLUE)
    title = next(p for p in doc.paragraphs if p.style is not None and p.style.name == "Title")
    line = deepcopy(title._p)
    title._p.addnext(line)
    paragraph = next(p for p in doc.paragraphs if p._p is line)
    paragraph.style = doc.styles["Normal"]
    for run in paragraph.runs[1:]:
        run._r.getparent().remove(run._r)
    paragraph.runs[0].text = CITY_LINE
    paragraph.runs[0].italic = True
    buffer = io.BytesIO()
    doc.save(buffer)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(normalise_zip(buffer.getvalue(), dt.datetime(2025, 1, 1), out))


def main() -> None:
    """Write the logo and the template."""
    draw_logo(OUT / "logo.png")
    make_template(OUT / "fi" / "integration-plan.docx")


if __name__ == "__main__":
    main()
