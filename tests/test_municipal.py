"""Municipal templates and profiles (issue 7, point 2): a template directory laid over the built-ins,
a profile with the authority's fixed details, and its logo in the header of every document.

The sample municipality `samples/municipality/` (fictitious Esimerkkilä) has its own Finnish plan
template, a profile and a logo; its Swedish plan and its notices fall back to the built-ins.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.docx import template_set

from .conftest import ESPOO, ROOT, docx_body_text, docx_text, norm, pdf_text

CITY = ROOT / "samples" / "municipality"
CITY_CASE = CITY / "cases" / "esimerkkila-fi-sv.yaml"
CITY_LINE = "Esimerkkilän kaupunki · Kotoutumispalvelut palvelevat suomeksi ja ruotsiksi"
PROFILE_NAME = "Esimerkkilän kaupunki – Exempelby stad"
runner = CliRunner()


def header_images(docx: Path) -> list[bytes]:
    """The images every header part of a DOCX refers to."""
    found = []
    with zipfile.ZipFile(docx) as z:
        for name in z.namelist():
            match = re.fullmatch(r"word/_rels/(header\d+\.xml)\.rels", name)
            if not match:
                continue
            rels = z.read(name).decode()
            header = z.read(f"word/{match.group(1)}").decode()
            for r_id, target in re.findall(r'Id="(rId\d+)"[^>]*Target="(media/[^"]+)"', rels):
                if f'r:embed="{r_id}"' in header:
                    found.append(z.read(f"word/{target}"))
    return found


def image_sizes(page: Any) -> set[tuple[int, int]]:
    """The pixel sizes of the images a PDF page draws (read from the XObjects, without decoding them)."""
    resources = page.get("/Resources") or {}
    objects = resources.get("/XObject") or {}
    return {(int(o["/Width"]), int(o["/Height"])) for o in (v.get_object() for v in objects.values())
            if o.get("/Subtype") == "/Image"}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample municipality's case, and the Espoo sample with the city's templates, in one run."""
    out = tmp_path_factory.mktemp("city")
    reports = kotodoc.render([CITY_CASE], out, templates=CITY, languages=["fi+sv", "en"])
    plain = kotodoc.render([ESPOO], out / "plain", formats=("docx",))
    for report in (*reports, *plain):
        assert report.status == "done", [str(f) for f in report.errors] + report.failures
    return {"out": out, "reports": reports, "plain": plain}


@pytest.mark.soffice
def test_the_directorys_own_template_is_used_and_the_others_fall_back(city: dict[str, Any]) -> None:
    """This test ensures that the city's own fi plan is used (its line under the title is there), while the
    sv version of the same bilingual plan and the notices come from the built-in templates."""
    plan = city["out"] / "EKL-2025-0042.integration-plan.fi+sv.docx"
    body = docx_body_text(plan)
    fi_part, sv_part = body.split("Integrationsplan", 1)
    assert CITY_LINE in fi_part and CITY_LINE not in sv_part
    notice = city["out"] / "EKL-2025-0042.no-show-notice.2025-06-11.fi+sv.docx"
    assert CITY_LINE not in docx_body_text(notice)
    assert template_set(CITY).path("integration-plan", "fi") == CITY / "fi" / "integration-plan.docx"
    assert template_set(CITY).path("integration-plan", "sv").parent.parent == template_set().builtin


@pytest.mark.soffice
def test_the_profile_fills_in_the_authority(city: dict[str, Any]) -> None:
    """This test ensures that the profile's name, unit, address and business ID appear in the documents of a
    case that gives only its official, and the PDF's author is the profile's authority."""
    pdf = city["out"] / "EKL-2025-0042.integration-plan.fi+sv.pdf"
    text = pdf_text(pdf)
    for value in (PROFILE_NAME, "Kotoutumispalvelut – Integrationstjänster", "PL 1, 99999 Esimerkkilä",
                  "0101263-6", "Sanna Lehtinen"):
        assert norm(value) in text, value
    meta = PdfReader(pdf).metadata
    assert meta is not None and meta.author == PROFILE_NAME


@pytest.mark.soffice
def test_the_logo_is_in_the_header_of_every_document_and_page(city: dict[str, Any]) -> None:
    """This test ensures that the profile's logo is the picture in every header of every DOCX (both
    versions of a bilingual one) and is drawn on every PDF page; without a profile there is none."""
    logo = (CITY / "logo.png").read_bytes()
    docs = [p for r in city["reports"] for p in r.outputs]
    assert len(docs) == 8
    for path in docs:
        if path.suffix == ".docx":
            images = header_images(path)  # one header per language version
            versions = len(path.stem.rsplit(".", 1)[1].split("+"))
            assert len(images) == versions and all(i == logo for i in images), path.name
        else:
            # LibreOffice resamples the picture to 300 dpi at its printed size; its proportions stay.
            for n, page in enumerate(PdfReader(path).pages):
                assert any(abs(w / h - 240 / 280) < 0.02 for w, h in image_sizes(page)), (path.name, n)
    for path in city["plain"][0].outputs:
        assert header_images(path) == []


@pytest.mark.soffice
def test_a_notice_that_fills_its_page_has_no_empty_page_after_it(city: dict[str, Any]) -> None:
    """This test ensures that the English notice, whose contact table ends at the foot of page 1 with this
    long name, is one page: the empty paragraph after the last table once made an empty page 2."""
    pages = {p.name: len(PdfReader(p).pages) for r in city["reports"] for p in r.outputs if p.suffix == ".pdf"}
    assert pages["EKL-2025-0042.no-show-notice.2025-06-11.en.pdf"] == 1
    assert pages["EKL-2025-0042.no-show-notice.2025-06-11.fi+sv.pdf"] == 2


def test_the_cases_own_authority_values_win_over_the_profile(tmp_path: Path) -> None:
    """This test ensures that a value the case gives itself (here the unit) is kept, and the rest comes
    from the profile."""
    case = tmp_path / "case.yaml"
    text = CITY_CASE.read_text(encoding="utf-8").replace(
        "authority:                 # kind, name, unit, address and business ID come from the profile\n",
        "authority:\n  unit: Aikuissosiaalityö\n")
    case.write_text(text, encoding="utf-8")
    [report] = kotodoc.render([case], tmp_path / "out", formats=("docx",), profile=CITY / "profile.yaml")
    assert report.status == "done", [str(f) for f in report.errors] + report.failures
    text = docx_text(report.outputs[0])
    assert "Aikuissosiaalityö" in text and "Kotoutumispalvelut – Integrationstjänster" not in text
    assert PROFILE_NAME in text


def test_an_error_in_a_profile_value_is_located_in_the_profile(tmp_path: Path) -> None:
    """This test ensures that a wrong value taken from the profile (a business ID with a bad check digit, an
    unknown key) is reported at the profile's file, line and column, not the case's."""
    profile = tmp_path / "profile.yaml"
    profile.write_text("authority:\n  kind: municipality\n  name: Testikunta\n  business_id: 0101263-7\n",
                       encoding="utf-8")
    [report] = kotodoc.validate([CITY_CASE], profile=profile)
    assert report.status == "invalid"
    assert [(f.rule, f.path, f.file, f.line, f.column) for f in report.errors] == [
        ("ID-YTUNNUS", "authority.business_id", str(profile), 4, 16)]
    profile.write_text("authority:\n  kind: municipality\n  name: Testikunta\n  nmae: typo\n", encoding="utf-8")
    [report] = kotodoc.validate([CITY_CASE], profile=profile)
    assert [(f.path, f.file, f.line) for f in report.errors] == [("authority.nmae", str(profile), 4)]


def test_profile_and_template_directory_problems_are_usage_errors(tmp_path: Path) -> None:
    """This test ensures that a missing template directory, an unknown profile key and a logo that is not an
    image stop the command with exit 2, a located message and no traceback, before anything is written."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(out), "--templates", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("authority:\n  name: X\nlogoo: logo.png\n", encoding="utf-8")
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(out), "--profile", str(bad)])
    assert result.exit_code == 2 and f"{bad}:3:1: logoo: unknown key" in norm(result.stderr)
    (tmp_path / "logo.png").write_text("not an image", encoding="utf-8")
    bad.write_text("logo: logo.png\n", encoding="utf-8")
    result = runner.invoke(app, ["render", str(ESPOO), "-o", str(out), "--profile", str(bad)])
    assert result.exit_code == 2 and "logo.png is not a PNG or JPEG image" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.soffice
def test_a_jpeg_logo_is_stored_as_jpeg_and_converts(city: dict[str, Any], tmp_path: Path) -> None:
    """This test ensures that a JPEG logo goes into the DOCX under a .jpeg name with its content type (Word
    goes by the extension), that python-docx opens the result, and that LibreOffice draws it."""
    source = city["out"] / "EKL-2025-0042.integration-plan.fi+sv.pdf"
    subprocess.run(["pdftoppm", "-jpeg", "-r", "12", "-f", "1", "-l", "1", "-singlefile", str(source),
                    str(tmp_path / "logo")], check=True)
    profile = tmp_path / "profile.yaml"
    profile.write_text("authority:\n  kind: municipality\n  name: JPEG-kunta\nlogo: logo.jpg\n", encoding="utf-8")
    [report] = kotodoc.render([ESPOO], tmp_path / "out", profile=profile)
    assert report.status == "done", [str(f) for f in report.errors] + report.failures
    docx = next(p for p in report.outputs if p.name.endswith("integration-plan.fi.docx"))
    with zipfile.ZipFile(docx) as z:
        names = z.namelist()
        assert 'Extension="jpeg"' in z.read("[Content_Types].xml").decode()
    assert [n for n in names if n.startswith("word/media/")] == ["word/media/image1.jpeg"]
    assert header_images(docx) == [(tmp_path / "logo.jpg").read_bytes()]
    Document(str(docx))
    assert all(image_sizes(page) for page in PdfReader(docx.with_suffix(".pdf")).pages)


def test_sample_municipality_files_are_what_the_tool_makes(tmp_path: Path) -> None:
    """This test ensures that the committed sample template and logo are the ones tools/make_sample_municipality.py
    makes from today's built-in template, so the sample never drifts from the built-ins."""
    copy = tmp_path / "tools"
    shutil.copytree(ROOT / "tools", copy)
    script = (copy / "make_sample_municipality.py").read_text(encoding="utf-8")
    script = script.replace('OUT = ROOT / "samples" / "municipality"', f"OUT = Path({str(tmp_path / 'm')!r})")
    (copy / "make_sample_municipality.py").write_text(script, encoding="utf-8")
    subprocess.run([sys.executable, str(copy / "make_sample_municipality.py")], cwd=ROOT, check=True,
                   capture_output=True)
    for name in ("logo.png", "fi/integration-plan.docx"):
        assert (tmp_path / "m" / name).read_bytes() == (CITY / name).read_bytes(), name


def test_a_claim_takes_the_profiles_logo_and_keeps_its_claimant(tmp_path: Path) -> None:
    """This test ensures that a claim rendered with a profile shows the logo in its headers, while its
    claimant stays the claim file's own (a profile's authority is not a claimant)."""
    claim = ROOT / "samples" / "claims" / "espoo-2025-h1.yaml"
    [report] = kotodoc.render([claim], tmp_path, formats=("docx",), profile=CITY / "profile.yaml")
    assert report.status == "done", [str(f) for f in report.errors] + report.failures
    docx = next(p for p in report.outputs if p.suffix == ".docx")
    assert header_images(docx) == [(CITY / "logo.png").read_bytes()] * 2  # fi+sv: a header each
    text = docx_text(docx)
    assert "Espoon kaupunki" in text and PROFILE_NAME not in text
