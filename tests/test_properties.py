"""Property tests: any valid case renders to a whole document; any forbidden character is a located error.

Cases are drawn by hypothesis as plain data that the models of `kotodoc.model._cases` accept and that the
rules of `kotodoc.rules._legal` pass (dates in order, a first plan of at most a year, identity codes with
their right check character...), written to YAML files with ruamel.yaml, and rendered through the
real pipeline (`kotodoc.render`). Text fields draw from arbitrary Unicode (right-to-left scripts,
combining marks, emoji, U+202F, bidi controls, markup-like text) except what XML 1.0 forbids.

- DOCX: every XML part parses strictly; the text holds the names and every service description.
- PDF: many examples are collected first and converted in ONE LibreOffice run; the text holds the
  words of the names and services (drawn from scripts the PDF fonts cover), and verification passes.
- A character XML 1.0 forbids, escaped or raw, in any text field gives a located error, never a crash.

Examples are derandomized so that CI sees the same cases every run.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from docx import Document
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter

import kotodoc
from kotodoc.errors import CaseError, Severity
from kotodoc.load import load_case
from kotodoc.model import build_case
from kotodoc.rules import check_case
from tests.conftest import docx_text, norm, pdf_text

ROOT = Path(__file__).resolve().parent.parent
ESPOO = ROOT / "samples" / "espoo-municipality-fi.yaml"

# XML 1.0 forbids these (and surrogates, which hypothesis never draws as text); the loader must
# reject them with a located error.
XML_FORBIDDEN = [chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]] + ["\ufffe", "\uffff"]
SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------
# Text


# Pieces that have broken documents elsewhere: right-to-left scripts and bidi controls, combining
# marks, emoji with joiners and flags, CLDR's narrow no-break space, markup and template syntax.
FRAGMENTS = [
    "أمينة الحسن", "עמית כהן", "Nguyễn Thị", "Zoë", "e\u0301", "a\u0308\u0304", "\u202f", "\u00a0", "\u2009",
    "👩\u200d👩\u200d👧", "🇫🇮", "🧕🏽", "\u200f", "\u200e", "\u202e", "\u2066", "\u2069", "\u200b",
    "Жанна", "ß", "ﷺ", "ǅ", "İ", "&amp;", "<w:t>", "]]>", '"', "'", "{{ person }}", "{% if x %}", "\\n",
    "\t", "\u2028", "\u0085", "\ufeff", "\U0001f600", "𝔘𝔫𝔦", "\U00010348",
]
ARBITRARY = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="".join(XML_FORBIDDEN))


def texts(*, max_pieces: int = 4) -> st.SearchStrategy[str]:
    """Text of 1 to ~40 characters mixing arbitrary Unicode with the fragments above."""
    piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(ARBITRARY, min_size=1, max_size=8))
    return st.lists(piece, min_size=1, max_size=max_pieces).map("".join)


def name_texts(*, max_pieces: int = 4) -> st.SearchStrategy[str]:
    """As `texts`, with at least one letter: a name of only controls, joiners or digits is refused."""
    return texts(max_pieces=max_pieces).filter(lambda t: any(unicodedata.category(c).startswith("L") for c in t))


# Words the PDF fonts (and pypdf's extraction) handle: Latin with Nordic letters, Cyrillic, Greek.
PDF_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéüšžñçABCDEFGHIJKLMNOPRSTUVWYZÅÄÖÉŠŽабвгдежзиклмнопрстуфхчшыюяДЖΔΛΣαβγλ"


def pdf_words() -> st.SearchStrategy[str]:
    """Two or three words of two to nine letters: short enough that a table cell never splits one."""
    word = st.text(st.sampled_from(PDF_LETTERS), min_size=2, max_size=9)
    return st.lists(word, min_size=2, max_size=3).map(" ".join)


# ---------------------------------------------------------------------------------------------
# Valid cases


SERVICE_TYPES = ["finnish-studies", "swedish-studies", "integration-training", "literacy-training",
                 "civic-orientation", "guidance-and-advice", "employment-services", "health-and-wellbeing",
                 "basic-education", "preparatory-education", "hobbies", "other"]
BASES = ["quota-refugee", "asylum", "subsidiary-protection", "temporary-protection", "work", "family-member", "other"]
COUNTRIES = ["SY", "IQ", "AF", "UA", "SO", "ER", "IR", "RU", "VN", "FI"]
LANGS = ["ar", "fa", "prs", "so", "uk", "ti", "ru", "vi", "ku", "en"]
PLAN_KINDS = ["integration-plan", "minor-plan", "family-plan"]
DOC_LANGS = [["fi"], ["sv"], ["en"], ["fi", "sv"], ["fi", "en"], ["sv", "en"]]
CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def hetu(born: dt.date, individual: int) -> str:
    """An identity code for a date of birth, with its right check character."""
    sign = {18: "+", 19: "-", 20: "A"}[born.year // 100]
    digits = f"{born:%d%m%y}{individual:03d}"
    return f"{born:%d%m%y}{sign}{individual:03d}{CHECK[int(digits) % 31]}"


def days(lo: int, hi: int) -> st.SearchStrategy[dt.timedelta]:
    return st.integers(lo, hi).map(lambda n: dt.timedelta(days=n))


@st.composite
def person(draw: st.DrawFn, born: dt.date, drawn_up: dt.date, names: st.SearchStrategy[str],
           *, adult: bool) -> dict[str, Any]:
    """A `person` block; its residence dates lie between birth and the plan."""
    p: dict[str, Any] = {"family_name": draw(names), "given_names": draw(names)}
    how = draw(st.sampled_from(["id", "birth", "both"]))
    if how in ("id", "both"):
        p["personal_id"] = hetu(born, draw(st.integers(2, 899)))
    if how in ("birth", "both"):
        p["date_of_birth"] = born
    p["citizenship"] = draw(st.sampled_from(COUNTRIES))
    p["native_language"] = draw(st.sampled_from(LANGS))
    if draw(st.booleans()):
        p["address"] = draw(texts())
    earliest = max(born, drawn_up - dt.timedelta(days=900))
    first = earliest + draw(days(0, (drawn_up - earliest).days))
    p["residence"] = {"basis": draw(st.sampled_from(BASES)), "first_permit_date": first,
                      "municipality_since": first + draw(days(0, (drawn_up - first).days))}
    p["jobseeker"] = adult and draw(st.booleans())
    p["interpreter"] = {"needed": True, "language": p["native_language"]}
    return p


@st.composite
def services(draw: st.DrawFn, start: dt.date, end: dt.date, descriptions: st.SearchStrategy[str],
             *, min_size: int = 1) -> list[dict[str, Any]]:
    """One to three services within the plan period, each with a description."""
    out = []
    for _ in range(draw(st.integers(min_size, 3))):
        first = start + draw(days(0, (end - start).days))
        s: dict[str, Any] = {"type": draw(st.sampled_from(SERVICE_TYPES)), "description": draw(descriptions),
                             "start": first, "end": first + draw(days(0, (end - first).days))}
        if draw(st.booleans()):
            s["provider"] = draw(texts())
        if draw(st.booleans()):
            s["hours_per_week"] = draw(st.integers(0, 40))
        out.append(s)
    return out


@st.composite
def cases(draw: st.DrawFn, *, for_pdf: bool = False) -> dict[str, Any]:
    """A valid case of any kind, as the data of a case file."""
    kind = draw(st.sampled_from(PLAN_KINDS))
    names = pdf_words() if for_pdf else name_texts(max_pieces=3)
    descriptions = pdf_words() if for_pdf else texts()
    drawn_up = dt.date(2024, 1, 1) + draw(days(0, 900))
    valid_from = drawn_up + draw(days(0, 10))
    valid_until = valid_from + draw(days(30, 364))
    case: dict[str, Any] = {
        "kotodoc": 1,
        "kind": kind,
        "case_id": f"PROP-{draw(st.integers(0, 10**6))}",
        "languages": draw(st.sampled_from(DOC_LANGS)),
        "authority": {
            "kind": "municipality" if kind == "family-plan" else draw(
                st.sampled_from(["municipality", "employment-authority"])),
            "name": draw(name_texts()),
            "official": {"name": draw(name_texts())},
        },
    }
    if draw(st.booleans()):
        case["participants"] = [{"kind": "wellbeing-services-county", "name": draw(name_texts())}]
    plan: dict[str, Any] = {"first_plan": True, "drawn_up": drawn_up, "valid_from": valid_from,
                            "valid_until": valid_until}
    if draw(st.booleans()):
        plan["monitoring"] = {"method": draw(texts()), "reviews": [valid_from + (valid_until - valid_from) / 2]}
    if draw(st.booleans()):
        plan["notes"] = draw(texts())
    case["plan"] = plan

    def born(adult: bool) -> dt.date:
        age = draw(days(18 * 366, 70 * 365) if adult else days(400, 17 * 365))
        return drawn_up - age

    if kind == "family-plan":
        members = []
        for role in ["parent", "child", *draw(st.lists(st.sampled_from(["parent", "child"]), max_size=2))]:
            adult = role == "parent"
            m: dict[str, Any] = {"role": role, "person": draw(person(born(adult), drawn_up, names, adult=adult)),
                                 "goals": draw(st.lists(texts(), max_size=2)),
                                 "services": draw(services(valid_from, valid_until, descriptions, min_size=0))}
            if m["person"]["jobseeker"]:
                m["job_search"] = {"obligation": True, "opportunities_per_month": 4}
            if not adult:
                m["child_opinion"] = draw(texts())
            members.append(m)
        case["family"] = {"name": draw(name_texts()), "members": members}
        case["family_goals"] = draw(st.lists(texts(), max_size=2))
        case["family_services"] = draw(services(valid_from, valid_until, descriptions, min_size=0))
    else:
        adult = kind == "integration-plan"
        case["person"] = draw(person(born(adult), drawn_up, names, adult=adult))
        case["assessment"] = {
            "date": drawn_up - draw(days(0, 10)),
            "literacy": draw(st.sampled_from(["literate", "needs-literacy-training", "literate-other-script"])),
            "integration_language": draw(st.sampled_from(["fi", "sv"])),
            "strengths": draw(st.lists(texts(), max_size=2)),
            "life_situation": draw(texts()),
        }
        plan["goals"] = {"long_term": draw(st.lists(texts(), max_size=2)),
                         "plan_period": draw(st.lists(texts(), min_size=1, max_size=2))}
        plan["services"] = draw(services(valid_from, valid_until, descriptions))
        if case["person"]["jobseeker"]:
            plan["job_search"] = {"obligation": True, "opportunities_per_month": draw(st.integers(4, 10))}
        if kind == "minor-plan":
            if draw(st.booleans()):
                case["guardians"] = [{"name": draw(name_texts()), "relation": "mother"}]
            else:
                case["unaccompanied"] = True
                case["representative"] = {"name": draw(name_texts()), "appointed_by": draw(texts())}
            case["child_opinion"] = draw(texts())
    case["signatures"] = {"place": draw(texts()), "date": drawn_up}
    return case


def people(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The person blocks of a case."""
    if case["kind"] == "family-plan":
        return [m["person"] for m in case["family"]["members"]]
    return [case["person"]]


def descriptions(case: dict[str, Any]) -> list[str]:
    """Every service description of a case."""
    if case["kind"] == "family-plan":
        lists = [case["family_services"], *(m["services"] for m in case["family"]["members"])]
    else:
        lists = [case["plan"]["services"]]
    return [s["description"] for services in lists for s in services]


class _QuotingRepresenter(RoundTripRepresenter):
    """Double quotes for every text: ruamel escapes what needs escaping, nothing depends on plain style.

    A subclass, because `add_representer` on ruamel's own class would change every later dump.
    """


_QuotingRepresenter.add_representer(
    str, lambda r, value: r.represent_scalar("tag:yaml.org,2002:str", value, style='"'))


def composed(data: Any) -> Any:
    """`data` with every text in Unicode's composed form (NFC), as the loader reads it."""
    if isinstance(data, str):
        return unicodedata.normalize("NFC", data)
    if isinstance(data, dict):
        return {composed(k): composed(v) for k, v in data.items()}
    if isinstance(data, list):
        return [composed(v) for v in data]
    return data


def write_case(case: dict[str, Any], path: Path) -> bool:
    """Write a case as YAML, check that it reads back as the same data, and tell whether it is valid.

    Returns:
        Whether the model accepts the case and the rules find no error in it.
    """
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.width = 10_000
    yaml.Representer = _QuotingRepresenter
    buffer = io.StringIO()
    yaml.dump(case, buffer)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    loaded = load_case(path)
    # The loader puts text in composed form (NFC); nothing else may change.
    assert loaded.data == composed(case), "the YAML writer changed the data"
    built = build_case(loaded)
    return not [f for f in check_case(built, loaded) if f.severity is Severity.ERROR]


# ---------------------------------------------------------------------------------------------
# DOCX


def check_docx(docx: Path, case: dict[str, Any]) -> None:
    """Every XML part parses strictly; the text holds the names and the service descriptions."""
    strict = etree.XMLParser(recover=False, resolve_entities=False)
    with zipfile.ZipFile(docx) as z:
        parts = [n for n in z.namelist() if n.endswith((".xml", ".rels"))]
        assert "word/document.xml" in parts
        for name in parts:
            etree.fromstring(z.read(name), parser=strict)
    Document(str(docx))  # python-docx opens it
    text = docx_text(docx)
    for p in people(case):
        assert norm(p["family_name"]) in text, f"family name {p['family_name']!r} missing"
        assert norm(p["given_names"]) in text, f"given names {p['given_names']!r} missing"
    for description in descriptions(case):
        assert norm(description) in text, f"service description {description!r} missing"


@settings(SETTINGS, max_examples=40)
@given(case=cases())
def test_any_valid_case_renders_to_a_whole_docx(case: dict[str, Any]) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        assume(write_case(case, path))
        (report,) = kotodoc.render([path], Path(tmp) / "out", formats=("docx",))
        assert report.status == "done", [str(f) for f in report.errors] + report.failures
        # One document, bilingual when the case has two languages.
        edition = "+".join(case["languages"])
        assert [p.name for p in report.outputs] == [f"{case['case_id']}.{case['kind']}.{edition}.docx"]
        for docx in report.outputs:
            check_docx(docx, case)


def test_strategy_draws_every_kind_and_no_forbidden_character() -> None:
    """This test ensures that the strategy covers the three kinds and that its text holds no forbidden character."""
    seen: set[str] = set()
    forbidden = re.compile("[" + "".join(XML_FORBIDDEN) + "]")

    @settings(SETTINGS, max_examples=30)
    @given(case=cases())
    def collect(case: dict[str, Any]) -> None:
        seen.add(case["kind"])
        texts_of_case = [v for p in people(case) for v in (p["family_name"], p["given_names"])] + descriptions(case)
        assert not any(forbidden.search(t) for t in texts_of_case)

    collect()
    assert seen == set(PLAN_KINDS)


# ---------------------------------------------------------------------------------------------
# PDF: collect examples, convert them in one LibreOffice run


@pytest.mark.soffice
def test_any_valid_case_renders_to_a_pdf_with_its_names(tmp_path: Path) -> None:
    drawn: list[dict[str, Any]] = []

    @settings(SETTINGS, max_examples=10)
    @given(case=cases(for_pdf=True))
    def collect(case: dict[str, Any]) -> None:
        case["case_id"] = f"PDF-{len(drawn)}"
        assume(write_case(case, tmp_path / f"{case['case_id']}.yaml"))
        drawn.append(case)

    collect()
    assert len(drawn) >= 6
    paths = [tmp_path / f"{c['case_id']}.yaml" for c in drawn]
    reports = kotodoc.render(paths, tmp_path / "out", formats=("pdf",))
    for case, report in zip(drawn, reports, strict=True):
        assert report.status == "done", (case["case_id"], [str(f) for f in report.errors], report.failures)
        for pdf in report.outputs:
            text = pdf_text(pdf)
            words = [w for p in people(case) for w in (p["family_name"] + " " + p["given_names"]).split()]
            words += [w for d in descriptions(case) for w in d.split()]
            missing = [w for w in words if norm(w) not in text]
            assert not missing, f"{pdf.name}: {missing}"


# ---------------------------------------------------------------------------------------------
# Forbidden characters: a located error, never a crash


SAMPLE_TEXT = ESPOO.read_text(encoding="utf-8")
# Text fields of the Espoo sample: (YAML path, what precedes the value on its line, the value)
FIELDS = [
    ("person.family_name", "  family_name: ", "Saleh"),
    ("person.given_names", "  given_names: ", "Yaser Karim"),
    ("person.address", "  address: ", "Kirkkojärventie 9 C 21, 02770 Espoo"),
    ("authority.name", "  name: ", "Espoon kaupunki"),
    ("authority.unit", "  unit: ", "Maahanmuuttajapalvelut"),
    ("authority.official.title", "    title: ", "Kotoutumisohjaaja"),
    ("assessment.conducted_by", "  conducted_by: ", "Sanna Lehtinen"),
    ("assessment.strengths.1", "    - ", "Motivoitunut oppimaan suomea"),
    ("plan.goals.long_term.0", "      - ", "Työllistyminen sähköalalle Suomessa"),
    ("plan.services.1.description", "      description: ", "Kotoutumiskoulutus, päiväryhmä"),
    ("plan.services.1.provider", "      provider: ", "Omnia"),
    ("plan.monitoring.method", "    method: ", "Tapaaminen kotoutumisohjaajan kanssa (tulkki paikalla)"),
    ("plan.notes", "  notes: ", "Asiakas ilmoittautuu työnhakijaksi kotoutumiskoulutuksen päätyttyä."),
    ("signatures.place", "  place: ", "Espoo"),
]


def _escape(char: str) -> str:
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


@settings(SETTINGS, max_examples=80)
@given(field=st.sampled_from(FIELDS), char=st.sampled_from([*XML_FORBIDDEN, "\ud800", "\udfff"]),
       before=st.text(st.sampled_from("abcäö "), max_size=5), raw=st.booleans())
def test_a_forbidden_character_is_a_located_error(field: tuple[str, str, str], char: str, before: str,
                                                  raw: bool) -> None:
    path, head, value = field
    new = f"{head}{before}{char}{value}" if raw else f'{head}"{before}{_escape(char)}{value}"'
    assert SAMPLE_TEXT.count(f"\n{head}{value}\n") == 1
    text = SAMPLE_TEXT.replace(f"\n{head}{value}\n", f"\n{new}\n")
    number = text[: text.index(f"\n{new}\n")].count("\n") + 2  # YAML counts only line feeds
    with TemporaryDirectory() as tmp:
        file = Path(tmp) / "case.yaml"
        file.write_bytes(text.encode("utf-8", "surrogatepass"))  # a raw surrogate becomes invalid UTF-8
        with pytest.raises(CaseError) as info:
            build_case(load_case(file))
    (finding,) = info.value.findings
    assert (finding.file, finding.line) == (str(file), number), str(finding)
    if raw:
        # The YAML reader (or the UTF-8 decoder, for a surrogate) stops at the character itself.
        assert (finding.path, finding.column) == ("", len(head) + len(before) + 1), str(finding)
    else:
        # The loader names the field and points at its value.
        assert (finding.path, finding.column) == (path, len(head) + 1), str(finding)
        assert f"U+{ord(char):04X}" in finding.message


# ---------------------------------------------------------------------------------------------
# The checks can fail


def test_docx_check_fails_on_a_missing_name_or_broken_xml(tmp_path: Path) -> None:
    """This test ensures that `check_docx` is not vacuous: a name not in the document, or broken XML, fails it."""
    case = load_case(ESPOO).data
    (report,) = kotodoc.render([ESPOO], tmp_path / "out", formats=("docx",))
    docx = next(p for p in report.outputs if ".integration-plan." in p.name)
    check_docx(docx, case)
    other = {**case, "person": {**case["person"], "family_name": "Virtanen-Ei-Ole"}}
    with pytest.raises(AssertionError, match="family name"):
        check_docx(docx, other)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(docx) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(b"</w:body>", b"<w:p></w:body>") if item.filename == "word/document.xml"
                         else data)
    with pytest.raises(etree.XMLSyntaxError):
        check_docx(broken, case)
