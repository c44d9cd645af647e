"""Stage 6: DOCX to PDF/A-2b with tags, by LibreOffice Writer headless.

One `soffice` call converts many files (the engine notes measure it 5–6× faster than one call per
document). Each call runs with a private, temporary profile directory: two calls sharing a profile
run one after the other, and a private profile keeps a user's settings (and macros) out. The
profile is created with macros disabled and nothing external loaded: no linked image, no link
update, and every internet request sent to a closed local port (see `_PROFILE_XCU`).

`soffice` exits 0 even when it wrote nothing, and will "convert" a text file named .docx: every
expected PDF is checked to exist and to be a whole PDF, and a missing one is an error.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from kotodoc.errors import ConversionError, UsageError

# PDF/A-2b (SelectPdfVersion 2) with a structure tree (UseTaggedPDF), as measured in the notes.
PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(
    {
        "SelectPdfVersion": {"type": "long", "value": "2"},
        "UseTaggedPDF": {"type": "boolean", "value": "true"},
        # PDF/UA-1 beside PDF/A-2b: LibreOffice 7.4 then writes `pdfuaid:part` 1 into the XMP
        # next to `pdfaid`, and sets DisplayDocTitle (the viewer shows the title, not the file name).
        "PDFUACompliance": {"type": "boolean", "value": "true"},
        "ExportFormFields": {"type": "boolean", "value": "false"},
    },
    separators=(",", ":"),
)
# How many files a lane's first LibreOffice start converts (see `ConverterPool._take`).
FIRST_CHUNK = 8
FLAGS = ["--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo", "--norestore", "--nolockcheck"]

# Macro security "very high" (3) with no trusted locations runs no macros; links are never
# updated from their sources. Written into the private profile before LibreOffice starts.
#
# LibreOffice loads nothing from outside the document, even if a template got past
# the template scan (`kotodoc.docx`, each layer is tested on its own in tests/test_template_trust.py):
# - BlockUntrustedRefererLinks: no linked image (`r:link`, `http://` or `file://`) is fetched for a
#   document outside the trusted locations, and there are none. Without it LibreOffice sent
#   OPTIONS, HEAD and GET to the URL of an external image, and embedded a `file://` one in the PDF.
# - Every HTTP, HTTPS and FTP request goes through a "proxy" at 127.0.0.1:9, a privileged port
#   where nothing listens (discard, at most): a request that some other path makes fails at once,
#   on this machine, instead of reaching a server. No host is exempt (ooInetNoProxy empty).
_PROXY = "".join(
    f'<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value>'
    "</prop></item>\n"
    for name, value in (("ooInetProxyType", "1"), ("ooInetNoProxy", ""),
                        *((f"ooInet{p}ProxyName", "127.0.0.1") for p in ("HTTP", "HTTPS", "FTP")),
                        *((f"ooInet{p}ProxyPort", "9") for p in ("HTTP", "HTTPS", "FTP")))
)
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
""" + _PROXY + """<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def soffice_env(profile: Path | None = None) -> dict[str, str]:
    """The environment LibreOffice runs in (with `profile`, its temporary files go in the profile)."""
    # svp: no display needed. TZ=UTC: the dates LibreOffice writes always have the same form,
    # which `_finish.pin_pdf` relies on.
    env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "TZ": "UTC"}
    if profile is not None and (profile / "tmp").is_dir():
        # LibreOffice keeps a temporary directory (lu<pid>….tmp) that it removes only when it exits
        # normally: an instance killed after a hang or a crash left one in /tmp each time (found by
        # tests/test_faults.py). Inside the profile, it goes when the profile is removed.
        env["TMPDIR"] = str(profile / "tmp")
    return env


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


# LibreOffice must die with kotodoc: an instance left converting after `kill -9` of kotodoc goes on
# writing unencrypted PDFs. Linux's parent-death signal (prctl PR_SET_PDEATHSIG) reaches only a
# direct child, and `soffice` is a launcher (oosplash) whose soffice.bin survives the launcher's
# death (tried: kill -9 of oosplash left soffice.bin converting). So a small Python process sits
# between. It asks for SIGTERM when kotodoc dies; on SIGTERM (that, or kotodoc's `kill`) it kills
# LibreOffice's process group. It is a child subreaper, so the processes of that group come back to
# it to be reaped, and it exits only when none is left: no zombie outlives a kill. It also sets
# the umask, so that every file LibreOffice writes (the PDFs, its profile) is owner-only from the
# first byte.
_GUARD = """
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
parent = int(sys.argv[1])
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
os.umask(0o077)
pid = os.fork()
if pid == 0:
    try:
        os.setpgid(0, 0)
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
try:
    os.setpgid(pid, pid)  # set on both sides: whichever runs first
except OSError:
    pass
def stop(*_):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
signal.signal(signal.SIGTERM, stop)
libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != parent:  # kotodoc died before the request took effect
    stop()
status = 0
while True:
    try:
        done, st = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if done == pid:
        status = st
        stop()  # whatever LibreOffice left running goes with it
if os.WIFSIGNALED(status):  # end as LibreOffice ended, so that its status reads the same
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""
_GUARDED = sys.platform.startswith("linux")


def soffice_command(binary: str, profile: Path, out_dir: Path, files: list[Path]) -> list[str]:
    """The command converting `files` to PDF/A-2b in `out_dir` with a private profile.

    On Linux it runs under a guard that kills LibreOffice when kotodoc dies (see `_GUARD`).
    """
    return guarded([binary, f"-env:UserInstallation={profile.as_uri()}", *FLAGS,
                    "--convert-to", PDF_FILTER, "--outdir", str(out_dir), *map(str, files)])


def guarded(command: list[str]) -> list[str]:
    """`command` under the guard that kills LibreOffice when kotodoc dies (see `_GUARD`), on Linux."""
    if _GUARDED:
        # -I -S: no site packages and no environment variables read; the guard needs only the stdlib.
        return [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()), *command]
    return command


# Finnish hyphenation for the templates' narrow table cells. LibreOffice has Finnish hyphenation
# only through Voikko (a Python extension with which it aborted when started from a virtualenv),
# and no Debian package ships Finnish patterns; Swedish and English come from hyphen-sv and
# hyphen-en-gb (scripts/setup). Finnish syllables follow two rules, which these patterns
# (libhyphen's format, as TeX's Finnish patterns do) state: a syllable starts at the consonant before
# a vowel ("kotou-tu-mis-suun-ni-tel-ma"), and two vowels that are neither a long vowel nor a
# diphthong belong to two syllables ("säh-kö-a-sen-ta-ja"). A compound's own boundary is not known
# where it differs ("sähköa-sentaja" is a syllable break, not the compound's), and loan words'
# consonant clusters break before their last consonant.
_FI_CONSONANTS = "bcdfghjklmnpqrstvwxzšž"
_FI_VOWELS = "aeiouyäöå"
_FI_SPLIT_VOWELS = ("ae", "ao", "aä", "aö", "ay", "ea", "eo", "eä", "eö", "oa", "oe", "oä", "oö", "oy", "ua",
                    "ue", "uä", "uö", "uy", "ia", "io", "iä", "iö", "ya", "ye", "yo", "yu", "yä", "äa", "äe",
                    "äo", "äu", "äö", "öa", "öe", "öo", "öu", "öä")
_FI_HYPHENATION = "\n".join([
    "UTF-8", "LEFTHYPHENMIN 2", "RIGHTHYPHENMIN 3",
    *(f"1{c}{v}" for c in _FI_CONSONANTS for v in _FI_VOWELS),
    *(f"{pair[0]}1{pair[1]}" for pair in _FI_SPLIT_VOWELS),
]) + "\n"


def _hyphenation_xcu(dictionary: Path) -> str:
    """The profile's entry that gives LibreOffice `dictionary` as its Finnish hyphenation patterns."""
    return ('<item oor:path="/org.openoffice.Office.Linguistic/ServiceManager/Dictionaries">'
            '<node oor:name="kotodoc_hyph_fi_FI" oor:op="replace">'
            f'<prop oor:name="Locations" oor:type="oor:string-list"><value>{dictionary.as_uri()}</value></prop>'
            '<prop oor:name="Format" oor:type="xs:string"><value>DICT_HYPH</value></prop>'
            '<prop oor:name="Locales" oor:type="oor:string-list"><value>fi-FI</value></prop>'
            "</node></item>\n")


def make_profile(parent: Path | None = None) -> Path:
    """Create a private LibreOffice profile with macros off and Finnish hyphenation; the caller deletes it."""
    old = os.umask(0o077)  # owner-only from the first byte: LibreOffice keeps document copies here
    try:
        profile = Path(tempfile.mkdtemp(prefix="kotodoc-lo-", dir=parent))
        user = profile / "user"
        user.mkdir()
        dictionary = profile / "hyph_fi_FI.dic"
        dictionary.write_text(_FI_HYPHENATION, encoding="utf-8")
        xcu = _PROFILE_XCU.replace("</oor:items>", _hyphenation_xcu(dictionary) + "</oor:items>")
        (user / "registrymodifications.xcu").write_text(xcu, encoding="utf-8")
        (profile / "tmp").mkdir()  # LibreOffice's TMPDIR (see `soffice_env`)
    finally:
        os.umask(old)
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
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    profile = make_profile()
    cmd = soffice_command(binary, profile, out_dir, docx_files)
    failure: str | None = None
    try:
        # A session of its own, so a timeout kills LibreOffice's helper processes too.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env=soffice_env(profile))
        try:
            _, stderr = proc.communicate(timeout=limit)
            if proc.returncode != 0:
                failure = f"LibreOffice exited with status {proc.returncode}: {_tail(stderr)}"
        except subprocess.TimeoutExpired:
            kill(proc)
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


class ConverterPool:
    """Persistent conversion lanes for a batch: each a thread that runs `soffice` over chunks of files.

    The engine notes measure one `soffice` call over many files as fast as a persistent UNO
    instance, without UNO bindings and without a socket; so an "instance" here is a lane with its
    own profile directory (kept for the lane's life, so only its first start pays for a fresh
    profile) that converts up to `restart_after` files per LibreOffice start. Restarting bounds
    LibreOffice's memory growth. LibreOffice converts the files of a call in order, so a lane
    watches the PDFs appear: when none appears for `doc_timeout` seconds, it kills the instance,
    keeps what was finished, and goes on with a fresh start. Every file that did not convert
    (hung, crashed, or skipped by LibreOffice) is retried once on its own before it is reported.

    Use: `submit()` DOCX files as they are rendered, `close()` when there are no more, and read
    `results()` as they complete; `shutdown()` stops everything (it is also the context exit).
    """

    def __init__(self, out_dir: Path, instances: int, *, expected: int | None = None, doc_timeout: float = 60.0,
                 restart_after: int = 200):
        """Start `instances` lanes converting into `out_dir`.

        Args:
            out_dir: where the PDFs go.
            instances: lanes (LibreOffice instances at a time).
            expected: how many files will be submitted, so the work is shared evenly between lanes.
            doc_timeout: seconds without a finished PDF before an instance is killed.
            restart_after: at most this many files per LibreOffice start.
        """
        self.out_dir = out_dir
        self.binary = soffice_binary()
        self.doc_timeout = doc_timeout
        self.restart_after = max(1, restart_after)
        self._expected = expected
        self._taken = 0
        self._quota: dict[str, int] = {}  # lane -> files taken so far
        self._warm: set[Path] = set()
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._todo: queue.Queue[Path | None] = queue.Queue()
        self._done: queue.Queue[Conversion | None] = queue.Queue()
        self._stopping = threading.Event()
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self.starts = 0  # LibreOffice starts, for the report
        self._profiles = [make_profile() for _ in range(max(1, instances))]
        self._lanes = [threading.Thread(target=self._lane, args=(prof,), daemon=True) for prof in self._profiles]
        for lane in self._lanes:
            lane.start()

    def expect(self, count: int) -> None:
        """Correct the number of files expected in all, once it is known."""
        with self._lock:
            self._expected = count

    def submit(self, docx: Path) -> None:
        """Queue a DOCX file (its stem names the PDF)."""
        self._todo.put(docx)

    def close(self) -> None:
        """No more files will be submitted."""
        for _ in self._lanes:
            self._todo.put(None)

    def results(self) -> Iterator[Conversion]:
        """Each submitted file's outcome, as it completes, until every lane has finished."""
        running = len(self._lanes)
        while running:
            item = self._done.get()
            if item is None:
                running -= 1
            else:
                yield item

    def shutdown(self) -> None:
        """Stop the lanes, kill any LibreOffice still running, remove the profiles."""
        self._stopping.set()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            kill(proc)
        for _ in self._lanes:
            self._todo.put(None)
        for lane in self._lanes:
            lane.join(timeout=30)
        for profile in self._profiles:
            shutil.rmtree(profile, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- one lane ---------------------------------------------------------------------------

    def _lane(self, profile: Path) -> None:
        try:
            finished = False
            while not finished and not self._stopping.is_set():
                chunk, finished = self._take()
                pending = chunk
                while pending and not self._stopping.is_set():
                    pending = self._run(profile, pending, retry=False)
        finally:
            self._done.put(None)

    def _take(self) -> tuple[list[Path], bool]:
        """The files for one LibreOffice start. Returns them, and whether the input has ended.

        A lane's first start takes `FIRST_CHUNK` files (or all there will be, if fewer), so that
        LibreOffice starts as soon as the first few DOCX files exist and its start (about a second)
        overlaps the rendering of the rest; waiting for a lane's whole share, as before, left
        LibreOffice idle for the first 12 s of a 300-case batch. Later starts take the files that
        are ready, up to the lane's share of the work (rendering is some ten times faster than
        converting, so by then most are), and at most `restart_after`.
        """
        item = self._todo.get()
        if item is None:
            return [], True
        lane = threading.current_thread().name
        with self._lock:
            first = lane not in self._quota
            if self._expected is None:
                target = self.restart_after
            else:
                # Each lane's share of the whole is fixed up front, as LibreOffice alone would split
                # the files; what is left over (retries, rounding) is shared out as it comes.
                # (The expected count is re-estimated as cases are rendered, so the share is too.)
                share = -(-self._expected // len(self._lanes)) - self._quota.get(lane, 0)
                leftover = max(1, -(-(self._expected - self._taken) // len(self._lanes)))
                target = min(self.restart_after, share if share > 0 else leftover)
            if first:
                target = min(target, FIRST_CHUNK) if self._expected is not None else FIRST_CHUNK
        chunk, finished = [item], False
        while len(chunk) < target:
            try:
                # The first start waits for its few files; a later one takes what is there.
                more = self._todo.get() if first else self._todo.get_nowait()
            except queue.Empty:
                break
            if more is None:
                finished = True
                break
            chunk.append(more)
        with self._lock:
            self._quota[lane] = self._quota.get(lane, 0) + len(chunk)
            self._taken += len(chunk)
        return chunk, finished

    def _run(self, profile: Path, files: list[Path], *, retry: bool) -> list[Path]:
        """Convert `files` in one LibreOffice start; report each; return the files still to do."""
        outputs = [self.out_dir / (f.stem + ".pdf") for f in files]
        cmd = soffice_command(self.binary, profile, self.out_dir, files)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                env=soffice_env(profile))
        with self._lock:
            self._procs.add(proc)
            self.starts += 1
            # LibreOffice's first start on a fresh profile takes a while on its own.
            grace = 3.0 if profile in self._warm else 15.0
            self._warm.add(profile)
        # Progress is a PDF appearing. LibreOffice works through the files in order and skips one it
        # cannot load, so the file in hand is the one after the last PDF written, and every file
        # before that one is finished: it is reported at once, not when the start ends.
        settled, reached, hung = 0, 0, False
        retries: list[Path] = []
        last_progress = time.monotonic() + grace
        while proc.poll() is None:
            if self._stopping.wait(0.1):
                break
            # Look a few files ahead, past any that LibreOffice skipped.
            furthest = reached
            for j in range(reached, min(len(outputs), reached + 8)):
                if outputs[j].exists():
                    furthest = j + 1
            if furthest > reached:
                reached, last_progress = furthest, time.monotonic()
                settled += self._settle(files[settled:reached - 1], retry, retries)
            if settled == reached - 1 and check_pdf(outputs[settled], parse=False) is None:
                # The newest PDF is already whole (LibreOffice writes %%EOF last): report it now, so a
                # document is never held back behind the next one, which may hang.
                self._done.put(Conversion(files[settled], outputs[settled], None))
                settled += 1
            elif time.monotonic() - last_progress > self.doc_timeout:
                hung = True
                break
        if proc.poll() is None:
            kill(proc)
        with self._lock:
            self._procs.discard(proc)
        if self._stopping.is_set():
            return []

        later: list[Path] = []
        if not hung:
            for j in range(reached, len(outputs)):  # PDFs written since the last look
                if outputs[j].exists():
                    reached = j + 1
            # When LibreOffice ended part way (killed, crashed, or stopped as it sometimes does), only
            # the file in hand is suspect: it is retried on its own, and the files never reached go
            # to the next start, as after a hang. (Retrying each of them on its own, as before, cost
            # one LibreOffice start per file: a kill early in a 200-file share took some 5 minutes;
            # found by tests/test_faults.py.)
            end = min(len(files), reached + 1)
            self._settle(files[settled:end], retry, retries)
            later = files[end:]
        else:
            self._settle(files[settled:reached], retry, retries)
            if reached < len(files):
                stuck = files[reached]  # the file LibreOffice was working on when it hung
                outputs[reached].unlink(missing_ok=True)
                if retry:
                    why = f"LibreOffice did not finish it within {self.doc_timeout:.0f} s (after one retry)"
                    self._done.put(Conversion(stuck, None, ConversionError(f"{stuck.name}: {why}")))
                else:
                    retries.append(stuck)
                later = files[reached + 1:]  # never reached: the next start converts them
        for src in retries:
            # One retry, on its own, so a neighbour cannot be the cause.
            self._run(profile, [src], retry=True)
        return later

    def _settle(self, files: list[Path], retry: bool, retries: list[Path]) -> int:
        """Report finished files: a whole PDF is done; anything else is retried, or on a retry failed."""
        for src in files:
            pdf = self.out_dir / (src.stem + ".pdf")
            problem = check_pdf(pdf, parse=False)
            if problem is None:
                self._done.put(Conversion(src, pdf, None))
                continue
            pdf.unlink(missing_ok=True)
            if retry:
                why = f"{problem} (after one retry){_disk_full(self.out_dir)}"
                self._done.put(Conversion(src, None, ConversionError(f"{src.name}: {why}")))
            else:
                retries.append(src)
        return len(files)


def _disk_full(directory: Path) -> str:
    """"; the disk is full (N kB free)" when `directory` has less room than a PDF needs.

    LibreOffice says nothing when it cannot write a PDF, so on a full disk a document only
    "wrote no PDF" or "is truncated"; this says why (found by tests/test_faults.py).
    """
    try:
        st = os.statvfs(directory)
    except OSError:
        return ""
    free = st.f_bavail * st.f_frsize
    return f"; the disk is full ({free // 1024} kB free)" if free < _PDF_ROOM else ""


_PDF_ROOM = 1 << 20  # a document's PDF takes 60–300 kB; less than this free is a full disk


def check_pdf(path: Path, *, parse: bool = True) -> str | None:
    """Return None for a whole PDF, else what is wrong with it.

    `parse=False` checks only the header and the end-of-file marker (LibreOffice writes it last);
    the batch lanes use it because every PDF is parsed by `_finish.verify_pdf` next anyway, and
    parsing twice cost about 11 ms a document of the CPU that LibreOffice needs.
    """
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
    if not parse:
        return None
    try:
        if len(PdfReader(path).pages) < 1:
            return "the PDF has no pages"
    except (PyPdfError, OSError, ValueError) as e:
        return f"the PDF cannot be read ({type(e).__name__})"
    return None


def kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop a LibreOffice started by `guarded`, with its helper processes, and reap it."""
    if _GUARDED:
        # The guard kills LibreOffice's group and reaps it (see `_GUARD`); SIGKILL only if it does not.
        try:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _tail(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else "no message"
