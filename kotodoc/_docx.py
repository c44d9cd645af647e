"""Stage 5: render a DOCX template with docxtpl's preprocessing, check the result, write it reproducibly.

Safety (engine notes): docxtpl does not escape by default, so rendering uses autoescape; a missing
variable must fail, so `StrictUndefined`; custom templates must not reach Python internals, so a
sandboxed Jinja environment. docxtpl parses the body with lxml's `recover=True`, which hides broken
XML: every rendered XML part is parsed strictly before the file is kept.

Speed: a template is compiled once per process (`CompiledTemplate`) with docxtpl's own XML
patching, and rendered many times: about 10 ms a plan instead of docxtpl's ~100 ms.

python-docx stamps ZIP entries with the current time; we rewrite the archive with a fixed time
(`SOURCE_DATE_EPOCH`, else the time of the run) so the same case gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from kotodoc._context import upfirst
from kotodoc._files import atomic_write
from kotodoc._templates import Logo
from kotodoc.errors import TemplateRenderError


def jinja_env() -> jinja2.Environment:
    """The Jinja environment for every template: sandboxed, strict, escaping."""
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["upfirst"] = upfirst
    return env


def fixed_time() -> dt.datetime:
    """The time stamped into files: `SOURCE_DATE_EPOCH` if set, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def render_docx(
    template: Path,
    context: Mapping[str, Any],
    out: Path,
    *,
    properties: Mapping[str, str],
    stamp: dt.datetime,
    logo: Logo | None = None,
) -> None:
    """Render `template` with `context` into `out`.

    Args:
        template: the .docx template.
        context: the values (see `_context.build_context`).
        out: the file to write; written under a temporary name and renamed when whole.
        properties: core properties: title, author, subject, language, keywords.
        stamp: the creation time written into the document and its ZIP entries.
        logo: the authority's logo for the header's logo picture.

    Raises:
        TemplateRenderError: the template has a syntax error, uses a missing variable, or the
            result is not well-formed XML.
    """
    atomic_write(out, compiled(template).render(context, properties, stamp, logo))


def repack_docx(data: bytes, properties: Mapping[str, str], stamp: dt.datetime) -> bytes:
    """A DOCX written by python-docx (a joined bilingual document) with our core properties and fixed times."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        entries = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    return _write_zip(entries, {_CORE: _core_properties(properties, stamp)}, stamp)


def compiled(template: Path) -> CompiledTemplate:
    """The compiled form of a template, reused while the file is unchanged (one per process)."""
    st = template.stat()
    return _compiled(template.resolve(), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _compiled(template: Path, mtime_ns: int, size: int) -> CompiledTemplate:
    return CompiledTemplate(template)


_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CORE = "docProps/core.xml"
_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


class CompiledTemplate:
    """A DOCX template prepared once and rendered many times.

    docxtpl re-reads the package, re-patches the XML and re-compiles Jinja on every render (about
    100 ms for a plan). Here that is done once per template: docxtpl's own `patch_xml` turns
    Word's XML into Jinja source for the body, headers and footers, which are compiled in our
    sandboxed environment. A render is then Jinja, docxtpl's `resolve_listing` for line breaks and
    tabs in values, a strict parse of each rendered part, and a ZIP written in the template's entry
    order with fixed times; parts without Jinja are copied as they are.
    """

    def __init__(self, template: Path):
        """Load and compile `template`.

        Raises:
            TemplateRenderError: a Jinja syntax error, located by part and paragraph.
        """
        self.path = template
        tpl = DocxTemplate(str(template))
        tpl.render_init()
        self._tpl = tpl
        with zipfile.ZipFile(template) as z:
            self._entries = [(info.filename, z.read(info.filename)) for info in z.infolist()]
        env = jinja_env()
        # partname -> (text before the rendered region, compiled region, text after)
        self._parts: dict[str, tuple[str, jinja2.Template, str, bool]] = {}
        root = etree.tostring(tpl.docx._element, encoding="unicode")
        start, end = root.index("<w:body"), root.rindex("</w:body>") + len("</w:body>")
        self._add(env, "word/document.xml", _XML_DECLARATION + root[:start], root[start:end], root[end:])
        self._logo: str | None = None  # the ZIP entry of the header's logo picture, if the template has one
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                self._add(env, str(part.partname).lstrip("/"), _XML_DECLARATION, xml, "")
                self._logo = self._logo or _logo_entry(part, xml)

    def _add(self, env: jinja2.Environment, name: str, before: str, xml: str, after: str) -> None:
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", self._tpl.patch_xml(xml))
        try:
            compiled = env.from_string(source)
        except jinja2.TemplateSyntaxError as e:
            raise TemplateRenderError(self.path, name, e.message or "syntax error", e.lineno) from None
        # `{%tc %}` column loops leave the table grid wrong; docxtpl's fix_tables repairs it.
        self._parts[name] = (before, compiled, after, bool(re.search(r"{%-?\s*tc\b", xml)))

    def render(
        self,
        context: Mapping[str, Any],
        properties: Mapping[str, str],
        stamp: dt.datetime,
        logo: Logo | None = None,
        *,
        compress: bool = True,
    ) -> bytes:
        """The rendered document as bytes; `logo` replaces the header's logo picture (`logo` in the context).

        Raises:
            TemplateRenderError: a missing variable, a runtime error in the template, or a
                rendered part that is not well-formed XML.
        """
        values = dict(context)
        rendered: dict[str, bytes] = {}
        for name, (before, template, after, fix_tables) in self._parts.items():
            try:
                xml = template.render(values)
            except jinja2.TemplateError as e:
                line = getattr(e, "lineno", None) or _template_line(e)
                message = e.message if e.message else type(e).__name__
                raise TemplateRenderError(self.path, name, message, line) from None
            xml = self._finish_part(xml, fix_tables)
            data = (before + xml + after).encode("utf-8")
            try:
                etree.fromstring(data, _STRICT)
            except etree.XMLSyntaxError as e:
                raise TemplateRenderError(self.path, name, f"rendered XML is not well-formed: {e.msg}") from None
            rendered[name] = data
        rendered[_CORE] = _core_properties(properties, stamp)
        entries = self._entries
        if logo is not None and self._logo is not None:
            entries = _with_logo(entries, rendered, self._logo, logo)
        return _write_zip(entries, rendered, stamp, compress=compress)

    def _finish_part(self, xml: str, fix_tables: bool) -> str:
        """What docxtpl does to a part after Jinja: rejoin paragraphs, unescape, line breaks, tables."""
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(c in xml for c in "\t\a\n\f"):
            xml = self._tpl.resolve_listing(xml)
        if fix_tables:
            xml = etree.tostring(self._tpl.fix_tables(xml), encoding="unicode")
        return xml


_STRICT = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False)


def _core_properties(properties: Mapping[str, str], stamp: dt.datetime) -> bytes:
    """docProps/core.xml with the document's title, author, subject, language and times."""
    cp, dc, dcterms, xsi = (f"{{{_NS[k]}}}" for k in ("cp", "dc", "dcterms", "xsi"))
    root = etree.Element(f"{cp}coreProperties", nsmap=_NS)
    for tag, key in ((f"{dc}title", "title"), (f"{dc}subject", "subject"), (f"{dc}creator", "author"),
                     (f"{cp}keywords", "keywords"), (f"{dc}language", "language"),
                     (f"{cp}lastModifiedBy", "author")):
        etree.SubElement(root, tag).text = properties.get(key, "")
    etree.SubElement(root, f"{cp}revision").text = "1"
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag in (f"{dcterms}created", f"{dcterms}modified"):
        el = etree.SubElement(root, tag)
        el.set(f"{xsi}type", "dcterms:W3CDTF")
        el.text = when
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _write_zip(
    entries: list[tuple[str, bytes]], replaced: Mapping[str, bytes], stamp: dt.datetime, *, compress: bool = True
) -> bytes:
    """The package as a ZIP with fixed entry times; `compress=False` for a version only joined in memory."""
    out = io.BytesIO()
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method) as dst:
        for name, payload in entries:
            entry = zipfile.ZipInfo(name, date_time)
            entry.compress_type = method
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, replaced.get(name, payload))
    return out.getvalue()


def _logo_entry(part: Any, xml: str) -> str | None:
    """The ZIP entry of the picture described `kotodoc-logo` in a header part, if there is one."""
    match = re.search(r'descr="kotodoc-logo".*?r:embed="([^"]+)"', xml, re.DOTALL)
    if match is None or match.group(1) not in part.rels:
        return None
    return str(part.rels[match.group(1)].target_part.partname).lstrip("/")


def _with_logo(
    entries: list[tuple[str, bytes]], rendered: dict[str, bytes], entry: str, logo: Logo
) -> list[tuple[str, bytes]]:
    """The entries with the logo picture's bytes replaced by the authority's logo.

    A JPEG logo cannot keep the placeholder's `.png` name (Word goes by the extension's content
    type), so it gets its own name, and the relationships and content types follow.
    """
    old_ext = entry.rsplit(".", 1)[-1]
    if old_ext == logo.ext:
        rendered[entry] = logo.data
        return entries
    new_entry = f"{entry[: -len(old_ext)]}{logo.ext}"
    old_name, new_name = entry.rsplit("/", 1)[-1], new_entry.rsplit("/", 1)[-1]
    result: list[tuple[str, bytes]] = []
    for name, payload in entries:
        if name == entry:
            result.append((new_entry, logo.data))
            rendered.pop(new_entry, None)
            continue
        if name.endswith(".rels") and old_name.encode() in payload:
            payload = payload.replace(f'"media/{old_name}"'.encode(), f'"media/{new_name}"'.encode())
            rendered[name] = payload
        elif name == "[Content_Types].xml" and f'Extension="{logo.ext}"'.encode() not in payload:
            payload = payload.replace(
                b"<Default ", f'<Default Extension="{logo.ext}" ContentType="image/{logo.ext}"/><Default '.encode(), 1)
            rendered[name] = payload
        result.append((name, payload))
    return result


def _template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on: Jinja rewrites tracebacks to show template frames."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def normalise_zip(data: bytes, stamp: dt.datetime, template: Path) -> bytes:
    """Check every XML part strictly and rewrite the archive with fixed entry times.

    Raises:
        TemplateRenderError: an XML part is not well-formed.
    """
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    out = io.BytesIO()
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(payload, parser)
                except etree.XMLSyntaxError as e:
                    message = f"rendered XML is not well-formed: {e.msg}"
                    raise TemplateRenderError(template, info.filename, message) from None
            entry = zipfile.ZipInfo(info.filename, date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, payload)
    return out.getvalue()
