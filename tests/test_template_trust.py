"""Templates are untrusted input (issue 13, template half): each attack a municipality's template
could make, built here from the sample municipality's own template, and the defence that stops it.

Every hostile template is made inside the test from samples/municipality/fi/integration-plan.docx
(zipfile + lxml); no hostile file is committed. Each test fails when its defence is removed.
"""

from __future__ import annotations

import http.server
import json
import resource
import struct
import subprocess
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner, Result

from kotodoc._cli import app

from .conftest import ESPOO, ROOT, docx_text, pdf_text

SAMPLE = ROOT / "samples" / "municipality" / "fi" / "integration-plan.docx"
HELSINKI = ROOT / "samples" / "helsinki-later-plan-fi.yaml"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
DOC_RELS = "word/_rels/document.xml.rels"
runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# Building hostile templates from the sample municipality's template


def picture(r_id: str, attribute: str = "r:link") -> str:
    """A paragraph with an inline picture whose blip refers to `r_id` (linked, or embedded)."""
    size = 'cx="5486400" cy="5486400"'  # six inches, so LibreOffice draws the image at a low resolution
    return (
        f'<w:p xmlns:w="{W}" xmlns:r="{R}"><w:r><w:drawing>'
        '<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        f'<wp:extent {size}/><wp:docPr id="99" name="x"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="99" name="x"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip {attribute}="{r_id}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext {size}/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )


def text(jinja: str) -> str:
    """A paragraph holding `jinja` in one run."""
    return f'<w:p xmlns:w="{W}"><w:r><w:t xml:space="preserve">{jinja}</w:t></w:r></w:p>'


def complex_field(*pieces: str) -> str:
    """A complex field whose instruction Word split over several runs."""
    runs = "".join(f'<w:r><w:instrText xml:space="preserve">{p}</w:instrText></w:r>' for p in pieces)
    return (f'<w:p xmlns:w="{W}"><w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>old</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def simple_field(instr: str) -> str:
    """A simple field (`w:fldSimple`)."""
    instr = instr.replace('"', "&quot;")
    return f'<w:p xmlns:w="{W}"><w:fldSimple w:instr="{instr}"><w:r><w:t>old</w:t></w:r></w:fldSimple></w:p>'


def build(
    dest: Path,
    paragraphs: Sequence[str] = (),
    rels: Sequence[tuple[str, str, str, str | None]] = (),
    *,
    rels_part: str = DOC_RELS,
    extra: Sequence[tuple[str, bytes]] = (),
    content_types: str | None = None,
    defaults: Sequence[tuple[str, str]] = (),
) -> Path:
    """The sample template with `paragraphs` at the top of the body and `rels` (id, type, target, mode) added."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(SAMPLE) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        names = src.namelist()
        for name in names:
            data = src.read(name)
            if name == "word/document.xml" and paragraphs:
                root = etree.fromstring(data)
                body = root.find(f"{{{W}}}body")
                assert body is not None
                for n, p in enumerate(paragraphs):
                    body.insert(n, etree.fromstring(p))
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            if name == rels_part and rels:
                data = _add_rels(data, rels)
            if name == "[Content_Types].xml" and (content_types or defaults):
                root = etree.fromstring(data)
                override = root.find("{*}Override[@PartName='/word/document.xml']")
                assert override is not None
                override.set("ContentType", content_types or override.get("ContentType", ""))
                for extension, kind in defaults:
                    etree.SubElement(root, f"{{{root.nsmap[None]}}}Default", Extension=extension, ContentType=kind)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(name, data)
        if rels_part not in names and rels:
            out.writestr(rels_part, _add_rels(f'<Relationships xmlns="{PKG}"/>'.encode(), rels))
        for name, data in extra:
            out.writestr(name, data)
    return dest


def _add_rels(data: bytes, rels: Sequence[tuple[str, str, str, str | None]]) -> bytes:
    root = etree.fromstring(data)
    for r_id, kind, target, mode in rels:
        el = etree.SubElement(root, f"{{{PKG}}}Relationship", Id=r_id, Type=kind, Target=target)
        if mode:
            el.set("TargetMode", mode)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def municipality(tmp_path: Path, *args: Any, **kwargs: Any) -> Path:
    """A template directory whose Finnish integration plan is the sample with the given additions."""
    build(tmp_path / "templates" / "fi" / "integration-plan.docx", *args, **kwargs)
    return tmp_path / "templates"


def render(tmp_path: Path, templates: Path, *cases: Path, fmt: str = "docx",
           env: dict[str, str] | None = None) -> tuple[Result, list[dict[str, Any]]]:
    """`kotodoc render --json` into tmp_path/out; the result and its report."""
    result = runner.invoke(app, ["render", *map(str, cases or (ESPOO,)), "-o", str(tmp_path / "out"),
                                 "--templates", str(templates), "--format", fmt, "--json"], env=env)
    return result, json.loads(result.stdout) if result.stdout.strip() else []


def batch(tmp_path: Path, templates: Path, *cases: Path, env: dict[str, str] | None = None,
          jobs: int = 1) -> tuple[Result, dict[str, Any]]:
    """`kotodoc batch --json` into tmp_path/batch (DOCX only); `jobs` over 1 renders in worker processes."""
    result = runner.invoke(app, ["batch", *map(str, cases), "-o", str(tmp_path / "batch"), "--templates",
                                 str(templates), "--format", "docx", "--json", "-j", str(jobs)], env=env)
    return result, json.loads(result.stdout) if result.stdout.strip() else {}


def failures(report: list[dict[str, Any]]) -> str:
    """Every failure of every case, one text."""
    return "\n".join(f for case in report for f in case["failures"])


def check(directory: Path) -> list[dict[str, Any]]:
    """`kotodoc templates check --json DIR`: the problems found."""
    result = runner.invoke(app, ["templates", "check", str(directory), "--json"])
    return json.loads(result.stdout) if result.stdout.strip() else []


# ---------------------------------------------------------------------------------------------
# Layer 1: the scanner refuses, before the template is used and in `templates check`

URL = "http://127.0.0.1:9/x"
ATTACKS: dict[str, dict[str, Any]] = {
    "linked image (http)": {"paragraphs": [picture("rIdX")], "rels": [("rIdX", RELS + "image", URL, "External")]},
    "linked image (file)": {"paragraphs": [picture("rIdX")],
                            "rels": [("rIdX", RELS + "image", "file:///etc/hostname", "External")]},
    "linked OLE object": {"rels": [("rIdX", RELS + "oleObject", "file:///tmp/x.xlsx", "External")]},
    "subDocument": {"paragraphs": [f'<w:p xmlns:w="{W}" xmlns:r="{R}"><w:subDoc r:id="rIdX"/></w:p>'],
                    "rels": [("rIdX", RELS + "subDocument", URL, "External")]},
    "altChunk": {"paragraphs": [f'<w:altChunk xmlns:w="{W}" xmlns:r="{R}" r:id="rIdX"/>'],
                 "rels": [("rIdX", RELS + "aFChunk", "file:///etc/passwd", "External")]},
    "attachedTemplate": {"rels": [("rIdX", RELS + "attachedTemplate", URL, "External")],
                         "rels_part": "word/_rels/settings.xml.rels"},
    "frame": {"rels": [("rIdX", RELS + "frame", URL, "External")]},
    "URL target without TargetMode": {"rels": [("rIdX", RELS + "image", URL, None)]},
}
PART = {"attachedTemplate": "word/_rels/settings.xml.rels"}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_external_relationships_are_refused_before_use_and_by_the_check(tmp_path: Path, attack: str) -> None:
    """This test ensures that every external relationship but a hyperlink stops the template, located."""
    templates = municipality(tmp_path, **ATTACKS[attack])
    part = PART.get(attack, DOC_RELS)
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    message = failures(report)
    assert f"integration-plan.docx › {part}: TEMPLATE-EXTERNAL" in message
    assert not (tmp_path / "out" / "ESP-2025-0217.integration-plan.fi.docx").exists()
    found = [p for p in check(templates) if p["code"] == "TEMPLATE-EXTERNAL"]
    assert [p["part"] for p in found] == [part]


def test_a_url_in_a_vml_picture_is_refused(tmp_path: Path) -> None:
    """This test ensures that a URL in an attribute (VML `o:href`), not a relationship, stops the template too."""
    vml = (f'<w:p xmlns:w="{W}"><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
           'xmlns:o="urn:schemas-microsoft-com:office:office" style="width:100pt;height:100pt">'
           f'<v:imagedata o:href="{URL}"/></v:shape></w:pict></w:r></w:p>')
    templates = municipality(tmp_path, [vml])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "integration-plan.docx › word/document.xml: TEMPLATE-EXTERNAL: imagedata href=" in failures(report)
    assert [p["part"] for p in check(templates) if p["code"] == "TEMPLATE-EXTERNAL"] == ["word/document.xml"]


def test_a_linked_ole_object_is_refused_whatever_its_relationship(tmp_path: Path) -> None:
    """This test ensures that `<o:OLEObject Type="Link">` stops the template even with an internal target."""
    ole = (f'<w:p xmlns:w="{W}"><w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
           'Type="Link" ProgID="Excel.Sheet.12" ShapeID="_x0000_i1025" DrawAspect="Content" ObjectID="_1"/>'
           "</w:object></w:r></w:p>")
    templates = municipality(tmp_path, [ole])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "word/document.xml: TEMPLATE-EXTERNAL: a linked OLE object" in failures(report)
    assert [p["part"] for p in check(templates) if p["code"] == "TEMPLATE-EXTERNAL"] == ["word/document.xml"]


def test_a_hyperlink_is_allowed(tmp_path: Path) -> None:
    """This test ensures that the scanner leaves ordinary hyperlinks alone (a PDF link is only clicked)."""
    link = (f'<w:p xmlns:w="{W}" xmlns:r="{R}"><w:hyperlink r:id="rIdX"><w:r><w:t>kotoutuminen.fi</w:t>'
            "</w:r></w:hyperlink></w:p>")
    templates = municipality(tmp_path, [link], [("rIdX", RELS + "hyperlink", "https://kotoutuminen.fi/",
                                                 "External")])
    result, _ = render(tmp_path, templates)
    assert result.exit_code == 0, result.output
    assert "kotoutuminen.fi" in docx_text(tmp_path / "out" / "ESP-2025-0217.integration-plan.fi.docx")
    assert not [p for p in check(templates) if p["code"].startswith("TEMPLATE-")]


VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # an OLE compound file's header: what Word stores VBA in
MACROS: dict[str, dict[str, Any]] = {
    "vbaProject.bin": {"extra": [("word/vbaProject.bin", VBA)],
                       "defaults": [("bin", "application/vnd.ms-office.vbaProject")],
                       "rels": [("rIdV", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                                 "vbaProject.bin", None)]},
    ".docm content type": {"content_types": "application/vnd.ms-word.document.macroEnabled.main+xml"},
}


@pytest.mark.parametrize("attack", list(MACROS))
def test_macros_are_refused(tmp_path: Path, attack: str) -> None:
    """This test ensures that a VBA project or a macro-enabled content type stops the template."""
    templates = municipality(tmp_path, **MACROS[attack])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "TEMPLATE-MACRO" in failures(report)
    assert not list((tmp_path / "out").glob("*.docx"))
    assert "TEMPLATE-MACRO" in {p["code"] for p in check(templates)}


def test_vba_is_never_copied_into_a_document_even_unscanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that with the scan bypassed, vbaProject.bin still does not reach the output DOCX."""
    monkeypatch.setattr("kotodoc.docx._render.check_template", lambda *a, **k: None)
    templates = municipality(tmp_path, **MACROS["vbaProject.bin"])
    result, _ = render(tmp_path, templates)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "out" / "ESP-2025-0217.integration-plan.fi.docx") as z:
        assert not [n for n in z.namelist() if "vba" in n.lower()]


FIELDS = {
    "DDEAUTO (simple)": simple_field('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"'),
    "DDE (complex)": complex_field(" DDE ", "excel ", '"sheet"'),
    "INCLUDETEXT split over runs": complex_field(" INCLU", "DETEXT ", '"/etc/hostname"'),
    "INCLUDEPICTURE": complex_field(f' INCLUDEPICTURE "{URL}" \\d'),
    "LINK": simple_field('LINK Excel.Sheet.12 "/tmp/x.xlsx" "Sheet1!R1C1"'),
    "field written by Jinja": complex_field(" {{ 'INCLUDE' ~ 'TEXT' }} ", '"/etc/hostname"'),
}


@pytest.mark.parametrize("attack", list(FIELDS))
def test_dangerous_fields_are_refused(tmp_path: Path, attack: str) -> None:
    """This test ensures that DDE/INCLUDE/LINK fields, simple or complex, stop the template."""
    templates = municipality(tmp_path, [FIELDS[attack]])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "integration-plan.docx › word/document.xml: TEMPLATE-FIELD" in failures(report)
    found = [p for p in check(templates) if p["code"] == "TEMPLATE-FIELD"]
    assert [p["part"] for p in found] == ["word/document.xml"]


def test_a_field_that_jinja_writes_as_raw_xml_is_refused_after_rendering(tmp_path: Path) -> None:
    """This test ensures that a field Jinja writes with autoescape off is caught in the rendered part."""
    raw = ("{% autoescape false %}{{ '&lt;w:r&gt;&lt;w:instrText&gt;INCLUDE' ~ 'TEXT &quot;/etc/hostname&quot;"
           "&lt;/w:instrText&gt;&lt;/w:r&gt;' }}{% endautoescape %}")
    templates = municipality(tmp_path, [text(raw)])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "TEMPLATE-FIELD" in failures(report)
    assert not list((tmp_path / "out").glob("*.docx"))
    assert "TEMPLATE-JINJA" in {p["code"] for p in check(templates)}


# Raw XML a template could write: a picture loaded from a URL (`src`, with spaces before its `=`,
# and a prefixed `o:href`) and a linked OLE object. The rendered part's scan looks for these only
# where its bytes spell them: these are spelled as a template would spell them to slip past.
RAW_LINKS = {
    "src": '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:imagedata src   = '
           '"http://127.0.0.1:9/x.png"/></v:shape></w:pict></w:r>',
    "o:href": '<w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
              'xmlns:o="urn:schemas-microsoft-com:office:office"><v:imagedata o:href="file:///etc/hostname"/>'
              '</v:shape></w:pict></w:r>',
    "linked OLE": '<w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" Type="Link" '
                  'ProgID="Word.Document.12"/></w:object></w:r>',
}


@pytest.mark.parametrize("attack", list(RAW_LINKS))
def test_a_link_that_jinja_writes_as_raw_xml_is_refused_after_rendering(tmp_path: Path, attack: str) -> None:
    """This test ensures that a URL attribute or a linked OLE object Jinja writes with autoescape off is
    caught in the rendered part, however its name is spelled (the scan passes over a part whose bytes
    do not spell such a name)."""
    escaped = RAW_LINKS[attack].replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    raw = "{% autoescape false %}{{ '" + escaped + "' }}{% endautoescape %}"
    templates = municipality(tmp_path, [text(raw)])
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "integration-plan.docx › word/document.xml: TEMPLATE-EXTERNAL" in failures(report)
    assert not list((tmp_path / "out").glob("*.docx"))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    """This test ensures that a template unpacking to over 100 MB is refused from its declared sizes."""
    templates = municipality(tmp_path, extra=[("word/media/filler.bin", bytes(101_000_000))])
    assert (templates / "fi" / "integration-plan.docx").stat().st_size < 1_000_000
    result, report = render(tmp_path, templates)
    assert result.exit_code == 1
    assert "integration-plan.docx › (package): TEMPLATE-TOO-LARGE" in failures(report)
    assert [p["code"] for p in check(templates)] == ["TEMPLATE-TOO-LARGE"]


def test_the_builtin_and_sample_templates_are_clean() -> None:
    """This test ensures that the scanner does not refuse kotodoc's own templates or the sample's."""
    result = runner.invoke(app, ["templates", "check", "--json"])
    assert not [p for p in json.loads(result.stdout) if p["code"].startswith("TEMPLATE-")]
    assert not [p for p in check(ROOT / "samples" / "municipality") if p["code"].startswith("TEMPLATE-")]


# ---------------------------------------------------------------------------------------------
# Unsafe Jinja: `templates check` reports it with its paragraph; rendering refuses it


UNSAFE_JINJA = {
    "__class__": "{{ person.__class__ }}",
    "mro": "{{ person.mro }}",
    "__globals__ via item": "{{ upfirst['__globals__'] }}",
    "mutating the shared terms": "{{ t.update({'x': 1}) }}",
    "|safe": "{{ person.full_name|safe }}",
}


@pytest.mark.parametrize("construct", list(UNSAFE_JINJA))
def test_templates_check_reports_unsafe_jinja_with_its_paragraph(tmp_path: Path, construct: str) -> None:
    """This test ensures that `templates check` finds what the sandbox would refuse, in every branch."""
    templates = municipality(tmp_path, [text("{% if false %}" + UNSAFE_JINJA[construct] + "{% endif %}")])
    found = [p for p in check(templates) if p["code"] == "TEMPLATE-JINJA"]
    assert [(p["part"], p["paragraph"]) for p in found] == [("word/document.xml", 1)]


# ---------------------------------------------------------------------------------------------
# Layer 2: LibreOffice alone loads nothing external


class _Server:
    """A real HTTP server on 127.0.0.1 in a thread, counting every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                seen.append((self.command, self.path))
                self.send_response(404)
                self.end_headers()

            do_GET = do_HEAD = do_OPTIONS = do_POST = do_PROPFIND = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


MARKER = "KOTODOC-LOCAL-FILE-7731"


def _local_files(tmp_path: Path) -> tuple[Path, Path, tuple[int, int]]:
    """A JPEG (a blank page drawn by pdftoppm, with the marker in a comment) and an HTML file with the marker."""
    blank = PdfWriter()
    blank.add_blank_page(width=120, height=90)
    blank.write(tmp_path / "blank.pdf")
    subprocess.run(["pdftoppm", "-jpeg", "-r", "72", "-singlefile", str(tmp_path / "blank.pdf"),
                    str(tmp_path / "blank")], check=True)
    jpeg = (tmp_path / "blank.jpg").read_bytes()
    comment = b"\xff\xfe" + struct.pack(">H", len(MARKER) + 2) + MARKER.encode()
    image = tmp_path / "secret.jpg"
    image.write_bytes(jpeg[:2] + comment + jpeg[2:])
    html = tmp_path / "secret.html"
    html.write_text(f"<html><body><p>{MARKER}</p></body></html>", encoding="utf-8")
    return image, html, _jpeg_size(jpeg)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no frame header")


def _hostile_links(tmp_path: Path, server: _Server) -> tuple[Path, tuple[int, int]]:
    image, html, size = _local_files(tmp_path)
    templates = municipality(
        tmp_path,
        [picture("rIdH"), picture("rIdF"), f'<w:altChunk xmlns:w="{W}" xmlns:r="{R}" r:id="rIdA"/>',
         complex_field(f' INCLUDEPICTURE "{server.url}/field.png" \\d'), complex_field(f' INCLUDETEXT "{html}"')],
        [("rIdH", RELS + "image", f"{server.url}/image.png", "External"),
         ("rIdF", RELS + "image", image.as_uri(), "External"),
         ("rIdA", RELS + "aFChunk", html.as_uri(), "External")],
    )
    return templates, size


def _image_sizes(pdf: Path) -> set[tuple[int, int]]:
    sizes = set()
    for page in PdfReader(pdf).pages:
        objects = (page.get("/Resources") or {}).get("/XObject") or {}
        for ref in objects.values():
            o = ref.get_object()
            if o.get("/Subtype") == "/Image":
                sizes.add((int(o["/Width"]), int(o["/Height"])))
    return sizes


@pytest.mark.soffice
def test_libreoffice_alone_fetches_nothing_and_embeds_no_local_file(
    tmp_path: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that with the scanner bypassed, LibreOffice's own options load nothing external.

    Without BlockUntrustedRefererLinks and the closed proxy, LibreOffice sent OPTIONS, HEAD and GET
    for the external image and drew the `file://` image in the PDF.
    """
    monkeypatch.setattr("kotodoc.docx._render.check_template", lambda *a, **k: None)
    monkeypatch.setattr("kotodoc.docx._render.rendered_fields", lambda *a, **k: [])
    templates, size = _hostile_links(tmp_path, server)
    result, _ = render(tmp_path, templates, fmt="pdf")
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "out" / "ESP-2025-0217.integration-plan.fi.pdf"
    assert server.requests == []
    assert MARKER not in pdf_text(pdf)
    assert MARKER.encode() not in pdf.read_bytes()
    assert size not in _image_sizes(pdf)  # the local image is not drawn (LibreOffice re-encodes a JPEG)


@pytest.mark.soffice
def test_the_scanner_alone_refuses_with_libreoffices_options_off(
    tmp_path: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that with LibreOffice's protective options removed, the scanner still refuses."""
    from kotodoc.pdf import _convert

    bare = _convert._PROFILE_XCU.replace(_convert._PROXY, "").replace(
        '<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true', '<prop oor:name='
        '"BlockUntrustedRefererLinks" oor:op="fuse"><value>false')
    monkeypatch.setattr(_convert, "_PROFILE_XCU", bare)
    templates, _ = _hostile_links(tmp_path, server)
    result, report = render(tmp_path, templates, ESPOO, HELSINKI, fmt="pdf")
    assert result.exit_code == 1
    assert failures(report).count("(and 4 more; `kotodoc templates check` lists them); the template is not used") == 2
    assert server.requests == []
    assert not list((tmp_path / "out").glob("*.pdf"))


# ---------------------------------------------------------------------------------------------
# Fresh, read-only context for every document


LEAK = text("{% if t.leak is defined %}LEAKED {{ t.leak }}{% endif %}{{ t.update({'leak': person.personal_id}) "
            "or '' }}")


@pytest.mark.parametrize("command", ["render", "batch"])
def test_no_document_sees_what_a_template_did_to_the_previous_ones_values(tmp_path: Path, command: str) -> None:
    """This test ensures that `t.update(...)` cannot carry one person's identity code into the next document."""
    templates = municipality(tmp_path, [LEAK])
    if command == "render":
        result, report = render(tmp_path, templates, ESPOO, HELSINKI)
        messages = failures(report)
        outputs = list((tmp_path / "out").glob("*.docx"))
    else:
        result, whole = batch(tmp_path, templates, ESPOO, HELSINKI)
        messages = "\n".join(f for case in whole["cases"] for f in case["failures"])
        outputs = list((tmp_path / "batch").glob("*.docx"))
    assert result.exit_code == 1
    assert "access to attribute 'update' of 'dict' object is unsafe" in messages
    for docx in outputs:
        assert "LEAKED" not in docx_text(docx)
    assert "140391-417C" not in result.output and "220785-562W" not in result.output


def test_each_document_gets_its_own_copy_of_the_values_even_in_a_mutable_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that, with the sandbox's immutability switched off, a change still dies with its document."""
    from jinja2.sandbox import SandboxedEnvironment

    monkeypatch.setattr("kotodoc.docx._sandbox.LimitedEnvironment.is_safe_attribute",
                        SandboxedEnvironment.is_safe_attribute)
    templates = municipality(tmp_path, [LEAK])
    result, report = render(tmp_path, templates, ESPOO, HELSINKI)
    assert result.exit_code == 0, result.output
    assert [c["status"] for c in report] == ["done", "done"]
    for docx in (tmp_path / "out").glob("*.integration-plan.fi.docx"):
        assert "LEAKED" not in docx_text(docx)


# ---------------------------------------------------------------------------------------------
# Limits on rendering time and size


RUNAWAY = {
    "nested range loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "loops over a list, no call inside": "{% set r = range(100000)|list %}{% for i in r %}{% for j in r %}"
                                         "{% endfor %}{% endfor %}",
    "recursive macro": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
}
ONLY_HELSINKI = "{% if case_id == 'HEL-2025-1108' %}CODE{% endif %}"


@pytest.mark.parametrize(("command", "attack"), [("render", a) for a in RUNAWAY] + [("batch", "nested range loops")])
def test_a_runaway_template_fails_its_case_in_bounded_time_and_the_others_finish(
    tmp_path: Path, command: str, attack: str
) -> None:
    """This test ensures that a template looping for ever fails that case only, within the time limit."""
    templates = municipality(tmp_path, [text(ONLY_HELSINKI.replace("CODE", RUNAWAY[attack]))])
    env = {"KOTODOC_RENDER_TIMEOUT": "2"}
    start = time.monotonic()
    if command == "render":
        _, cases = render(tmp_path, templates, ESPOO, HELSINKI, env=env)
        out = tmp_path / "out"
    else:
        # Two worker processes, forked from a server started before the limit was set (as in a
        # long-lived process): the limit must reach them with the run's options.
        forkserver.ensure_running()
        _, whole = batch(tmp_path, templates, ESPOO, HELSINKI, env=env, jobs=2)
        cases = whole["cases"]
        out = tmp_path / "batch"
    assert time.monotonic() - start < 30
    status = {c["case_id"]: c["status"] for c in cases}
    assert status == {"ESP-2025-0217": "done", "HEL-2025-1108": "failed"}
    failed = next(c for c in cases if c["case_id"] == "HEL-2025-1108")
    assert any("integration-plan.docx › word/document.xml" in f and "RENDER-TIMEOUT" in f and "2 s" in f
               for f in failed["failures"])
    assert (out / "ESP-2025-0217.integration-plan.fi.docx").is_file()
    assert not (out / "HEL-2025-1108.integration-plan.fi.docx").exists()


BIG = {
    "repeat": "{{ ('x' * 10**9)|length }}",
    "power": "{{ (10 ** (10 ** 8))|string|length }}",
    "method": "{{ 'x'.ljust(10**9)|length }}",
    "join": "{{ range(100000)|join('x' * 100000)|length }}",
    "replace": "{{ ('x' * 4000000)|replace('x', 'xxxxxxxxxx')|length }}",
    "center": "{{ 'x'|center(10**9)|length }}",
    "format": "{{ '%1000000000s'|format('x')|length }}",
    "concatenation": "{% set ns = namespace(s='x' * 1000000) %}{% for i in range(40) %}"
                     "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "list of references": "{{ ([['x' * 1000000] * 1000] * 1000)|string|length }}",
}


@pytest.mark.parametrize("attack", list(BIG))
def test_a_huge_value_fails_the_case_quickly_with_bounded_memory(tmp_path: Path, attack: str) -> None:
    """This test ensures that a template building a gigantic value fails fast, without taking the memory."""
    templates = municipality(tmp_path, [text(BIG[attack])])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    start = time.monotonic()
    result, report = render(tmp_path, templates)
    assert time.monotonic() - start < 20
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.exit_code == 1
    assert "RENDER-TOO-LARGE" in failures(report)
    assert grown_mb < 300


def test_the_rendered_output_is_limited(tmp_path: Path) -> None:
    """This test ensures that a document whose XML grows past KOTODOC_RENDER_MAX_MB is stopped."""
    templates = municipality(tmp_path, [text("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}")])
    result, report = render(tmp_path, templates, env={"KOTODOC_RENDER_MAX_MB": "1"})
    assert result.exit_code == 1
    assert "RENDER-TOO-LARGE: the rendered document is over 1 MB" in failures(report)


# ---------------------------------------------------------------------------------------------
# The logo


def _png(width: int, height: int) -> bytes:
    """A PNG's signature and header chunk claiming `width` × `height` (no pixels are needed to refuse it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_logo_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    """This test ensures that a 16000 × 16000 logo is refused before LibreOffice spends 28 s on it."""
    (tmp_path / "logo.png").write_bytes(_png(16000, 16000))
    profile = tmp_path / "profile.yaml"
    profile.write_text("logo: logo.png\n", encoding="utf-8")
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path / "out"), "--profile", str(profile),
                                 "--format", "docx"])
    assert result.exit_code != 0
    assert "logo.png is 16000 × 16000 pixels" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.docx"))
