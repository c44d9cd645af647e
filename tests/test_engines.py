"""Formats, the DOCX stage's safety nets, LibreOffice's failure modes and the render command."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.context import Formatter
from kotodoc.docx import render_docx
from kotodoc.errors import TemplateRenderError, UsageError
from kotodoc.pdf import check_pdf, convert
from tests.conftest import ESPOO, SAMPLES, STRESS, VAASA, docx_text

SPACE = "[\u00a0\u202f ]"


@pytest.mark.parametrize(
    ("lang", "expected"), [("fi", "5.5.2025"), ("sv", "5.5.2025"), ("en", "5 May 2025")]
)
def test_date_format(lang: str, expected: str) -> None:
    """This test ensures that dates follow Finnish practice in fi and sv (CLDR's sv_FI is ISO) and read out in en."""
    assert Formatter(lang).date(dt.date(2025, 5, 5)) == expected


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_money_format(lang: str) -> None:
    """This test ensures that money is `1 234,50 €` in every language, whatever space CLDR chooses."""
    assert re.fullmatch(f"1{SPACE}234,50{SPACE}€", Formatter(lang).money(Decimal("1234.50")))


def test_names_from_cldr() -> None:
    """This test ensures that country and language names come from CLDR, with `prs` through its alias."""
    assert [Formatter(x).country("SY") for x in ("fi", "sv", "en")] == ["Syyria", "Syrien", "Syria"]
    assert [Formatter(x).language("prs") for x in ("fi", "sv", "en")] == ["dari", "dari", "Dari"]
    assert Formatter("sv").language("uk") == "ukrainska"


def _template(tmp_path: Path, text: str) -> Path:
    doc = Document()
    doc.add_paragraph(text)
    path = tmp_path / "t.docx"
    doc.save(str(path))
    return path


PROPS = {"title": "T", "author": "A"}
STAMP = dt.datetime(2025, 5, 5, 12, 0)


def test_missing_variable_is_an_error(tmp_path: Path) -> None:
    """This test ensures that StrictUndefined stops a template that uses an unknown variable, located."""
    template = _template(tmp_path, "Hello {{ nobody.name }}")
    with pytest.raises(TemplateRenderError, match=r"t\.docx › word/document\.xml › paragraph \d+: .*nobody"):
        render_docx(template, {}, tmp_path / "out.docx", properties=PROPS, stamp=STAMP)
    assert not (tmp_path / "out.docx").exists()


def test_escaped_braces_print_as_braces(tmp_path: Path) -> None:
    """This test ensures that docxtpl's escapes `{_{ }_}` and `{_% %_}` print as braces beside a value,
    the opening ones and the closing ones each alone in a part too (the rendered part looks for
    either half before replacing)."""
    for n, (text, shown) in enumerate([("{_{ a }_} {_% b %_} {{ v }}", "{{ a }} {% b %} x_}"),
                                       ("{{ v }} }_} %_}", "x_} }} %}"), ("{_{ {_% {{ v }}", "{{ {% x_}")]):
        out = tmp_path / f"out-{n}.docx"
        render_docx(_template(tmp_path, text), {"v": "x_}"}, out, properties=PROPS, stamp=STAMP)
        assert docx_text(out) == shown


def test_template_syntax_error_is_located(tmp_path: Path) -> None:
    """This test ensures that a Jinja syntax error names template, part and paragraph."""
    template = _template(tmp_path, "{% if x %} unclosed")
    with pytest.raises(TemplateRenderError, match="word/document.xml"):
        render_docx(template, {"x": 1}, tmp_path / "out.docx", properties=PROPS, stamp=STAMP)


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    """This test ensures that a template cannot reach Python internals through the context."""
    template = _template(tmp_path, "{{ name.__class__.__mro__ }}")
    with pytest.raises(TemplateRenderError):
        render_docx(template, {"name": "x"}, tmp_path / "out.docx", properties=PROPS, stamp=STAMP)


def test_values_are_escaped(tmp_path: Path) -> None:
    """This test ensures that markup in a value is printed, not interpreted, and the XML stays whole."""
    template = _template(tmp_path, "{{ v }}")
    value = 'Zack & Tyler <select> "q" \'s\''
    render_docx(template, {"v": value}, tmp_path / "out.docx", properties=PROPS, stamp=STAMP)
    assert docx_text(tmp_path / "out.docx") == value


def test_docx_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that with SOURCE_DATE_EPOCH the same case gives byte-identical DOCX files."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    digests = []
    for run in ("a", "b"):
        reports = kotodoc.render([ESPOO], tmp_path / run, formats=["docx"])
        digests.append(hashlib.sha256(reports[0].outputs[0].read_bytes()).hexdigest())
    assert digests[0] == digests[1]


@pytest.mark.soffice
def test_unloadable_docx_fails_loudly(tmp_path: Path) -> None:
    """This test ensures that a DOCX LibreOffice cannot load (soffice still exits 0) is a failure, not a success."""
    good = tmp_path / "good.docx"
    render_docx(_template(tmp_path, "fine"), {}, good, properties=PROPS, stamp=STAMP)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good.read_bytes()[:3000])  # a ZIP cut short
    results = {r.source.name: r for r in convert([broken, good], tmp_path / "pdf")}
    assert results["good.docx"].pdf is not None and check_pdf(results["good.docx"].pdf) is None
    assert results["broken.docx"].pdf is None
    assert "LibreOffice wrote no PDF" in str(results["broken.docx"].error)


def test_truncated_pdf_is_detected(tmp_path: Path) -> None:
    """This test ensures that a PDF cut short is not taken for a whole one."""
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.6\n" + b"0" * 200)
    assert check_pdf(pdf) == "the PDF is truncated"


def test_missing_libreoffice_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that PDF output without LibreOffice says so, and DOCX output still works."""
    monkeypatch.setenv("KOTODOC_SOFFICE", str(tmp_path / "no-soffice"))
    with pytest.raises(UsageError, match="LibreOffice"):
        kotodoc.render([ESPOO], tmp_path / "out")
    assert kotodoc.render([ESPOO], tmp_path / "out", formats=["docx"])[0].status == "done"


@pytest.mark.soffice
def test_hanging_libreoffice_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that a conversion that hangs is stopped by the timeout and reported as failed."""
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("KOTODOC_SOFFICE", str(fake))
    docx = tmp_path / "a.docx"
    render_docx(_template(tmp_path, "x"), {}, docx, properties=PROPS, stamp=STAMP)
    [result] = convert([docx], tmp_path / "pdf", timeout=1)
    assert result.pdf is None and result.error is not None and "did not finish" in str(result.error)


runner = CliRunner()


@pytest.mark.soffice
def test_cli_render_goes_on_past_a_bad_case(tmp_path: Path) -> None:
    """This test ensures that one invalid case exits 1, writes nothing for it, and the others are rendered."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(ESPOO.read_text(encoding="utf-8").replace("kind: integration-plan", "kind: integraton-plan"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(bad), str(VAASA), "-o", str(out)])
    assert result.exit_code == 1
    assert "did you mean 'integration-plan'" in result.stderr
    assert re.search(r"bad\.yaml:\d+:\d+: kind:", result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert written and all(not n.startswith("ESP-") for n in written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary files are left"


def test_cli_render_docx_only_and_lang(tmp_path: Path) -> None:
    """This test ensures that --format docx --lang sv renders only a Swedish DOCX."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(out), "--format", "docx", "--lang", "sv"])
    assert result.exit_code == 0, result.stderr
    [only] = [p for p in out.iterdir() if ".no-show-notice." not in p.name]  # the sample's notice: test_notice.py
    assert only.name.endswith(".integration-plan.sv.docx")
    assert "Integrationsplan" in docx_text(only)


def test_cli_unknown_language_is_usage_error(tmp_path: Path) -> None:
    """This test ensures that an unknown --lang is a usage error (exit 2) without a traceback."""
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(tmp_path), "--lang", "de"])
    assert result.exit_code == 2
    assert "unknown language 'de'" in result.stderr and "Traceback" not in result.stderr


def test_cli_messages_hold_no_personal_data(tmp_path: Path) -> None:
    """This test ensures that nothing kotodoc prints for the samples holds a name, identity code or health text."""
    from kotodoc.model import FamilyPlanCase
    from kotodoc.rules import persons
    from tests.conftest import read_case

    result = runner.invoke(app, ["render", *map(str, [*SAMPLES, STRESS]), "-o", str(tmp_path), "--format", "docx",
                                 "--json"])
    printed = result.stdout + result.stderr
    assert result.exit_code == 0, printed
    for path in [*SAMPLES, STRESS]:
        case = read_case(path)
        secrets = [] if isinstance(case, FamilyPlanCase) else [case.assessment.health]
        for _, person in persons(case):
            secrets += [person.family_name, person.given_names, person.personal_id]
        for secret in filter(None, secrets):
            assert secret not in printed
