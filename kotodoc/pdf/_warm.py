"""Warm LibreOffice lanes for a service: long-lived instances shared by many runs, driven over UNO.

A batch converts many files per LibreOffice start (`ConverterPool`), so the start (about 1.3 s)
is paid once per chunk. A service gets one case at a time, and `soffice --convert-to` cannot be
sent to an instance that is already running: measured with LibreOffice 7.4, the second
`--convert-to` with the same profile is handed to the running instance and converts (0.5 s), but
that instance then exits, so every later call starts LibreOffice afresh (2–3 s). So a warm lane
here is one LibreOffice started once with `--accept` on a private pipe, and a small bridge process
that drives it over UNO: load the DOCX hidden, read-only, macros never run, links never updated,
store it as PDF/A-2b + PDF/UA-1 with the same options as the batch (a plan: about 0.25 s).

The bridge runs in a Python that has LibreOffice's UNO module (Debian's `/usr/bin/python3` with
`python3-uno`, or `$KOTODOC_UNO_PYTHON`), not kotodoc's, which may be any Python; it speaks JSON
lines on its stdin and stdout and ends when its stdin closes (so when kotodoc dies). LibreOffice
runs under the same guard as the batch's (it dies with kotodoc) and with the same private
profile (macros off, nothing fetched from outside).

Supervision, as in the batch: a conversion that does not finish within `doc_timeout`, or a lane
whose LibreOffice or bridge died, is killed and restarted in the background, and the document is
retried once on the next free lane; a lane is restarted after `restart_after` documents, to bound
LibreOffice's memory growth.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import selectors
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kotodoc.errors import ConversionError, UsageError
from kotodoc.pdf._convert import (
    FLAGS,
    PDF_FILTER,
    Conversion,
    check_pdf,
    guarded,
    kill,
    make_profile,
    soffice_binary,
    soffice_env,
)

UNO_PYTHON_ENV = "KOTODOC_UNO_PYTHON"

# The bridge: connects to LibreOffice's pipe, warms it with a first conversion, then converts one
# file per request line. Every answer is one JSON line. `dead` says the connection to LibreOffice
# is gone (the lane must be restarted); any other error is the document's.
_BRIDGE = r"""
import json, sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

def answer(**data):
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()

pipe, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
while True:
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except NoConnectException:
        if time.monotonic() > deadline:
            answer(error="LibreOffice did not open its pipe", dead=True)
            sys.exit(1)
        time.sleep(0.05)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
# MacroExecutionMode 0: NEVER_EXECUTE; UpdateDocMode 0: NO_UPDATE (links are not updated).
load = (prop("Hidden", True), prop("ReadOnly", True), prop("MacroExecutionMode", 0), prop("UpdateDocMode", 0))
options = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(
    prop(name, value) for name, value in json.loads(sys.argv[3]).items()))
store = (prop("FilterName", "writer_pdf_Export"), prop("FilterData", options))

def convert(src, dst):
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
    if doc is None:
        raise ValueError("LibreOffice could not load it")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(dst), store)
    finally:
        doc.close(True)

def dead(e):
    name = type(e).__name__.rsplit(".", 1)[-1]  # "com.sun.star.lang.DisposedException"
    if name in ("DisposedException", "RuntimeException") or "Binary URP bridge" in str(e):
        return True
    # LibreOffice killed while writing can raise something else (an IOException): ask it.
    try:
        desktop.getFrames()
    except Exception:
        return True
    return False

if len(sys.argv) > 5:  # a first conversion loads the DOCX import and PDF export filters
    try:
        convert(sys.argv[4], sys.argv[5])
    except Exception as e:
        answer(error="warm-up: " + type(e).__name__, dead=True)
        sys.exit(1)
answer(ready=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        convert(request["src"], request["dst"])
    except Exception as e:
        answer(error="LibreOffice could not convert it (%s)" % type(e).__name__, dead=dead(e))
        if dead(e):
            sys.exit(1)
    else:
        answer(ok=True)
"""

# The PDF options of the batch, read from its filter string (`_convert.PDF_FILTER`), so the two
# cannot drift apart: {"UseTaggedPDF": {"type": "boolean", "value": "true"}} -> {"UseTaggedPDF": True}.
_PDF_OPTIONS = {name: (int(option["value"]) if option["type"] == "long" else option["value"] == "true")
                for name, option in json.loads(PDF_FILTER.split(":", 2)[2]).items()}


def uno_python() -> str | None:
    """A Python that can `import uno`: `$KOTODOC_UNO_PYTHON`, Debian's `/usr/bin/python3`, or LibreOffice's own."""
    configured = os.environ.get(UNO_PYTHON_ENV)
    candidates = [configured] if configured else []
    candidates.append("/usr/bin/python3")
    try:  # LibreOffice's bundled Python (macOS, Windows) lives beside soffice
        program = Path(os.path.realpath(soffice_binary())).parent
        candidates += [str(program / "python"), str(program.parent / "Resources" / "python")]
    except UsageError:
        pass
    for candidate in candidates:
        if not os.access(candidate, os.X_OK):
            continue
        try:
            probe = subprocess.run([candidate, "-I", "-c", "import uno"], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return candidate
    return None


class _LaneDied(Exception):
    """The lane's LibreOffice or bridge is gone or hung: restart it."""


class _Lane:
    """One LibreOffice instance with its profile, its private pipe and its bridge."""

    def __init__(self, binary: str, python: str, warmup: Path | None):
        self.binary, self.python, self.warmup = binary, python, warmup
        self.profile = make_profile()
        self.office: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[bytes] | None = None
        self.converted = 0  # documents since this start
        self._buffer = b""
        self.wanted = threading.Event()  # set: restart me
        self.died = False  # restarted because it died or hung (not after `restart_after` documents)
        self.pipe: str | None = None  # the name of the pipe of this start's LibreOffice

    def start(self, timeout: float) -> None:
        """Start LibreOffice and the bridge, and wait until a first conversion has warmed them.

        Raises:
            _LaneDied: they did not come up within `timeout` seconds.
        """
        self.converted, self._buffer = 0, b""
        # A new pipe name at each start: a bridge can never reach an instance of an earlier start.
        pipe = f"kotodoc-{secrets.token_hex(12)}"
        self.pipe = pipe
        self.office = subprocess.Popen(
            guarded([self.binary, f"-env:UserInstallation={self.profile.as_uri()}", *FLAGS,
                     f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=soffice_env(self.profile))
        warm = []
        if self.warmup is not None:
            warm = [str(self.warmup.resolve()), str(self.profile.resolve() / "tmp" / "warm-up.pdf")]
        # -I: the bridge reads no environment variable and no user site-packages.
        self.bridge = subprocess.Popen(
            [self.python, "-I", "-c", _BRIDGE, pipe, str(timeout), json.dumps(_PDF_OPTIONS), *warm],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
            env=soffice_env(self.profile))
        answer = self._answer(timeout)
        if not answer.get("ready"):
            raise _LaneDied(str(answer.get("error", "LibreOffice did not start")))
        if warm:
            Path(warm[1]).unlink(missing_ok=True)

    def convert(self, src: Path, dst: Path, timeout: float) -> str | None:
        """Convert one file; None when done, else what is wrong with the document.

        Raises:
            _LaneDied: LibreOffice or the bridge died, or the conversion took longer than `timeout`.
        """
        assert self.bridge is not None and self.bridge.stdin is not None
        try:
            self.bridge.stdin.write(json.dumps({"src": str(src.resolve()), "dst": str(dst.resolve())}).encode() + b"\n")
            self.bridge.stdin.flush()
        except OSError:
            raise _LaneDied("LibreOffice's bridge has ended") from None
        answer = self._answer(timeout)
        self.converted += 1
        if answer.get("dead"):
            raise _LaneDied(str(answer.get("error")))
        return None if answer.get("ok") else str(answer.get("error", "LibreOffice could not convert it"))

    def _answer(self, timeout: float) -> dict[str, object]:
        """The bridge's next answer line.

        Raises:
            _LaneDied: none within `timeout` seconds, or the bridge ended.
        """
        assert self.bridge is not None and self.bridge.stdout is not None
        fd = self.bridge.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _LaneDied(f"LibreOffice did not finish within {timeout:.0f} s and was stopped")
                if not selector.select(min(left, 0.25)):
                    # LibreOffice killed while it starts leaves the bridge waiting for its pipe:
                    # its guard's end says so at once.
                    if self.office is not None and self.office.poll() is not None:
                        raise _LaneDied("LibreOffice stopped (its instance ended)")
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise _LaneDied("LibreOffice stopped (its instance ended)")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError:
            raise _LaneDied("LibreOffice's bridge answered nonsense") from None
        return answer if isinstance(answer, dict) else {}

    def stop(self) -> None:
        """Stop the bridge and LibreOffice (with its helpers) and reap them."""
        if self.bridge is not None:
            if self.bridge.stdin is not None:
                try:
                    self.bridge.stdin.close()
                except OSError:
                    pass
            try:
                self.bridge.kill()
            except OSError:
                pass
            self.bridge.wait()
            if self.bridge.stdout is not None:
                self.bridge.stdout.close()
            self.bridge = None
        if self.office is not None:
            kill(self.office)
            self.office = None
        if self.pipe is not None:
            _remove_pipe(self.pipe)
            self.pipe = None

    def renew_profile(self) -> None:
        """A fresh profile: LibreOffice killed while writing its profile may leave it damaged."""
        shutil.rmtree(self.profile, ignore_errors=True)
        self.profile = make_profile()

    def remove(self) -> None:
        """Stop, and remove the profile."""
        self.stop()
        shutil.rmtree(self.profile, ignore_errors=True)


def _remove_pipe(name: str) -> None:
    """Remove the socket of LibreOffice's pipe `name`, which a killed LibreOffice leaves behind.

    LibreOffice makes it as /tmp/OSL_PIPE_<uid>_<name> (/var/tmp when /tmp cannot be used),
    whatever TMPDIR says, and removes it only when it exits normally; a lane is always stopped with
    a kill, so every stop or restart of a lane left one (found counting /tmp's sockets after a day
    of test runs). Only this user's socket of this name is removed, never what else may be there.
    """
    for folder in ("/tmp", "/var/tmp"):
        path = Path(folder) / f"OSL_PIPE_{os.getuid()}_{name}"
        try:
            st = path.lstat()
            if stat.S_ISSOCK(st.st_mode) and st.st_uid == os.getuid():
                path.unlink()
        except OSError:
            pass


class WarmLanes:
    """Long-lived LibreOffice lanes that many runs share (kotodoc serve): see the module.

    `start()` starts them in the background; `ready` counts the warm ones. `convert()` converts one
    file on the next free lane (blocking); `session()` gives a runner the interface of a
    `ConverterPool` over these lanes. `shutdown()` stops them all.
    """

    def __init__(self, count: int, *, python: str, doc_timeout: float = 60.0, restart_after: int = 200,
                 warmup: Path | None = None, start_timeout: float = 60.0):
        """Lanes not yet started.

        Args:
            count: lanes (LibreOffice instances).
            python: a Python with LibreOffice's UNO module (see `uno_python`).
            doc_timeout: seconds a document may take before its lane is restarted.
            restart_after: documents per LibreOffice start.
            warmup: a DOCX file each lane converts before it is ready.
            start_timeout: seconds a lane may take to start.
        """
        self.binary = soffice_binary()
        self.doc_timeout, self.restart_after = doc_timeout, max(1, restart_after)
        self.start_timeout = start_timeout
        self._lanes = [_Lane(self.binary, python, warmup) for _ in range(max(1, count))]
        self._free: queue.Queue[_Lane] = queue.Queue()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.ready = 0  # lanes warm (free or converting)
        self.warmed = 0  # lanes that have been warm at least once
        self.starts = 0  # LibreOffice starts, the first of each lane included
        self._threads: list[threading.Thread] = []
        self.failed_starts = 0

    @property
    def count(self) -> int:
        """How many lanes there are."""
        return len(self._lanes)

    @property
    def restarts(self) -> int:
        """LibreOffice starts after each lane's first: after a death, a hang, or `restart_after` documents."""
        return max(0, self.starts - len(self._lanes))

    def start(self) -> None:
        """Start every lane in the background."""
        for lane in self._lanes:
            self._restart(lane, first=True)

    def office_pids(self) -> list[int]:
        """The process ids of the lanes' LibreOffice guards (each the head of its instance's processes)."""
        return [lane.office.pid for lane in self._lanes if lane.office is not None]

    def convert(self, src: Path, dst: Path) -> Conversion:
        """Convert `src` to PDF/A-2b at `dst` on the next free lane; once more on a failure."""
        problem = "no LibreOffice lane became free"
        for _ in range(2):  # once more on a failure
            try:
                lane = self._free.get(timeout=self.doc_timeout + self.start_timeout)
            except queue.Empty:
                break
            if self._stopping.is_set():
                self._free.put(lane)
                problem = "the service is stopping"
                break
            # A LibreOffice killed while writing `dst` leaves its lock file beside it, and the next
            # LibreOffice then refuses to write `dst` (IOException): the retry after a kill failed so.
            # Only this run's own file is unlocked: `dst`'s folder is the run's working directory.
            (dst.parent / f".~lock.{dst.name}#").unlink(missing_ok=True)
            try:
                problem_or_none = lane.convert(src, dst, self.doc_timeout)
            except _LaneDied as e:
                problem_or_none = str(e)
                lane.died = True
                self._restart(lane)
            else:
                self._release(lane)
            if problem_or_none is None:
                checked = check_pdf(dst, parse=False)
                if checked is None:
                    return Conversion(src, dst, None)
                problem_or_none = checked
            problem = problem_or_none
            dst.unlink(missing_ok=True)
        return Conversion(src, None, ConversionError(f"{src.name}: {problem} (after one retry)"))

    def session(self, out_dir: Path) -> LaneSession:
        """A `ConverterPool`'s interface over these lanes, for one run: PDFs go into `out_dir`."""
        return LaneSession(self, out_dir)

    def shutdown(self) -> None:
        """Stop every lane and remove its profile."""
        self._stopping.set()
        for lane in self._lanes:
            lane.wanted.set()
        for thread in self._threads:
            thread.join(timeout=60)
        for lane in self._lanes:
            lane.remove()

    def _release(self, lane: _Lane) -> None:
        if lane.converted >= self.restart_after:
            self._restart(lane)  # LibreOffice's memory grows with every document
        else:
            self._free.put(lane)

    def _restart(self, lane: _Lane, *, first: bool = False) -> None:
        """(Re)start `lane` in the background; it joins the free lanes when warm."""
        if first:
            # One supervising thread per lane, for the lane's whole life, starts its processes: the
            # guard's parent-death signal (`_GUARD`) fires when the *thread* that started it ends,
            # so a LibreOffice started from a short-lived thread was killed as soon as it was warm.
            thread = threading.Thread(target=self._supervise, args=(lane,), daemon=True)
            self._threads.append(thread)
            thread.start()
            return
        with self._lock:
            self.ready -= 1
        lane.wanted.set()

    def _supervise(self, lane: _Lane) -> None:
        """Start the lane, and start it again each time it is wanted, until the lanes stop."""
        failures, first = 0, True
        while not self._stopping.is_set():
            lane.stop()
            if lane.died:
                lane.renew_profile()
                lane.died = False
            with self._lock:
                self.starts += 1
            try:
                lane.start(self.start_timeout)
            except _LaneDied:
                lane.died = True
                failures += 1
                with self._lock:
                    self.failed_starts += 1
                # A broken installation: try again, but do not spin.
                self._stopping.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            failures = 0
            with self._lock:
                self.ready += 1
                self.warmed += first
            first = False
            self._free.put(lane)
            lane.wanted.wait()
            lane.wanted.clear()
        lane.stop()


class LaneSession:
    """The interface of `ConverterPool` (submit, close, results) over shared warm lanes, for one run."""

    def __init__(self, lanes: WarmLanes, out_dir: Path):
        self.lanes, self.out_dir = lanes, out_dir
        out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._done: queue.Queue[Conversion | None] = queue.Queue()
        self._submitted = 0
        self.starts = 0  # the lanes were started before the run

    def expect(self, count: int) -> None:
        """Nothing to share out: each file takes the next free lane."""

    def submit(self, docx: Path) -> None:
        """Convert `docx` on the next free lane (a run's files convert side by side on several lanes)."""
        self._submitted += 1
        target = self.out_dir / (docx.stem + ".pdf")
        threading.Thread(target=lambda: self._done.put(self.lanes.convert(docx, target)), daemon=True).start()

    def close(self) -> None:
        """No more files will be submitted."""
        self._done.put(None)

    def results(self) -> Iterator[Conversion]:
        """Each submitted file's outcome, as it completes, until all are in after `close()`."""
        received, closed = 0, False
        while not closed or received < self._submitted:
            item = self._done.get()
            if item is None:
                closed = True
            else:
                received += 1
                yield item

    def shutdown(self) -> None:
        """Nothing to stop: the lanes outlive the run."""
