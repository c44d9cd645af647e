"""Stage 6: DOCX to PDF/A-2b with tags, by LibreOffice Writer headless.

One `soffice` call converts many files (the engine notes measure it 5–6× faster than one call per
document). Each call runs with a private, temporary profile directory: two calls sharing a profile
run one after the other, and a private profile keeps a user's settings (and macros) out. The
profile is created with macros disabled and links never fetched.

`soffice` exits 0 even when it wrote nothing, and will "convert" a text file named .docx: every
expected PDF is checked to exist and to be a whole PDF, and a missing one is an error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from kotodoc.errors import ConversionError, UsageError

# PDF/A-2b (SelectPdfVersion 2) with a structure tree (UseTaggedPDF), as measured in the notes.
PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {
        "SelectPdfVersion": {"type": "long", "value": "2"},
        "UseTaggedPDF": {"type": "boolean", "value": "true"},
        "ExportFormFields": {"type": "boolean", "value": "false"},
    },
    separators=(",", ":"),
)
FLAGS = ["--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo", "--norestore", "--nolockcheck"]

# Macro security "very high" (3) with no trusted locations runs no macros; links are never
# updated from their sources. Written into the private profile before LibreOffice starts.
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def soffice_binary() -> str:
    """The LibreOffice executable: `$KOTODOC_SOFFICE`, else `soffice` or `libreoffice` on PATH.

    Raises:
        UsageError: LibreOffice is not installed.
    """
    configured = os.environ.get("KOTODOC_SOFFICE")
    if configured:
        if not os.access(configured, os.X_OK):
            raise UsageError(f"LibreOffice not found at KOTODOC_SOFFICE={configured}")
        return configured
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise UsageError("LibreOffice is not installed (no `soffice` on PATH); install libreoffice-writer-nogui "
                     "or render with --format docx")


def make_profile(parent: Path | None = None) -> Path:
    """Create a private LibreOffice profile with macros off; the caller deletes it."""
    profile = Path(tempfile.mkdtemp(prefix="kotodoc-lo-", dir=parent))
    user = profile / "user"
    user.mkdir()
    (user / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
    return profile


@dataclass(frozen=True)
class Conversion:
    """The outcome for one input: a PDF path, or the error that stopped it."""

    source: Path
    pdf: Path | None
    error: ConversionError | None


def convert(docx_files: list[Path], out_dir: Path, *, timeout: float | None = None) -> list[Conversion]:
    """Convert DOCX files to PDF/A-2b in one LibreOffice run.

    Args:
        docx_files: the files; their stems must be distinct (the PDF takes the stem).
        out_dir: where the PDFs go (a working directory: callers move them into place).
        timeout: seconds before LibreOffice is killed; default 60 + 15 per file.

    Returns:
        One `Conversion` per input, in order.
    """
    if not docx_files:
        return []
    binary = soffice_binary()
    limit = timeout if timeout is not None else 60 + 15 * len(docx_files)
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = make_profile()
    cmd = [binary, f"-env:UserInstallation={profile.as_uri()}", *FLAGS,
           "--convert-to", PDF_FILTER, "--outdir", str(out_dir), *map(str, docx_files)]
    failure: str | None = None
    try:
        # A session of its own, so a timeout kills LibreOffice's helper processes too.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
        try:
            _, stderr = proc.communicate(timeout=limit)
            if proc.returncode != 0:
                failure = f"LibreOffice exited with status {proc.returncode}: {_tail(stderr)}"
        except subprocess.TimeoutExpired:
            _kill(proc)
            failure = f"LibreOffice did not finish within {limit:.0f} s and was stopped"
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    results = []
    for src in docx_files:
        pdf = out_dir / (src.stem + ".pdf")
        problem = check_pdf(pdf)
        if problem is None:
            results.append(Conversion(src, pdf, None))
        else:
            pdf.unlink(missing_ok=True)
            results.append(Conversion(src, None, ConversionError(f"{src.name}: {failure or problem}")))
    return results


def check_pdf(path: Path) -> str | None:
    """Return None for a whole PDF, else what is wrong with it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "LibreOffice wrote no PDF"
    if size < 100:
        return "the PDF is empty or truncated"
    with path.open("rb") as fh:
        head = fh.read(8)
        fh.seek(max(size - 1024, 0))
        tail = fh.read()
    if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
        return "the PDF is truncated"
    try:
        if len(PdfReader(path).pages) < 1:
            return "the PDF has no pages"
    except (PyPdfError, OSError, ValueError) as e:
        return f"the PDF cannot be read ({type(e).__name__})"
    return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _tail(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else "no message"
