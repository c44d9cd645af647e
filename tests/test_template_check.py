"""`kotodoc templates check`: faulty templates built on the fly from copies of the built-ins.

Each test edits the XML of a copied built-in template (zipfile, string replacement), so the
fault is exactly the one under test; the expected paragraph is counted here from the edited
file's XML, not taken from the checker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from kotodoc._cli import app
from kotodoc.authoring import TemplateProblem, check_templates
from kotodoc.authoring._template_check import _analyse  # a unit worth testing alone
from kotodoc.errors import UsageError
from kotodoc.run import templates_root

BUILTIN = templates_root()
ROOT = Path(__file__).resolve().parent.parent
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BODY = "word/document.xml"
KINDS = ("integration-plan", "minor-plan", "family-plan", "interpretation-claim", "no-show-notice")
runner = CliRunner()

# A cell of the person table in every plan: one run holding one tag.
# The value cell of the family name (value cells suppress hyphenation: names are not hyphenated).
FAMILY_NAME = "<w:p><w:pPr><w:suppressAutoHyphens/></w:pPr><w:r><w:t>{{ person.family_name }}</w:t></w:r></w:p>"


def make_template(directory: Path, lang: str, kind: str, edit: Callable[[str], str] | None = None,
                  part: str = BODY) -> Path:
    """Copy the built-in `<lang>/<kind>.docx` into `directory`, with `edit` applied to one XML part."""
    source = BUILTIN / lang / f"{kind}.docx"
    target = directory / lang / f"{kind}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    if edit is None:
        shutil.copyfile(source, target)
        return target
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8")
                edited = edit(text)
                assert edited != text, "the edit did not apply"
                data = edited.encode("utf-8")
            dst.writestr(info, data)
    return target


def replace(old: str, new: str) -> Callable[[str], str]:
    """An edit replacing the first `old` (which must be there) with `new`."""
    def edit(xml: str) -> str:
        assert old in xml, old
        return xml.replace(old, new, 1)
    return edit


def paragraph_of(docx: Path, needle: str, part: str = BODY) -> int:
    """The number (1-based, document order) of the first paragraph of `part` whose text holds `needle`."""
    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read(part))
    for n, p in enumerate(root.iter(f"{W}p"), 1):
        if needle in "".join(t.text or "" for t in p.iter(f"{W}t")):
            return n
    raise AssertionError(f"no paragraph holds {needle!r}")


def of(problems: list[TemplateProblem], code: str) -> list[TemplateProblem]:
    return [p for p in problems if p.code == code]


# ---------------------------------------------------------------------------------------------
# Clean templates


def test_builtin_templates_have_no_problems() -> None:
    """The built-in templates pass: every check agrees with the real context builders."""
    assert check_templates(None) == []


def test_a_clean_copy_has_no_problems(tmp_path: Path) -> None:
    """A municipality's untouched copy of every template passes."""
    for lang in ("fi", "sv", "en"):
        for kind in KINDS:
            make_template(tmp_path, lang, kind)
    (tmp_path / "README.md").write_text("not a template\n", encoding="utf-8")
    assert check_templates(tmp_path) == []


def test_the_example_cases_fill_every_variable_the_builtins_use() -> None:
    """The shipped example cases give a value to every optional part the built-in templates use.

    Otherwise a chain below it (`plan.extension.until`) could not be checked; a new optional key
    in a context builder needs a value in `kotodoc/data/check-cases/`.
    """
    for lang in ("fi", "sv", "en"):
        for kind in KINDS:
            analysis = _analyse(BUILTIN / lang / f"{kind}.docx", kind)
            assert analysis.complete and analysis.variables, (lang, kind)
            assert analysis.unchecked == frozenset(), (lang, kind)


def test_names_the_template_sets_itself_and_jinja_globals_pass(tmp_path: Path) -> None:
    """`set`, loops over locals, `loop`, globals, `upfirst`, methods and `is defined` guards are fine;
    a chain through a name bound with `set` is still checked against the context."""
    extra = ("{% set who = person %}{{ who.full_name|upfirst }}{% for n in range(2) %}{{ n }}{{ loop.index }}"
             "{% endfor %}{% for k, v in t.items() %}{{ k }}{% endfor %}{{ person.full_name.upper() }}"
             "{% if nothing is defined %}{{ nothing.at.all }}{% endif %}{{ who.full_nmae }}")
    for lang in ("fi", "sv", "en"):
        path = make_template(tmp_path, lang, "integration-plan",
                             replace("{{ person.family_name }}", "{{ person.family_name }}" + extra))
    problems = check_templates(tmp_path)
    assert [(p.code, p.message) for p in problems if p.template == path] == [
        ("unknown-variable", "unknown variable who.full_nmae (did you mean who.full_name?)"),
    ]


# ---------------------------------------------------------------------------------------------
# Syntax errors


def test_a_syntax_error_is_located_by_part_and_paragraph(tmp_path: Path) -> None:
    path = make_template(tmp_path, "fi", "integration-plan",
                         replace("{{ person.family_name }}", "{{ person.family_name + }}"))
    problems = check_templates(tmp_path)
    assert [p.code for p in problems] == ["syntax"]  # and no language differences from a half-read template
    [problem] = problems
    assert (problem.template, problem.part) == (path, BODY)
    assert problem.paragraph == paragraph_of(path, "{{ person.family_name + }}")
    assert "{{ person.family_name + }}" in problem.message
    assert str(problem) == f"{path} › {BODY} › paragraph {problem.paragraph}: {problem.message}"


def test_an_unclosed_block_is_located_where_it_opens(tmp_path: Path) -> None:
    """Jinja reports a missing `endif` at the end of the part; the check points at the `if`."""
    path = make_template(tmp_path, "sv", "minor-plan",
                         replace("{{ person.family_name }}", "{% if is_681 %}{{ person.family_name }}"))
    [problem] = check_templates(tmp_path)
    assert problem.code == "syntax" and "'if'" in problem.message
    assert problem.paragraph == paragraph_of(path, "{% if is_681 %}")


def test_syntax_errors_in_several_parts_are_all_reported(tmp_path: Path) -> None:
    """One error per part, every part: the header's error is found beside the body's."""
    make_template(tmp_path, "en", "no-show-notice", replace("{{ issued }}", "{{ issued }"))
    path = tmp_path / "en" / "no-show-notice.docx"
    data = {}
    with zipfile.ZipFile(path) as z:
        data = {info.filename: z.read(info.filename) for info in z.infolist()}
    data["word/header1.xml"] = data["word/header1.xml"].replace(b"{{ title }}", b"{{ title | }}", 1)
    with zipfile.ZipFile(path, "w") as z:
        for name, payload in data.items():
            z.writestr(name, payload)
    problems = check_templates(tmp_path)
    assert [(p.code, p.part) for p in problems] == [("syntax", BODY), ("syntax", "word/header1.xml")]
    assert problems[1].paragraph == paragraph_of(path, "{{ title | }}", "word/header1.xml")


def test_an_unknown_filter_inside_an_if_is_reported(tmp_path: Path) -> None:
    """Jinja compiles an unknown filter in a conditional branch and fails only when a case takes it."""
    path = make_template(tmp_path, "fi", "integration-plan",
                         replace("{{ plan.extension.until }}", "{{ plan.extension.until|upfrist }}"))
    [problem] = check_templates(tmp_path)
    assert (problem.code, problem.paragraph) == ("syntax", paragraph_of(path, "|upfrist"))
    assert problem.message == "syntax error: unknown filter upfrist (did you mean upfirst?)"


# ---------------------------------------------------------------------------------------------
# Unknown variables


def test_unknown_variables_are_located_with_a_suggestion(tmp_path: Path) -> None:
    def edit(xml: str) -> str:
        for old, new in (("{{ person.family_name }}", "{{ person.family_nmae }}"),
                         ("{{ s.provider }}", "{{ s.provder }}"),
                         ("{{ plan.notes }}", "{{ plan.notes.text }}"),
                         ("{{ title }}", "{{ titel }}")):
            xml = replace(old, new)(xml)
        return xml

    path = make_template(tmp_path, "fi", "integration-plan", edit)
    problems = of(check_templates(tmp_path), "unknown-variable")
    assert [(p.part, p.paragraph, p.message) for p in problems] == sorted([
        (BODY, paragraph_of(path, "{{ titel }}"), "unknown variable titel (did you mean title?)"),
        (BODY, paragraph_of(path, "{{ person.family_nmae }}"),
         "unknown variable person.family_nmae (did you mean person.family_name?)"),
        (BODY, paragraph_of(path, "{{ s.provder }}"),
         "unknown variable s.provder (an item of plan.services has no provder; did you mean s.provider?)"),
        (BODY, paragraph_of(path, "{{ plan.notes.text }}"), "unknown variable plan.notes.text (plan.notes is text)"),
    ], key=lambda x: x[1])


def test_each_kind_is_checked_against_its_own_context(tmp_path: Path) -> None:
    """A claim has no `person`: a plan's variable in the claim template is unknown there."""
    path = make_template(tmp_path, "fi", "interpretation-claim",
                         replace("{{ claimant.name }}", "{{ person.full_name }}"))
    [problem] = of(check_templates(tmp_path), "unknown-variable")
    assert problem.template == path and problem.message.startswith("unknown variable person")


# ---------------------------------------------------------------------------------------------
# Split tags


def test_a_tag_split_over_two_runs_is_reported(tmp_path: Path) -> None:
    split = ('<w:p><w:r><w:t>{{ person.fam</w:t></w:r><w:proofErr w:type="spellStart"/>'
             "<w:r><w:rPr><w:b/></w:rPr><w:t>ily_name }}</w:t></w:r></w:p>")
    path = make_template(tmp_path, "fi", "integration-plan", replace(FAMILY_NAME, split))
    problems = check_templates(tmp_path)
    assert [p.code for p in problems] == ["split-tag"]  # docxtpl copes: no syntax error, same variables
    [problem] = problems
    assert (problem.part, problem.paragraph) == (BODY, paragraph_of(path, "{{ person.family_name }}"))
    assert "{{ person.family_name }}" in problem.message and "2 Word runs" in problem.message


# ---------------------------------------------------------------------------------------------
# Languages

EXTRA = FAMILY_NAME + "<w:p><w:r><w:t>{{ person.contact }}</w:t></w:r></w:p>"


def test_a_variable_only_in_sv_is_reported_for_fi_and_en(tmp_path: Path) -> None:
    fi = make_template(tmp_path, "fi", "integration-plan")
    make_template(tmp_path, "sv", "integration-plan", replace(FAMILY_NAME, EXTRA))
    en = make_template(tmp_path, "en", "integration-plan")
    problems = check_templates(tmp_path)
    assert [(p.template, p.code, p.message) for p in problems] == [
        (fi, "language-difference", "variable person.contact is used in sv but not in fi"),
        (en, "language-difference", "variable person.contact is used in sv but not in en"),
    ]
    assert str(problems[0]) == f"{fi}: variable person.contact is used in sv but not in fi"


def test_the_builtins_stand_in_for_missing_languages(tmp_path: Path) -> None:
    """A directory with only the sv version is compared with the built-in fi and en it falls back to."""
    sv = make_template(tmp_path, "sv", "integration-plan", replace(FAMILY_NAME, EXTRA))
    problems = check_templates(tmp_path)
    assert [(p.template, p.code) for p in problems] == [(sv, "language-difference")] * 2
    assert "not in fi (the built-in fi version" in problems[0].message
    assert "not in en (the built-in en version" in problems[1].message


def test_loop_variables_are_compared_by_what_they_stand_for(tmp_path: Path) -> None:
    """`{% for x in plan.services %}{{ x.type }}` in sv is the same variable as `s.type` in fi."""
    def rename(xml: str) -> str:
        xml = replace("{%tr for s in plan.services %}", "{%tr for x in plan.services %}")(xml)
        return xml.replace("{{ s.", "{{ x.")

    make_template(tmp_path, "sv", "integration-plan", rename)
    assert check_templates(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Files and directories


def test_a_file_that_is_no_template_kind_is_reported(tmp_path: Path) -> None:
    make_template(tmp_path, "fi", "integration-plan")
    old = tmp_path / "fi" / "integration-plan-old.docx"
    shutil.copyfile(tmp_path / "fi" / "integration-plan.docx", old)
    (tmp_path / "fi" / "~$tegration-plan.docx").write_bytes(b"Word's lock file")
    [problem] = check_templates(tmp_path)
    assert (problem.template, problem.code) == (old, "unknown-template")
    assert "integration-plan" in problem.message


def test_a_file_that_is_not_a_docx_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "en" / "family-plan.docx"
    broken.parent.mkdir()
    broken.write_text("not a zip", encoding="utf-8")
    [problem] = check_templates(tmp_path)
    assert (problem.template, problem.code) == (broken, "unreadable")


def test_a_missing_or_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        check_templates(tmp_path / "missing")
    (tmp_path / "fi").mkdir()
    (tmp_path / "de").mkdir()
    shutil.copyfile(BUILTIN / "fi" / "minor-plan.docx", tmp_path / "de" / "minor-plan.docx")
    with pytest.raises(UsageError, match="no templates found"):
        check_templates(tmp_path)


# ---------------------------------------------------------------------------------------------
# The command


def test_the_command_exits_1_with_located_messages(tmp_path: Path) -> None:
    """Through `python -m kotodoc`, as a template repository's CI runs it: no traceback."""
    path = make_template(tmp_path, "fi", "integration-plan",
                         replace("{{ person.family_name }}", "{{ person.family_nmae }}"))
    make_template(tmp_path, "sv", "family-plan", replace("{{ family.name }}", "{{ family.name }"))
    env = {**os.environ, "COLUMNS": "500", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "kotodoc", "templates", "check", str(tmp_path)],
                          check=False, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    line = paragraph_of(path, "{{ person.family_nmae }}")
    assert (f"{path} › {BODY} › paragraph {line}: unknown variable person.family_nmae "
            "(did you mean person.family_name?)") in proc.stderr
    assert f"{tmp_path / 'sv' / 'family-plan.docx'} › {BODY} › paragraph" in proc.stderr
    assert "Traceback" not in proc.stderr and "problem(s)" in proc.stderr


def test_the_command_passes_the_builtins() -> None:
    result = runner.invoke(app, ["templates", "check"])
    assert result.exit_code == 0, result.stderr
    assert "templates ok" in result.stderr


def test_the_command_prints_json(tmp_path: Path) -> None:
    make_template(tmp_path, "fi", "integration-plan", replace("{{ person.family_name }}", "{{ person.nmae }}"))
    result = runner.invoke(app, ["templates", "check", str(tmp_path), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["code"], p["part"]) for p in problems if p["code"] == "unknown-variable"] == [
        ("unknown-variable", BODY)]
    assert set(problems[0]) == {"template", "part", "paragraph", "code", "message"}
    assert isinstance(problems[0]["paragraph"], int)


def test_the_command_exits_2_on_a_missing_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["templates", "check", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such directory" in result.stderr and "Traceback" not in result.stderr
