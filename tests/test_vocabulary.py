"""The documents' vocabulary comes from the `terms` catalogues, and a municipality can lay its own over them.

A municipality's `.po` (`TEMPLATES/locale/<lang>/terms.po`, or named in its profile) changes a
label in the rendered documents, in that language only, in worker processes too; it is untrusted
input: refused with a located VOCAB-… code when it is too large, not a `.po` file, names a label
kotodoc does not have, or gives one that is not a line of text; its labels are escaped like any
value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kotodoc._cli import app
from tests.conftest import ROOT, docx_text, norm, pdf_text

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
