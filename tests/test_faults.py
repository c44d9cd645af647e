"""Faults injected into real runs of `kotodoc batch` and `kotodoc render`, with the real LibreOffice.

Issue 6 ("Hardening"): LibreOffice killed mid-batch, kotodoc interrupted with SIGINT, the output
directory full (a size-limited tmpfs) and read-only (a read-only bind mount). A hang and SIGTERM
are covered with a stand-in soffice in test_batch.py. After every fault: no half-written or empty
document under its final name, every case reported, no temporary files, work directories or
LibreOffice processes left, and a rerun finishes the rest.

Every run is a separate `python -m kotodoc` process tree in a session of its own. Its processes are
found through /proc: by parent, to pick a LibreOffice (soffice.bin) to kill, and by a marker in
their environment, which every descendant inherits (LibreOffice included), to check that none is
left once the run is over. Each run has its own TMPDIR, which must be empty afterwards. The mounts
are made inside `unshare -rm` (a private mount namespace), so a failed test leaks none; this
machine and CI run as root, where that works. If it does not, the test fails and says so.

The figures a README "Reliability" section quotes: the faults injected per kind are fixed in
`FIGURES`; the runs count the rest into `TALLY`. With KOTODOC_FAULT_FIGURES=FILE set, `TALLY` is
written to FILE as JSON when the module ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import kotodoc
from kotodoc.run import MANIFEST, check_file, documents
from tests import test_batch
from tests.conftest import ESPOO, ROOT, SAMPLES
from tests.test_batch import FAKE_SOFFICE, copies, leftovers, sha256

pytestmark = pytest.mark.soffice
real_pdf = test_batch.real_pdf  # the fixture: a real PDF of the Vaasa plan, for the stand-in soffice

# Faults injected per kind and the cases of each run (kept small: every run is real).
FIGURES: dict[str, dict[str, int]] = {
    "kill": {"faults": 2, "cases": 10},  # SIGKILL to soffice.bin mid-batch, one per lane
    "sigint": {"faults": 1, "cases": 8},  # SIGINT to kotodoc's process group (Ctrl-C), mid-batch
    "full": {"faults": 2, "cases": 5},  # a tmpfs filling up mid-batch; then one already full
    "read-only": {"faults": 4, "cases": 3},  # batch and render, into a new and into an existing directory
}
# Counted by the runs, per kind: documents the cases give; delivered whole by the faulted run;
# reported failed by it (its case failed, with the reason); documents LibreOffice held when killed
# (kill); finished by the rerun; lost: not whole under their final name after the rerun (must be 0).
TALLY: dict[str, dict[str, int]] = {}

MARK = "KOTODOC_FAULT_RUN"
EPOCH = "1735689600"  # SOURCE_DATE_EPOCH in the full-disk runs: PDFs are rewritten in place (pinned) too


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    """Write the counts to $KOTODOC_FAULT_FIGURES when the module ends (for the README)."""
    yield
    target = os.environ.get("KOTODOC_FAULT_FIGURES")
    if target:
        Path(target).write_text(json.dumps({"faults": FIGURES, "tally": TALLY}, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# Processes, through /proc


def proc_table() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, command name)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended meanwhile
            continue
        # The command name is in parentheses and may hold spaces and parentheses itself.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        table[int(entry.name)] = (ppid, name)
    return table


def descendants(pid: int) -> dict[int, str]:
    """The processes below `pid`: pid -> command name."""
    table = proc_table()
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, name) in table.items():
            if ppid == parent and child not in found:
                found[child] = name
                frontier.append(child)
    return found


def running_soffice(pid: int) -> dict[int, tuple[str, list[str]]]:
    """The LibreOffice instances below `pid`: soffice.bin's pid -> (its profile, which is its lane;
    the stems of the files it was given)."""
    found = {}
    for child, name in descendants(pid).items():
        if name != "soffice.bin":
            continue
        try:
            args = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        profile = next((a for a in args if a.startswith("-env:UserInstallation=")), "")
        if profile:  # else a zombie (no command line), such as a first start restarting itself
            found[child] = (profile, [Path(a).stem for a in args if a.endswith(".docx")])
    return found


def marked(marker: str) -> dict[int, str]:
    """The living processes of one run (zombies have no environment): pid -> command line."""
    needle = f"{MARK}={marker}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


class Run:
    """One command (`python -m kotodoc ...`, or a shell in a mount namespace running it) in a
    session of its own, its processes marked, with a TMPDIR of its own."""

    def __init__(self, tmp_path: Path, cmd: list[str], **env: str):
        self.marker = uuid.uuid4().hex
        self.tmp = tmp_path / f"tmp-{self.marker[:8]}"
        self.tmp.mkdir()
        environ = {**os.environ, **env, MARK: self.marker, "TMPDIR": str(self.tmp)}
        environ.pop("KOTODOC_SOFFICE", None)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=environ,
                                     start_new_session=True)
        self.stdout = self.stderr = ""

    def wait(self) -> int:
        out, err = self.proc.communicate(timeout=600)
        self.stdout, self.stderr = out.decode(), err.decode()
        return self.proc.returncode

    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def check_clean(self) -> None:
        """No process of the run left (the forkserver leaves on its own once kotodoc has gone: it is
        given a moment), its TMPDIR empty (LibreOffice profiles), and no traceback."""
        deadline = time.monotonic() + 20
        while (left := marked(self.marker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"processes of the run left behind: {left}"
        assert not list(self.tmp.iterdir()), f"temporary files left: {sorted(p.name for p in self.tmp.iterdir())}"
        assert "Traceback" not in self.stderr and "internal error" not in self.stderr, self.stderr

    def stop(self) -> None:
        """Kill whatever of the run is still running (only its processes carry its marker)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()
        for pid in marked(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """The runs a test starts; whatever they left running is killed when it ends, pass or fail."""
    started: list[Run] = []
    yield started
    for run in started:
        run.stop()


def kotodoc_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "kotodoc", *map(str, args)]


def batch_cmd(cases: Path, out: Path) -> list[str]:
    return kotodoc_cmd("batch", cases, "-o", out, "--jobs", "2", "--json")


def wait_for(what: str, test: Callable[[], object], run: Run) -> None:
    """Wait until `test()` holds while the run goes on; fail if the run ended first."""
    deadline = time.monotonic() + 180
    while not test():
        if run.proc.poll() is not None:
            run.wait()
            pytest.fail(f"the run ended (status {run.proc.returncode}) before {what}: {run.stderr}")
        assert time.monotonic() < deadline, f"no {what} within 3 minutes"
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Cases and outputs


def make_cases(folder: Path, count: int, prefix: str) -> list[Path]:
    """`count` cases: the samples in turn under distinct case ids (fi, sv and en; plans of all three
    kinds; the Espoo one also gives a no-show notice)."""
    return [copies(folder, [f"{prefix}-{i:03d}"], source=SAMPLES[i % len(SAMPLES)])[0] for i in range(count)]


def stems_of(cases: list[Path]) -> dict[str, list[str]]:
    """The documents each case gives (kotodoc's own list: its languages and notices), by file name."""
    found = {}
    for path in cases:
        case, _ = check_file(path)
        assert case is not None
        found[path.name] = [d.stem for d in documents(case, list(case.languages))]
    return found


def check_whole(out: Path) -> set[str]:
    """Every document under its final name is whole: a PDF that pypdf opens and that ends with
    %%EOF, a DOCX that is a sound ZIP with a main part. No working file is left. Returns the stems
    delivered in both formats."""
    docs = sorted(p for p in out.iterdir() if p.suffix in (".pdf", ".docx"))
    for path in docs:
        data = path.read_bytes()
        assert len(data) > 1000, f"{path.name}: {len(data)} bytes"
        if path.suffix == ".pdf":
            assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], f"{path.name} is truncated"
            assert len(PdfReader(path).pages) >= 1, path.name
        else:
            with zipfile.ZipFile(path) as zf:
                assert zf.testzip() is None, path.name
                assert "word/document.xml" in zf.namelist(), path.name
    assert not leftovers(out), f"working files left in {out}: {leftovers(out)}"
    stems = {p.stem for p in docs}
    assert {p.name for p in docs} == {f"{s}{x}" for s in stems for x in (".pdf", ".docx")}, "a lone PDF or DOCX"
    return stems


def check_report(report: dict[str, Any], out: Path, stems: dict[str, list[str]]) -> tuple[int, int]:
    """Every case is reported, done or failed. A done case's outputs are in `out` with the sha256
    reported; a failed one gives its reasons and has nothing under a final name; nothing else is
    there. Returns (documents delivered, documents of failed cases)."""
    by_file = {Path(c["file"]).name: c for c in report["cases"]}
    assert sorted(by_file) == sorted(stems)
    on_disk = {p.name for p in out.iterdir() if p.suffix in (".pdf", ".docx")}
    delivered: set[str] = set()
    failed = 0
    for name, case in by_file.items():
        assert case["status"] in ("done", "failed"), case
        outputs = {Path(o["path"]).name: o["sha256"] for o in case["outputs"]}
        if case["status"] == "done":
            assert sorted(outputs) == sorted(f"{s}.{x}" for s in stems[name] for x in ("docx", "pdf")), case
            for output, digest in outputs.items():
                assert sha256(out / output) == digest, output
            delivered.update(outputs)
        else:
            assert case["failures"] and not outputs, case
            assert not [n for n in on_disk if n.startswith(case["case_id"] + ".")], case
            failed += len(stems[name])
    assert on_disk == delivered, f"files under a final name that no done case reports: {on_disk - delivered}"
    return len(delivered) // 2, failed


def manifest_outputs(out: Path) -> dict[str, str]:
    """Every output the manifest records: name -> sha256."""
    entries = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    return {name: digest for entry in entries for name, digest in entry["outputs"].items()}


def rerun_finishes(tmp_path: Path, runs: list[Run], cases: Path, out: Path, stems: dict[str, list[str]],
                   reused: int, **env: str) -> int:
    """Run the batch again: it reuses `reused` cases, does the rest, and everything is whole.
    Returns the documents it made."""
    rerun = Run(tmp_path, batch_cmd(cases, out), **env)
    runs.append(rerun)
    assert rerun.wait() == 0, rerun.stderr
    report = rerun.report()
    rerun.check_clean()
    assert report["summary"]["done"] == len(stems)
    assert report["summary"]["reused"] == reused
    check_report(report, out, stems)
    assert check_whole(out) == {s for doc in stems.values() for s in doc}
    return sum(len(stems[Path(c["file"]).name]) for c in report["cases"] if not c["reused"])


def tally(kind: str, stems: dict[str, list[str]], delivered: int, failed: int, rerun: int, out: Path,
          **more: int) -> None:
    documents = sum(len(s) for s in stems.values())
    lost = len({s for doc in stems.values() for s in doc} - check_whole(out))
    TALLY[kind] = {"faults": FIGURES[kind]["faults"], "cases": len(stems), "documents": documents,
                   "delivered": delivered, "failed": failed, **more, "rerun": rerun, "lost": lost}
    assert lost == 0


# ---------------------------------------------------------------------------------------------
# LibreOffice killed


def test_libreoffice_killed_mid_batch(tmp_path: Path, runs: list[Run]) -> None:
    """This test ensures that when LibreOffice (soffice.bin) is killed with SIGKILL in the middle of
    a batch, in each lane, the documents it held are converted again and every case is done, every
    file under its final name is whole, no temporary file and no LibreOffice is left, the exit code
    agrees with the report, and a rerun reuses it all."""
    cases = make_cases(tmp_path / "cases", FIGURES["kill"]["cases"], "KILL")
    stems = stems_of(cases)
    out = tmp_path / "out"
    run = Run(tmp_path, batch_cmd(tmp_path / "cases", out))
    runs.append(run)

    def written(files: list[str]) -> int:
        return sum((out / f"{s}.pdf").exists() or any(out.glob(f".kotodoc-work-*/pdf/{s}.pdf")) for s in files)

    hit: list[str] = []  # lanes (profiles) hit
    in_hand = 0

    def target() -> int | None:
        # An instance in a lane not hit yet (no document meets two kills: two fail it, by design,
        # as test_batch shows with a hang), that has written a PDF and has files left.
        return next((pid for pid, (lane, files) in running_soffice(run.proc.pid).items()
                     if lane not in hit and 0 < written(files) < len(files)), None)

    for n in range(FIGURES["kill"]["faults"]):
        wait_for(f"LibreOffice instance {n + 1} to kill", target, run)
        pid = target()
        assert pid is not None
        lane, files = running_soffice(run.proc.pid)[pid]
        os.kill(pid, signal.SIGKILL)
        hit.append(lane)
        in_hand += len(files) - written(files)
    code = run.wait()
    report = run.report()
    run.check_clean()
    assert code == (0 if report["summary"]["failed"] == 0 else 1), run.stderr
    assert report["summary"]["done"] == len(cases), run.stderr
    # Two starts, one per lane, and for each kill at least one more, to convert what it held.
    assert report["summary"]["libreoffice_starts"] >= 2 + len(hit)
    delivered, failed = check_report(report, out, stems)
    check_whole(out)
    rerun = rerun_finishes(tmp_path, runs, tmp_path / "cases", out, stems, reused=len(cases))
    tally("kill", stems, delivered, failed, rerun, out, in_hand=in_hand)


# The stand-in soffice of test_batch.py, which also dies (SIGKILL to itself) on the first file
# whose name holds CRASH, the first time only.
CRASH_ONCE = FAKE_SOFFICE.replace('    if "SKIP" in stem:\n', """\
    if "CRASH" in stem and not os.path.exists({log!r} + ".crashed"):
        open({log!r} + ".crashed", "w").close()
        os.kill(os.getpid(), 9)
    if "SKIP" in stem:
""")


def test_killed_instance_retries_the_file_in_hand_and_restarts_for_the_rest(
    tmp_path: Path, real_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This test ensures that when LibreOffice dies part way through its files, the file it held is
    retried on its own and the files it never reached go to one new start, not one start each."""
    assert CRASH_ONCE != FAKE_SOFFICE
    log = tmp_path / "starts.log"
    fake = tmp_path / "soffice"
    fake.write_text(CRASH_ONCE.format(python=sys.executable, log=str(log), cache=str(real_pdf)))
    fake.chmod(0o755)
    monkeypatch.setenv("KOTODOC_SOFFICE", str(fake))
    cases = copies(tmp_path / "cases", ["A-1", "B-CRASH", "C-3", "D-4", "E-5"])
    result = kotodoc.batch(cases, tmp_path / "out", formats=["pdf"], jobs=1, restart_after=10)
    assert result.count("done") == len(cases)
    # All five; B alone (the file in hand); C, D and E together.
    assert [int(line.split()[1]) for line in log.read_text().splitlines()] == [5, 1, 3]
    assert not leftovers(tmp_path / "out")


# ---------------------------------------------------------------------------------------------
# kotodoc interrupted


def test_sigint_mid_batch_stops_cleanly_and_a_rerun_finishes(tmp_path: Path, runs: list[Run]) -> None:
    """This test ensures that Ctrl-C (SIGINT to kotodoc's process group) while LibreOffice converts
    makes `kotodoc batch` exit 1 saying it was interrupted, without a traceback, leaving no process,
    no working file and no half-written document; every case it finished is in the manifest, and
    the rerun reuses those and finishes the rest."""
    cases = make_cases(tmp_path / "cases", FIGURES["sigint"]["cases"], "INT")
    stems = stems_of(cases)
    out = tmp_path / "out"
    run = Run(tmp_path, batch_cmd(tmp_path / "cases", out))
    runs.append(run)
    # Once the first case is published, with LibreOffice still at work.
    wait_for("a published PDF", lambda: list(out.glob("*.pdf")) and running_soffice(run.proc.pid), run)
    os.killpg(run.proc.pid, signal.SIGINT)
    assert run.wait() == 1
    assert "interrupted" in run.stderr
    run.check_clean()
    finished = manifest_outputs(out)
    assert {f"{s}.{x}" for s in check_whole(out) for x in ("pdf", "docx")} == set(finished), (
        "a published document the manifest does not record, or the reverse")
    for name, digest in finished.items():
        assert sha256(out / name) == digest, name
    done = {Path(line["case"]).name for line in map(json.loads, (out / MANIFEST).read_text().splitlines())}
    assert 0 < len(done) < len(cases), "the interruption did not fall mid-batch"
    rerun = rerun_finishes(tmp_path, runs, tmp_path / "cases", out, stems, reused=len(done))
    tally("sigint", stems, len(finished) // 2, 0, rerun, out)


# ---------------------------------------------------------------------------------------------
# The output directory full or read-only, in a private mount namespace


def in_namespace(tmp_path: Path, script: str, **env: str) -> Run:
    """Run a shell script as root of a private mount namespace (`unshare -rm`): its mounts vanish
    with it. It exits 97 when it cannot mount, and the test fails saying so."""
    run = Run(tmp_path, ["unshare", "-rm", "sh", "-euc", script], PY=sys.executable, **env)
    code = run.wait()
    assert code != 97, f"cannot mount in a private mount namespace (unshare -rm, as root): {run.stderr}"
    assert code == 0, f"the script failed ({code}): {run.stderr}"
    return run


def logged(logs: Path, name: str) -> tuple[int, str, str]:
    """What a command run in the namespace left: its exit status, stdout and stderr."""
    return (int((logs / f"{name}.code").read_text()), (logs / f"{name}.out").read_text(),
            (logs / f"{name}.err").read_text())


RUN_IN_SCRIPT = """
run() {  # NAME ARGS...: run kotodoc, keeping its status and output in $LOGS
    name=$1; shift
    status=0; "$PY" -m kotodoc "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" || status=$?
    echo $status >"$LOGS/$name.code"
}
"""

# The tmpfs: the 5 cases' DOCX files take some 250 kB and their PDFs some 950 kB, 60–280 kB each.
FULL_KB = 800

FULL_SCRIPT = RUN_IN_SCRIPT + """
mount -t tmpfs -o size=$SIZE tmpfs "$OUT" || exit 97
run filling batch "$CASES" -o "$OUT" --jobs 2 --json
cp -a "$OUT/." "$LOGS/after-filling"
# Then a run on a disk full from the start: fill what is left (head stops at ENOSPC).
head -c 64M /dev/zero >"$OUT/filler" 2>/dev/null || true
run full batch "$CASES" -o "$OUT" --jobs 2 --json
rm "$OUT/filler"
cp -a "$OUT/." "$LOGS/after-full"
"""


def no_space(report: dict[str, Any]) -> list[str]:
    """The failures of a report that do not say the disk is full."""
    return [f for c in report["cases"] for f in c["failures"]
            if "No space left on device" not in f and "the disk is full" not in f]


def test_output_directory_full(tmp_path: Path, runs: list[Run], monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that when the output directory's file system fills up mid-batch (a tmpfs
    of 800 kB), the cases that fit are done and whole, those that do not are reported failed
    saying that the disk is full, without a traceback, nothing empty or truncated is left under
    a final name and no working file at all; that a batch on a disk full from the start fails
    its cases the same way and leaves the finished ones intact; and that with space a rerun
    reuses what was finished and does the rest."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # the documents of the cases as of that day, for every run
    cases = make_cases(tmp_path / "cases", FIGURES["full"]["cases"], "FULL")
    stems = stems_of(cases)
    logs, out = tmp_path / "logs", tmp_path / "mnt"
    for folder in (logs / "after-filling", logs / "after-full", out):
        folder.mkdir(parents=True)
    run = in_namespace(tmp_path, FULL_SCRIPT, SIZE=f"{FULL_KB}k", OUT=str(out), CASES=str(tmp_path / "cases"),
                       LOGS=str(logs))
    runs.append(run)
    run.check_clean()

    code, stdout, stderr = logged(logs, "filling")
    assert code == 1 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    report = json.loads(stdout)
    assert 0 < report["summary"]["done"] < len(cases), "pick a size where some cases fit and some do not"
    assert not no_space(report), no_space(report)
    first = logs / "after-filling"
    delivered, failed = check_report(report, first, stems)
    check_whole(first)

    code, stdout, stderr = logged(logs, "full")
    assert code == 1 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    full = json.loads(stdout)
    assert full["summary"]["reused"] == full["summary"]["done"] == report["summary"]["done"]
    assert not no_space(full), no_space(full)
    second = logs / "after-full"
    assert {p.name: sha256(p) for p in second.iterdir()} == {p.name: sha256(p) for p in first.iterdir()}

    # With space: the same directory, copied to a normal one.
    rerun = rerun_finishes(tmp_path, runs, tmp_path / "cases", second, stems, reused=report["summary"]["done"])
    tally("full", stems, delivered, failed, rerun, second)


READ_ONLY_SCRIPT = RUN_IN_SCRIPT + """
mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" || exit 97
if touch "$RO/probe" 2>/dev/null; then exit 97; fi
run batch-new batch "$CASES" -o "$RO/new" --jobs 2
run render-new render "$CASE" -o "$RO/new"
run batch-existing batch "$CASES" -o "$RO/existing" --jobs 2
run render-existing render "$CASE" -o "$RO/existing"
"""


def test_output_directory_read_only(tmp_path: Path, runs: list[Run]) -> None:
    """This test ensures that `kotodoc batch` and `kotodoc render` into a directory on a read-only
    file system, one to be created and one that exists with earlier outputs, exit 1 with a message
    naming the directory, without a traceback, writing nothing and leaving the earlier outputs
    intact."""
    cases = make_cases(tmp_path / "cases", FIGURES["read-only"]["cases"], "RO")
    ro, logs = tmp_path / "ro", tmp_path / "logs"
    logs.mkdir()
    earlier = kotodoc.batch([tmp_path / "cases"], ro / "existing", formats=["docx"], jobs=1)
    assert earlier.count("done") == len(cases)
    before = {p: sha256(p) for p in ro.rglob("*") if p.is_file()}
    run = in_namespace(tmp_path, READ_ONLY_SCRIPT, RO=str(ro), CASES=str(tmp_path / "cases"), CASE=str(cases[0]),
                       LOGS=str(logs))
    runs.append(run)
    run.check_clean()
    for name, folder in [("batch-new", "new"), ("render-new", "new"), ("batch-existing", "existing"),
                         ("render-existing", "existing")]:
        code, _, stderr = logged(logs, name)
        assert code == 1, (name, code, stderr)
        assert f"{ro / folder}" in stderr and "read-only" in stderr.lower(), (name, stderr)
        assert "Traceback" not in stderr and "internal error" not in stderr, (name, stderr)
    assert {p: sha256(p) for p in ro.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in ro.iterdir()) == ["existing"]
    # Nothing to lose or to finish here: the runs stop before any work; the earlier outputs stay.
    documents = sum(len(s) for s in stems_of(cases).values())
    TALLY["read-only"] = {"faults": FIGURES["read-only"]["faults"], "cases": len(cases), "documents": documents,
                          "delivered": 0, "failed": 0, "rerun": 0, "lost": 0,
                          "earlier_intact": len([p for p in before if p.suffix == ".docx"])}


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    """This test ensures that `-o` naming an existing file is reported as such (exit 1, no traceback) and
    the file is left as it was, for render and batch alike."""
    target = tmp_path / "not-a-dir"
    target.write_bytes(b"keep me")
    for command in ("render", "batch"):
        result = subprocess.run([sys.executable, "-m", "kotodoc", command, str(ESPOO), "-o", str(target),
                                 "--format", "docx"], capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 1, result.stderr
        assert f"cannot write to {target}: Not a directory" in result.stderr and "Traceback" not in result.stderr
    assert target.read_bytes() == b"keep me"


def test_a_bug_in_one_case_fails_that_case_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that an exception while building one case's document (a bug) fails that case with
    "internal error (TypeName)" and no details (they could quote personal data), while the other case is
    rendered; nothing of the failed case is left behind."""
    from kotodoc.run import _steps as _pipeline
    real = _pipeline.build_context

    def buggy(case: Any, lang: str) -> dict[str, Any]:
        if case.case_id == "B-BUG":
            raise ZeroDivisionError("a message quoting Amina Al-Hassan")
        return real(case, lang)

    monkeypatch.setattr(_pipeline, "build_context", buggy)
    cases = copies(tmp_path / "cases", ["A-OK", "B-BUG"])
    reports = kotodoc.render(cases, tmp_path / "out", formats=("docx",))
    assert [(r.case_id, r.status) for r in reports] == [("A-OK", "done"), ("B-BUG", "failed")]
    assert reports[1].failures == ["internal error (ZeroDivisionError) rendering B-BUG.integration-plan.sv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["A-OK.integration-plan.sv.docx"]
