"""The vocabulary and the field texts come from the catalogues; a municipality can lay its own labels over them.

A municipality's `.po` (`TEMPLATES/locale/<lang>/terms.po`, or named in its profile) changes a
label in the rendered documents, in that language only, in worker processes too; it is untrusted
input: refused with a located VOCAB-… code when it is too large, not a `.po` file, names a label
kotodoc does not have, or gives one that is not a line of text; its labels are escaped like any
value. The schema's field descriptions are in fi, sv and en (the `fields` catalogues), for every field.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kotodoc._cli import app
from tests.conftest import ROOT, docx_text, norm, pdf_text

SCHEMAS = ROOT / "schemas"
MUNICIPALITY = ROOT / "samples" / "municipality"
CASE = MUNICIPALITY / "cases" / "esimerkkila-fi-sv.yaml"  # fi+sv, with civic orientation among its services
OLD_SV = "Flerspråkig samhällsorientering"
OLD_FI = "Monikielinen yhteiskuntaorientaatio"
NEW_SV = "Samhällsorientering på det egna språket i Exempelby"


def po(*entries: tuple[str, str, str], header: bool = True) -> str:
    """A `.po` file's text with the given (context, code, label) entries."""
    head = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' if header else ""
    body = "".join(f'msgctxt "{c}"\nmsgid "{i}"\nmsgstr "{s}"\n\n' for c, i, s in entries)
    return head + body


def municipality(tmp_path: Path, overlay: str | None, lang: str = "sv") -> Path:
    """A copy of the sample municipality's templates and profile, with `overlay` as its `locale/<lang>/terms.po`."""
    root = tmp_path / "municipality"
    shutil.copytree(MUNICIPALITY, root, ignore=shutil.ignore_patterns("cases"))
    if overlay is not None:
        (root / "locale" / lang).mkdir(parents=True)
        (root / "locale" / lang / "terms.po").write_text(overlay, encoding="utf-8")
    return root


def render(templates: Path, out: Path, *args: str, case: Path = CASE) -> list[Path]:
    result = CliRunner().invoke(app, ["render", str(case), "--templates", str(templates), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.integration-plan.*"))


@pytest.mark.soffice
def test_a_municipal_swedish_label_reaches_the_pdf(tmp_path: Path) -> None:
    """This test ensures that one Swedish service-type label changed in a municipality's own terms.po is
    what the rendered bilingual PDF shows, in Swedish only, and that the same case without the overlay
    still shows the built-in label."""
    own = municipality(tmp_path, po(("service_type", "civic-orientation", NEW_SV[:1].lower() + NEW_SV[1:])))
    [pdf] = [p for p in render(own, tmp_path / "own", "--format", "pdf") if p.suffix == ".pdf"]
    text = pdf_text(pdf)
    assert NEW_SV in text
    assert OLD_SV not in text
    assert OLD_FI in text  # the Finnish half keeps the built-in Finnish label

    [plain] = [p for p in render(MUNICIPALITY, tmp_path / "plain", "--format", "pdf") if p.suffix == ".pdf"]
    text = pdf_text(plain)
    assert OLD_SV in text
    assert NEW_SV not in text


def test_the_overlay_applies_in_batch_workers_and_a_profile_can_name_it(tmp_path: Path) -> None:
    """This test ensures that worker processes of a batch use the municipality's labels, and that a
    profile's `vocabulary` names a .po file just as the template directory's locale/ does."""
    own = municipality(tmp_path, None)
    (own / "sv-terms.po").write_text(po(("service_type", "civic-orientation", "egen orientering")),
                                     encoding="utf-8")
    profile = own / "profile.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "vocabulary:\n  sv: sv-terms.po\n", encoding="utf-8")
    cases = tmp_path / "cases"
    cases.mkdir()
    for n in range(3):
        text = CASE.read_text(encoding="utf-8").replace("EKL-2025-0042", f"EKL-2025-004{n}")
        (cases / f"case-{n}.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(cases), "--templates", str(own), "-o", str(tmp_path / "out"),
                                      "--format", "docx", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    docs = sorted((tmp_path / "out").rglob("*.integration-plan.*.docx"))
    assert docs
    for doc in docs:
        text = docx_text(doc)
        assert "Egen orientering" in text and OLD_SV not in text


def test_a_batch_rerun_notices_a_changed_vocabulary(tmp_path: Path) -> None:
    """This test ensures that a batch's manifest counts the municipality's vocabulary among its inputs:
    after the .po changes, a rerun renders the documents again instead of keeping the old labels."""
    own = municipality(tmp_path, po(("service_type", "civic-orientation", "första lydelsen")))
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(CASE, cases / "case.yaml")
    args = ["batch", str(cases), "--templates", str(own), "-o", str(tmp_path / "out"), "--format", "docx"]
    assert CliRunner().invoke(app, args).exit_code == 0
    (own / "locale" / "sv" / "terms.po").write_text(po(("service_type", "civic-orientation", "andra lydelsen")),
                                                     encoding="utf-8")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    [doc] = sorted((tmp_path / "out").rglob("*.integration-plan.*.docx"))
    text = docx_text(doc)
    assert "Andra lydelsen" in text and "Första lydelsen" not in text


def test_a_label_is_escaped_like_any_value(tmp_path: Path) -> None:
    """This test ensures that a municipality's label is text, never markup: XML and template syntax in it
    are printed as written."""
    label = "orientering <w:b/> & {{ t }}"
    own = municipality(tmp_path, po(("service_type", "civic-orientation", label)))
    [doc] = render(own, tmp_path / "out", "--format", "docx")
    assert norm("Orientering <w:b/> & {{ t }}") in docx_text(doc)


@pytest.mark.parametrize(
    ("overlay", "code", "where"),
    [
        (po(("service_type", "no-such-service", "x")), "VOCAB-UNKNOWN", ":6:"),
        (po(("term", "civic-orientation", "x"), ("service_type", "civic-orientation", "x"), ("color", "red", "x")),
         "VOCAB-UNKNOWN", ":14:"),
        ('msgid ""\nmsgstr ""\n\nmsgctxt "service_type"\nmsgid "other"\nmsgstr "a\nb"\n', "VOCAB-PARSE", ":7:"),
        (po(("service_type", "other", "tab\\there")), "VOCAB-TEXT", ":6:"),
        (po(("service_type", "other", "x" * 301)), "VOCAB-TEXT", ":6:"),
        ("#" * 600_000, "VOCAB-READ", ""),
    ],
    ids=["unknown-code", "unknown-context", "broken", "control-character", "too-long", "too-large"],
)
def test_a_bad_overlay_is_refused_with_a_located_code(tmp_path: Path, overlay: str, code: str, where: str) -> None:
    """This test ensures that a municipality's .po is checked as untrusted input: the run stops with a usage
    error that names the file, the line and a stable code, before any document is made."""
    own = municipality(tmp_path, overlay)
    result = CliRunner().invoke(app, ["render", str(CASE), "--templates", str(own), "-o", str(tmp_path / "out"),
                                      "--format", "docx"])
    assert result.exit_code == 2, result.output
    output = norm(result.output)
    assert code in output
    assert f"terms.po{where}" in output
    assert not list((tmp_path / "out").glob("*.docx")) if (tmp_path / "out").exists() else True


def test_an_empty_or_fuzzy_entry_keeps_the_built_in_label(tmp_path: Path) -> None:
    """This test ensures that, as with msgfmt, a fuzzy or untranslated entry of an overlay changes nothing."""
    text = po(("service_type", "civic-orientation", "")) + \
        '#, fuzzy\nmsgctxt "service_type"\nmsgid "guidance-and-advice"\nmsgstr "luddig"\n'
    own = municipality(tmp_path, text)
    [doc] = render(own, tmp_path / "out", "--format", "docx")
    shown = docx_text(doc)
    assert OLD_SV in shown and "Luddig" not in shown


# ---------------------------------------------------------------------------------------------
# The case format's field texts in fi, sv and en (the `fields` catalogues)


def _descriptions(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every description of a schema, by its JSON path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield path, value
            else:
                yield from _descriptions(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, item in enumerate(node):
            yield from _descriptions(item, f"{path}/{n}")


# Texts that read the same in English and Finnish (a Finnish word the English description quotes).
SAME_IN_FI = {"henkilötunnus (ID-HETU)"}


@pytest.mark.parametrize("name", ["case", "case-with-profile", "claimant", "profile"])
def test_every_field_has_its_description_in_fi_sv_and_en(name: str) -> None:
    """This test ensures that every property of every schema (cases, claimant files, profiles) has a
    description, and that the committed Finnish and Swedish schemas describe each one in their language."""
    english = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    described = dict(_descriptions(english))
    properties = [path for path, _ in _properties(english)]
    assert len(properties) > 10
    assert [p for p in properties if p not in described] == []
    for lang in ("fi", "sv"):
        other = dict(_descriptions(json.loads((SCHEMAS / lang / f"{name}.schema.json").read_text(encoding="utf-8"))))
        assert other.keys() == described.keys()
        same = [text for path, text in described.items() if other[path] == text and text not in SAME_IN_FI]
        assert same == [], f"untranslated in schemas/{lang}/{name}.schema.json"


def _properties(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, schema in value.items():
                    yield f"{path}/properties/{prop}", schema
                    yield from _properties(schema, f"{path}/properties/{prop}")
            else:
                yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, item in enumerate(node):
            yield from _properties(item, f"{path}/{n}")


def test_kotodoc_schema_speaks_the_language_asked_for() -> None:
    """This test ensures that `kotodoc schema --lang` gives the hover texts in Finnish or Swedish, the same
    schema otherwise, and that the committed schemas are what it prints."""
    printed = {}
    for lang in ("fi", "sv", "en"):
        result = CliRunner().invoke(app, ["schema", "--lang", lang])
        assert result.exit_code == 0, result.output
        printed[lang] = json.loads(result.stdout)
    assert printed["fi"]["definitions"]["Person"]["properties"]["family_name"]["description"] == "henkilön sukunimi"
    assert printed["sv"]["definitions"]["Person"]["properties"]["family_name"]["description"] == "personens efternamn"
    assert printed["en"] == json.loads((SCHEMAS / "case.schema.json").read_text(encoding="utf-8"))
    assert printed["fi"] == json.loads((SCHEMAS / "fi" / "case.schema.json").read_text(encoding="utf-8"))

    def shape(node: Any) -> Any:  # the schema without its texts
        if isinstance(node, dict):
            return {k: shape(v) for k, v in node.items() if k not in ("description", "title")}
        return [shape(x) for x in node] if isinstance(node, list) else node

    assert shape(printed["fi"]) == shape(printed["sv"]) == shape(printed["en"])
    refused = CliRunner().invoke(app, ["schema", "--lang", "de"])
    assert refused.exit_code == 2


def test_translation_catalogues_are_complete_and_compiled() -> None:
    """This test ensures that the vocabulary labels every code of the model in fi, sv and en, that every
    field text is translated in fi and sv keeping its `$name`s, and that their compiled files are current.
    (The messages' catalogue, `kotodoc.po`, is checked by the same tool in CI.)"""
    code = ("import sys; sys.path.insert(0, 'tools'); import catalogues as c; "
            "problems = c.check_vocabulary() + c.check_fields() + "
            "[p for p in c.compile_all(check_only=True) if '/terms.mo' in p or '/fields.mo' in p]; "
            "print(*problems, sep=chr(10), file=sys.stderr); sys.exit(1 if problems else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr


# ---------------------------------------------------------------------------------------------
# Document wording: the built-in templates are built from their text; a municipality's copy is told
# where it differs from it


def test_built_in_templates_are_what_their_sources_build(tmp_path: Path) -> None:
    """This test ensures that the committed templates/*.docx are exactly what tools/build_templates.py builds
    from tools/template-text.yaml: a wording fix is one text edit and one command, never a hand-edited DOCX."""
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    run = subprocess.run([sys.executable, str(tmp_path / "tools" / "build_templates.py")], capture_output=True,
                         text=True, cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr
    built = sorted(p.relative_to(tmp_path / "templates") for p in (tmp_path / "templates").rglob("*.docx"))
    committed = sorted(p.relative_to(ROOT / "templates") for p in (ROOT / "templates").rglob("*.docx"))
    assert built == committed
    stale = [str(p) for p in built
             if (tmp_path / "templates" / p).read_bytes() != (ROOT / "templates" / p).read_bytes()]
    assert stale == [], "templates/ is not what tools/template-text.yaml builds: run tools/build_templates.py"


def test_a_municipal_template_is_told_where_its_wording_differs(tmp_path: Path) -> None:
    """This test ensures that `kotodoc templates check --against-builtin` names, paragraph by paragraph, the
    municipality's own paragraphs and those whose wording differs from the built-in template (quoting the
    built-in text to take over), and that a difference does not fail the check."""
    from docx import Document

    own = tmp_path / "own"
    (own / "fi").mkdir(parents=True)
    doc = Document(str(MUNICIPALITY / "fi" / "integration-plan.docx"))
    changed = next(p for p in doc.paragraphs
                   if len(p.text) > 30 and "{" not in p.text and len(p.runs) == 1 and "Esimerkkilä" not in p.text)
    upstream = changed.text
    changed.runs[0].text = upstream.replace(" ", "  ", 1) + " (vanha sanamuoto)"
    doc.save(str(own / "fi" / "integration-plan.docx"))
    result = CliRunner().invoke(app, ["templates", "check", str(own), "--against-builtin", "--json"])
    assert result.exit_code == 0, result.output
    found = [d for d in json.loads(result.stdout) if d["code"] == "wording-difference"]
    assert len(found) == 2, found
    city, stale = sorted(found, key=lambda d: d["paragraph"])
    assert "own paragraph" in city["message"] and "Esimerkkilän kaupunki" in city["message"]
    assert upstream in stale["message"] and "(vanha sanamuoto)" in stale["message"]
    assert stale["part"] == "word/document.xml"

    plain = CliRunner().invoke(app, ["templates", "check", str(MUNICIPALITY), "--against-builtin"])
    assert plain.exit_code == 0, plain.output
    assert "1 paragraph(s) differ from the built-in wording" in norm(plain.output)


def test_templates_check_checks_the_municipal_vocabulary(tmp_path: Path) -> None:
    """This test ensures that `kotodoc templates check DIR`, which a municipality runs in CI, reports a broken
    `locale/<lang>/terms.po` with its line and code, as rendering would, and passes a good one."""
    bad = municipality(tmp_path / "bad", po(("service_type", "no-such-service", "x")))
    result = CliRunner().invoke(app, ["templates", "check", str(bad), "--json"])
    assert result.exit_code == 1, result.output
    [problem] = json.loads(result.stdout)
    assert problem["code"] == "vocabulary"
    assert problem["template"].endswith("terms.po")
    assert problem["message"].startswith("line 6: VOCAB-UNKNOWN")
    good = municipality(tmp_path / "good", po(("service_type", "civic-orientation", "egen orientering")))
    assert CliRunner().invoke(app, ["templates", "check", str(good)]).exit_code == 0


@pytest.mark.parametrize(("ui_lang", "words"), [("fi", "ei ole kotodocin sanastossa"),
                                                ("sv", "finns inte i kotodocs ordlista")])
def test_a_bad_overlay_is_told_in_the_officials_language(tmp_path: Path, ui_lang: str, words: str) -> None:
    """This test ensures that the refusal of a municipality's .po speaks the interface language, code and
    place kept."""
    own = municipality(tmp_path, po(("service_type", "no-such-service", "x")))
    result = CliRunner().invoke(app, ["--ui-lang", ui_lang, "render", str(CASE), "--templates", str(own),
                                      "-o", str(tmp_path / "out"), "--format", "docx"])
    assert result.exit_code == 2, result.output
    output = norm(result.output)
    assert "terms.po:6: VOCAB-UNKNOWN" in output and words in output


@pytest.mark.parametrize(("entry", "expected"), [
    ("vocabulary:\n  de: de.po\n", "profile.yaml:14:3: vocabulary.de: unknown language"),
    ("vocabulary:\n  sv: missing.po\n", "missing.po: VOCAB-READ"),
    ("vocabulary: sv.po\n", "profile.yaml:13:1: vocabulary: must map a language"),
], ids=["unknown-language", "missing-file", "not-a-mapping"])
def test_a_profile_names_its_vocabulary_per_language(tmp_path: Path, entry: str, expected: str) -> None:
    """This test ensures that a profile's `vocabulary` is checked: a language kotodoc lacks, a missing file or a
    value that is not a mapping stop the run with a located message."""
    own = municipality(tmp_path, None)
    profile = own / "profile.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + entry, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(CASE), "--templates", str(own)])
    assert result.exit_code == 2, result.output
    assert expected in norm(result.output)
