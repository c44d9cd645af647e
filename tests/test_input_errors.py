"""Input errors: every class of bad case file gives a CaseError with located findings.

Each case is the valid sample `samples/espoo-municipality-fi.yaml` with one exact line replaced
(`replace()` fails when the old text is not in the sample), then loaded with
`load_case(Path("case.yaml"), text)` and built with `build_case`. The findings must name the file,
the line and column where the position is knowable, and the field (its dotted YAML path), and
must not echo personal data (identity codes, health text, the values of a duplicate key).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kotodoc._cli import app
from kotodoc.errors import CaseError, Finding, Severity
from kotodoc.load import MAX_DEPTH, MAX_NODES, load_case
from kotodoc.model import Case, build_case

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "samples" / "espoo-municipality-fi.yaml"
SAMPLE = SAMPLE_PATH.read_text(encoding="utf-8")
CASE_FILE = Path("case.yaml")


# ---------------------------------------------------------------------------------------------
# Helpers


def replace(old: str, new: str, text: str = SAMPLE) -> str:
    """The text with `old` (which must occur exactly once) replaced by `new`."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def errors(text: str) -> list[Finding]:
    """The findings of the CaseError that loading and building the text must raise."""
    with pytest.raises(CaseError) as info:
        build_case(load_case(CASE_FILE, text))
    assert info.value.findings, "a CaseError without findings"
    assert all(f.severity is Severity.ERROR for f in info.value.findings)
    assert all(f.file == str(CASE_FILE) for f in info.value.findings)
    return info.value.findings


def at(findings: list[Finding], path: str) -> Finding:
    """The one finding at a path."""
    hits = [f for f in findings if f.path == path]
    assert len(hits) == 1, f"expected one finding at {path!r}, got {[str(f) for f in findings]}"
    return hits[0]


def source_line(text: str, finding: Finding) -> str:
    """The line a finding points at (it must have a line and a column)."""
    assert finding.line is not None and finding.column is not None, str(finding)
    assert finding.line >= 1 and finding.column >= 1
    return text.splitlines()[finding.line - 1]


def line_number(text: str, needle: str) -> int:
    """The 1-based number of the only line holding `needle`."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) == 1, hits
    return hits[0]


def build(text: str) -> Case:
    return build_case(load_case(CASE_FILE, text))


# ---------------------------------------------------------------------------------------------
# One table: the broken line, where the finding must be, what it must say


BROKEN = [
    # (id, old line, new line, path, text in the message, text on the line the finding points at)
    ("unknown-key-did-you-mean", "  given_names: Yaser Karim", "  given_name: Yaser Karim",
     "person.given_name", "did you mean 'given_names'?", "given_name: Yaser Karim"),
    ("unknown-top-level-key", "case_id: ESP-2025-0217", "case_id: ESP-2025-0217\ncase_ref: X",
     "case_ref", "unknown key 'case_ref'", "case_ref: X"),
    ("unknown-nested-key", "    first_permit_date: 2025-01-20", "    first_permit_date: 2025-01-20\n    permit_dat: x",
     "person.residence.permit_dat", "unknown key 'permit_dat'", "permit_dat: x"),
    ("enum-did-you-mean", "basis: asylum", "basis: asylm",
     "person.residence.basis", "did you mean 'asylum'?", "basis: asylm"),
    ("enum-service-type", "    - type: civic-orientation", "    - type: civic-orientaton",
     "plan.services.0.type", "did you mean 'civic-orientation'?", "type: civic-orientaton"),
    ("enum-cefr-level", "finnish_level: A1.1", "finnish_level: A7",
     "assessment.finnish_level", "expected one of", "finnish_level: A7"),
    ("list-for-mapping", "  interpreter: {needed: true, language: ar}", "  interpreter: [true, ar]",
     "person.interpreter", "expected a valid dictionary", "interpreter: [true, ar]"),
    ("scalar-for-mapping", "  interpreter: {needed: true, language: ar}", "  interpreter: yes please",
     "person.interpreter", "expected a valid dictionary", "interpreter: yes please"),
    ("string-for-list", "languages: [fi]", "languages: fi",
     "languages", "list", "languages: fi"),
    ("string-for-bool-plain", "  jobseeker: false", "  jobseeker: no",
     "person.jobseeker", "expected a valid boolean", "jobseeker: no"),
    ("string-for-bool-quoted", "  jobseeker: false", '  jobseeker: "true"',
     "person.jobseeker", "expected a valid boolean", 'jobseeker: "true"'),
    ("int-for-bool", "  first_plan: true", "  first_plan: 1",
     "plan.first_plan", "expected a valid boolean", "first_plan: 1"),
    ("date-as-integer", "date_of_birth: 1991-03-14", "date_of_birth: 1952",
     "person.date_of_birth", "YYYY-MM-DD", "date_of_birth: 1952"),
    ("date-with-time", "  drawn_up: 2025-03-20", "  drawn_up: 2025-03-20 10:00:00",
     "plan.drawn_up", "without a time of day", "drawn_up: 2025-03-20 10:00"),
    ("date-in-finnish-style", "  drawn_up: 2025-03-20", "  drawn_up: 20.3.2025",
     "plan.drawn_up", "YYYY-MM-DD", "drawn_up: 20.3.2025"),
    ("impossible-date-quoted", "  drawn_up: 2025-03-20", '  drawn_up: "2025-02-30"',
     "plan.drawn_up", "date", 'drawn_up: "2025-02-30"'),
    ("money-three-decimals", 'cost: "118.00"', 'cost: "118.005"',
     "interpretation.0.cost", "two decimals", 'cost: "118.005"'),
    ("money-three-decimals-as-float", 'cost: "118.00"', "cost: 118.005",
     "interpretation.0.cost", "two decimals", "cost: 118.005"),
    ("money-negative", 'cost: "118.00"', 'cost: "-118.00"',
     "interpretation.0.cost", "cannot be negative", 'cost: "-118.00"'),
    ("money-not-a-number", 'cost: "118.00"', 'cost: "paljon"',
     "interpretation.0.cost", "amount in euros", 'cost: "paljon"'),
    ("money-as-bool", 'cost: "118.00"', "cost: true",
     "interpretation.0.cost", "amount in euros", "cost: true"),
    ("money-infinite", 'cost: "118.00"', "cost: .inf",
     "interpretation.0.cost", "", "cost: .inf"),
    ("country-lowercase", "citizenship: IQ", "citizenship: sy",
     "person.citizenship", "did you mean 'SY'?", "citizenship: sy"),
    ("country-unknown", "citizenship: IQ", "citizenship: QQ",
     "person.citizenship", "unknown ISO 3166-1 alpha-2 country code", "citizenship: QQ"),
    ("country-not-a-country", "citizenship: IQ", "citizenship: EU",
     "person.citizenship", "unknown ISO 3166-1 alpha-2 country code", "citizenship: EU"),
    ("language-unknown", "native_language: ar", "native_language: xx",
     "person.native_language", "unknown ISO 639 language code", "native_language: xx"),
    ("language-uppercase", "native_language: ar", "native_language: AR",
     "person.native_language", "did you mean 'ar'?", "native_language: AR"),
    ("language-in-a-list", "    - {language: en, level: A2}", "    - {language: english, level: A2}",
     "person.other_languages.0.language", "unknown ISO 639 language code", "language: english"),
    ("format-version-2", "kotodoc: 1\n", "kotodoc: 2\n",
     "kotodoc", "unsupported format version", "kotodoc: 2"),
    ("format-version-string", "kotodoc: 1\n", 'kotodoc: "1"\n',
     "kotodoc", "unsupported format version", 'kotodoc: "1"'),
    ("format-version-true", "kotodoc: 1\n", "kotodoc: true\n",
     "kotodoc", "unsupported format version", "kotodoc: true"),
    ("unknown-kind", "kind: integration-plan", "kind: integration-plam",
     "kind", "did you mean 'integration-plan'?", "kind: integration-plam"),
    ("plan-read-as-claim", "kind: integration-plan", "kind: interpretation-claim",
     "person", "unknown key 'person'", "person:"),
    ("case-id-slash", "case_id: ESP-2025-0217", "case_id: ESP/2025/0217",
     "case_id", "file names", "case_id: ESP/2025/0217"),
    ("case-id-dot-dot", "case_id: ESP-2025-0217", "case_id: ../etc",
     "case_id", "file names", "case_id: ../etc"),
    ("control-character", "  unit: Maahanmuuttajapalvelut", '  unit: "Maahanmuutto\\x01palvelut"',
     "authority.unit", "U+0001", 'unit: "Maahanmuutto'),
    ("control-character-in-list", "    - Motivoitunut oppimaan suomea", '    - "Motivoitunut\\x0boppimaan"',
     "assessment.strengths.1", "U+000B", "Motivoitunut"),
    ("tagged-value", "  notes: Asiakas", "  notes: !!binary aGVsbG8=\n  x_notes: Asiakas",
     "plan.notes", "unsupported YAML value", "notes: !!binary"),
    ("same-languages", "languages: [fi]", "languages: [fi, fi]",
     "languages", "must differ", "languages: [fi, fi]"),
    ("three-languages", "languages: [fi]", "languages: [fi, sv, en]",
     "languages", "", "languages: [fi, sv, en]"),
    ("document-language", "languages: [fi]", "languages: [de]",
     "languages.0", "expected one of", "languages: [de]"),
    ("legal-basis", 'legal_basis: "681/2023"', 'legal_basis: "681/2024"',
     "legal_basis", "did you mean '681/2023'?", 'legal_basis: "681/2024"'),
    ("empty-text", "  family_name: Saleh", '  family_name: ""',
     "person.family_name", "at least 1 character", 'family_name: ""'),
]  # fmt: skip


# Rows that fail because of kotodoc bugs (see the report): strict, so a fix shows up as XPASS.


@pytest.mark.parametrize(
    ("old", "new", "path", "says", "token"),
    [
        pytest.param(*row[1:], id=row[0])
        for row in BROKEN
    ],
)
def test_broken_field_is_located_and_named(old: str, new: str, path: str, says: str, token: str) -> None:
    text = replace(old, new)
    f = at(errors(text), path)
    assert says in f.message
    line = source_line(text, f)
    assert token in line, f"{f} points at {line!r}"
    assert str(f).startswith(f"case.yaml:{f.line}:{f.column}: {path}: ")


def test_country_and_language_codes_are_those_cldr_names_in_english() -> None:
    """This test ensures that a case may use every territory and language code that CLDR names in English,
    rare ones too, and no other; and that Babel's English data names them all without the root locale merged
    in, which is how the model reads it (merging cost 15 ms of every first validation)."""
    from babel import Locale, localedata

    english = localedata.load("en", merge_inherited=False)
    assert set(english["territories"]) == set(Locale("en").territories)
    assert set(english["languages"]) == set(Locale("en").languages)
    build_case(load_case(CASE_FILE, replace("  native_language: ar", "  native_language: tkl",
                                            replace("  citizenship: IQ", "  citizenship: TK"))))
    found = errors(replace("  native_language: ar", "  native_language: qq",
                           replace("  citizenship: IQ", "  citizenship: QQ")))
    assert at(found, "person.citizenship").code == "FORMAT-COUNTRY"
    assert at(found, "person.native_language").code == "FORMAT-LANGUAGE"


# ---------------------------------------------------------------------------------------------
# YAML-level errors (the loader): no field yet, but a file, line and column


def test_yaml_syntax_error() -> None:
    text = replace("languages: [fi]", "languages: [fi")
    (f,) = errors(text)
    assert f.path == ""
    assert "YAML syntax error" in f.message
    # The parser notices the missing bracket on the next line.
    assert f.line in (line_number(text, "languages: [fi"), line_number(text, "legal_basis:"))
    assert f.column is not None
    assert str(f).startswith(f"case.yaml:{f.line}:{f.column}: (document): ")


def test_tab_indentation() -> None:
    text = replace("  kind: municipality", "\tkind: municipality")
    (f,) = errors(text)
    assert "tabs cannot indent YAML" in f.message
    assert (f.line, f.column) == (line_number(text, "\tkind: municipality"), 1)


def test_duplicate_key_names_the_key_but_not_the_values() -> None:
    text = replace("  family_name: Saleh\n", "  family_name: Saleh\n  family_name: Salamander\n")
    (f,) = errors(text)
    assert "duplicate key 'family_name'" in f.message
    assert "Saleh" not in str(f) and "Salamander" not in str(f)
    assert (f.line, f.column) == (line_number(text, "family_name: Salamander"), 3)


def test_duplicate_identity_code_is_not_echoed() -> None:
    text = replace("  personal_id: 140391-417C\n", "  personal_id: 140391-417C\n  personal_id: 010101-123N\n")
    (f,) = errors(text)
    assert "140391" not in str(f) and "010101" not in str(f)
    assert f.line == line_number(text, "010101-123N")


def test_list_at_the_top() -> None:
    (f,) = errors("- kotodoc: 1\n- kind: integration-plan\n")
    assert "not a list" in f.message
    assert (f.line, f.column) == (1, 1)


@pytest.mark.parametrize("text", ["42\n", "just some words\n"], ids=["number", "string"])
def test_scalar_at_the_top(text: str) -> None:
    (f,) = errors(text)
    assert "must be a mapping" in f.message
    assert (f.line, f.column) == (1, 1)


@pytest.mark.parametrize("text", ["", "   \n\n", "\n"], ids=["empty", "blank-lines", "newline"])
def test_empty_file(text: str) -> None:
    (f,) = errors(text)
    assert f.message == "the file is empty"


def test_comment_only_file() -> None:
    (f,) = errors("# nothing here\n")
    assert f.path == ""


def test_key_that_is_not_text() -> None:
    text = replace("case_id: ESP-2025-0217", "case_id: ESP-2025-0217\n2025: x")
    f = next(f for f in errors(text) if "key must be text" in f.message)
    assert f.line == line_number(text, "2025: x")


def test_invalid_utf8_bytes(tmp_path: Path) -> None:
    raw = SAMPLE.encode("utf-8").replace(b"family_name: Saleh", b"family_name: Sal\xffh")
    path = tmp_path / "case.yaml"
    path.write_bytes(raw)
    with pytest.raises(CaseError) as info:
        load_case(path)
    (f,) = info.value.findings
    assert "not valid UTF-8" in f.message
    assert f.file == str(path)
    assert (f.line, f.column) == (line_number(SAMPLE, "family_name: Saleh"), len("  family_name: Sal") + 1)


@pytest.mark.parametrize("via", ["file", "text"])
def test_utf8_byte_order_mark_is_accepted(tmp_path: Path, via: str) -> None:
    if via == "file":
        path = tmp_path / "case.yaml"
        path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"))
        loaded = load_case(path)
    else:
        loaded = load_case(CASE_FILE, "\ufeff" + SAMPLE)
    assert build_case(loaded).case_id == "ESP-2025-0217"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CaseError) as info:
        load_case(path)
    (f,) = info.value.findings
    assert "cannot read the file" in f.message
    assert f.file == str(path)


def test_control_character_finding_points_at_the_value() -> None:
    text = replace("  unit: Maahanmuuttajapalvelut", '  unit: "Maahanmuutto\\x01palvelut"')
    f = at(errors(text), "authority.unit")
    assert (f.line, f.column) == (line_number(text, "unit:"), len("  unit: ") + 1)


def test_control_character_as_a_raw_byte_is_located() -> None:
    # A raw C0 character is already forbidden by YAML's reader.
    text = replace("  unit: Maahanmuuttajapalvelut", "  unit: Maahanmuutto\x01palvelut")
    (f,) = errors(text)
    assert "U+0001" in f.message
    assert f.line == line_number(text, "unit:")


def test_alias_bomb_is_stopped_by_the_node_limit() -> None:
    bomb = 'lol0: &l0 ["lol"]\n' + "".join(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))
    (f,) = errors(SAMPLE + bomb)
    assert f"more than {MAX_NODES} nodes" in f.message
    assert f.line is not None and f.line > SAMPLE.count("\n")


def test_deep_nesting_is_stopped() -> None:
    depth = MAX_DEPTH + 8
    text = replace("  notes: Asiakas", "  notes: " + "[" * depth + "]" * depth + "\n  x_notes: Asiakas")
    (f,) = errors(text)
    assert f"deeper than {MAX_DEPTH} levels" in f.message
    assert f.line == line_number(text, "notes: [[")


# A recursive alias must be an error (the loader's docstring says so). ruamel.yaml 0.19's round-trip
# constructor turns the inner alias into None instead of the node itself, so kotodoc's identity
# check never sees the recursion and the value is silently dropped.
@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            "  official:\n    name: Sanna Lehtinen\n    title: Kotoutumisohjaaja",
            "  official: &o\n    name: Sanna Lehtinen\n    title: *o",
            id="mapping",
        ),
        pytest.param("  strengths:\n", "  strengths: &s\n    - *s\n", id="sequence"),
    ],
)
def test_recursive_anchor_is_rejected(old: str, new: str) -> None:
    findings: list[Finding] = []
    try:
        build(replace(old, new))
    except CaseError as e:
        findings = e.findings
    assert any("recursive" in f.message for f in findings), "the recursive anchor was accepted"


# Inputs that crash kotodoc with a TypeError or KeyError instead of a CaseError: through the CLI
# they end as "internal error (TypeError)" with no file, line or path, and stop a whole batch.
@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("kind: integration-plan", "kind: [integration-plan]", id="kind-as-list"),
        pytest.param("kind: integration-plan", "kind: {plan: integration}", id="kind-as-mapping"),
        pytest.param("  notes: Asiakas", "  notes: !!omap [a: 1]\n  x_notes: Asiakas", id="omap"),
    ],
)  # fmt: skip
def test_odd_yaml_gives_a_case_error_not_a_crash(old: str, new: str) -> None:
    assert errors(replace(old, new))


def test_merge_key_is_valid_yaml() -> None:
    """This test ensures that a YAML merge key (`<<`) loads its values (it once crashed the loader)."""
    text = replace("  official:\n    name: Sanna Lehtinen", "  official:\n    <<: {name: Sanna Lehtinen}")
    case = build(text)
    assert case.authority.official is not None and case.authority.official.name == "Sanna Lehtinen"


def test_plain_anchor_and_alias_are_fine() -> None:
    text = replace("  address: PL 30, 02070 Espoon kaupunki", "  address: &addr PL 30, 02070 Espoon kaupunki")
    text = replace("  address: Kirkkojärventie 9 C 21, 02770 Espoo", "  address: *addr", text)
    assert build(text).person.address == "PL 30, 02070 Espoon kaupunki"


# ---------------------------------------------------------------------------------------------
# Dates


# An impossible date is rejected, but ruamel.yaml raises a bare ValueError while constructing the
# timestamp and kotodoc reports "YAML error: ValueError" with no line, column or path.
@pytest.mark.parametrize("day", ["2025-02-30", "2025-13-01", "2023-02-29"])
def test_impossible_date_is_rejected(day: str) -> None:
    text = replace("  date: 2025-03-10\n  conducted_by", f"  date: {day}\n  conducted_by")
    assert errors(text)


def test_impossible_date_is_located() -> None:
    text = replace("  date: 2025-03-10\n  conducted_by", "  date: 2025-02-30\n  conducted_by")
    f = at(errors(text), "assessment.date")
    assert "2025-02-30" in source_line(text, f)


def test_leap_day_is_a_date() -> None:
    text = replace("  date: 2025-03-10\n  conducted_by", "  date: 2024-02-29\n  conducted_by")
    assert str(build(text).assessment.date) == "2024-02-29"


# ---------------------------------------------------------------------------------------------
# Money


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        pytest.param("132.50", "132.50", id="float-keeps-trailing-zero"),
        pytest.param('"132.50"', "132.50", id="string"),
        pytest.param("132.5", "132.5", id="one-decimal"),
        pytest.param("132", "132", id="integer"),
        pytest.param("0.10", "0.10", id="ten-cents"),
        pytest.param('"0"', "0", id="zero"),
    ],
)
def test_money_is_decimal_with_its_written_digits(written: str, amount: str) -> None:
    cost = build(replace('cost: "118.00"', f"cost: {written}")).interpretation[0].cost
    assert isinstance(cost, Decimal)
    assert cost == Decimal(amount)
    assert str(cost) == amount


# ---------------------------------------------------------------------------------------------
# Codes


def test_prs_is_a_known_language() -> None:
    case = build(replace("native_language: ar", "native_language: prs"))
    assert case.person.native_language == "prs"


def test_prs_as_interpreter_and_appointment_language() -> None:
    text = replace("  interpreter: {needed: true, language: ar}", "  interpreter: {needed: true, language: prs}")
    assert build(text).person.interpreter.language == "prs"


# The messages of the country and language checks use a `{value!r}` placeholder, which pydantic's
# message templates do not expand: the message reads "... country code {value!r}; did you mean 'SY'?".
@pytest.mark.parametrize(
    ("old", "new", "path", "value"),
    [
        pytest.param("citizenship: IQ", "citizenship: sy", "person.citizenship", "sy", id="country"),
        pytest.param("native_language: ar", "native_language: xx", "person.native_language", "xx", id="language"),
    ],
)
def test_code_message_names_the_value(old: str, new: str, path: str, value: str) -> None:
    f = at(errors(replace(old, new)), path)
    assert "{" not in f.message
    assert repr(value) in f.message


# ---------------------------------------------------------------------------------------------
# Required fields


def test_missing_format_version() -> None:
    (f,) = errors(replace("kotodoc: 1\n", ""))
    assert f.path == "kotodoc"
    assert "add `kotodoc: 1`" in f.message
    # An absent top-level key has no position of its own; the file is still named.
    assert f.file == "case.yaml"


def test_missing_kind() -> None:
    (f,) = errors(replace("kind: integration-plan\n", ""))
    assert f.path == "kind"
    assert "`kind` is required" in f.message


def test_personal_id_and_date_of_birth_both_missing() -> None:
    text = replace("  personal_id: 140391-417C\n  date_of_birth: 1991-03-14\n", "")
    f = at(errors(text), "person")
    assert "date_of_birth is required when personal_id is absent" in f.message
    assert f.line is not None and f.column is not None
    person = line_number(text, "person:")
    assert person <= f.line <= line_number(text, "assessment:")


@pytest.mark.parametrize("keep", ["personal_id", "date_of_birth"])
def test_one_of_personal_id_and_date_of_birth_is_enough(keep: str) -> None:
    drop = "  date_of_birth: 1991-03-14\n" if keep == "personal_id" else "  personal_id: 140391-417C\n"
    assert build(replace(drop, "")).person.family_name == "Saleh"


@pytest.mark.parametrize(
    ("line", "path"),
    [
        pytest.param("  drawn_up: 2025-03-20\n", "plan.drawn_up", id="plan-drawn-up"),
        pytest.param("  family_name: Saleh\n", "person.family_name", id="person-family-name"),
        pytest.param("    basis: asylum\n", "person.residence.basis", id="residence-basis"),
    ],
)
def test_missing_required_field(line: str, path: str) -> None:
    f = at(errors(replace(line, "")), path)
    assert f.message == "this field is required"
    assert f.line is not None and f.column is not None


def test_every_error_is_reported_at_once() -> None:
    text = replace("basis: asylum", "basis: asylm")
    text = replace("citizenship: IQ", "citizenship: sy", text)
    text = replace("  jobseeker: false", "  jobseeker: no", text)
    paths = {f.path for f in errors(text)}
    assert {"person.residence.basis", "person.citizenship", "person.jobseeker"} <= paths


# ---------------------------------------------------------------------------------------------
# Health text and identity codes are never echoed


OTHER_FIELDS = ["Saleh", "Yaser", "140391", "Kirkkojärventie", "vuokra-asunnossa", "Sanna", "Lehtinen"]


def test_health_as_a_list_of_ints() -> None:
    text = replace("  health: null", "  health: [101, 202, 303]")
    (f,) = errors(text)
    assert f.path == "assessment.health"
    assert f.line == line_number(text, "health:")
    for text_of_another_field in [*OTHER_FIELDS, "101", "202", "303"]:
        assert text_of_another_field not in str(f)


def test_health_text_too_long_is_not_echoed() -> None:
    text = replace("  health: null", "  health: " + "Diabetes tyyppi 2. " * 1200)
    (f,) = errors(text)
    assert f.path == "assessment.health"
    assert "Diabetes" not in str(f)
    for text_of_another_field in OTHER_FIELDS:
        assert text_of_another_field not in str(f)


def test_health_with_a_control_character_is_not_echoed() -> None:
    text = replace("  health: null", '  health: "Masennus\\x07, lääkitys"')
    (f,) = errors(text)
    assert f.path == "assessment.health"
    assert "Masennus" not in str(f) and "lääkitys" not in str(f)


def test_personal_id_type_error_is_not_echoed() -> None:
    text = replace("  personal_id: 140391-417C", "  personal_id: [140391-417C]")
    (f,) = errors(text)
    assert f.path == "person.personal_id"
    assert "417C" not in str(f)


# ---------------------------------------------------------------------------------------------
# The command line


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_validate_broken_file(runner: CliRunner, tmp_path: Path) -> None:
    text = replace("basis: asylum", "basis: asylm")
    path = write(tmp_path, text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    line = line_number(text, "basis: asylm")
    assert f"{path}:{line}:{len('    basis: ') + 1}: person.residence.basis:" in result.stderr
    assert "did you mean 'asylum'?" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("languages: [fi]", "languages: [fi", id="yaml-syntax"),
        pytest.param("  kind: municipality", "\tkind: municipality", id="tab"),
        pytest.param("  date: 2025-03-10\n  conducted_by", "  date: 2025-02-30\n  conducted_by", id="impossible-date"),
        pytest.param("  official:\n    name: Sanna Lehtinen\n    title: Kotoutumisohjaaja",
                     "  official: &o\n    name: Sanna Lehtinen\n    title: [*o]", id="recursive-anchor"),
    ],
)  # fmt: skip
def test_cli_validate_never_shows_a_traceback(runner: CliRunner, tmp_path: Path, old: str, new: str) -> None:
    path = write(tmp_path, replace(old, new))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert str(path) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_cli_validate_invalid_utf8(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(SAMPLE.encode("utf-8").replace("järventie".encode(), "järventie".encode("latin-1")))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line_number(SAMPLE, 'järventie')}:" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_cli_validate_json(runner: CliRunner, tmp_path: Path) -> None:
    text = replace("basis: asylum", "basis: asylm")
    path = write(tmp_path, text)
    result = runner.invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    assert report["status"] == "invalid"
    assert report["file"] == str(path)
    (error,) = report["errors"]
    assert error["path"] == "person.residence.basis"
    assert error["line"] == line_number(text, "basis: asylm")
    assert error["column"] == len("    basis: ") + 1
    assert error["severity"] == "error"
    assert "asylum" in error["message"]


def test_cli_validate_json_of_a_good_and_a_bad_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = write(tmp_path, replace("languages: [fi]", "languages: [fi"))
    result = runner.invoke(app, ["validate", "--json", str(SAMPLE_PATH), str(bad)])
    assert result.exit_code == 1
    reports = json.loads(result.stdout)
    assert [r["status"] for r in reports] == ["valid", "invalid"]
    assert reports[1]["errors"][0]["line"] is not None
