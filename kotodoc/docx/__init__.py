"""Stage 5, DOCX: templates chosen, scanned, compiled once (kept) and rendered in a limited sandbox; bilingual joins.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.docx._cache_place import cache_folder
    from kotodoc.docx._compose import make_one_point
    from kotodoc.docx._limits import RenderLimitError, RenderLimits, document_limits
    from kotodoc.docx._render import compiled, jinja_env, normalise_zip, render_docx
    from kotodoc.docx._safety import TemplateUnsafeError, UnsafeConstruct, check_template, scan_template
    from kotodoc.docx._templates import TemplateSet, builtin_root, is_template_dir, template_set

_HOMES = {
    "cache_folder": "kotodoc.docx._cache_place",
    "RenderLimitError": "kotodoc.docx._limits",
    "RenderLimits": "kotodoc.docx._limits",
    "TemplateUnsafeError": "kotodoc.docx._safety",
    "UnsafeConstruct": "kotodoc.docx._safety",
    "check_template": "kotodoc.docx._safety",
    "document_limits": "kotodoc.docx._limits",
    "scan_template": "kotodoc.docx._safety",
    "TemplateSet": "kotodoc.docx._templates",
    "builtin_root": "kotodoc.docx._templates",
    "is_template_dir": "kotodoc.docx._templates",
    "compiled": "kotodoc.docx._render",
    "jinja_env": "kotodoc.docx._render",
    "make_one_point": "kotodoc.docx._compose",
    "normalise_zip": "kotodoc.docx._render",
    "render_docx": "kotodoc.docx._render",
    "template_set": "kotodoc.docx._templates",
}
__all__ = [
    "RenderLimitError",
    "RenderLimits",
    "TemplateSet",
    "TemplateUnsafeError",
    "UnsafeConstruct",
    "builtin_root",
    "cache_folder",
    "check_template",
    "compiled",
    "document_limits",
    "is_template_dir",
    "jinja_env",
    "make_one_point",
    "normalise_zip",
    "render_docx",
    "scan_template",
    "template_set",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
