"""The real pipeline: real templates, docxtpl, LibreOffice; documents read back and compared with the case."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

import kotodoc
from kotodoc.context import Formatter
from kotodoc.model import FamilyPlanCase
from kotodoc.pdf import read_facts
from kotodoc.rules import birth_date, persons, service_lists
from tests.conftest import SAMPLES, STRESS, docx_text, norm, pdf_text, read_case

pytestmark = pytest.mark.soffice

TITLES = {"fi": "Kotoutumissuunnitelma", "sv": "Integrationsplan", "en": "Integration plan"}
MULTI = {"fi": "Monialainen kotoutumissuunnitelma", "sv": "Sektorsövergripande integrationsplan",
         "en": "Multi-sectoral integration plan"}
MINOR = {"fi": "Alaikäisen kotoutumissuunnitelma", "sv": "Integrationsplan för minderårig",
         "en": "Integration plan for a minor"}
FAMILY = {"fi": "Perheen kotoutumissuunnitelma", "sv": "Integrationsplan för en familj",
          "en": "Integration plan for a family"}


def title_of(case: object, lang: str) -> str:
    """The document title a case should get."""
    if getattr(case, "kind", "") == "minor-plan":
        return MINOR[lang]
    if getattr(case, "kind", "") == "family-plan":
        return FAMILY[lang]
    return MULTI[lang] if getattr(case, "participants", None) else TITLES[lang]


def expected_values(path: Path, lang: str) -> list[str]:
    """What a plan in `lang` must show of its case: names, codes, dates, services, places."""
    case = read_case(path)
    f = Formatter(lang)
    values = [case.case_id, case.authority.name, f.date(case.plan.drawn_up), f.date(case.plan.valid_from),
              f.date(case.plan.valid_until)]
    for _, p in persons(case):  # the person, or every member of a family
        values += [p.family_name, p.given_names, f.date(birth_date(p)), f.country(p.citizenship),
                   f.language(p.native_language)]
        if p.personal_id:
            values.append(p.personal_id)
    for _, services in service_lists(case):
        for s in services:
            values.append(f.enum("service_type", s.type)[1:])  # first letter is capitalised in the table
            values.extend(v for v in (s.description, s.provider) if v)
    if isinstance(case, FamilyPlanCase):
        values += [case.family.name, *case.family_goals]
        for m in case.family.members:
            values += [*m.goals, *(m.job_search.goals if m.job_search else [])]
            values += [v for v in (m.child_opinion, m.schooling and m.schooling.institution) if v]
    else:
        values.extend(case.plan.goals.long_term)
        values.extend(case.plan.goals.plan_period)
    values.extend(x.name for x in case.participants)
    return [norm(v) for v in values]


def test_every_sample_is_rendered(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that each sample gives a DOCX and a PDF per language, named by case id."""
    for report in rendered.values():
        assert report.status == "done", (report.file, report.failures, report.errors)
        case = read_case(report.file)
        # No-show fee notices (tests/test_notice.py) come beside the plan; here, the plan's own files.
        names = sorted(p.name for p in report.outputs if ".no-show-notice." not in p.name)
        assert names == sorted(f"{case.case_id}.{case.kind}.{lang}.{ext}"
                               for lang in case.languages for ext in ("docx", "pdf"))
        for out in report.outputs:
            assert all(p.family_name not in out.name for _, p in persons(case))
            assert out.stat().st_mode & 0o077 == 0, "documents hold personal data: owner only"


@pytest.mark.parametrize("sample", [*SAMPLES, STRESS], ids=lambda p: p.stem)
def test_documents_hold_the_case(sample: Path, rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that the DOCX and the PDF both show every key value of the case."""
    case = read_case(sample)
    report = rendered[case.case_id]
    for lang in case.languages:
        docx = next(p for p in report.outputs if p.name.endswith(f".{lang}.docx"))
        pdf = next(p for p in report.outputs if p.name.endswith(f".{lang}.pdf"))
        dtext, ptext = docx_text(docx), pdf_text(pdf)
        for value in expected_values(sample, lang):
            assert value in dtext, f"{value!r} missing from {docx.name}"
            # PDF text extraction may break long cell text over lines; compare word by word. A word
            # longer than its narrow column is hyphenated at a line end (docs/accessibility.md), and
            # pypdf keeps that hyphen ("Varsinais-Suo-men"): hyphens aside, the word is whole.
            whole = ptext.replace("-", "")
            assert all(word in ptext or word.replace("-", "") in whole for word in value.split()), \
                f"{value!r} missing from {pdf.name}"


def test_all_three_languages(rendered_all_languages: tuple[Path, list[kotodoc.CaseReport]]) -> None:
    """This test ensures that every sample renders in fi, sv and en with that language's labels and values."""
    _, reports = rendered_all_languages
    for report in reports:
        assert report.status == "done", report.failures
        case = read_case(report.file)
        for lang in ("fi", "sv", "en"):
            pdf = next(p for p in report.outputs if p.name.endswith(f".{lang}.pdf"))
            docx = next(p for p in report.outputs if p.name.endswith(f".{lang}.docx"))
            text = docx_text(docx)
            title = title_of(case, lang)
            assert title in text
            for value in expected_values(report.file, lang):
                assert value in text, (lang, value)
            facts = read_facts(pdf)
            assert facts.pdfa == "2B"
            assert facts.title == title
            assert facts.author == case.authority.name
            assert facts.subject.startswith(title) and case.basis in facts.subject
            assert facts.language.startswith(lang)
            assert not facts.unembedded and facts.fonts
            assert facts.pages >= 2


def test_localized_names_and_formats(rendered_all_languages: tuple[Path, list[kotodoc.CaseReport]]) -> None:
    """This test ensures that country and language names are localized, Dari (`prs`) included."""
    _, reports = rendered_all_languages
    tampere = next(r for r in reports if r.case_id == "TRE-2024-0064")
    texts = {lang: docx_text(next(p for p in tampere.outputs if p.name.endswith(f".{lang}.docx")))
             for lang in ("fi", "sv", "en")}
    assert "Afganistan" in texts["fi"] and "dari" in texts["fi"]
    assert "Afghanistan" in texts["sv"] and "dari" in texts["sv"]
    assert "Afghanistan" in texts["en"] and "Dari" in texts["en"]
    assert "prs" not in texts["en"].split()


def test_legal_basis_changes_the_document(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that a 2024 plan names Act 1386/2010 and the initial assessment, a 2025 plan 681/2023."""
    old = docx_text(next(p for p in rendered["TRE-2024-0064"].outputs if p.suffix == ".docx"))
    new = docx_text(next(p for p in rendered["ESP-2025-0217"].outputs if p.suffix == ".docx"))
    assert "(1386/2010)" in old and "Alkukartoitus" in old and "681/2023" not in old
    assert "(681/2023)" in new and "Osaamisen ja kotoutumisen palvelutarpeen arviointi" in new
    assert "vähintään kerran vuodessa" in old or "kerran vuodessa" in old
    assert "kuuden kuukauden" in new


def test_jobseeker_and_multisectoral_sections(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that the jobseeking section appears only for jobseekers, participants only when present."""
    vaasa = docx_text(next(p for p in rendered["VAS-TYO-2025-0088"].outputs if p.suffix == ".docx"))
    espoo = docx_text(next(p for p in rendered["ESP-2025-0217"].outputs if p.suffix == ".docx"))
    vantaa = docx_text(next(p for p in rendered["VAN-2025-0311"].outputs if p.suffix == ".docx"))
    assert "Skyldighet att söka arbete" in vaasa and "Arbetsmöjligheter att söka per månad 4" in vaasa
    assert "Työnhakuvelvollisuus" not in espoo
    assert "Multi-sectoral integration plan" in vantaa and "Vantaan ja Keravan hyvinvointialue" in vantaa
    assert "Suunnitelman laatimiseen osallistuneet" not in espoo


def test_escaping_and_scripts(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that &, <, quotes, Arabic, Cyrillic and U+202F come out intact and the XML stays valid."""
    report = rendered["TEST-STRESS_2025.001"]
    docx = next(p for p in report.outputs if p.suffix == ".docx")
    pdf = next(p for p in report.outputs if p.suffix == ".pdf")
    case = read_case(STRESS)
    text, ptext = docx_text(docx), pdf_text(pdf)
    assert case.plan.notes is not None
    for needle in ("Tulkkaus & Käännös Oy", "<b>ei lihavointia</b>", "'lainaus'", "كتابة العربية بطلاقة"):
        assert needle in text
    cyrillic = next(g for g in case.plan.goals.plan_period + case.plan.goals.long_term if any(
        "\u0400" <= ch <= "\u04ff" for ch in g))
    assert norm(cyrillic) in text
    assert "Tulkkaus & Käännös Oy" in ptext
    with zipfile.ZipFile(docx) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                etree.fromstring(z.read(name))  # strict: raises on broken XML


def test_stress_layout_keeps_long_names(rendered: dict[str, kotodoc.CaseReport]) -> None:
    """This test ensures that 60+ character names and a 400+ character goal survive the PDF whole."""
    report = rendered["TEST-STRESS_2025.001"]
    pdf = next(p for p in report.outputs if p.suffix == ".pdf")
    case = read_case(STRESS)
    ptext = pdf_text(pdf).replace("- ", "-")
    long_goal = max(case.plan.goals.long_term + case.plan.goals.plan_period, key=len)
    assert len(long_goal) > 400
    assert all(word in ptext for word in norm(long_goal).split())
    assert all(word in ptext for word in case.person.given_names.split())
    assert read_facts(pdf).pages >= 3


# ---------------------------------------------------------------------------------------------
# Issue 14: an old-Act plan names the TE Office and its review practice; the participants' kind column


def render_docx(tmp_path: Path, sample: Path, change: dict[str, object], langs: str) -> dict[str, str]:
    """A sample with top-level or `authority` keys changed, rendered to DOCX in `langs`: text by language."""
    from ruamel.yaml import YAML
    from typer.testing import CliRunner

    from kotodoc._cli import app

    yaml = YAML(typ="rt")
    data = yaml.load(sample.read_text(encoding="utf-8"))
    for key, value in change.items():
        if key.startswith("authority."):
            data["authority"][key.split(".", 1)[1]] = value
        else:
            data[key] = value
    tmp_path.mkdir(parents=True, exist_ok=True)
    case = tmp_path / sample.name
    with case.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["render", str(case), "-o", str(out), "--format", "docx", "--lang", langs])
    assert result.exit_code == 0, result.stderr
    return {p.name.split(".")[-2]: docx_text(p) for p in out.glob("*.docx") if ".no-show-notice." not in p.name}


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "samples"
TE_OFFICE = {"fi": "(TE-toimisto)", "sv": "(arbets- och näringsbyrå)", "en": "(TE Office)"}
EMPLOYMENT_AUTHORITY = {"fi": "(työvoimaviranomainen)", "sv": "(arbetskraftsmyndighet)",
                        "en": "(employment authority)"}
TE_REVIEW = {"fi": "työnhakijan haastattelujen yhteydessä tai pyynnöstäsi",
             "sv": "i samband med intervjuerna med arbetssökande eller på din begäran",
             "en": "at your jobseeker interviews or at your request"}
OLD_REVIEW = {"fi": "kunta tai TE-toimisto tarkistaa", "sv": "Den kommun eller arbets- och näringsbyrå",
              "en": "The municipality or TE Office that drew up the plan reviews it"}


def test_old_act_plan_names_the_te_office(tmp_path: Path) -> None:
    """This test ensures that a 2024 plan (1386/2010) of the employment services names the TE Office, not the
    municipal employment authority of 2025, says that the TE Office reviewed the plan at the jobseeker interviews
    or on request (no yearly minimum), and that a 2025 plan keeps the employment authority."""
    old = render_docx(tmp_path / "old", SAMPLE_DIR / "tampere-2024-fi.yaml",
                      {"authority.kind": "employment-authority"}, "fi,sv,en")
    new = render_docx(tmp_path / "new", SAMPLE_DIR / "vaasa-employment-sv.yaml", {}, "fi,sv,en")
    for lang in ("fi", "sv", "en"):
        assert TE_OFFICE[lang] in old[lang] and EMPLOYMENT_AUTHORITY[lang] not in old[lang], lang
        assert norm(TE_REVIEW[lang]) in old[lang] and norm(OLD_REVIEW[lang]) not in old[lang], lang
        assert EMPLOYMENT_AUTHORITY[lang] in new[lang] and TE_OFFICE[lang] not in new[lang], lang


def test_participants_kind_column_is_headed_by_what_it_is(tmp_path: Path) -> None:
    """This test ensures that the participants table heads its column of authority kinds with the kind of
    authority, not "participating parties"."""
    text = render_docx(tmp_path, SAMPLE_DIR / "vantaa-multisectoral-en.yaml", {}, "fi,sv,en")
    heads = {"fi": "Viranomaisen tyyppi", "sv": "Typ av myndighet", "en": "Kind of authority"}
    old = {"fi": "Osallistuvat tahot", "sv": "Deltagande aktörer", "en": "Participating parties"}
    for lang in ("fi", "sv", "en"):
        assert heads[lang] in text[lang] and old[lang] not in text[lang], lang
