"""kotodoc speaks the officials' language: messages in fi, sv and en, stable codes, Finnish input understood.

Through the command line (`--ui-lang`, `KOTODOC_UI_LANG`, `ui_lang` in the configuration, the
locale) and the library (`kotodoc.finding_text`, `CaseReport.as_dict(lang)`): an unfilled skeleton
and each mistake of a Finnish writer gets a message in the reader's language with a code and a
suggestion; findings come in the order of the file; every code is documented.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.errors import FORMAT_CODES
from kotodoc.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "espoo-municipality-fi.yaml"
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.yaml"))
# No locale and no setting of the user's: each test says what it sets.
CLEAN = {"LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None, "KOTODOC_UI_LANG": None, "KOTODOC_CONFIG": None}
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<warning>\w+: )?"
                  r"(?P<code>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+): (?P<message>.*)$")
# Words of kotodoc's English messages: none may be left in a Finnish or Swedish run (codes, keys and
# quoted values are taken out first: they are the format's own words).
ENGLISH = re.compile(r"\b(the|expected|should|must|is|are|not|unknown|required|allowed|value|cannot|with|this|"
                     r"write|use|fill|did you mean|valid|case\(s\))\b", re.IGNORECASE)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, args: list[str], **env: str | None) -> tuple[int, str, str]:
    result = runner.invoke(app, args, env={**CLEAN, **env})
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def findings(stderr: str) -> list[re.Match[str]]:
    return [m for line in stderr.splitlines() if (m := LINE.match(line))]


def prose(message: str) -> str:
    """The words of a message, without what it quotes from the file or the format (keys, codes, lists)."""
    message = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"|\([^()]*:[^()]*\)", " ", message)
    message = re.sub(r"(näistä|dessa): [^;]*", " ", message)
    return " ".join(word for word in message.split() if not re.search(r"[-_./:0-9<>{}\[\]]", word))


def skeleton(runner: CliRunner, tmp_path: Path, kind: str = "integration-plan", lang: str = "fi") -> Path:
    path = tmp_path / f"{kind}.yaml"
    code, _, err = run(runner, ["new", kind, "--lang", lang, "-o", str(path)])
    assert code == 0, err
    return path


# ---------------------------------------------------------------------------------------------
# The skeleton of `kotodoc new`, unfilled


@pytest.mark.parametrize(("lang", "fill", "summary"), [
    ("fi", "täytä tämä kohta", "Kunnossa 0/1 tapausta"),
    ("sv", "fyll i det här fältet", "Giltiga ärenden: 0 av 1"),
])
def test_an_unfilled_skeleton_is_told_in_the_readers_language(runner: CliRunner, tmp_path: Path, lang: str,
                                                              fill: str, summary: str) -> None:
    path = skeleton(runner, tmp_path)
    code, _, err = run(runner, ["--ui-lang", lang, "validate", str(path)])
    assert code == 1
    found = findings(err)
    assert len(found) > 40, err
    text = path.read_text(encoding="utf-8").splitlines()
    for m in found:
        assert m["code"] == "FORMAT-PLACEHOLDER", m.group(0)
        assert m["message"].startswith(fill) and m["message"].count(fill) == 1, m.group(0)
        assert "{" in text[int(m["line"]) - 1], m.group(0)  # at a placeholder
        assert not ENGLISH.search(prose(m["message"])), m.group(0)
    assert summary in err
    positions = [(int(m["line"]), int(m["column"])) for m in found]
    assert positions == sorted(positions), "findings out of the file's order"


def test_every_skeleton_kind_gives_only_placeholder_findings_in_finnish(runner: CliRunner, tmp_path: Path) -> None:
    for kind in ("minor-plan", "family-plan", "interpretation-claim"):
        path = skeleton(runner, tmp_path, kind)
        _, _, err = run(runner, ["--ui-lang", "fi", "validate", str(path)])
        found = findings(err)
        assert found, err
        for m in found:
            assert not ENGLISH.search(prose(m["message"])), (kind, m.group(0))
            # once, also where the field takes one of two types (`grade: 6` or `grade: 6B`)
            assert (m["code"], m["message"].count("täytä tämä kohta")) == ("FORMAT-PLACEHOLDER", 1), m.group(0)


# ---------------------------------------------------------------------------------------------
# A Finnish writer's habits: what was meant, in the reader's language


MISTAKES = [
    # (id, line in the sample, the line written instead, path, code, fi suggestion, sv suggestion)
    ("date-fi", "  drawn_up: 2025-03-20", "  drawn_up: 20.3.2025", "plan.drawn_up", "FORMAT-DATE",
     "kirjoita päivämäärä muodossa 2025-03-20", "skriv datumet som 2025-03-20"),
    ("decimal-comma", "      hours_per_week: 25", "      hours_per_week: 25,5", "plan.services.1.hours_per_week",
     "FORMAT-DECIMAL", "käytä desimaalipistettä: 25.5", "använd decimalpunkt: 25.5"),
    ("kylla", "  jobseeker: false", "  jobseeker: kyllä", "person.jobseeker", "FORMAT-BOOLEAN",
     "kirjoita true", "skriv true"),
    ("ei", "  jobseeker: false", "  jobseeker: ei", "person.jobseeker", "FORMAT-BOOLEAN",
     "kirjoita false", "skriv false"),
    ("ja", "  jobseeker: false", "  jobseeker: ja", "person.jobseeker", "FORMAT-BOOLEAN",
     "kirjoita true", "skriv true"),
    ("nej", "  jobseeker: false", "  jobseeker: nej", "person.jobseeker", "FORMAT-BOOLEAN",
     "kirjoita false", "skriv false"),
    ("basis-fi", "    basis: asylum", "    basis: turvapaikka", "person.residence.basis", "FORMAT-CHOICE",
     "kirjoita koodi asylum", "skriv koden asylum"),
    ("basis-sv", "    basis: asylum", "    basis: kvotflykting", "person.residence.basis", "FORMAT-CHOICE",
     "kirjoita koodi quota-refugee", "skriv koden quota-refugee"),
    ("service-fi", "    - type: civic-orientation", "    - type: monikielinen yhteiskuntaorientaatio",
     "plan.services.0.type", "FORMAT-CHOICE", "kirjoita koodi civic-orientation", "skriv koden civic-orientation"),
    ("country-fi", "  citizenship: IQ", "  citizenship: Afganistan", "person.citizenship", "FORMAT-COUNTRY",
     "kirjoita koodi AF", "skriv koden AF"),
    ("country-sv", "  citizenship: IQ", "  citizenship: Irak", "person.citizenship", "FORMAT-COUNTRY",
     "kirjoita koodi IQ", "skriv koden IQ"),
    ("language-fi", "  native_language: ar", "  native_language: arabia", "person.native_language",
     "FORMAT-LANGUAGE", "kirjoita koodi ar", "skriv koden ar"),
    ("language-sv", "  native_language: ar", "  native_language: arabiska", "person.native_language",
     "FORMAT-LANGUAGE", "kirjoita koodi ar", "skriv koden ar"),
    ("placeholder", "  unit: Maahanmuuttajapalvelut", "  unit: {teksti}", "authority.unit", "FORMAT-PLACEHOLDER",
     "täytä tämä kohta", "fyll i det här fältet"),
    ("unknown-key", "  given_names: Yaser Karim", "  given_name: Yaser Karim", "person.given_name",
     "FORMAT-UNKNOWN-KEY", "tarkoititko 'given_names'?", "menade du 'given_names'?"),
    ("missing", "  family_name: Saleh\n", "", "person.family_name", "FORMAT-MISSING",
     "tämä kenttä on pakollinen", "det här fältet är obligatoriskt"),
]  # fmt: skip


def mistaken(tmp_path: Path, old: str, new: str) -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path = tmp_path / "case.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "path", "code", "fi", "sv"), [pytest.param(*m[1:], id=m[0]) for m in MISTAKES])
def test_a_finnish_habit_gets_a_suggestion_in_fi_sv_and_en(runner: CliRunner, tmp_path: Path, old: str, new: str,
                                                           path: str, code: str, fi: str, sv: str) -> None:
    case = mistaken(tmp_path, old, new)
    for lang, says in (("fi", fi), ("sv", sv)):
        exit_code, _, err = run(runner, ["--ui-lang", lang, "validate", str(case)])
        assert exit_code == 1
        [hit] = [m for m in findings(err) if m["path"] == path]
        assert hit["code"] == code and says in hit["message"], hit.group(0)
        assert not ENGLISH.search(prose(hit["message"])), hit.group(0)
    _, _, err = run(runner, ["validate", str(case)])  # English stays the default
    [hit] = [m for m in findings(err) if m["path"] == path]
    assert hit["code"] == code and ENGLISH.search(hit["message"]), hit.group(0)
    assert case.read_text(encoding="utf-8") == SAMPLE.read_text(encoding="utf-8").replace(old, new, 1), \
        "a suggestion never changes the file"


def test_suggestions_never_echo_a_date_of_birth_or_free_text(runner: CliRunner, tmp_path: Path) -> None:
    case = mistaken(tmp_path, "date_of_birth: 1991-03-14", "date_of_birth: 14.3.1991")
    text = case.read_text(encoding="utf-8").replace("    basis: asylum", "    basis: Yaser Saleh sairastui")
    case.write_text(text, encoding="utf-8")
    for lang in ("fi", "sv", "en"):
        _, _, err = run(runner, ["--ui-lang", lang, "validate", str(case)])
        assert {m["path"] for m in findings(err)} >= {"person.date_of_birth", "person.residence.basis"}, err
        assert "1991" not in err and "Yaser" not in err and "sairastui" not in err, err
        assert "YYYY-MM-DD" in err or "VVVV-KK-PP" in err or "ÅÅÅÅ-MM-DD" in err
    impossible = mistaken(tmp_path, "date_of_birth: 1991-03-14", "date_of_birth: 1991-02-30")
    _, _, err = run(runner, ["--ui-lang", "fi", "validate", str(impossible)])
    [hit] = findings(err)
    assert (hit["path"], hit["code"]) == ("person.date_of_birth", "FORMAT-DATE") and "1991" not in err, err


# ---------------------------------------------------------------------------------------------
# Rule findings, order, codes in --json


def broken_rules(tmp_path: Path) -> Path:
    """The sample with rule errors and warnings at several lines, listed by the rules out of line order."""
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in (("  valid_until: 2026-03-19", "  valid_until: 2027-06-30"),  # PLAN-FIRST-LENGTH (below)
                     ("  business_id: ", "  business_id: 1234567-9  # "),  # ID-YTUNNUS (above)
                     ("  date: 2025-03-20\n", "  date: 2025-03-19\n")):  # signatures before drawn_up: PLAN-DATES
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rule_findings_in_finnish_and_swedish_sorted_by_line(runner: CliRunner, tmp_path: Path) -> None:
    case = broken_rules(tmp_path)
    for lang, words in (("fi", ("Y-tunnus", "suunnitelma")), ("sv", ("FO-numret", "planen"))):
        code, _, err = run(runner, ["--ui-lang", lang, "validate", str(case)])
        assert code == 1, err
        found = findings(err)
        codes = {m["code"] for m in found}
        assert {"ID-YTUNNUS", "PLAN-FIRST-LENGTH"} <= codes, err
        for m in found:
            assert not ENGLISH.search(prose(m["message"])), m.group(0)
        assert all(any(w in m["message"] for m in found) for w in words), err
        lines = [int(m["line"]) for m in found]
        assert lines == sorted(lines), err


def test_json_carries_a_code_for_every_finding_in_the_files_order(runner: CliRunner, tmp_path: Path) -> None:
    cases = [skeleton(runner, tmp_path), broken_rules(tmp_path), mistaken(tmp_path, "basis: asylum", "basis: asylm")]
    code, out, _ = run(runner, ["--ui-lang", "sv", "validate", "--json", *map(str, cases)])
    assert code == 1
    reports = json.loads(out)
    seen = 0
    for report in reports:
        for kind in ("errors", "warnings"):
            items = report[kind]
            assert [(f["line"], f["column"]) for f in items] == sorted((f["line"], f["column"]) for f in items)
            for f in items:
                seen += 1
                assert f["code"] in FORMAT_CODES or f["code"] in RULES, f
                assert f["rule"] is None if f["code"].startswith("FORMAT-") else f["rule"] == f["code"], f
    assert seen > 40
    first = reports[2]["errors"][0]
    assert first["code"] == "FORMAT-CHOICE" and "menade du 'asylum'?" in first["message"], first
    assert first["params"]["suggestion"] == "menade du 'asylum'?", first


# ---------------------------------------------------------------------------------------------
# Where the language comes from: --ui-lang, KOTODOC_UI_LANG, the configuration file, the locale


def language_of(stderr: str) -> str:
    return {"Kunnossa": "fi", "Giltiga": "sv"}.get(stderr.strip().splitlines()[-1].split()[0], "en")


def test_the_ui_language_comes_from_flag_then_environment_then_file_then_locale(runner: CliRunner,
                                                                                tmp_path: Path) -> None:
    case = mistaken(tmp_path, "basis: asylum", "basis: asylm")
    config = tmp_path / "kotodoc.toml"
    config.write_text('ui_lang = "sv"\n', encoding="utf-8")
    config.chmod(0o600)
    args = ["validate", str(case)]
    assert language_of(run(runner, args)[2]) == "en"
    assert language_of(run(runner, args, LANG="fi_FI.UTF-8")[2]) == "fi"
    assert language_of(run(runner, args, LANG="de_DE.UTF-8")[2]) == "en"  # a locale kotodoc lacks
    assert language_of(run(runner, args, LC_ALL="sv_FI.UTF-8", LANG="fi_FI.UTF-8")[2]) == "sv"
    with_file = ["--config", str(config), *args]
    assert language_of(run(runner, with_file, LANG="fi_FI.UTF-8")[2]) == "sv"
    assert language_of(run(runner, with_file, LANG="fi_FI.UTF-8", KOTODOC_UI_LANG="en")[2]) == "en"
    assert language_of(run(runner, ["--ui-lang", "fi", *with_file], KOTODOC_UI_LANG="en")[2]) == "fi"


def test_an_unknown_ui_language_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(runner, ["--ui-lang", "de", "validate", str(SAMPLE)])
    assert code == 2 and "--ui-lang" in err
    config = tmp_path / "kotodoc.toml"
    config.write_text('ui_lang = "no"\n', encoding="utf-8")
    config.chmod(0o600)
    code, _, err = run(runner, ["--config", str(config), "validate", str(SAMPLE)], LANG="fi_FI.UTF-8")
    assert code == 2 and "ui_lang" in err and "tuntematon" in err  # said in the locale's language


# ---------------------------------------------------------------------------------------------
# Every file of the corpus, in Finnish; every code documented


def test_no_english_is_left_in_a_finnish_run_of_the_corpus(runner: CliRunner) -> None:
    left = []
    codes = set()
    for chunk in range(0, len(CORPUS), 40):
        files = [str(p) for p in CORPUS[chunk:chunk + 40]]
        _, _, err = run(runner, ["--ui-lang", "fi", "validate", *files])
        for m in findings(err):
            codes.add(m["code"])
            if ENGLISH.search(prose(m["message"])):
                left.append(m.group(0))
    assert not left, "\n".join(left)
    assert codes <= set(FORMAT_CODES) | set(RULES), codes - set(FORMAT_CODES) - set(RULES)
    assert len(codes) >= 12, codes


def test_every_code_is_listed_with_its_meaning_in_the_docs() -> None:
    page = (ROOT / "docs" / "reference" / "codes.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| \[?`([A-Z][A-Z0-9-]+)`", page, flags=re.MULTILINE))
    assert listed == set(FORMAT_CODES) | set(RULES)
    for code, meaning in FORMAT_CODES.items():
        assert f"| `{code}` | {meaning}" in page.replace("\\|", "|")


# ---------------------------------------------------------------------------------------------
# The library: findings keep their English id; rendered where shown


def test_the_library_renders_a_finding_in_any_language(tmp_path: Path) -> None:
    case = mistaken(tmp_path, "  drawn_up: 2025-03-20", "  drawn_up: 20.3.2025")
    [report] = kotodoc.validate([case])
    [finding] = [f for f in report.findings if f.path == "plan.drawn_up"]
    assert finding.code == "FORMAT-DATE" and finding.rule is None
    assert finding.message == "expected a date written as YYYY-MM-DD; write the date as 2025-03-20"
    assert kotodoc.finding_text(finding, "fi") == ("päivämäärä pitää kirjoittaa muodossa VVVV-KK-PP; kirjoita "
                                                   "päivämäärä muodossa 2025-03-20")
    assert kotodoc.finding_text(finding, "sv").endswith("skriv datumet som 2025-03-20")
    [shown] = [f for f in report.as_dict("sv")["errors"] if f["path"] == "plan.drawn_up"]
    assert shown["code"] == "FORMAT-DATE" and shown["message"].startswith("datumet ska skrivas")
    [english] = [f for f in report.as_dict()["errors"] if f["path"] == "plan.drawn_up"]
    assert english["message"] == finding.message  # English when no language is set


def test_a_cli_run_leaves_the_language_as_it_was(runner: CliRunner, tmp_path: Path) -> None:
    case = mistaken(tmp_path, "basis: asylum", "basis: asylm")
    run(runner, ["--ui-lang", "fi", "validate", str(case)])
    [report] = kotodoc.validate([case])
    assert report.as_dict()["errors"][0]["message"].startswith("'asylm' is not allowed")


def test_the_catalogues_are_complete_and_compiled() -> None:
    """Every message used in the code is in fi, sv and en, translated, not fuzzy, with the same placeholders;
    every .mo is compiled from its .po (what `scripts/test` runs in CI)."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "catalogues.py"), "check"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr


def test_no_finding_is_made_from_an_f_string() -> None:
    """A finding's message is an id of the catalogue with parameters: an f-string would be English only."""
    found = []
    for path in sorted((ROOT / "kotodoc").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if name in ("Finding", "Message"):
                assert isinstance(node, ast.Call)
                message = node.args[2:3] if name == "Finding" else node.args[:1]
                if any(isinstance(t, ast.JoinedStr) for t in message):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_a_warning_of_the_command_is_in_the_readers_language(runner: CliRunner, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's own lines (here: a configuration others can write, passed over) speak the language too."""
    (tmp_path / ".git").mkdir()  # the search for a configuration stops here
    (tmp_path / "kotodoc.toml").write_text('format = "docx"\n', encoding="utf-8")
    tmp_path.chmod(0o777)
    monkeypatch.chdir(tmp_path)
    try:
        code, _, err = run(runner, ["--ui-lang", "fi", "validate", str(SAMPLE)])
    finally:
        tmp_path.chmod(0o700)
    assert code == 0, err
    assert "varoitus: " in err and "Kunnossa 1/1 tapausta" in err, err


@pytest.mark.parametrize(("args", "config", "fi", "sv"), [
    (["render", "--lang", "xx"], None, "tuntematon kieli 'xx'", "okänt språk 'xx'"),
    (["render", "--lang", "fi+fi"], None, "kaksikielisessä asiakirjassa on kaksi eri kieltä", "två olika språk"),
    (["render"], 'colour = "red"\n', "tuntematon asetus 'colour'", "okänd inställning 'colour'"),
    (["render"], "jobs = \"many\"\n", "asetuksen jobs on oltava luku", "jobs ska vara ett tal"),
    (["render"], "lang = [\n", "ei kelvollista TOML-muotoa", "inte giltig TOML"),
], ids=["language", "bilingual", "setting", "number", "toml"])
def test_usage_errors_of_languages_and_configuration_speak_the_interface_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], config: str | None, fi: str,
        sv: str) -> None:
    """This test ensures that the errors of the ground floor (the document languages, the configuration
    file), which are raised as message ids below the catalogues, are shown translated at the boundary."""
    for name, value in CLEAN.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if config is not None:
        (tmp_path / "kotodoc.toml").write_text(config, encoding="utf-8")
        args = [*args, "--config", str(tmp_path / "kotodoc.toml")]
    for lang, words in (("fi", fi), ("sv", sv)):
        result = CliRunner().invoke(app, ["--ui-lang", lang, *args, str(SAMPLE), "-o", str(tmp_path / "out"),
                                          "--format", "docx"])
        assert result.exit_code == 2, result.output
        assert words in " ".join(result.output.split()), result.output
