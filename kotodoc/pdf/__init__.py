"""Stages 6 and 7, PDF and finish: LibreOffice lanes under supervision; pin, verify, encrypt, bundle.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.pdf._convert import (
        Conversion,
        ConverterPool,
        check_pdf,
        convert,
        make_profile,
        soffice_binary,
        soffice_command,
    )
    from kotodoc.pdf._facts import read_facts, verify_pdf
    from kotodoc.pdf._finish import bundle_pdfs, encrypt_pdf, pin_pdf
    from kotodoc.pdf._mend import amend_pdf
    from kotodoc.pdf._warm import LaneSession, WarmLanes, uno_python

_HOMES = {
    "LaneSession": "kotodoc.pdf._warm",
    "WarmLanes": "kotodoc.pdf._warm",
    "uno_python": "kotodoc.pdf._warm",
    "Conversion": "kotodoc.pdf._convert",
    "ConverterPool": "kotodoc.pdf._convert",
    "amend_pdf": "kotodoc.pdf._mend",
    "bundle_pdfs": "kotodoc.pdf._finish",
    "check_pdf": "kotodoc.pdf._convert",
    "convert": "kotodoc.pdf._convert",
    "encrypt_pdf": "kotodoc.pdf._finish",
    "make_profile": "kotodoc.pdf._convert",
    "pin_pdf": "kotodoc.pdf._finish",
    "read_facts": "kotodoc.pdf._facts",
    "soffice_binary": "kotodoc.pdf._convert",
    "soffice_command": "kotodoc.pdf._convert",
    "soffice_env": "kotodoc.pdf._convert",
    "verify_pdf": "kotodoc.pdf._facts",
}
__all__ = [
    "Conversion",
    "ConverterPool",
    "LaneSession",
    "WarmLanes",
    "amend_pdf",
    "bundle_pdfs",
    "check_pdf",
    "convert",
    "encrypt_pdf",
    "make_profile",
    "pin_pdf",
    "read_facts",
    "soffice_binary",
    "soffice_command",
    "soffice_env",
    "uno_python",
    "verify_pdf",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
