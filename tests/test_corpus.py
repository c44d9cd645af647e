"""The bad-input corpus: every file in tests/corpus is a broken case file, and kotodoc says where.

Each corpus file carries its expectation in header lines, `# expect: LINE:COL PATH [RULE] [| text]`
(files that cannot carry a header, such as an empty or a UTF-16 file, are listed in
`tests/corpus/expectations.yaml`; files too large to commit are written by `tests/corpus/generate.py`;
a plain list over the node limit is tested with the limit lowered, see `test_node_limit_without_aliases`).
For every file, through the real command line (typer's CliRunner):

- `kotodoc validate FILE` exits 1, prints exactly the expected errors, each starting with
  `FILE:LINE:COL: PATH: [RULE: ]`, no traceback, and no identity code, name or health text of the file;
- `kotodoc render FILE -o DIR --format docx` exits 1 and leaves DIR empty (no hidden work directory);
- one `kotodoc render` over the whole corpus and two valid samples renders the two and reports
  every corpus file invalid.

The expectation mechanism itself is tested too: a wrong line, column, path, rule or text, a missing
or an extra error, and a valid file each make the check fail.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner, Result

from kotodoc._cli import app
from kotodoc.load import _positions as _load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MANIFEST = CORPUS / "expectations.yaml"
VALID = [ROOT / "samples" / "espoo-municipality-fi.yaml", ROOT / "samples" / "family-en.yaml"]
MAX_COMMITTED_BYTES = 100_000

_spec = importlib.util.spec_from_file_location("corpus_generate", CORPUS / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)


# ---------------------------------------------------------------------------------------------
# Expectations


_EXPECT = re.compile(
    r"^(?P<line>[1-9]\d*):(?P<column>[1-9]\d*) (?P<path>\S+)"
    r"(?: (?P<rule>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+))?(?: \| (?P<says>\S.*))?$"
)
_HEADER = b"# expect: "


@dataclass(frozen=True)
class Expect:
    """One finding a corpus file must produce."""

    line: int
    column: int
    path: str  # as printed: "(document)" for the whole file
    rule: str | None
    says: str | None  # a piece of the message

    def __str__(self) -> str:
        rule = f" {self.rule}" if self.rule else ""
        says = f" | {self.says}" if self.says else ""
        return f"{self.line}:{self.column} {self.path}{rule}{says}"


def parse_expect(text: str) -> Expect:
    """Parse `LINE:COL PATH [RULE] [| text]`.

    Raises:
        ValueError: the text is not an expectation.
    """
    m = _EXPECT.match(text.strip())
    if m is None:
        raise ValueError(f"not an expectation: {text!r}")
    return Expect(int(m["line"]), int(m["column"]), m["path"], m["rule"], m["says"])


def header_expectations(data: bytes) -> list[Expect]:
    """The `# expect:` lines at the top of a file (after a byte-order mark, if any)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    found = []
    for raw in data.split(b"\n"):
        if not raw.startswith(_HEADER):
            break
        found.append(parse_expect(raw[len(_HEADER):].decode("utf-8")))
    return found


@cache
def manifest() -> dict[str, list[Expect]]:
    """The expectations of the files that cannot carry a header."""
    entries = YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))
    return {name: [parse_expect(e) for e in expects] for name, expects in entries.items()}


def expectations(path: Path) -> list[Expect]:
    """A corpus file's expectations: from the manifest, or from its header."""
    listed = manifest().get(path.name)
    from_header = header_expectations(path.read_bytes())
    assert not (listed and from_header), f"{path.name}: expectations both in the manifest and the header"
    return listed or from_header


def committed() -> list[Path]:
    """The corpus files in the repository."""
    return sorted(p for p in CORPUS.iterdir() if p.suffix == ".yaml" and p != MANIFEST)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The large corpus files, written for this test session."""
    return generate.generate(tmp_path_factory.mktemp("corpus-generated"))


def corpus_params() -> list[str]:
    """Every corpus file by name (generated ones as `generated:NAME`, see `corpus_file`)."""
    named = [p.name for p in committed()]
    named += [f"generated:{name}" for name, _ in (generate.too_large(), generate.huge_text())]
    return named


def corpus_file(name: str, generated: list[Path]) -> Path:
    """A corpus file by its parameter name, committed or generated."""
    if name.startswith("generated:"):
        (path,) = [p for p in generated if p.name == name.removeprefix("generated:")]
        return path
    return CORPUS / name


# ---------------------------------------------------------------------------------------------
# What the command printed


@dataclass(frozen=True)
class Printed:
    """One error line of `kotodoc validate`."""

    line: int
    column: int
    path: str
    rule: str | None
    message: str


_PRINTED = re.compile(
    r"^(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<warning>warning: )?"
    r"(?:(?P<rule>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+): )?(?P<message>.*)$"
)


def printed_errors(stderr: str, file: Path) -> tuple[list[Printed], list[str]]:
    """The located error lines about a file, and any line about it that is not located."""
    errors: list[Printed] = []
    unlocated: list[str] = []
    prefix = f"{file}:"
    for text in stderr.splitlines():
        if not text.startswith(prefix):
            continue
        m = _PRINTED.match(text[len(prefix):])
        if m is None:
            unlocated.append(text)
        elif not m["warning"]:
            # Every finding prints its code: a rule id, or a FORMAT-* code for the format's own errors.
            assert m["rule"] is not None, f"no code: {text}"
            rule = None if m["rule"].startswith("FORMAT-") else m["rule"]
            errors.append(Printed(int(m["line"]), int(m["column"]), m["path"], rule, m["message"]))
    return errors, unlocated


def mismatches(expected: list[Expect], errors: list[Printed]) -> list[str]:
    """What differs between the expected findings and the printed errors; empty when they agree."""
    left = list(errors)
    problems = []
    for e in expected:
        hit = next((p for p in left if (p.line, p.column, p.path, p.rule) == (e.line, e.column, e.path, e.rule)
                    and (e.says is None or e.says in p.message)), None)
        if hit is None:
            problems.append(f"missing: {e}")
        else:
            left.remove(hit)
    problems.extend(f"unexpected: {p.line}:{p.column} {p.path} {p.rule or ''} | {p.message}" for p in left)
    return problems


def check_validate(result: Result, file: Path, expected: list[Expect]) -> None:
    """Assert that `kotodoc validate FILE` failed with exactly the expected located errors."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exit_code == 1, f"exit code {result.exit_code}: {output}"
    errors, unlocated = printed_errors(result.stderr, file)
    assert not unlocated, f"errors without FILE:LINE:COL: {unlocated}"
    problems = mismatches(expected, errors)
    assert not problems, f"{file.name}:\n  " + "\n  ".join(problems) + f"\nstderr:\n{result.stderr}"


# ---------------------------------------------------------------------------------------------
# Personal data that must never be printed


_PERSONAL = re.compile(r"^\s*-?\s*(?:personal_id|family_name|given_names|health):\s*(?P<value>.+?)\s*$")
_NOT_DATA = {"null", "~", '""', "''", "[]", "{}"}


def personal_data(data: bytes) -> list[str]:
    """Identity codes, names and health text of a file, as words worth searching for in a message."""
    text = data.decode("utf-8", errors="replace")
    found: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#") or (m := _PERSONAL.match(line)) is None:
            continue
        value = m["value"].strip("\"'")
        if value in _NOT_DATA or len(value) > 200:
            continue
        if re.fullmatch(r"\d{6}[-+A-Za-z ]\d{3}[0-9A-Za-z]?", value):
            found.add(value)  # an identity code, whole (its masked form `140391-****` may be printed)
        found.update(w for w in re.findall(r"[^\W\d_]{4,}", value) if w.lower() not in _HARMLESS)
    return sorted(found)


# Words of names and health texts that also occur in messages or keys for other reasons.
_HARMLESS = {"null", "none", "family"}


# ---------------------------------------------------------------------------------------------
# The corpus as a whole


def test_corpus_is_large_and_every_file_has_an_expectation() -> None:
    files = committed()
    assert len(files) >= 120
    listed = manifest()
    assert set(listed) <= {p.name for p in files}, "the manifest names files that do not exist"
    for path in files:
        assert path.stat().st_size < MAX_COMMITTED_BYTES, f"{path.name} is too large to commit"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.yaml", path.name), path.name
        assert expectations(path), f"{path.name} has no expectation"


def test_generated_files_are_what_they_claim(generated: list[Path]) -> None:
    sizes = {p.name: p.stat().st_size for p in generated}
    assert sizes["too-large.yaml"] > _load.MAX_BYTES
    assert MAX_COMMITTED_BYTES < sizes["huge-text-field.yaml"] < _load.MAX_BYTES
    assert (generate.MAX_BYTES, generate.MAX_NODES) == (_load.MAX_BYTES, _load.MAX_NODES)
    for path in generated:
        assert expectations(path)


# ---------------------------------------------------------------------------------------------
# Every file: validate and render


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("name", corpus_params())
def test_validate_locates_the_error(runner: CliRunner, generated: list[Path], name: str) -> None:
    path = corpus_file(name, generated)
    expected = expectations(path)
    assert expected, f"{name} has no expectation"
    result = runner.invoke(app, ["validate", str(path)])
    check_validate(result, path, expected)
    output = result.stdout + result.stderr
    leaked = [word for word in personal_data(path.read_bytes()) if word in output]
    assert not leaked, f"personal data in the message: {leaked}"


@pytest.mark.parametrize("name", corpus_params())
def test_render_writes_nothing(runner: CliRunner, generated: list[Path], name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["render", str(corpus_file(name, generated)), "-o", str(out), "--format", "docx"])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1, result.stdout + result.stderr
    assert list(out.iterdir()) == [], "render left files behind"


def test_one_batch_renders_the_valid_and_rejects_the_corpus(runner: CliRunner, tmp_path: Path,
                                                           generated: list[Path]) -> None:
    corpus = [*committed(), *generated]
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", *map(str, [VALID[0], *corpus, VALID[1]]), "-o", str(out),
                                 "--format", "docx", "--json"])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1
    reports = {Path(r["file"]): r for r in json.loads(result.stdout)}
    assert len(reports) == len(corpus) + 2
    assert [reports[v]["status"] for v in VALID] == ["done", "done"]
    not_invalid = {p.name: reports[p]["status"] for p in corpus if reports[p]["status"] != "invalid"}
    assert not not_invalid
    for path in corpus:
        assert reports[path]["outputs"] == []
        assert all(e["line"] and e["column"] for e in reports[path]["errors"]), path.name
    # Only the valid cases' documents (a plan each, and the Espoo case's no-show notice), nothing hidden.
    written = sorted(p.name for p in out.rglob("*"))
    assert written == sorted(Path(o).name for v in VALID for o in reports[v]["outputs"])
    assert {name.split(".")[0] for name in written} == {"ESP-2025-0217", "TKU-2025-0246"}
    assert all(name.endswith(".docx") for name in written)


def test_node_limit_without_aliases(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a plain list over the node limit is located (with the limit lowered: see generate.py)."""
    monkeypatch.setattr(_load, "MAX_NODES", 2_000)
    name, data = generate.too_many_nodes(2_000)
    path = tmp_path / name
    path.write_bytes(data)
    result = runner.invoke(app, ["validate", str(path)])
    check_validate(result, path, header_expectations(data))
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(path), "-o", str(out), "--format", "docx"])
    assert result.exit_code == 1
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.soffice
def test_pdf_render_of_a_broken_and_a_valid_file(runner: CliRunner, tmp_path: Path) -> None:
    broken = CORPUS / "hetu-bad-check.yaml"
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(broken), str(VALID[0]), "-o", str(out), "--format", "pdf", "--json"])
    assert result.exit_code == 1, result.stderr
    statuses = [r["status"] for r in json.loads(result.stdout)]
    assert statuses == ["invalid", "done"]
    written = sorted(out.rglob("*"))
    assert written and all(p.suffix == ".pdf" and p.name.startswith("ESP-2025-0217.") for p in written)


# ---------------------------------------------------------------------------------------------
# The checks can fail


@pytest.mark.parametrize(
    "text",
    ["", "27 person.personal_id", "27:0 person.personal_id", "x:1 path", "27:16", "27:16 person ID_HETU",
     "27:16 person.personal_id | ", "27:16 person.personal_id ID-HETU extra"],
)
def test_malformed_expectation_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not an expectation"):
        parse_expect(text)


def test_expectation_parses_every_part() -> None:
    e = parse_expect("27:16 person.personal_id ID-HETU | check character")
    assert e == Expect(27, 16, "person.personal_id", "ID-HETU", "check character")
    assert parse_expect(str(e)) == e
    assert parse_expect("1:1 (document)") == Expect(1, 1, "(document)", None, None)


def test_header_expectations_stop_at_the_first_other_line() -> None:
    data = b"\xef\xbb\xbf# expect: 1:1 kind\n# expect: 2:3 case_id | x\n# corpus: y\n# expect: 9:9 z\n"
    assert header_expectations(data) == [Expect(1, 1, "kind", None, None), Expect(2, 3, "case_id", None, "x")]


# A sample of the corpus: a rule error, a YAML error, two findings in one file, a manifest entry.
CHECKED_SAMPLE = ["hetu-bad-check.yaml", "yaml-tab-indent.yaml", "key-plan-misspelt.yaml", "utf16-le-bom.yaml",
                  "alias-bomb.yaml"]


@pytest.fixture(scope="module")
def sample_results(runner: CliRunner) -> dict[str, Result]:
    return {name: runner.invoke(app, ["validate", str(CORPUS / name)]) for name in CHECKED_SAMPLE}


def _variants(e: Expect) -> dict[str, Expect]:
    return {
        "line": Expect(e.line + 1, e.column, e.path, e.rule, e.says),
        "column": Expect(e.line, e.column + 1, e.path, e.rule, e.says),
        "path": Expect(e.line, e.column, e.path + ".x", e.rule, e.says),
        "rule": Expect(e.line, e.column, e.path, "PLAN-DATES" if e.rule != "PLAN-DATES" else "ID-HETU", e.says),
        "text": Expect(e.line, e.column, e.path, e.rule, "words that are in no message"),
    }


@pytest.mark.parametrize("what", ["line", "column", "path", "rule", "text"])
@pytest.mark.parametrize("name", CHECKED_SAMPLE)
def test_a_wrong_expectation_fails(sample_results: dict[str, Result], name: str, what: str) -> None:
    path, result = CORPUS / name, sample_results[name]
    right = expectations(path)
    check_validate(result, path, right)
    wrong = [_variants(right[0])[what], *right[1:]]
    with pytest.raises(AssertionError, match="missing"):
        check_validate(result, path, wrong)


@pytest.mark.parametrize("name", CHECKED_SAMPLE)
def test_an_extra_or_missing_error_fails(sample_results: dict[str, Result], name: str) -> None:
    path, result = CORPUS / name, sample_results[name]
    right = expectations(path)
    with pytest.raises(AssertionError, match="unexpected"):
        check_validate(result, path, right[1:])
    with pytest.raises(AssertionError, match="missing"):
        check_validate(result, path, [*right, Expect(1, 1, "kind", None, None)])


def test_a_valid_file_fails_the_corpus_check(runner: CliRunner, tmp_path: Path) -> None:
    valid = tmp_path / "valid.yaml"
    valid.write_bytes(b"# expect: 27:16 person.personal_id ID-HETU\n" + VALID[0].read_bytes())
    result = runner.invoke(app, ["validate", str(valid)])
    with pytest.raises(AssertionError, match="exit code 0"):
        check_validate(result, valid, expectations(valid))


def test_personal_data_check_finds_the_data() -> None:
    """This test ensures that the personal-data check looks for the identity code and the names of a file."""
    words = personal_data((CORPUS / "hetu-bad-check.yaml").read_bytes())
    assert {"140391-417D", "Saleh", "Yaser", "Karim"} <= set(words)
    leaky = "case.yaml:27:16: person.personal_id: ID-HETU: the check character of 140391-417D is wrong"
    assert [w for w in words if w in leaky] == ["140391-417D"]


def test_a_finding_on_line_100_is_printed_with_its_number(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("\n" * 99 + "kotodoc: 2\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert f"{path}:100:10: kotodoc: FORMAT-VERSION: unsupported format version" in result.stderr


# An amount has an upper bound: `cost: "1e30"` once validated, then crashed rendering the claim.
def test_an_absurd_amount_is_a_located_error(runner: CliRunner, tmp_path: Path) -> None:
    text = (ROOT / "samples" / "claims" / "espoo-2025-h1.yaml").read_text(encoding="utf-8")
    assert text.count('    cost: "71.00"\n') >= 1
    text = text.replace('    cost: "71.00"\n', '    cost: "1e30"\n', 1)
    line = text[: text.index('    cost: "1e30"')].count("\n") + 1
    claim = tmp_path / "claim.yaml"
    claim.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(claim), str(VALID[0]), "-o", str(out), "--format", "docx", "--json"])
    assert "internal error" not in result.stderr
    assert f"{claim}:{line}:11: rows.0.cost:" in result.stderr
    assert [r["status"] for r in json.loads(result.stdout)] == ["invalid", "done"]
