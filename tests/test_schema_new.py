"""`kotodoc schema` and `kotodoc new`: the JSON Schema of the case format and the skeleton case files.

The schema must accept every sample (as an editor sees it: dates as ISO strings) and reject what
kotodoc rejects in shape (unknown keys, wrong enumeration values, an unknown kind), in the draft
that VS Code's YAML extension validates with (draft-07). A skeleton must parse, fail validation at
each of its placeholders (never be silently valid), and validate and render once the placeholders
are filled in.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

import kotodoc
from kotodoc._data import _read
from kotodoc.authoring import DRAFT, LANGUAGE_CHOICES, SCHEMA_FILE, SCHEMA_ID, case_schema, skeleton
from kotodoc.errors import UsageError
from kotodoc.model import CASE_MODELS

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [*sorted((ROOT / "samples").glob("*.yaml")), ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"]
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"
KINDS = list(CASE_MODELS)
LANGS = ["fi", "sv", "en", "fi+sv"]


# ---------------------------------------------------------------------------------------------
# Helpers


def json_data(path: Path) -> Any:
    """A case file as an editor's YAML language server sees it: JSON types, dates as ISO strings."""
    return _jsonable(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    """A validator of the class that the schema's `$schema` names, checking formats (`date`)."""
    schema = case_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    """Every schema error of the data, as `path: message`, for assertion messages."""
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def run_cli(*commands: tuple[str, ...], cwd: Path = ROOT) -> list[subprocess.CompletedProcess[str]]:
    """`python -m kotodoc ARGS` for each command, in parallel subprocesses: the real entry point, its
    exit code and streams. In parallel because each start imports all of kotodoc (about 2 s)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    procs = [(args, subprocess.Popen([sys.executable, "-m", "kotodoc", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=cwd, env=env))
             for args in commands]
    results = []
    for args, proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess([*args], proc.returncode, out, err))
    return results


# ---------------------------------------------------------------------------------------------
# The schema


def test_schema_is_draft07_with_id_and_all_kinds() -> None:
    """The schema names draft-07 (what yaml-language-server validates with), its `$id`, and the four
    kinds; no keyword of a later draft, and every `$ref` resolves inside the document."""
    schema = case_schema()
    assert schema["$schema"] == DRAFT == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == SCHEMA_ID and schema["title"] and schema["description"]
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
    jsonschema.Draft7Validator.check_schema(schema)
    kinds = [schema["definitions"][ref["$ref"].rsplit("/", 1)[1]]["properties"]["kind"]["const"]
             for ref in schema["oneOf"]]
    assert sorted(kinds) == sorted(KINDS)
    text = json.dumps(schema)
    for later in ("$defs", "prefixItems", "unevaluatedProperties", "dependentRequired", "$anchor", "$dynamicRef",
                  "discriminator"):
        assert later not in text, later
    for ref in re.findall(r'"\$ref": "([^"]+)"', text):
        assert ref.startswith("#/definitions/") and ref.split("/")[-1] in schema["definitions"], ref
    # draft-07 ignores the siblings of a `$ref`: a description beside one must sit beside an allOf.
    for node in _subschemas(schema):
        assert "$ref" not in node or len(node) == 1, node


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _subschemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _subschemas(value)


def test_schema_types_dates_and_money() -> None:
    """Dates are strings of format date; money is a number or a string (pydantic's validation mode)."""
    definitions = case_schema()["definitions"]
    assert definitions["Plan"]["properties"]["drawn_up"]["format"] == "date"
    assert definitions["Plan"]["properties"]["drawn_up"]["type"] == "string"
    cost = definitions["ClaimRow"]["properties"]["cost"]
    assert {"number", "string"} <= {branch["type"] for branch in cost["anyOf"]}
    assert definitions["IntegrationPlanCase"]["properties"]["languages"]["uniqueItems"] is True
    assert definitions["IntegrationPlanCase"]["additionalProperties"] is False
    # Hover help comes from the model's descriptions.
    assert "description" in definitions["Person"]["properties"]["jobseeker"]


def test_schema_is_fresh_each_call() -> None:
    """A caller that changes the returned schema does not change the next one."""
    first = case_schema()
    first["definitions"].clear()
    assert case_schema()["definitions"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_validate_against_schema(validator: jsonschema.protocols.Validator, path: Path) -> None:
    """Every sample is valid for an editor with the schema: no false alarm on a real case file."""
    assert schema_errors(validator, json_data(path)) == []


def _set(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    node: Any = changed
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return changed


@pytest.mark.parametrize(("dotted", "value"), [
    ("persn", {"family_name": "X"}),  # unknown key at the top
    ("person.residence.permit", "87 §"),  # unknown key, nested
    ("person.residence.basis", "refugee"),  # not a residence basis
    ("plan.services.0.type", "language-course"),  # not a service type
    ("kind", "integration"),  # no such kind
    ("kotodoc", 2),  # another format version
    ("languages", ["fi", "fi"]),  # the two languages must differ
    ("plan.drawn_up", "2025-13-05"),  # not a date (format checked)
    ("interpretation.0.cost", [132]),  # not an amount
    ("person.jobseeker", "no"),  # not a boolean
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_schema_rejects_invalid_data(validator: jsonschema.protocols.Validator, dotted: str, value: Any) -> None:
    """The schema refuses in shape what kotodoc refuses: an editor marks it before `kotodoc validate`."""
    data = json_data(ESPOO)
    assert schema_errors(validator, data) == []
    assert schema_errors(validator, _set(data, dotted, value)), f"{dotted}: {value!r} passed the schema"


def test_schema_rejects_missing_kind(validator: jsonschema.protocols.Validator) -> None:
    data = json_data(ESPOO)
    del data["kind"]
    assert schema_errors(validator, data)


# ---------------------------------------------------------------------------------------------
# Skeletons: placeholders and how a test fills them in

# A value for every placeholder, by the key's path (list indices as `*`), else by its last key.
# A placeholder this table does not know fails the test: a new key in a skeleton needs a value here.
ADULT = {"personal_id": "131052-308T", "date_of_birth": dt.date(1952, 10, 13)}
CHILD = {"personal_id": "120409A3718", "date_of_birth": dt.date(2009, 4, 12)}
FILL_BY_PATH: dict[str, Any] = {
    "assessment.date": dt.date(2025, 4, 20),
    "assessment.education.*.level": "upper-secondary",
    "authority.kind": "municipality",
    "participants.*.kind": "wellbeing-services-county",
    "period.start": dt.date(2025, 1, 1),
    "period.end": dt.date(2025, 6, 30),
    "plan.extension.until": dt.date(2026, 6, 30),
    "family.members.0.person.personal_id": "070290-318L",
    "family.members.0.person.date_of_birth": dt.date(1990, 2, 7),
    "family.members.1.person.personal_id": "221113A563K",
    "family.members.1.person.date_of_birth": dt.date(2013, 11, 22),
}
FILL_BY_KEY: dict[str, Any] = {
    "address": "Kauppamiehentie 1 A 2, 02100 Espoo",
    "appointed_by": "Espoon käräjäoikeus",
    "appointed_on": dt.date(2025, 2, 20),
    "attended": True,
    "basis": "asylum",
    "booked_at": dt.date(2025, 4, 22),
    "business_id": "0101263-6",
    "case_id": "ESP-2025-0001",
    "child_opinion": "Haluaa oppia suomea nopeasti ja pelata jalkapalloa.",
    "citizenship": "SY",
    "class_type": "preparatory",
    "conducted_by": "Liisa Virtanen",
    "contact": "Sosiaalityö, puh. +358 40 000 0000",
    "cost": "132.50",
    "country": "SY",
    "date": dt.date(2025, 5, 5),
    "description": "Kotoutumiskoulutus, päiväryhmä",
    "drawn_up": dt.date(2025, 5, 5),
    "email": "liisa.virtanen@example.fi",
    "end": dt.date(2026, 3, 31),
    "family_goals": "Perheen arki sujuu",
    "family_name": "Al-Hassan",
    "fee_notice_given": True,
    "field": "Yleissivistävä",
    "finnish_level": "A1.1",
    "first_permit_date": dt.date(2025, 3, 2),
    "first_plan": True,
    "first_plan_from": dt.date(2025, 5, 5),
    "given_names": "Amina",
    "goals": "Suomen kielen taito tasolle A2.1",
    "grade": 6,
    "grounds": "Kotoutumiskoulutus jatkuu",
    "hours_per_week": 25,
    "iban": "FI21 1234 5600 0007 85",
    "initials": "A.A.",
    "institution": "Kaijonharjun koulu",
    "integration_language": "fi",
    "invoice": "TP-2025-5531",
    "jobseeker": False,
    "language": "ar",
    "legal_basis": "681/2023",
    "level": "B1",
    "life_situation": "Asuu yksin.",
    "literacy": "literate",
    "long_term": "Työllistyminen terveydenhuoltoalalle",
    "member": 0,
    "method": "Tapaaminen ohjaajan kanssa",
    "minutes": 90,
    "mode": "on-site",
    "municipality_since": dt.date(2025, 4, 1),
    "name": "Liisa Virtanen",
    "native_language": "ar",
    "needed": True,
    "needs_special_measures": False,
    "notes": "Asiakas on saanut tiedon oikeuksistaan ja velvollisuuksistaan.",
    "obligation": True,
    "occupation": "Sairaanhoitaja",
    "opportunities_per_month": 4,
    "permit_section": "87 §",
    "phone": "+358 40 000 0000",
    "place": "Espoo",
    "plan_period": "Suomen kielen taito tasolle A2.1",
    "provider": "Omnia",
    "purpose": "integration-plan",
    "reason": "no-show",
    "related_plans": "learning-plan",
    "relation": "mother",
    "residence_basis": "asylum",
    "reviews": dt.date(2025, 11, 4),
    "rule": "CLAIM-NOSHOW",
    "start": dt.date(2025, 6, 1),
    "strengths": "Hyvä englannin kielen taito",
    "submitted": dt.date(2025, 7, 15),
    "swedish_level": "none",
    "title": "Sosiaaliohjaaja",
    "type": "integration-training",
    "unit": "Maahanmuuttajapalvelut",
    "valid_from": dt.date(2025, 5, 5),
    "valid_until": dt.date(2026, 5, 4),
    "vat": "33.79",
    "years": 6,
}


def is_placeholder(node: Any) -> bool:
    """`{teksti}`: a one-key flow mapping without a value, as the skeleton writes a placeholder."""
    return (isinstance(node, CommentedMap) and len(node) == 1 and next(iter(node.values())) is None
            and bool(node.fa.flow_style()))


def fill_value(kind: str, path: tuple[str | int, ...]) -> Any:
    """The value a test writes for the placeholder at `path` (see FILL_BY_PATH, FILL_BY_KEY)."""
    dotted = ".".join(str(p) for p in path)
    starred = ".".join("*" if isinstance(p, int) else str(p) for p in path)
    if kind == "minor-plan" and path[:1] == ("person",) and path[-1] in CHILD:
        return CHILD[path[-1]]
    if path[:1] in (("person",), ("rows",), ("excluded",)) and path[-1] in ADULT:
        return ADULT[path[-1]]
    for key in (dotted, starred):
        if key in FILL_BY_PATH:
            return FILL_BY_PATH[key]
    name = str(path[-2] if isinstance(path[-1], int) else path[-1])  # `- {teksti}` in a list: the list's name
    assert name in FILL_BY_KEY, f"no test value for the placeholder at {dotted}"
    return FILL_BY_KEY[name]


def fill(kind: str, text: str) -> tuple[str, int]:
    """The skeleton with every placeholder replaced, comments kept; and how many there were."""
    yaml = YAML()
    doc = yaml.load(text)
    count = 0

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        nonlocal count
        children = node.items() if isinstance(node, CommentedMap) else enumerate(node) \
            if isinstance(node, CommentedSeq) else ()
        for key, child in list(children):
            if is_placeholder(child):
                node[key] = fill_value(kind, (*path, key))
                count += 1
            else:
                walk(child, (*path, key))

    walk(doc, ())
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue(), count


def placeholder_lines(text: str) -> set[int]:
    """The 1-based numbers of the lines holding a placeholder (not comment lines)."""
    return {n for n, line in enumerate(text.splitlines(), 1) if re.match(r"^\s*[^#\s].*\{", line)}


# ---------------------------------------------------------------------------------------------
# Skeletons


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_unfilled_fails_at_each_placeholder(kind: str, lang: str, tmp_path: Path) -> None:
    """An unfilled skeleton parses, but is invalid with one located finding at each placeholder."""
    text = skeleton(kind, lang)
    data = YAML(typ="safe").load(text)
    assert data["kotodoc"] == 1 and data["kind"] == kind
    assert data["languages"] == lang.split("+")
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_FILE}\n")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    report = kotodoc.validate([path])[0]
    assert report.status == "invalid"
    assert report.errors
    lines = text.splitlines()
    located: list[int] = []
    for finding in report.findings:
        assert finding.line is not None and finding.column is not None, str(finding)
        assert lines[finding.line - 1][finding.column - 1] == "{", str(finding)  # at the placeholder
        located.append(finding.line)
    assert sorted(located) == sorted(placeholder_lines(text))  # one finding at each, none elsewhere


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_filled_validates_and_renders(kind: str, lang: str, tmp_path: Path) -> None:
    """With every placeholder filled in, the skeleton is a valid case (without a warning) and renders."""
    text, count = fill(kind, skeleton(kind, lang))
    assert count == len(placeholder_lines(skeleton(kind, lang)))
    assert "{" not in "".join(line.split("#")[0] for line in text.splitlines())
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    report = kotodoc.validate([path])[0]
    assert report.status == "valid", [str(f) for f in report.findings]
    assert report.findings == [], [str(f) for f in report.findings]
    rendered = kotodoc.render([path], tmp_path / "out", formats=("docx",))[0]
    assert rendered.status == "done", rendered.failures
    assert any(p.suffix == ".docx" for p in rendered.outputs), rendered.outputs


@pytest.mark.parametrize("kind", KINDS)
def test_skeleton_optional_blocks_are_valid_yaml_once_uncommented(kind: str, tmp_path: Path) -> None:
    """Removing the `# ` of the commented-out blocks gives the skeleton with every optional block,
    which also fails at each placeholder and validates once filled in."""
    commented = skeleton(kind, "en").splitlines()
    full = skeleton(kind, "en", with_optional=True).splitlines()
    assert len(commented) == len(full)
    hidden = 0
    for short, long in zip(commented, full, strict=True):
        if short != long:
            column = short.index("# ")
            assert not short[:column].strip() and short[:column] + "# " + long[column:] == short, short
            hidden += 1
    assert hidden, "no optional block"
    path = tmp_path / "full.yaml"
    path.write_text("\n".join(full) + "\n", encoding="utf-8")
    report = kotodoc.validate([path])[0]
    assert report.status == "invalid"
    assert sorted(f.line or 0 for f in report.findings) == sorted(placeholder_lines("\n".join(full)))
    text, _ = fill(kind, "\n".join(full) + "\n")
    path.write_text(text, encoding="utf-8")
    report = kotodoc.validate([path])[0]
    assert report.status == "valid" and not report.errors, [str(f) for f in report.findings]


@pytest.mark.parametrize("kind", KINDS)
def test_filled_skeleton_validates_against_schema(kind: str, validator: jsonschema.protocols.Validator,
                                                  tmp_path: Path) -> None:
    """The schema and the skeleton agree: filled in, it is valid; unfilled, it is not."""
    path = tmp_path / "case.yaml"
    path.write_text(fill(kind, skeleton(kind, "fi", with_optional=True))[0], encoding="utf-8")
    assert schema_errors(validator, json_data(path)) == []
    path.write_text(skeleton(kind, "fi"), encoding="utf-8")
    assert schema_errors(validator, json_data(path))


@pytest.mark.parametrize("lang", ["sv+fi", "fi+en", "sv+en", "FI", "fi,sv"])
def test_skeleton_language_pairs(lang: str) -> None:
    """A pair sets both languages; the comments are in the first (sv: `frivillig`)."""
    text = skeleton("integration-plan", lang)
    languages = lang.lower().replace(",", "+").split("+")
    assert YAML(typ="safe").load(text)["languages"] == languages
    optional = {"fi": "(valinnainen)", "sv": "(frivillig)", "en": "(optional)"}
    assert optional[languages[0]] in text
    assert all(optional[other] not in text for other in optional if other != languages[0])


def test_skeleton_lists_allowed_values_from_the_model() -> None:
    """Enumerations come from the model: every service type and residence basis is listed."""
    from kotodoc.model import ResidenceBasis, ServiceType

    text = skeleton("integration-plan", "en")
    for value in [*ServiceType.__args__, *ResidenceBasis.__args__]:  # type: ignore[attr-defined]
        assert re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text), value


@pytest.mark.parametrize(("kind", "lang", "message"), [
    ("nonsense", "fi", "unknown kind 'nonsense'"),
    ("integration_plan", "fi", "did you mean 'integration-plan'"),
    ("integration-plan", "de", "unknown language 'de'"),
    ("integration-plan", "en+fi", "unknown language"),
    ("integration-plan", "fi+fi", "unknown language"),
])
def test_skeleton_refuses_unknown_kind_or_language(kind: str, lang: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        skeleton(kind, lang)


def test_skeleton_wording_is_english_text_translated_in_the_catalogues() -> None:
    """Each comment of data/skeleton.yaml is one English text, and a Finnish or Swedish skeleton shows
    none of them untranslated: the translations are in the `fields` catalogues."""
    def leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from leaves(value, f"{path}.{key}")
        else:
            yield path, node

    english = set()
    for path, leaf in leaves(_read("skeleton.yaml"), ""):
        assert isinstance(leaf, str) and leaf.strip(), path
        if path.startswith(".fields.") and "$" not in leaf and len(leaf) > 12:
            english.add(leaf)
    for kind in KINDS:
        for lang in ("fi", "sv"):
            text = skeleton(kind, lang, with_optional=True)
            shown = {line.split("# ", 1)[1] for line in text.splitlines() if "# " in line}
            assert sorted(english & shown) == [], (kind, lang)


def test_language_choices_match_the_model() -> None:
    """Each choice of `--lang` gives languages the model accepts."""
    assert all(len(set(choice.split("+"))) == len(choice.split("+")) for choice in LANGUAGE_CHOICES)


# ---------------------------------------------------------------------------------------------
# The command line

UNKNOWN_KIND = ("new", "nonsense")
UNKNOWN_LANG = ("new", "minor-plan", "--lang", "de")


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The independent commands, run once in parallel; their results by name."""
    out = tmp_path_factory.mktemp("cli")
    schema_file, case_file = out / SCHEMA_FILE, out / "case.yaml"
    commands = {
        "schema": ("schema",),
        "schema -o": ("schema", "-o", str(schema_file)),
        "new -o": ("new", "integration-plan", "--lang", "sv", "-o", str(case_file)),
        "unknown kind": UNKNOWN_KIND,
        "unknown lang": UNKNOWN_LANG,
    }
    results = dict(zip(commands, run_cli(*commands.values()), strict=True))
    return {**results, "schema_file": schema_file, "case_file": case_file}


def test_cli_schema_prints_and_writes(cli: dict[str, Any]) -> None:
    """`kotodoc schema` prints the schema as JSON; `-o FILE` writes the same to the file."""
    assert cli["schema"].returncode == 0, cli["schema"].stderr
    assert json.loads(cli["schema"].stdout) == case_schema()
    assert cli["schema -o"].returncode == 0, cli["schema -o"].stderr
    assert json.loads(cli["schema_file"].read_text(encoding="utf-8")) == case_schema()


def test_cli_new_writes_refuses_to_overwrite(cli: dict[str, Any]) -> None:
    """`kotodoc new KIND --lang sv -o FILE` writes the skeleton; again without --force: exit 2, file kept;
    with --force: replaced."""
    target: Path = cli["case_file"]
    assert cli["new -o"].returncode == 0, cli["new -o"].stderr
    assert target.read_text(encoding="utf-8") == skeleton("integration-plan", "sv")
    target.write_text("kept\n", encoding="utf-8")
    again = ("new", "integration-plan", "--lang", "sv", "-o", str(target))
    (refused,) = run_cli(again)
    assert refused.returncode == 2
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert target.read_text(encoding="utf-8") == "kept\n"
    (forced,) = run_cli((*again, "--force"))
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8") == skeleton("integration-plan", "sv")


@pytest.mark.parametrize(("name", "message"), [
    ("unknown kind", "unknown kind 'nonsense'"),
    ("unknown lang", "unknown language 'de'"),
])
def test_cli_new_usage_errors(cli: dict[str, Any], name: str, message: str) -> None:
    """An unknown kind or language: exit 2, a message, no traceback, nothing on stdout."""
    result = cli[name]
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
