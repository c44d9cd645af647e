"""Templates are untrusted input: refuse anything in a DOCX template that reaches outside it or runs code.

A municipality edits its templates in Word, and a template can ask the program that opens it to
fetch a URL or a local file: LibreOffice fetched an external image (`<a:blip r:link>` to
`http://…`) during conversion and embedded one from `file:///…` in the PDF. With Jinja choosing
which of many such links each position uses, a template could spell personal data out to a web
server. So before a template is compiled (`_docx.compiled`) and in `kotodoc templates check`,
every part of the package is read and these are refused, each located as `template › part`:

- **TEMPLATE-EXTERNAL**: a relationship with `TargetMode="External"` of any type but an ordinary
  hyperlink (linked images, linked OLE objects, subDocument, altChunk, attachedTemplate, frames,
  mail-merge data sources...), a relationship whose target is a URL even without that mode, a
  `href`/`src` attribute holding a URL (VML `o:href`, `v:imagedata src`), a linked OLE object
  (`o:OLEObject Type="Link"`, whatever its relationship), a mail-merge
  connection, and a document type declaration (which can name an external file).
- **TEMPLATE-MACRO**: a VBA project (`vbaProject.bin`, `vbaData.xml`, its relationship), a
  macro-enabled content type (`.docm`, `.dotm`), and ActiveX controls.
- **TEMPLATE-FIELD**: a field that loads or runs something outside the document, in a simple
  field (`w:fldSimple w:instr`) or a complex one (`w:instrText` runs, joined, since Word splits an
  instruction over runs freely): DDE, DDEAUTO, INCLUDETEXT, INCLUDEPICTURE, INCLUDE, IMPORT, LINK,
  DATABASE; and any field instruction written with Jinja, which could become one of them when the
  case is rendered.

Hyperlinks stay: a link in a PDF is only followed when a reader clicks it. The XML is parsed with
entities unresolved and the network off, so the scan itself reads nothing outside the package.
A template that unpacks to over 100 MB (a ZIP bomb) is TEMPLATE-TOO-LARGE, refused before
anything is unpacked. The rendered parts are scanned for fields again (`rendered_fields`), since Jinja with
`{% autoescape false %}` or `|safe` can write XML of its own. LibreOffice is also told to fetch
nothing (`_pdf`), so each layer holds if the other misses something.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

from kotodoc.errors import TemplateRenderError

__all__ = ["TemplateUnsafeError", "UnsafeCode", "UnsafeConstruct", "check_template", "is_macro_part",
           "rendered_fields",
           "scan_template"]

UnsafeCode = Literal["TEMPLATE-EXTERNAL", "TEMPLATE-MACRO", "TEMPLATE-FIELD", "TEMPLATE-JINJA", "TEMPLATE-TOO-LARGE"]
MAX_UNPACKED = 100_000_000  # bytes, all entries together (kotodoc's templates: about 1 MB)
MAX_ENTRIES = 2000

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_HYPERLINK = "/relationships/hyperlink"
# Relationship types of active content, by the end of the type URI (Word 2006 and later spellings).
_MACRO_TYPES = ("/vbaProject", "/wordVbaData", "/keyMapCustomizations", "/control", "/activeXControlBinary")
_MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/[^/]+)$", re.IGNORECASE)
_MACRO_CONTENT = re.compile(r"macroEnabled|vbaProject|vbaData|activeX", re.IGNORECASE)
_URL = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
# Fields that read a file, a URL, another program (DDE) or a database when the document is updated.
_DANGEROUS_FIELDS = frozenset({"DDE", "DDEAUTO", "INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "IMPORT", "LINK",
                               "DATABASE"})
_JINJA = re.compile(r"{[{%#]|[}%#]}")
# No network, no entities, no DTD: the scan must not itself read outside the package.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class UnsafeConstruct:
    """One construct that reaches outside the template or runs code."""

    part: str  # the ZIP entry ("word/_rels/document.xml.rels"); "(package)" for the whole file
    code: UnsafeCode
    message: str

    def __str__(self) -> str:
        return f"{self.part}: {self.code}: {self.message}"


class TemplateUnsafeError(TemplateRenderError):
    """A template reaches outside itself (external link, macro, dangerous field): it is not used."""

    def __init__(self, template: Path, found: UnsafeConstruct, more: int = 0):
        """Locate the first construct found as template › part; `more` counts the others."""
        self.code = found.code
        others = f" (and {more} more; `kotodoc templates check` lists them)" if more else ""
        super().__init__(template, found.part, f"{found.code}: {found.message}{others}; the template is not used")


def check_template(path: Path, data: bytes | None = None) -> None:
    """Refuse a template that holds anything `scan_template` finds.

    Raises:
        TemplateUnsafeError: the first construct found, located by part.
        TemplateRenderError: the file is not a readable DOCX.
    """
    found = scan_template(path, data)
    if found:
        raise TemplateUnsafeError(path, found[0], len(found) - 1)


def scan_template(path: Path, data: bytes | None = None) -> list[UnsafeConstruct]:
    """Every external reference, macro and dangerous field in a DOCX template, part by part.

    Args:
        path: the template (read unless `data` is given; also what messages name).
        data: the template's bytes, when already read.

    Raises:
        TemplateRenderError: the file is not a ZIP, or a part is not well-formed XML.
    """
    try:
        with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as z:
            infos = [info for info in z.infolist() if not info.is_dir()]
            # A ZIP bomb: sizes as declared, which zipfile never reads past.
            if len(infos) > MAX_ENTRIES or sum(info.file_size for info in infos) > MAX_UNPACKED:
                return [UnsafeConstruct("(package)", "TEMPLATE-TOO-LARGE", f"the template unpacks to over "
                                        f"{MAX_UNPACKED // 1_000_000} MB or {MAX_ENTRIES} files; a template "
                                        "holds some hundreds of kB")]
            entries = [(info.filename, z.read(info.filename)) for info in infos]
    except (OSError, zipfile.BadZipFile) as e:
        raise TemplateRenderError(path, "(package)", f"cannot read the template: {e}") from None
    found: list[UnsafeConstruct] = []
    for name, payload in entries:
        if is_macro_part(name):
            found.append(UnsafeConstruct(name, "TEMPLATE-MACRO", "a macro or ActiveX part; templates hold no code"))
            continue
        if not name.endswith((".xml", ".rels")):
            continue
        try:
            root = etree.fromstring(payload, _PARSER)
        except etree.XMLSyntaxError as e:
            raise TemplateRenderError(path, name, f"not well-formed XML: {e.msg}") from None
        if root.getroottree().docinfo.doctype:
            found.append(UnsafeConstruct(name, "TEMPLATE-EXTERNAL",
                                         "a document type declaration, which can load an external file"))
        if name == "[Content_Types].xml":
            found += _content_types(name, root)
        elif name.endswith(".rels"):
            found += _relationships(name, root)
        else:
            found += _attributes(name, root)
            found += _fields(name, root, template=True)
            if root.find(f".//{{{_W}}}mailMerge") is not None:
                found.append(UnsafeConstruct(name, "TEMPLATE-EXTERNAL",
                                             "a mail-merge data source, which connects to a file or database"))
    return found


def is_macro_part(name: str) -> bool:
    """True for a ZIP entry that holds code (a VBA project, its data, an ActiveX control)."""
    return _MACRO_PARTS.search(name) is not None


def rendered_fields(name: str, root: etree._Element, data: bytes | None = None) -> list[UnsafeConstruct]:
    """Dangerous fields and URL attributes in a rendered part (Jinja can write raw XML).

    `data`, the bytes `root` was parsed from, lets each search pass over a part whose bytes do
    not spell what it looks for (see `_spelled`): the searches of the whole tree took some 3 ms of
    a plan's 18, and a rendered part hardly ever holds a URL attribute or a linked OLE object, and
    only the footers hold fields (the page numbers).
    """
    utf8 = data is not None and (root.getroottree().docinfo.encoding or "").upper() == "UTF-8"
    found: list[UnsafeConstruct] = []
    if not utf8 or _spelled(data, (b"fldSimple", b"instrText")):  # a field's instruction is in either
        found += _fields(name, root, template=False)
    if not utf8 or _spelled(data, (b"OLEObject",)) or _url_attribute(data):
        found += _attributes(name, root)
    return found


def _spelled(data: bytes | None, names: Sequence[bytes]) -> bool:
    """Whether UTF-8 `data` spells any of `names`.

    In UTF-8 every character of an XML name is written as itself (a name has no escapes, and
    lxml refuses an overlong UTF-8 sequence), so a part without the bytes of a name has no element
    or attribute of that local name. In a part that declares another encoding, look at the tree.
    """
    return data is None or any(name in data for name in names)


# An attribute whose local name is `href` or `src` is written so in its start tag, after a space
# (between attributes) or a prefix's colon, before an optional space and `=`.
_BEFORE_NAME, _SPACE = frozenset(b" \t\r\n:"), frozenset(b" \t\r\n")


def _url_attribute(data: bytes | None) -> bool:
    """Whether UTF-8 `data` (see `_spelled`) may hold an attribute whose local name is `href` or `src`."""
    if data is None:
        return True
    for name in (b"href", b"src"):  # found with `bytes.find`: a regular expression took 0.3 ms a part
        at = data.find(name)
        while at >= 0:
            end = at + len(name)
            while end < len(data) and data[end] in _SPACE:
                end += 1
            if at > 0 and data[at - 1] in _BEFORE_NAME and data[end:end + 1] == b"=":
                return True
            at = data.find(name, at + 1)
    return False


def _content_types(name: str, root: etree._Element) -> Iterator[UnsafeConstruct]:
    for el in root:
        kind = el.get("ContentType") or ""
        if _MACRO_CONTENT.search(kind):
            which = el.get("PartName") or f"*.{el.get('Extension')}"
            yield UnsafeConstruct(name, "TEMPLATE-MACRO", f"{which} is declared as {kind}: macro-enabled content")


def _relationships(name: str, root: etree._Element) -> Iterator[UnsafeConstruct]:
    for rel in root.iter(f"{{{_PKG_REL}}}Relationship"):
        kind, target = rel.get("Type") or "", rel.get("Target") or ""
        short = kind.rsplit("/", 1)[-1] or "(none)"
        if kind.endswith(_MACRO_TYPES):
            yield UnsafeConstruct(name, "TEMPLATE-MACRO", f"relationship {rel.get('Id')} to a {short} part: "
                                  "templates hold no code")
        elif kind.endswith(_HYPERLINK):
            continue  # followed only when a reader clicks it
        elif (rel.get("TargetMode") or "").lower() == "external" or _URL.match(target):
            yield UnsafeConstruct(name, "TEMPLATE-EXTERNAL", f"relationship {rel.get('Id')} of type {short} "
                                  f"points outside the template ({_clip(target)}); only hyperlinks may")


# Attributes that hold a URL to load (VML `o:href`, `v:imagedata src`), found by libxml2, not a loop.
_URL_ATTRIBUTES = etree.XPath("//@*[local-name() = 'href' or local-name() = 'src']")


# An OLE object whose data is a link to a file (`<o:OLEObject Type="Link">`), whatever its relationship says.
_LINKED_OLE = etree.XPath("//*[local-name() = 'OLEObject'][@Type = 'Link']")


def _attributes(name: str, root: etree._Element) -> Iterator[UnsafeConstruct]:
    linked = _LINKED_OLE(root)
    assert isinstance(linked, list)
    if linked:
        yield UnsafeConstruct(name, "TEMPLATE-EXTERNAL", "a linked OLE object, which loads a file outside the "
                              "template")
    found = _URL_ATTRIBUTES(root)
    assert isinstance(found, list)
    for attr in found:
        value = str(attr)
        if _URL.match(value):
            tag = str(attr.getparent().tag).rsplit("}", 1)[-1]
            local = str(attr.attrname).rsplit("}", 1)[-1]
            yield UnsafeConstruct(name, "TEMPLATE-EXTERNAL", f"{tag} {local}= points outside the template "
                                  f"({_clip(value)})")


def _fields(name: str, root: etree._Element, *, template: bool) -> list[UnsafeConstruct]:
    found: list[UnsafeConstruct] = []
    for instr in _instructions(root):
        word = instr.strip().split(None, 1)[0].upper() if instr.strip() else ""
        if word in _DANGEROUS_FIELDS:
            found.append(UnsafeConstruct(name, "TEMPLATE-FIELD", f"the field {word} loads or runs something "
                                         "outside the document"))
        elif template and _JINJA.search(instr):
            found.append(UnsafeConstruct(name, "TEMPLATE-FIELD", "a field instruction written with Jinja "
                                         "(it could become a field that loads a file when rendered)"))
    return found


def _instructions(root: etree._Element) -> Iterable[str]:
    """Each field instruction of a part: simple fields' `w:instr`, complex fields' `w:instrText` joined.

    A complex field runs from `fldChar begin` to `separate` (or `end`), and Word splits its
    instruction over as many `instrText` runs as it likes; fields nest, hence the stack.
    """
    simple = f"{{{_W}}}fldSimple"
    char, text = f"{{{_W}}}fldChar", f"{{{_W}}}instrText"
    stack: list[list[str]] = []
    for el in root.iter(simple, char, text):
        if el.tag == simple:
            yield el.get(f"{{{_W}}}instr") or ""
        elif el.tag == text:
            if stack:
                stack[-1].append(el.text or "")
            else:  # an instruction outside any field: read it on its own
                yield el.text or ""
        else:
            kind = el.get(f"{{{_W}}}fldCharType")
            if kind == "begin":
                stack.append([])
            elif kind == "end" and stack:
                yield "".join(stack.pop())


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
