"""Stage 5: render a DOCX template with docxtpl, check the result, write it reproducibly.

Safety (engine notes): docxtpl does not escape by default, so rendering uses autoescape; a missing
variable must fail, so `StrictUndefined`; custom templates must not reach Python internals, so a
sandboxed Jinja environment. docxtpl parses the body with lxml's `recover=True`, which hides broken
XML: every XML part of the result is parsed strictly before the file is kept.

python-docx stamps ZIP entries with the current time; we rewrite the archive with a fixed time
(`SOURCE_DATE_EPOCH`, else the time of the run) so the same case gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from kotodoc._context import upfirst
from kotodoc._files import atomic_write
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
) -> None:
    """Render `template` with `context` into `out`.

    Args:
        template: the .docx template.
        context: the values (see `_context.build_context`).
        out: the file to write; written under a temporary name and renamed when whole.
        properties: core properties: title, author, subject, language, keywords.
        stamp: the creation time written into the document and its ZIP entries.

    Raises:
        TemplateRenderError: the template has a syntax error, uses a missing variable, or the
            result is not well-formed XML.
    """
    tpl = DocxTemplate(str(template))
    try:
        tpl.render(dict(context), jinja_env(), autoescape=True)
    except jinja2.TemplateError as e:
        part = getattr(getattr(tpl, "current_rendering_part", None), "partname", "word/document.xml")
        # docxtpl puts each paragraph on its own line before Jinja runs: a line is a paragraph.
        line = getattr(e, "lineno", None) or _template_line(e)
        message = e.message if isinstance(e, jinja2.TemplateError) and e.message else type(e).__name__
        raise TemplateRenderError(template, str(part).lstrip("/"), message, line) from None

    core = tpl.docx.core_properties
    core.title = properties.get("title", "")
    core.author = properties.get("author", "")
    core.subject = properties.get("subject", "")
    core.language = properties.get("language", "")
    core.keywords = properties.get("keywords", "")
    core.last_modified_by = properties.get("author", "")
    core.created = stamp
    core.modified = stamp
    core.revision = 1

    buffer = io.BytesIO()
    tpl.save(buffer)
    data = normalise_zip(buffer.getvalue(), stamp, template)
    atomic_write(out, data)


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
