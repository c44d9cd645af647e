"""The command line itself (issue 16, point 3): help, flags, completion, how much is shown, folders and
standard input for render and validate, option errors that blame their source, and `kotodoc batch
samples/` without a false error.

The tests drive the real `kotodoc` command (CliRunner, or a subprocess where a terminal or the shell's
completion protocol is needed). DOCX output needs no LibreOffice; the one PDF test is marked."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kotodoc.authoring
import kotodoc.model
from kotodoc._cli import app

from .conftest import ESPOO, ROOT, docx_text, pdf_text

runner = CliRunner()
SAMPLES = ROOT / "samples"
CITY = SAMPLES / "municipality"
CITY_CASE = CITY / "cases" / "esimerkkila-fi-sv.yaml"
CLAIMANT = SAMPLES / "claims" / "claimant-espoo.yaml"
TAMPERE = SAMPLES / "tampere-2024-fi.yaml"  # valid, with two FEE warnings
COMMANDS = [[], ["render"], ["validate"], ["batch"], ["claim"], ["schema"], ["new"], ["config"], ["templates"],
            ["templates", "check"], ["serve"]]


def one_line(text: str) -> str:
    """Help text with click's line wrapping undone (a word wrapped at its hyphen joined again)."""
    return re.sub(r"\s+", " ", re.sub(r"-\n\s+", "-", text))


# ---------------------------------------------------------------------------------------------
# Help


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kotodoc")
def test_every_help_answers_to_h_and_has_an_example(command: list[str]) -> None:
    """This test ensures that `-h` is the same as `--help` for the program and every command, and that every
    help ends with examples of whole command lines."""
    long = runner.invoke(app, [*command, "--help"])
    short = runner.invoke(app, [*command, "-h"])
    assert long.exit_code == 0 and short.exit_code == 0, short.output
    assert short.stdout == long.stdout
    examples = long.stdout.split("Examples:", 1)
    assert len(examples) == 2, long.stdout
    assert re.search(r"^\s+kotodoc \S", examples[1], re.MULTILINE), examples[1]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kotodoc")
def test_help_shows_flags_as_flags_and_square_brackets(command: list[str]) -> None:
    """This test ensures that no help shows `<bool>` (flags take no value), and that `[tool.kotodoc]` in the
    help of --config is shown rather than swallowed as markup."""
    text = runner.invoke(app, [*command, "--help"]).stdout
    assert "<bool>" not in text
    if "--config" in text:
        assert "[tool.kotodoc]" in one_line(text)


def test_a_flag_given_a_value_is_not_taken_for_a_case_file() -> None:
    """This test ensures that `validate x.yaml --json true` is a usage error saying flags take no value,
    not a case file `true` that does not exist."""
    result = runner.invoke(app, ["validate", str(ESPOO), "--json", "true"])
    assert result.exit_code == 2, result.output
    assert "'true' is not a case file" in result.stderr and "take no value" in result.stderr
    assert result.stdout == ""


def test_claim_lang_help_says_the_languages_come_from_the_claimant_file() -> None:
    """This test ensures that `claim --lang` says what it replaces: the claimant file's languages."""
    text = one_line(runner.invoke(app, ["claim", "--help"]).stdout)
    assert "instead of the claimant file's `languages`" in text
    assert "instead of the case's" not in text


def test_new_shows_its_kinds_and_a_bad_kind_lists_them() -> None:
    """This test ensures that `new` shows the kinds in its usage line and help (the kinds of the case model),
    and that a bad kind is a usage error naming them."""
    kinds = "|".join(kotodoc.model.CASE_MODELS)
    text = one_line(runner.invoke(app, ["new", "--help"]).stdout)
    assert text.count("{" + kinds + "}") == 2, text  # the usage line and the Arguments section
    assert "<str>" not in text
    bad = runner.invoke(app, ["new", "integration"])
    assert bad.exit_code == 2
    assert all(kind in bad.stderr for kind in kotodoc.model.CASE_MODELS), bad.stderr


@pytest.mark.parametrize("name", ["case", "case-with-profile", "claimant", "profile"])
def test_schema_for_each_kind_of_file(name: str) -> None:
    """This test ensures that `schema --for NAME` prints that file's schema, the case schema by default, and
    that the choices are the library's schema names."""
    assert set(kotodoc.authoring.SCHEMA_NAMES) == {"case", "case-with-profile", "claimant", "profile"}
    result = runner.invoke(app, ["schema", "--for", name])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == kotodoc.authoring.schema_for(name)
    if name == "case":
        assert json.loads(runner.invoke(app, ["schema"]).stdout) == json.loads(result.stdout)


def test_schema_for_an_unknown_file_lists_the_choices() -> None:
    """This test ensures that a bad `--for` is a usage error naming the four schemas."""
    result = runner.invoke(app, ["schema", "--for", "claim"])
    assert result.exit_code == 2
    assert "'--for'" in result.stderr and "case-with-profile" in result.stderr


# ---------------------------------------------------------------------------------------------
# Shell completion


def completion(words: str) -> list[str]:
    """What the shell's Tab offers after `words` (bash's protocol, as the installed script asks it)."""
    env = {**os.environ, "_KOTODOC_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    done = subprocess.run([sys.executable, "-m", "kotodoc"], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_is_switched_on() -> None:
    """This test ensures that the program offers --install-completion and --show-completion, that the script
    it shows is bash's, and that Tab completes commands, kinds and schema names."""
    text = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in text and "--show-completion" in text
    script = runner.invoke(app, ["--show-completion", "bash"])
    assert script.exit_code == 0 and "_KOTODOC_COMPLETE" in script.stdout
    assert completion("kotodoc va") == ["validate"]
    assert completion("kotodoc new in") == ["integration-plan", "interpretation-claim"]
    assert completion("kotodoc schema --for c") == ["case", "case-with-profile", "claimant"]


# ---------------------------------------------------------------------------------------------
# --quiet and --verbose


def test_quiet_shows_errors_only(tmp_path: Path) -> None:
    """This test ensures that --quiet (before or after the command) hides warnings and the summary of a valid
    case, and still shows an invalid case's errors, located."""
    normal = runner.invoke(app, ["validate", str(TAMPERE)])
    assert normal.exit_code == 0 and "warning: FEE-SCOPE" in normal.stderr and "1 of 1 case(s) valid" in normal.stderr
    for args in (["-q", "validate", str(TAMPERE)], ["validate", str(TAMPERE), "--quiet"]):
        quiet = runner.invoke(app, args)
        assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(TAMPERE.read_text(encoding="utf-8").replace("case_id: TRE-2024-0064", "case_id: 7"),
                   encoding="utf-8")
    quiet = runner.invoke(app, ["validate", str(bad), "-q"])
    assert quiet.exit_code == 1
    lines = quiet.stderr.splitlines()
    assert lines and all(re.match(rf"{re.escape(str(bad))}:\d+:\d+: ", line) for line in lines), lines
    assert "warning" not in quiet.stderr and "case(s)" not in quiet.stderr
    both = runner.invoke(app, ["validate", str(TAMPERE), "-q", "-v"])
    assert both.exit_code == 2 and "do not go together" in both.stderr


def test_verbose_batch_lists_every_file_and_the_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a batch names no file by default but, with --verbose, every file written
    (relative to the working directory) and every case's time."""
    monkeypatch.chdir(tmp_path)
    plain = runner.invoke(app, ["batch", str(ESPOO), "--format", "docx", "-o", "plain"])
    assert plain.exit_code == 0, plain.stderr
    assert "wrote" not in plain.stderr and " s\n" in plain.stderr
    loud = runner.invoke(app, ["batch", str(ESPOO), "--format", "docx", "-o", "loud", "--verbose"])
    assert loud.exit_code == 0, loud.stderr
    written = sorted(p.name for p in (tmp_path / "loud").iterdir() if not p.name.startswith("."))
    assert written and all(f"wrote loud/{name}" in loud.stderr for name in written), loud.stderr
    assert re.search(rf"{re.escape(str(ESPOO))}: done in \d+\.\d\d s", loud.stderr), loud.stderr


# ---------------------------------------------------------------------------------------------
# Folders, and files that are not cases


def test_render_takes_a_folder_and_names_the_files_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `render FOLDER` (and a glob) renders the folder's cases, names each file written
    relative to the working directory, and skips the claimant file with a note saying what it is for."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["render", str(SAMPLES / "claims"), "--format", "docx", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["ESP-KEHA-2025-H1.interpretation-claim.csv", "ESP-KEHA-2025-H1.interpretation-claim.fi+sv.docx"]
    for name in written:
        assert f"wrote out/{name}\n" in result.stderr
    assert (f"{CLAIMANT}: skipped: a claimant file: use it with kotodoc claim --claimant\n" in result.stderr)
    assert "1 of 1 case(s) rendered, 2 file(s) written, 1 file(s) skipped" in result.stderr
    globbed = runner.invoke(app, ["render", f"{SAMPLES}/claims/*.yaml", "--format", "docx", "-o", "glob"])
    assert globbed.exit_code == 0, globbed.stderr
    assert sorted(p.name for p in (tmp_path / "glob").iterdir()) == written


@pytest.mark.parametrize("command", ["batch", "render"])
def test_the_samples_folder_renders_without_a_false_error(command: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `kotodoc batch samples/` and `kotodoc render samples/` exit 0: every case is
    done, and the claimant file, the profile and the municipality's own case (which needs its templates)
    are skipped, each with a one-line note naming the file and what to do with it."""
    monkeypatch.chdir(tmp_path)  # the samples lie outside it: their paths are shown as given
    out = tmp_path / "out"
    args = [command, f"{SAMPLES}/", "--format", "docx", "-o", str(out)]
    result = runner.invoke(app, [*args, "--report", str(tmp_path / "report.json")] if command == "batch" else args)
    assert result.exit_code == 0, result.stderr
    assert "error" not in result.stderr and "invalid" not in result.stderr.replace("0 invalid", "")
    notes = [line for line in result.stderr.splitlines() if ": skipped: " in line]
    assert notes == [
        f"{CLAIMANT}: skipped: a claimant file: use it with kotodoc claim --claimant",
        f"{CITY_CASE}: skipped: a case of the template directory {CITY}: render it with --templates {CITY}",
        (f"{CITY}/profile.yaml: skipped: a profile: use it with --profile, or as profile.yaml in a --templates "
         "directory"),
    ]
    assert "3 file(s) skipped" in result.stderr
    if command == "batch":
        report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        assert report["summary"]["skipped"] == 3 and report["summary"]["invalid"] == 0
        assert [s["file"] for s in report["skipped"]] == [str(CLAIMANT), str(CITY_CASE), f"{CITY}/profile.yaml"]


def test_a_municipality_folder_renders_with_its_templates_and_says_so_without(tmp_path: Path) -> None:
    """This test ensures that the municipality's case found in its template directory is rendered with
    `--templates` that directory, and that without it nothing is left to do: exit 2, the note naming the
    option to give."""
    result = runner.invoke(app, ["batch", str(CITY), "--templates", str(CITY), "--format", "docx",
                                 "-o", str(tmp_path / "with")])
    assert result.exit_code == 0, result.stderr
    assert "EKL-2025-0042.integration-plan.fi+sv.docx" in [p.name for p in (tmp_path / "with").glob("*.docx")]
    without = runner.invoke(app, ["batch", str(CITY), "--format", "docx", "-o", str(tmp_path / "without")])
    assert without.exit_code == 2
    assert f"render it with --templates {CITY}" in without.stderr and "every file given was skipped" in without.stderr
    named = runner.invoke(app, ["validate", str(CLAIMANT)])
    assert named.exit_code == 2 and "a claimant file: use it with kotodoc claim --claimant" in named.stderr
    assert "`kind` is required" not in named.stderr


def test_hidden_folders_below_the_search_only_are_passed_over(tmp_path: Path) -> None:
    """This test ensures that a folder searched is searched even when a folder above it is hidden
    (`~/.cases/`), that hidden folders below it are passed over, and that a case named by its own path is
    taken wherever it lies."""
    cases = tmp_path / ".cases"
    (cases / ".work").mkdir(parents=True)
    (cases / "a.yaml").write_bytes(TAMPERE.read_bytes())
    (cases / ".work" / "b.yaml").write_bytes(TAMPERE.read_bytes())
    searched = runner.invoke(app, ["validate", str(cases)])
    assert searched.exit_code == 0 and "1 of 1 case(s) valid" in searched.stderr, searched.stderr
    named = runner.invoke(app, ["validate", str(cases / ".work" / "b.yaml")])
    assert named.exit_code == 0 and "1 of 1 case(s) valid" in named.stderr, named.stderr


# What `kotodoc validate FILE` has no use for, and what importing it cost at every validation.
NOT_FOR_VALIDATE = (
    "kotodoc.run._runner", "docxtpl", "pypdf",  # the runner and the document libraries: 0.4 s
    # Their dependencies and the service; jinja2 (the run's options, read by validate for the
    # notices' date, name the template cache's folder, not the cache: 30 ms).
    "docx", "lxml", "cryptography", "fastapi", "uvicorn", "jinja2",
    "kotodoc.context", "kotodoc.pdf", "kotodoc.authoring", "kotodoc.serve",  # the stages after the check
    "kotodoc.claim._build",  # the claim builder, for --notice-date: 8 ms
    "babel.support", "babel.messages",  # Babel's catalogue classes, with its dates and numbers: 20 ms
)


def test_validate_loads_neither_the_runner_nor_the_document_libraries() -> None:
    """This test ensures that `kotodoc validate FILE` (which now also takes `-`) still starts without the
    runner, the document libraries or anything else it does not use (`NOT_FOR_VALIDATE`), and builds the
    validator of the case's own kind only: pydantic built all 42 models' validators at import (0.1 s)."""
    code = ("import sys\nfrom kotodoc._cli import main\ntry:\n    main(['validate', sys.argv[1], '-q'])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "from kotodoc import model\n"
            "built = [m for m in model.CASE_MODELS.values() if m.__pydantic_complete__]\n"
            "print([m for m in sys.argv[2:] if m in sys.modules], [m.__name__ for m in built])")
    done = subprocess.run([sys.executable, "-c", code, str(ESPOO), *NOT_FOR_VALIDATE], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] ['IntegrationPlanCase']"


# ---------------------------------------------------------------------------------------------
# Standard input and output


def test_validate_reads_a_case_from_standard_input() -> None:
    """This test ensures that `validate -` checks the case on standard input, its findings naming `<stdin>`."""
    good = runner.invoke(app, ["validate", "-"], input=TAMPERE.read_text(encoding="utf-8"))
    assert good.exit_code == 0, good.stderr
    assert "<stdin>:197:14: interpretation.6.purpose: warning: FEE-SCOPE" in good.stderr
    bad = runner.invoke(app, ["validate", "-"], input="kotodoc: 1\nkind: integration-plan\n")
    assert bad.exit_code == 1 and re.search(r"^<stdin>:\d+:\d+: ", bad.stderr, re.MULTILINE), bad.stderr
    mixed = runner.invoke(app, ["validate", "-", str(ESPOO)], input="")
    assert mixed.exit_code == 2 and "give it alone" in mixed.stderr
    binary = runner.invoke(app, ["validate", "-"], input=b"\xff\xfe\x00")
    assert binary.exit_code == 2 and "<stdin>: not UTF-8 text" in binary.stderr and "internal" not in binary.stderr


def test_render_from_standard_input_reports_json_like_render(tmp_path: Path) -> None:
    """This test ensures that `render - --json` prints the same list of one case as `render --json`, an
    invalid case included (exit 1, nothing written)."""
    result = runner.invoke(app, ["render", "-", "--json", "--format", "docx", "-o", str(tmp_path / "out")],
                           input="kotodoc: 1\nkind: integration-plan\n")
    assert result.exit_code == 1
    [entry] = json.loads(result.stdout)
    assert entry["file"] == "<stdin>" and entry["status"] == "invalid" and entry["outputs"] == []
    assert {e["path"] for e in entry["errors"]} >= {"case_id", "person"}
    assert not (tmp_path / "out").exists()


def test_render_writes_one_document_to_standard_output(tmp_path: Path) -> None:
    """This test ensures that `render - --format docx -o -` writes the one DOCX to standard output (text read
    back), findings on stderr, and that `render -` with a folder writes and names the files."""
    text = TAMPERE.read_text(encoding="utf-8")
    result = runner.invoke(app, ["render", "-", "--format", "docx", "-o", "-"], input=text)
    assert result.exit_code == 0, result.stderr
    (tmp_path / "plan.docx").write_bytes(result.stdout_bytes)
    assert "Kotoutumissuunnitelma" in docx_text(tmp_path / "plan.docx")
    assert "Tampere 12.3.2024" in docx_text(tmp_path / "plan.docx")
    assert "warning: FEE-SCOPE" in result.stderr
    folder = runner.invoke(app, ["render", "-", "--format", "docx", "-o", str(tmp_path / "out")], input=text)
    assert folder.exit_code == 0, folder.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["TRE-2024-0064.integration-plan.fi.docx"]
    assert f"wrote {tmp_path / 'out' / 'TRE-2024-0064.integration-plan.fi.docx'}" in folder.stderr


@pytest.mark.soffice
def test_render_writes_a_pdf_to_standard_output(tmp_path: Path) -> None:
    """This test ensures that `cat case.yaml | kotodoc render - --format pdf -o -` gives the PDF/A on stdout."""
    text = TAMPERE.read_text(encoding="utf-8")
    result = runner.invoke(app, ["render", "-", "--format", "pdf", "-o", "-"], input=text)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"%PDF-") and result.stdout_bytes.rstrip().endswith(b"%%EOF")
    (tmp_path / "plan.pdf").write_bytes(result.stdout_bytes)
    assert "Tampere 12.3.2024" in pdf_text(tmp_path / "plan.pdf")


def test_standard_output_takes_one_document_only() -> None:
    """This test ensures that `-o -` refuses, as usage errors, both formats and a case giving two documents."""
    text = TAMPERE.read_text(encoding="utf-8")
    both = runner.invoke(app, ["render", "-", "-o", "-"], input=text)
    assert both.exit_code == 2 and "choose --format pdf or --format docx" in both.stderr
    assert both.stdout_bytes == b""
    two = runner.invoke(app, ["render", "-", "--format", "docx", "--lang", "fi,sv", "-o", "-"], input=text)
    assert two.exit_code == 2 and "this case gives 2" in two.stderr, two.stderr
    assert two.stdout_bytes == b""


def test_a_binary_document_is_not_written_to_a_terminal() -> None:
    """This test ensures that `-o -` refuses to write a document to a terminal, before rendering anything."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "kotodoc", "render", str(TAMPERE), "--format", "docx",
                               "-o", "-"], stdout=follower, stderr=subprocess.PIPE, text=True, timeout=60,
                              check=False)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2, done.stderr
    assert "will not write a DOCX file to a terminal" in done.stderr


# ---------------------------------------------------------------------------------------------
# Option errors and the configuration file


def test_option_errors_blame_where_the_value_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a bad value is blamed on its source: the flag, the environment variable, or
    the key in the configuration file (named), and never on a variable that is not set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KOTODOC_FORMAT", raising=False)
    flag = runner.invoke(app, ["render", str(ESPOO), "--format", "PDF"])
    assert flag.exit_code == 2 and "Invalid value for '--format': 'PDF' is not one of" in flag.stderr
    assert "KOTODOC_FORMAT" not in flag.stderr
    env = runner.invoke(app, ["render", str(ESPOO)], env={"KOTODOC_FORMAT": "PDF"})
    assert env.exit_code == 2 and "KOTODOC_FORMAT (environment variable): 'PDF'" in env.stderr
    jobs = runner.invoke(app, ["batch", str(ESPOO)], env={"KOTODOC_JOBS": "four"})
    assert jobs.exit_code == 2 and "KOTODOC_JOBS (environment variable)" in jobs.stderr
    date = runner.invoke(app, ["validate", str(ESPOO), "--notice-date", "2025-13-01"])
    assert date.exit_code == 2 and "'--notice-date'" in date.stderr
    config = tmp_path / "kotodoc.toml"
    config.write_text('format = "PDF"\n', encoding="utf-8")
    from_file = runner.invoke(app, ["render", str(ESPOO)])
    assert from_file.exit_code == 2 and f"format in {config}: 'PDF'" in from_file.stderr, from_file.stderr
    assert "KOTODOC_FORMAT" not in from_file.stderr
    config.write_text('lang = "xx"\n', encoding="utf-8")
    lang = runner.invoke(app, ["render", str(ESPOO)])
    assert lang.exit_code == 2 and f"lang in {config}: unknown language 'xx'" in lang.stderr, lang.stderr
    assert not (tmp_path / "out").exists()


def test_config_is_taken_after_the_command_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that `--config FILE` works after the command as before it: the file's templates
    (with their profile) make the municipality's case valid, which without them is not."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "ci.toml"
    config.write_text(f'templates = "{CITY}"\n', encoding="utf-8")
    assert runner.invoke(app, ["validate", str(CITY_CASE), "-q"]).exit_code == 1
    after = runner.invoke(app, ["validate", "--config", str(config), str(CITY_CASE)])
    assert after.exit_code == 0, after.stderr
    before = runner.invoke(app, ["--config", str(config), "validate", str(CITY_CASE)])
    assert before.exit_code == 0, before.stderr
    shown = runner.invoke(app, ["config", "--config", str(config)])
    assert f"configuration file: {config}" in shown.stdout and f"templates = {CITY}" in shown.stdout


# ---------------------------------------------------------------------------------------------
# Usage errors and the version (moved here from tests/test_input_errors.py: the CLI's tests in one place)


def test_cli_validate_good_file() -> None:
    result = runner.invoke(app, ["validate", str(ESPOO)])
    assert result.exit_code == 0, result.stderr


def test_cli_validate_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr


def test_cli_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["validate", "--no-such-option", str(ESPOO)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr


def test_cli_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def test_cli_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("kotodoc ")
