"""Stage 5: render a DOCX template with docxtpl's preprocessing, check the result, write it reproducibly.

Safety (engine notes): docxtpl does not escape by default, so rendering uses autoescape; a missing
variable must fail, so `StrictUndefined`; custom templates must not reach Python internals, so a
sandboxed Jinja environment. docxtpl parses the body with lxml's `recover=True`, which hides broken
XML: every rendered XML part is parsed strictly before the file is kept.

Speed: a template is prepared once (`prepare`: docxtpl's own XML patching, compiled in our
sandbox) and rendered many times: about 10 ms a plan instead of docxtpl's ~100 ms. The preparation
is kept (`_cache`), in the user's cache across runs or in the run's folder for its workers.

python-docx stamps ZIP entries with the current time; we rewrite the archive with a fixed time
(the run's stamp: `SOURCE_DATE_EPOCH`, else the time of the run) so the same case gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree

from kotodoc._files import atomic_write
from kotodoc.context import upfirst
from kotodoc.docx._cache import VERSION_MARK, Part, PieceCodes, Prepared, entry_key, open_store
from kotodoc.docx._limits import RenderLimitError, document_limits, render_bounded
from kotodoc.docx._safety import TemplateUnsafeError, check_template, is_macro_part, rendered_fields
from kotodoc.docx._sandbox import LimitedEnvironment
from kotodoc.errors import TemplateLimitError, TemplateRenderError
from kotodoc.load import Logo


def jinja_env() -> jinja2.Environment:
    """The Jinja environment for every template: sandboxed and immutable, limited, strict, escaping."""
    env = LimitedEnvironment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["upfirst"] = upfirst
    return env


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
        context: the values (see `context.build_context`).
        out: the file to write; written under a temporary name and renamed when whole.
        properties: core properties: title, author, subject, language, keywords.
        stamp: the creation time written into the document and its ZIP entries.
        logo: the authority's logo for the header's logo picture.

    Raises:
        TemplateRenderError: the template has a syntax error, uses a missing variable, or the
            result is not well-formed XML.
    """
    with document_limits():
        data = compiled(template).render(context, properties, stamp, logo)
    atomic_write(out, data)


def compiled(
    *templates: Path, langs: Sequence[str] = (), join_cache: Path | None = None, cache: Path | None = None,
) -> CompiledTemplate:
    """The compiled form of a template, reused while the file's bytes are unchanged (one per process).

    Given two templates (a bilingual document's, in order), they are joined with docxcompose
    (`_compose.compose`) and the joined template is compiled: each document then costs two Jinja
    renders, not a join (~150 ms).

    A template is prepared (scanned, joined, patched, compiled) once, not once per process
    (`_cache`): in `cache`, the user's folder of prepared templates shared by every run
    (`RunOptions.template_cache`), else in `join_cache`, the run's private folder, which the
    run's worker processes share; the first process to need a template prepares it there, the
    others wait for it and load it. Without either, or when neither can be used safely, it is
    prepared in this process.
    """
    # Each document asks again: while the files are the very ones compiled from (`_unchanged`), the
    # answer is the same, without resolving, reading and hashing them (0.2 ms a document).
    asked = (templates, tuple(langs))
    signature = _signature(templates)
    seen = _SEEN.get(asked)
    if seen is not None and signature is not None and seen[0] == signature:
        return seen[1]
    paths = tuple(t.resolve() for t in templates)
    # By the bytes, not the time of change: a template edited within the same second, or put back
    # with its old time, is still a new template (reading and hashing it costs well under 1 ms).
    sources = [path.read_bytes() for path in paths]
    key = entry_key(sources, langs)
    found = _COMPILED.get((paths, key))
    if found is None:
        with open_store(cache, join_cache) as store:
            if store is None:
                prepared = _prepare(paths, sources, langs)
            else:
                with store.locked(key):
                    kept = store.load(key)
                    if kept is None:
                        kept = _prepare(paths, sources, langs)
                        store.save(key, kept)
                    prepared = kept
        # The bytes rendered from are the ones just read and digested into the entry's name: the
        # entry's scan verdict is these bytes' (a pair's joined package is in the entry itself).
        package = prepared.package if prepared.package is not None else sources[0]
        found = CompiledTemplate(paths[0], prepared, package)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.pop(next(iter(_COMPILED)))  # the oldest: a long-lived process meets many edits
        _COMPILED[(paths, key)] = found
    if signature is not None and _settled(signature):
        if len(_SEEN) >= _COMPILED_MAX:
            _SEEN.clear()
        _SEEN[asked] = (signature, found)
    return found


_COMPILED: dict[tuple[tuple[Path, ...], str], CompiledTemplate] = {}
_COMPILED_MAX = 64
# The templates asked for (as named, with the languages) -> their files' signature when read, and the answer.
_SEEN: dict[tuple[tuple[Path, ...], tuple[str, ...]], tuple[tuple[tuple[int, ...], ...], CompiledTemplate]] = {}
_SETTLED_NS = 2_000_000_000


def _signature(templates: Sequence[Path]) -> tuple[tuple[int, ...], ...] | None:
    """What identifies each file's bytes without reading them: device, inode, size, and the times of
    change of its content (mtime) and of its inode (ctime, which no one can set back). None: unreadable."""
    try:
        stats = [t.stat() for t in templates]
    except OSError:
        return None
    return tuple((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) for st in stats)


def _settled(signature: tuple[tuple[int, ...], ...]) -> bool:
    """Whether every file was last changed well before now (taken just before its bytes were read).

    A file's times are kept to a clock tick: a file changed within the tick after it was read
    could keep the signature it was read with. Git's index has the same "racy" case. A file
    changed within the last two seconds is read again at the next asking, until it has settled;
    once it has, any change gives it a later ctime, and so another signature.
    """
    now = time.time_ns()
    return all(now - max(sig[3], sig[4]) > _SETTLED_NS for sig in signature)


def _prepare(paths: Sequence[Path], sources: Sequence[bytes], langs: Sequence[str]) -> Prepared:
    """Scan templates, join a pair, patch the XML into Jinja source and compile it: the costly part.

    Templates are untrusted: each is scanned for external references, macros and dangerous fields
    before it is used (`_safety`); the bytes scanned are the bytes prepared.

    Raises:
        TemplateUnsafeError: a template reaches outside itself.
        TemplateRenderError: a template is not a readable DOCX, or has a Jinja syntax error.
    """
    for path, data in zip(paths, sources, strict=True):
        check_template(path, data)
    if len(sources) == 1:
        return prepare(paths[0], sources[0])
    from kotodoc.docx._compose import compose  # docxcompose and python-docx: only when a pair is joined

    return prepare(paths[0], compose(sources, langs), joined=True)


_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CORE = "docProps/core.xml"
_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


def prepare(template: Path, data: bytes, *, joined: bool = False) -> Prepared:
    """docxtpl's XML patching and Jinja's compiler over a template's parts (`data`, the template's bytes).

    docxtpl re-reads the package, re-patches the XML and re-compiles Jinja on every render (about
    100 ms for a plan). Here that is done once per template: docxtpl's own `patch_xml` turns
    Word's XML into Jinja source for the body, headers and footers, each compiled in our sandboxed
    environment (the code kept with the source, `_cache.PieceCodes`).

    A joined template (`_compose.compose`, `joined`) holds its language versions one after the
    other, each ending at a version mark; each version's part of the body, and each header and
    footer of its sections, is compiled on its own and rendered with that version's context.

    Raises:
        TemplateRenderError: a Jinja syntax error, located by part and paragraph.
    """
    from docxtpl import DocxTemplate  # python-docx and docxtpl: only when a template is prepared

    tpl = DocxTemplate(io.BytesIO(data))
    tpl.render_init()
    root = etree.tostring(tpl.docx._element, encoding="unicode")
    start, end = root.index("<w:body"), root.rindex("</w:body>") + len("</w:body>")
    parts = [_part(tpl, "word/document.xml", _XML_DECLARATION + root[:start], root[start:end], root[end:], None)]
    owner = _header_versions(tpl.docx.element.body)
    logo: list[str] = []
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for r_id, part in tpl.get_headers_footers(uri):
            xml = tpl.get_part_xml(part)
            parts.append(_part(tpl, str(part.partname).lstrip("/"), _XML_DECLARATION, xml, "", owner.get(r_id, 0)))
            entry = _logo_entry(part, xml)
            if entry and entry not in logo:
                logo.append(entry)
    prepared = Prepared(data if joined else None, root.count(VERSION_MARK) + 1, tuple(logo), tuple(parts))
    env, codes = jinja_env(), PieceCodes(prepared.codes)
    for part in prepared.parts:
        for index, (_, source) in enumerate(part.pieces):
            try:
                _from_code(env, codes, part.piece_name(index), source)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateRenderError(template, part.name, e.message or "syntax error", e.lineno) from None
    return prepared


def _part(tpl: Any, name: str, before: str, xml: str, after: str, version: int | None) -> Part:
    """A part's XML patched into Jinja source; a joined body cut after each version's closing paragraph."""
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(xml))
    pieces: list[tuple[int, str]] = []
    rest, n = source, 0
    while version is None and VERSION_MARK in rest:
        cut = rest.index("</w:p>", rest.index(VERSION_MARK)) + len("</w:p>")
        pieces.append((n, rest[:cut]))
        rest, n = rest[cut:], n + 1
    pieces.append((version or n, rest))
    # `{%tc %}` column loops leave the table grid wrong; docxtpl's fix_tables repairs it.
    return Part(name, before, after, bool(re.search(r"{%-?\s*tc\b", xml)), tuple(pieces))


def _from_code(env: jinja2.Environment, codes: PieceCodes, name: str, source: str) -> jinja2.Template:
    """`env.from_string(source)`, with the compiled code taken from (or put into) Jinja's bytecode cache `codes`.

    Raises:
        jinja2.TemplateSyntaxError: the source does not compile.
    """
    bucket = codes.get_bucket(env, name, None, source)
    if bucket.code is None:
        bucket.code = env.compile(source)  # the sandbox's compiler (`_sandbox`), as from_string
        codes.set_bucket(bucket)
    return env.template_class.from_code(env, bucket.code, env.make_globals(None), None)


class CompiledTemplate:
    """A DOCX template prepared once (`prepare`) and rendered many times.

    A render is Jinja, docxtpl's `resolve_listing` for line breaks and tabs in values, a strict
    parse of each rendered part, and a ZIP written in the template's entry order with fixed times;
    parts without Jinja are copied as they are.
    """

    def __init__(self, template: Path, prepared: Prepared, package: bytes):
        """Load a prepared template's compiled code; `package` is the template's bytes (a pair's joined ones)."""
        self.path = template
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            # A VBA project is never carried into a document, even if a caller skipped the scan.
            self._entries = [(info.filename, z.read(info.filename)) for info in z.infolist()
                             if not is_macro_part(info.filename)]
        # The parts no render changes (styles, theme, pictures: some 90 % of a plan's bytes) deflated
        # once, not with every document (about 6 ms of a plan's 12 ms of ZIP writing).
        self._deflated = {id(payload): _deflate(payload) for _, payload in self._entries}
        env, codes = jinja_env(), PieceCodes(prepared.codes)
        # partname -> (text before, [(version, compiled piece)], text after, fix tables)
        self._parts: dict[str, tuple[str, list[tuple[int, jinja2.Template]], str, bool]] = {}
        for part in prepared.parts:
            pieces = [(version, _from_code(env, codes, part.piece_name(index), source))
                      for index, (version, source) in enumerate(part.pieces)]
            self._parts[part.name] = (part.before, pieces, part.after, part.fix_tables)
        self.versions = prepared.versions
        self._logo = list(prepared.logo)

    def render(
        self,
        context: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        properties: Mapping[str, str],
        stamp: dt.datetime,
        logo: Logo | None = None,
    ) -> bytes:
        """The rendered document as bytes; `logo` replaces the headers' logo picture (`logo` in the context).

        Args:
            context: the values; for a joined bilingual template, one mapping per version.
            properties: core properties: title, author, subject, language, keywords.
            stamp: the time written into the document and its ZIP entries.
            logo: the authority's logo.

        Raises:
            TemplateRenderError: a missing variable, a runtime error in the template, or a
                rendered part that is not well-formed XML.
        """
        contexts = [dict(context)] if isinstance(context, Mapping) else [dict(c) for c in context]
        if len(contexts) != self.versions:
            raise ValueError(f"{self.path} has {self.versions} version(s), given {len(contexts)} context(s)")
        rendered: dict[str, bytes] = {}
        for name, (before, pieces, after, fix_tables) in self._parts.items():
            xml = ""
            for version, template in pieces:
                try:
                    xml += render_bounded(template, contexts[version])
                except jinja2.TemplateError as e:
                    line = getattr(e, "lineno", None) or _template_line(e)
                    message = e.message if e.message else type(e).__name__
                    raise TemplateRenderError(self.path, name, message, line) from None
                except RenderLimitError as e:
                    raise TemplateLimitError(self.path, name, e.code, str(e), _template_line(e)) from None
            xml = self._finish_part(xml, fix_tables)
            data = (before + xml + after).encode("utf-8")
            try:
                tree = etree.fromstring(data, _STRICT)
            except etree.XMLSyntaxError as e:
                raise TemplateRenderError(self.path, name, f"rendered XML is not well-formed: {e.msg}") from None
            # Jinja can write raw XML (`{% autoescape false %}`, `|safe`): no field may load anything.
            if found := rendered_fields(name, tree, data):
                raise TemplateUnsafeError(self.path, found[0], len(found) - 1)
            rendered[name] = data
        rendered[_CORE] = _core_properties(properties, stamp)
        entries = self._entries
        if logo is not None:
            for entry in self._logo:
                entries = _with_logo(entries, rendered, entry, logo)
        return _write_zip(entries, rendered, stamp, self._deflated)

    def _finish_part(self, xml: str, fix_tables: bool) -> str:
        """What docxtpl does to a part after Jinja: rejoin paragraphs, unescape, line breaks, tables."""
        # What `re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)` does, without a callback per paragraph
        # (0.4 ms a part): the two patterns cannot overlap, nor can one replacement make the other's.
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        if "{_" in xml or "_}" in xml:  # each of the four escapes holds one or the other: two scans, not four
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(c in xml for c in "\t\a\n\f"):
            xml = _docxtpl().resolve_listing(xml)
        if fix_tables:
            xml = etree.tostring(_docxtpl().fix_tables(xml), encoding="unicode")
        return xml


@functools.cache
def _docxtpl() -> Any:
    """A bare `DocxTemplate` for its `resolve_listing` and `fix_tables`, which read nothing of the template.

    A compiled template then needs no DocxTemplate of its own, and a process whose templates all
    come from the cache does not import docxtpl and python-docx unless a value holds a line break.
    """
    from docxtpl import DocxTemplate

    return DocxTemplate.__new__(DocxTemplate)


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
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data


def _deflate(payload: bytes) -> tuple[bytes, int, int, bytes]:
    """A ZIP entry's data deflated as zipfile deflates it: (compressed, CRC-32, size, the payload itself)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(payload) + compressor.flush(), zlib.crc32(payload), len(payload), payload


def _write_zip(entries: list[tuple[str, bytes]], replaced: Mapping[str, bytes], stamp: dt.datetime,
               deflated: Mapping[int, tuple[bytes, int, int, bytes]] | None = None) -> bytes:
    """The package as a ZIP with fixed entry times, in the template's entry order.

    The bytes are those zipfile writes (`ZipFile.writestr` of each entry, deflated, mode 0600, on a
    Unix system; a test compares them), written here because zipfile cannot take an entry already
    deflated: `deflated` holds the template's unchanged parts deflated once (by the payload's id,
    used only while it is that very payload).
    """
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    dosdate = (date_time[0] - 1980) << 9 | date_time[1] << 5 | date_time[2]
    dostime = date_time[3] << 11 | date_time[4] << 5 | (date_time[5] // 2)
    out, central = io.BytesIO(), io.BytesIO()
    for name, payload in entries:
        data = replaced.get(name, payload)
        found = (deflated or {}).get(id(data))
        packed, crc, size, _ = found if found is not None and found[3] is data else _deflate(data)
        if len(packed) > _ZIP_LIMIT or size > _ZIP_LIMIT or out.tell() > _ZIP_LIMIT:
            raise ValueError(f"{name} is too large for a document")  # a ZIP64 entry: never in a DOCX
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), 0x800  # zipfile's flag for a UTF-8 name
        offset = out.tell()
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, flags, zipfile.ZIP_DEFLATED, dostime,
                              dosdate, crc, len(packed), size, len(encoded), 0))
        out.write(encoded)
        out.write(packed)
        central.write(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, flags, zipfile.ZIP_DEFLATED,
                                  dostime, dosdate, crc, len(packed), size, len(encoded), 0, 0, 0, 0,
                                  0o600 << 16, offset))
        central.write(encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central.getvalue()),
                          start, 0))
    return out.getvalue()


_ZIP_LIMIT = (1 << 31) - 1  # zipfile's ZIP64_LIMIT: a larger entry would need ZIP64 records


# The bookmark `_compose` puts in the paragraph that closes each language version of a joined
# template (a leading underscore: Word keeps such bookmarks hidden).


def _header_versions(body: Any) -> dict[str, int]:
    """The version each header and footer reference of a joined template's sections belongs to (by r:id)."""
    owner: dict[str, int] = {}
    version = 0
    r_id = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for sect in body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sectPr"):
        for ref in sect:
            if ref.tag.endswith(("}headerReference", "}footerReference")):
                owner.setdefault(ref.get(r_id), version)
        paragraph = sect.getparent().getparent() if sect.getparent() is not None else None
        if paragraph is not None and VERSION_MARK in etree.tostring(paragraph, encoding="unicode"):
            version += 1
    return owner


def _logo_entry(part: Any, xml: str) -> str | None:
    """The ZIP entry of the picture described `kotodoc-logo` in a header part, if there is one."""
    match = re.search(r'(?:name|descr)="kotodoc-logo".*?r:embed="([^"]+)"', xml, re.DOTALL)
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
