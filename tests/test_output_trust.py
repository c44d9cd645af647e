"""Issue 13, the output, configuration and data half of "Trust boundary": each attack, tried.

Personal data in messages and names, spreadsheet formulas in the claim CSV, FIFOs and devices as
input files, reports and `-o` files over symlinks and devices, a tampered manifest, configuration
files that someone else wrote, and what a killed run leaves behind (with the real LibreOffice).
Every test here failed with its defence removed.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from kotodoc._cli import app
from tests.conftest import ESPOO, ROOT, VAASA

runner = CliRunner()
CLAIM = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
CLAIMANT = ROOT / "samples" / "claims" / "claimant-espoo.yaml"
MANIFEST = ".kotodoc-manifest.jsonl"


def edited(tmp_path: Path, old: str, new: str, source: Path = ESPOO, name: str = "case.yaml") -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def kotodoc(*args: str | Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """A real `python -m kotodoc` process, so that a hang fails the test instead of stopping it."""
    return subprocess.run([sys.executable, "-m", "kotodoc", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **env}, check=False)


# ---------------------------------------------------------------------------------------------
# Personal data in messages


def test_free_text_in_an_enumeration_is_not_echoed(tmp_path: Path) -> None:
    """This test ensures that an absence_reason written as free text (health data) is not quoted back,
    while the message still names the field and the allowed values."""
    case = edited(tmp_path, "absence_reason: null", 'absence_reason: "sairastui, HIV-lääkityksen sivuvaikutus"')
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 1
    assert "absence_reason: FORMAT-CHOICE: this value is not allowed; expected one of: sudden-illness" in result.stderr
    assert "HIV" not in result.output + result.stderr and "sairastui" not in result.stderr


def test_a_code_like_value_of_a_reason_field_is_not_echoed_either(tmp_path: Path) -> None:
    """This test ensures that a reason field's value is never quoted, even when it looks like a code."""
    case = edited(tmp_path, "absence_reason: null", "absence_reason: migreeni")
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 1 and "absence_reason: FORMAT-CHOICE: this value is not allowed" in result.stderr
    assert "migreeni" not in result.stderr


def test_free_text_where_a_country_code_belongs_is_not_echoed(tmp_path: Path) -> None:
    """This test ensures that free text in a code field is not quoted (a plain typo still is, elsewhere)."""
    case = edited(tmp_path, "citizenship: IQ", 'citizenship: "Syyria, pakolaisleiri Za\'atari"')
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 1
    assert "person.citizenship: FORMAT-COUNTRY: not an ISO 3166-1 alpha-2 country code" in result.stderr
    assert "pakolaisleiri" not in result.stderr


def test_a_name_typed_as_an_identity_code_is_not_shown(tmp_path: Path) -> None:
    """This test ensures that masking shows nothing of a value not shaped like an identity code: it
    used to show the first seven characters of whatever was typed."""
    case = edited(tmp_path, "personal_id: 140391-417C", "personal_id: Matti Meikäläinen")
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 1 and "ID-HETU: the identity code is not of the form" in result.stderr
    assert "Matti" not in result.stderr and "Meik" not in result.stderr


@pytest.mark.parametrize("case_id", ["140391-417C", "ESP-140391A417C", "140391-417c"])
def test_a_case_id_shaped_like_an_identity_code_is_refused(tmp_path: Path, case_id: str) -> None:
    """This test ensures that a case_id holding an identity code is refused before it names a file."""
    case = edited(tmp_path, "case_id: ESP-2025-0217", f"case_id: {case_id}")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(case), "-o", str(out), "--format", "docx", "--json"])
    assert result.exit_code == 1
    assert "case_id: FORMAT-PATTERN: case_id looks like a personal identity code" in result.stderr
    assert case_id not in result.stdout + result.stderr
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_a_claims_default_case_id_is_not_taken_for_an_identity_code(tmp_path: Path) -> None:
    """This test ensures that the dates of a claim's default id (KEHA-20250101-20250630) pass."""
    result = runner.invoke(app, ["claim", str(ESPOO), "--claimant", str(CLAIMANT), "--period",
                                 "2025-01-01..2025-06-30", "-o", str(tmp_path), "--format", "docx"])
    assert "identity code" not in result.stderr and result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", ["\u202e\u202c", "\u200d\u200b", "\u2066\u2069\u200f", "123"])
def test_a_name_without_a_letter_is_refused(tmp_path: Path, name: str) -> None:
    """This test ensures that a name made only of bidi controls, zero-width characters or digits is refused."""
    case = edited(tmp_path, "given_names: Yaser Karim", f'given_names: "{name}"')
    result = runner.invoke(app, ["validate", str(case)])
    assert result.exit_code == 1
    assert "person.given_names: FORMAT-VALUE: a name needs at least one letter" in result.stderr


def test_text_is_composed_nfc(tmp_path: Path) -> None:
    """This test ensures that a name written with a combining mark reaches the document composed (NFC)."""
    case = edited(tmp_path, "given_names: Yaser Karim", "given_names: Zoe\u0308 Karim")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(case), "-o", str(out), "--format", "docx"])
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out / "ESP-2025-0217.integration-plan.fi.docx") as docx:
        xml = docx.read("word/document.xml").decode("utf-8")  # as written: no reader's normalisation
    assert "Zo\u00eb" in xml and "e\u0308" not in xml


# ---------------------------------------------------------------------------------------------
# The claim CSV


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"])
def test_claim_csv_cells_are_never_formulas(tmp_path: Path, payload: str) -> None:
    """This test ensures that a CSV cell starting with = + - @ TAB or CR starts with a quote (OWASP)."""
    quoted = json.dumps(payload)  # a YAML double-quoted string
    claim = edited(tmp_path, "provider: Tulkkauspalvelu Oy", f"provider: {quoted}", source=CLAIM,
                   name=CLAIM.name)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(claim), "-o", str(out), "--format", "docx"])
    assert result.exit_code == 0, result.stderr
    [path] = out.glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline=""), delimiter=";"))
    assert rows[0]["provider"] == "'" + payload
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())


# ---------------------------------------------------------------------------------------------
# Files named by the user


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.toml"
    with path.open("wb") as fh:
        fh.truncate(3_000_000_000)  # sparse: 3 GB that take no room
    return path


@pytest.mark.parametrize("make", [fifo, lambda _: Path("/dev/zero")], ids=["fifo", "dev-zero"])
@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["validate", "{f}"], "cannot read the file: it is a", id="case"),
        pytest.param(["validate", str(ESPOO), "--profile", "{f}"], "cannot read the file: it is a", id="profile"),
        pytest.param(["claim", str(ESPOO), "--claimant", "{f}", "--period", "2025-01-01..2025-06-30", "-o", "{o}"],
                     "cannot read the file: it is a", id="claimant"),
        pytest.param(["--config", "{f}", "validate", str(ESPOO)], "cannot read the configuration", id="config"),
        pytest.param(["render", str(ESPOO), "-o", "{o}", "--format", "pdf", "--encrypt", "--password-file", "{f}"],
                     "cannot read the password file", id="password"),
    ],
)
def test_a_fifo_or_device_as_an_input_file_is_refused(tmp_path: Path, make: object, args: list[str],
                                                      says: str) -> None:
    """This test ensures that a FIFO (which would block) or /dev/zero (read until memory runs out) given
    as any file option is refused at once with a clear message and no traceback."""
    named = make(tmp_path)  # type: ignore[operator]
    argv = [a.replace("{f}", str(named)).replace("{o}", str(tmp_path / "out")) for a in args]
    result = kotodoc(*argv, timeout=60)
    assert result.returncode in (1, 2), result.stderr
    assert says in result.stderr and "not a regular file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("make", [fifo, lambda _: Path("/dev/zero")], ids=["fifo", "dev-zero"])
def test_a_fifo_or_device_as_the_logo_is_refused(tmp_path: Path, make: object) -> None:
    """This test ensures that a profile's logo that is a FIFO or /dev/zero is refused at once, like
    every other file the user names (the logo was read with read_bytes(): it hung, or read on)."""
    named = make(tmp_path)  # type: ignore[operator]
    profile = tmp_path / "profile.yaml"
    profile.write_text(f"authority:\n  name: Testikunta\nlogo: {named}\n", encoding="utf-8")
    result = kotodoc("validate", str(ESPOO), "--profile", str(profile), timeout=60)
    assert result.returncode == 2, result.stderr
    assert "cannot read the logo" in result.stderr and "not a regular file" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_an_oversized_configuration_file_is_refused(tmp_path: Path) -> None:
    """This test ensures that a file over the limit is refused without being read."""
    result = runner.invoke(app, ["--config", str(big(tmp_path)), "validate", str(ESPOO)])
    assert result.exit_code == 2 and "larger than 1000000 bytes" in result.stderr


# ---------------------------------------------------------------------------------------------
# Files kotodoc writes where the user says


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["schema", "-o", "{t}"], id="schema"),
        pytest.param(["new", "integration-plan", "--force", "-o", "{t}"], id="new"),
        pytest.param(["batch", str(VAASA), "-o", "{o}", "--format", "docx", "--report", "{t}"], id="report"),
    ],
)
@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_no_output_file_over_a_symlink_or_a_device(tmp_path: Path, victim: Path, args: list[str],
                                                   kind: str) -> None:
    """This test ensures that `-o FILE` and `--report FILE` refuse a symlink and anything not a regular
    file (a FIFO stands in for a device here): they used to replace it with a regular file."""
    target = tmp_path / "target"
    if kind == "symlink":
        target.symlink_to(victim)
    else:
        os.mkfifo(target)
    argv = [a.replace("{t}", str(target)).replace("{o}", str(tmp_path / "out")) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code != 0 and f"cannot write {target}" in result.stderr, result.stderr
    assert target.is_symlink() if kind == "symlink" else target.is_fifo()
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("args", [["schema", "-o", "-"], ["new", "integration-plan", "-o", "-"],
                                  ["batch", str(VAASA), "-o", "{o}", "--format", "docx", "--report", "-"]])
def test_dash_is_standard_output(tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `-` means standard output, not a file named `-`."""
    argv = [a.replace("{o}", str(tmp_path / "out")) for a in args]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "-").exists() and result.stdout.strip()
    if args[0] != "new":
        json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------
# The manifest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def batch_json(cases: Path, out: Path, *extra: str) -> tuple[dict[str, object], str]:
    result = runner.invoke(app, ["batch", str(cases), "-o", str(out), "--format", "docx", "--jobs", "1", "--json",
                                 *extra])
    assert "internal error" not in result.stderr and result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


@pytest.fixture
def done(tmp_path: Path) -> tuple[Path, Path]:
    """A finished batch of one case: (the case folder, the output folder)."""
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "vaasa.yaml").write_bytes(VAASA.read_bytes())
    out = tmp_path / "out"
    report, _ = batch_json(cases, out)
    assert report["summary"]["done"] == 1  # type: ignore[index]
    return cases, out


def rewrite(out: Path, change: object) -> None:
    lines = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    for entry in lines:
        change(entry)  # type: ignore[operator]
    (out / MANIFEST).write_text("".join(json.dumps(e) + "\n" for e in lines))


@pytest.mark.parametrize("where", ["../secret.docx", "/abs/secret.docx", "link.docx"])
def test_a_tampered_manifest_never_reuses_a_file_outside_the_folder(tmp_path: Path, done: tuple[Path, Path],
                                                                    where: str) -> None:
    """This test ensures that a manifest entry pointing outside the output folder (by `..`, an absolute
    path or a symlink), with the right sha256, is not reused: the case is rendered again."""
    cases, out = done
    secret = tmp_path / "secret.docx"
    secret.write_bytes(b"another person's document")
    if where.startswith("/abs"):
        where = str(secret)
    if where == "link.docx":
        (out / where).symlink_to(secret)
    rewrite(out, lambda e: e.__setitem__("outputs", {where: sha256(secret)}))
    report, _ = batch_json(cases, out)
    [case] = report["cases"]  # type: ignore[index]
    assert not case["reused"]
    assert [Path(o["path"]).parent for o in case["outputs"]] == [out]
    assert secret.read_bytes() == b"another person's document"


def test_a_malformed_manifest_line_is_ignored_with_a_warning(done: tuple[Path, Path]) -> None:
    """This test ensures that manifest lines of the wrong types (an `outputs` that is not a mapping of
    names to hex digests, among others) are ignored with a warning: one used to abort every batch
    with "internal error"."""
    cases, out = done
    [entry] = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    bad: list[object] = [{**entry, "outputs": value} for value in
                         (["a.docx"], "a.docx", 7, {"a.docx": 7}, {"a.docx": "not-hex"}, None)]
    bad += [{**entry, "case": 7}, {**entry, "fingerprint": None}, [1, 2]]
    (out / MANIFEST).write_text("".join(json.dumps(e) + "\n" for e in bad) + "{not json\n")
    report, stderr = batch_json(cases, out)
    assert report["summary"]["done"] == 1 and report["summary"]["reused"] == 0  # type: ignore[index]
    for line in range(1, 7):
        assert f"{MANIFEST}:{line}: line ignored: outputs is not a mapping" in stderr
    assert f"{MANIFEST}:7: line ignored: case is not a string" in stderr
    assert f"{MANIFEST}:10: line ignored: not JSON" in stderr
    assert len(report["warnings"]) == 10  # type: ignore[arg-type]


def test_the_manifest_append_does_not_follow_a_symlink(tmp_path: Path, done: tuple[Path, Path]) -> None:
    """This test ensures that a manifest replaced by a symlink is not followed: the file it points to
    is untouched, and the batch still works."""
    cases, out = done
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / MANIFEST).unlink()
    (out / MANIFEST).symlink_to(victim)
    report, stderr = batch_json(cases, out, "--force")
    assert report["summary"]["done"] == 1  # type: ignore[index]
    assert "is a symbolic link" in stderr
    assert victim.read_text() == "precious\n"
    assert not (out / MANIFEST).is_symlink()  # compacted: replaced by a file of its own


# ---------------------------------------------------------------------------------------------
# Working directories


def hold(work: Path) -> subprocess.Popen[str]:
    """Another live run's working directory: a process holding the lock on its `.owner`."""
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); "
            "print('locked', flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(work / ".owner")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_run_removes_what_a_killed_run_left_but_not_a_live_runs_work(tmp_path: Path) -> None:
    """This test ensures that a working directory no live process holds (a killed run's, with its DOCX
    and unencrypted PDF) is removed by the next run, while one a live run holds is left alone."""
    out = tmp_path / "out"
    out.mkdir()
    stale, old, live = out / ".kotodoc-work-stale", out / ".kotodoc-work-old", out / ".kotodoc-work-live"
    for work in (stale, live):
        (work / "pdf").mkdir(parents=True)
        (work / ".owner").write_text("12345\n")
        (work / "pdf" / "X.pdf").write_bytes(b"%PDF-1.7 unencrypted")
    old.mkdir()  # killed before it wrote its pid file (or made by an older kotodoc)
    holder = hold(live)
    try:
        result = runner.invoke(app, ["render", str(VAASA), "-o", str(out), "--format", "docx"])
        assert result.exit_code == 0, result.stderr
        assert not stale.exists() and not old.exists()
        assert (live / "pdf" / "X.pdf").exists()
    finally:
        holder.kill()
        holder.communicate()
    runner.invoke(app, ["render", str(VAASA), "-o", str(out), "--format", "docx"])
    assert not live.exists()  # its owner has gone


def test_a_working_directory_is_locked_while_its_run_lives(tmp_path: Path) -> None:
    """This test ensures that a run's working directory carries a pid file that it keeps locked, so
    that a second run in the same folder cannot take it for a killed run's."""
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from kotodoc._files import make_work_dir; "
        "w = make_work_dir(Path(sys.argv[1])); print(w, flush=True); time.sleep(120)"), str(out)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        work = Path(proc.stdout.readline().strip())
        assert (work / ".owner").read_text().strip() == str(proc.pid)
        assert oct(work.stat().st_mode & 0o777) == "0o700"
        fd = os.open(work / ".owner", os.O_RDONLY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
        assert runner.invoke(app, ["render", str(VAASA), "-o", str(out), "--format", "docx"]).exit_code == 0
        assert work.exists()
    finally:
        proc.kill()
        proc.communicate()


def soffice_processes(marker: str) -> list[int]:
    """Living LibreOffice processes whose environment carries `marker` (inherited from the run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes() and b"soffice" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text("correct horse\n")
    return path


COUNT = 80  # cases of the kill -9 test


@pytest.mark.soffice
def test_kill_9_of_kotodoc_leaves_no_libreoffice_and_no_unencrypted_pdf(tmp_path: Path,
                                                                        password_file: Path) -> None:
    """This test ensures that after `kill -9` of an `--encrypt` batch, LibreOffice dies too, the PDFs it
    wrote meanwhile were owner-only from the first byte, and the next run removes them: no unencrypted
    PDF outlives the run."""
    cases = tmp_path / "cases"
    cases.mkdir()
    text = VAASA.read_text(encoding="utf-8")
    # Enough work that LibreOffice is far from done when kotodoc is killed (some 20 s more).
    for i in range(COUNT):
        (cases / f"c{i:02d}.yaml").write_text(text.replace("case_id: VAS-TYO-2025-0088", f"case_id: VAA-K-{i:02d}"))
    out = tmp_path / "out"
    marker = f"KOTODOC_TRUST_TEST={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    cmd = [sys.executable, "-m", "kotodoc", "batch", str(cases), "-o", str(out), "--format", "pdf", "--jobs", "2",
           "--encrypt", "--password-file", str(password_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not list(out.glob(".kotodoc-work-*/pdf/*.pdf")):
            assert proc.poll() is None and time.monotonic() < deadline, "no PDF in the working directory"
            time.sleep(0.05)
        assert soffice_processes(marker)
        proc.kill()  # kotodoc alone, not its process group
        proc.wait()
        killed = time.monotonic()
        while soffice_processes(marker) and time.monotonic() < killed + 5:
            time.sleep(0.1)
        assert not soffice_processes(marker), "LibreOffice outlived kotodoc"
        left = list(out.glob(".kotodoc-work-*/pdf/*.pdf"))
        time.sleep(2)
        assert sorted(out.glob(".kotodoc-work-*/pdf/*.pdf")) == sorted(left), "PDFs written after the kill"
        assert len(left) < COUNT
        assert left and all(p.stat().st_mode & 0o077 == 0 for p in left), [oct(p.stat().st_mode) for p in left]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in soffice_processes(marker):
            os.kill(pid, signal.SIGKILL)
    result = kotodoc("batch", cases, "-o", out, "--format", "pdf", "--jobs", "2", "--encrypt",
                     "--password-file", password_file, timeout=600)
    assert result.returncode == 0, result.stderr
    pdfs = list(out.rglob("*.pdf"))
    assert len(pdfs) == COUNT and all(PdfReader(p).is_encrypted for p in pdfs)
    assert not list(out.glob(".kotodoc-work-*"))


# ---------------------------------------------------------------------------------------------
# Configuration


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory two levels below `tmp_path`, with HOME elsewhere."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    yield work


def config_says(*env: tuple[str, str]) -> tuple[str, str]:
    result = runner.invoke(app, ["config"], env=dict(env))
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


def test_configuration_in_a_world_writable_directory_is_ignored(tmp_path: Path, project: Path) -> None:
    """This test ensures that a kotodoc.toml in a directory others can write (as /tmp) is ignored with
    a warning naming it; once the directory is the user's alone, it is used."""
    (tmp_path / "kotodoc.toml").write_text('format = "docx"\ntemplates = "evil"\n')
    tmp_path.chmod(0o777)
    stdout, stderr = config_says()
    assert f"ignored the configuration {tmp_path / 'kotodoc.toml'}: its directory" in stderr
    assert "configuration file: none" in stdout and "format = both  (default)" in stdout
    tmp_path.chmod(0o770)
    assert "can be written by others" in config_says()[1]
    tmp_path.chmod(0o700)
    stdout, stderr = config_says()
    assert f"format = docx  ({tmp_path / 'kotodoc.toml'})" in stdout and not stderr


def test_configuration_writable_by_others_or_not_the_users_is_ignored(tmp_path: Path, project: Path) -> None:
    """This test ensures that a file others can write, or that belongs to someone else, is ignored."""
    config = tmp_path / "a" / "kotodoc.toml"
    config.write_text('format = "docx"\n')
    config.chmod(0o666)
    assert "others can write to it" in config_says()[1]
    config.chmod(0o600)
    os.chown(config, 4242, -1)  # the tests run as root (see test_faults), which may give a file away
    assert "it does not belong to you" in config_says()[1]


def test_configuration_search_stops_at_the_project_root_and_home(tmp_path: Path, project: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a kotodoc.toml above the project root (`.git`) or above home is not used."""
    tmp_path.chmod(0o700)
    (tmp_path / "kotodoc.toml").write_text('format = "docx"\n')
    assert "format = docx" in config_says()[0]
    (tmp_path / "a" / ".git").mkdir()
    assert "configuration file: none" in config_says()[0]
    (tmp_path / "a" / ".git").rmdir()
    monkeypatch.setenv("HOME", str(tmp_path / "a"))
    assert "configuration file: none" in config_says()[0]


def test_config_command_says_where_each_setting_comes_from(tmp_path: Path, project: Path) -> None:
    """This test ensures that `kotodoc config` names the file and the source of every setting."""
    (project / "kotodoc.toml").write_text('lang = "fi+sv"\njobs = 3\n')
    stdout, _ = config_says(("KOTODOC_FORMAT", "pdf"))
    assert f"configuration file: {project / 'kotodoc.toml'}" in stdout
    assert f"lang = fi+sv  ({project / 'kotodoc.toml'})" in stdout and "jobs = 3" in stdout
    assert "format = pdf  (KOTODOC_FORMAT)" in stdout and "out = out  (default)" in stdout
