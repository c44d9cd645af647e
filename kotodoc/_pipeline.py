"""The pipeline: case file → load → model → rules → context → DOCX → PDF → finish.

This is the library API the CLI (and a case system) calls. It never prints and never exits; it
returns one `CaseReport` per case file, whatever happened to it: done, invalid or failed. Outputs
of a case are staged in a private working directory inside the output directory and moved into
place only when every document of the case is whole, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from kotodoc._claim import claim_files
from kotodoc._context import build_context, claim_context, notice_context
from kotodoc._data import act_params
from kotodoc._docx import compiled, fixed_time
from kotodoc._files import atomic_move, atomic_write, private_dir
from kotodoc._finish import encrypt_pdf, verify_pdf
from kotodoc._load import load_case
from kotodoc._model import Case, InterpretationClaimCase, build_case
from kotodoc._notice import notices
from kotodoc._pdf import convert
from kotodoc._rules import check_case
from kotodoc._templates import Profile, TemplateSet, builtin_root, template_set
from kotodoc.errors import CaseError, Finding, KotodocError, Severity, UsageError

Status = Literal["done", "valid", "invalid", "failed"]
Format = Literal["docx", "pdf"]
LANGUAGES = ("fi", "sv", "en")
_DOC_LANG = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}


@dataclass
class CaseReport:
    """What became of one case file."""

    file: Path
    status: Status
    case_id: str | None = None
    kind: str | None = None
    findings: list[Finding] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    digests: dict[str, str] = field(default_factory=dict)  # output name -> sha256 (batch)
    reused: bool = False  # batch: unchanged since the last run, outputs kept

    @property
    def errors(self) -> list[Finding]:
        """The findings that stop the document."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that are shown but do not stop the document."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (no personal data: case ids, paths of outputs, findings)."""
        return {
            "file": str(self.file),
            "status": self.status,
            "case_id": self.case_id,
            "kind": self.kind,
            "outputs": [str(p) for p in self.outputs],
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
        }


def templates_root() -> Path:
    """The built-in templates: `templates/` beside the package, or inside an installed wheel."""
    return builtin_root()


def editions(languages: Sequence[str] | None, case: Case | None = None) -> list[tuple[str, ...]]:
    """The documents' languages: one tuple per edition, two languages for a bilingual one.

    `["fi", "sv"]` gives two documents, `["fi+sv"]` one bilingual document; without `languages`,
    the case's own `languages` make one edition (two of them are one bilingual document, as the
    case format says).

    Raises:
        UsageError: an unknown language, or a bilingual edition whose two languages are the same.
    """
    if not languages:
        return [tuple(case.languages)] if case is not None else []
    result: list[tuple[str, ...]] = []
    for spec in languages:
        langs = tuple(part.strip() for part in spec.split("+"))
        for lang in langs:
            if lang not in LANGUAGES:
                raise UsageError(f"unknown language {lang!r}: choose from {', '.join(LANGUAGES)}, or two as fi+sv")
        if len(langs) > 2 or len(set(langs)) != len(langs):
            raise UsageError(f"a bilingual document has two different languages, as fi+sv, not {spec!r}")
        result.append(langs)
    return result


def check_file(
    path: Path, *, rule_data: dict[str, Any] | None = None, profile: Profile | None = None
) -> tuple[Case | None, CaseReport]:
    """Load, validate and apply the rules to one case file.

    Args:
        path: the case file.
        rule_data: rule parameters replacing the built-in ones.
        profile: the authority's profile, whose details fill in the case's `authority`.

    Returns:
        The case (None when invalid) and its report with status "valid" or "invalid".
    """
    start = time.perf_counter()
    try:
        loaded = load_case(path)
        if profile is not None:
            loaded = profile.apply(loaded)
        case = build_case(loaded)
    except CaseError as e:
        return None, CaseReport(path, "invalid", findings=e.findings, seconds=time.perf_counter() - start)
    findings = check_case(case, loaded, rule_data)
    report = CaseReport(path, "valid", case.case_id, case.kind, findings, seconds=time.perf_counter() - start)
    if report.errors:
        report.status = "invalid"
        return None, report
    return case, report


def validate(
    paths: Iterable[Path],
    *,
    rule_data: dict[str, Any] | None = None,
    templates: Path | None = None,
    profile: Path | None = None,
) -> list[CaseReport]:
    """Validate case files without rendering them; one report per file.

    `templates` and `profile` as for `render`: a profile fills in the cases' authority details.

    Raises:
        UsageError: the template directory or the profile is missing or not usable.
    """
    look = template_set(templates, profile)
    return [check_file(Path(p), rule_data=rule_data, profile=look.profile)[1] for p in paths]


@dataclass(frozen=True)
class Document:
    """One document a case produces: which template, in which language(s), under which name."""

    stem: str  # the output name without suffix, from the case id (never a person's name)
    template: str  # `templates/<lang>/<template>.docx`
    langs: tuple[str, ...]  # one language, or two for a bilingual document (in this order)
    context: Callable[[str], dict[str, Any]]  # the context in one language, built when rendered
    # Files written beside the document when it is published, by file name (a claim's CSV).
    extras: Callable[[], dict[str, bytes]] | None = None

    @property
    def lang(self) -> str:
        """The document's (first) language: its PDF's /Lang and its properties' language."""
        return self.langs[0]


def documents(
    case: Case | InterpretationClaimCase,
    languages: Sequence[str] | None = None,
    *,
    rule_data: dict[str, Any] | None = None,
) -> list[Document]:
    """Every document a case produces, in each edition of `languages` (see `editions`).

    This is the one place that decides what a case becomes: a plan gives the plan in each edition,
    then a no-show fee notice per appointment for which the FEE rules allow a fee, in each edition
    (`ESP-2025-0217.no-show-notice.2025-06-11.fi`); a claim gives the claim in each edition, and
    the CSV of its claimed rows beside the first. A bilingual edition is named `fi+sv`.
    """
    wanted = editions(languages, case)
    if isinstance(case, InterpretationClaimCase):
        return [
            Document(f"{case.case_id}.{case.kind}.{'+'.join(langs)}", case.kind, langs, partial(claim_context, case),
                     partial(claim_files, case) if n == 0 else None)
            for n, langs in enumerate(wanted)
        ]
    plans = [
        Document(f"{case.case_id}.{case.kind}.{'+'.join(langs)}", case.kind, langs, partial(build_context, case))
        for langs in wanted
    ]
    due = notices(case, act_params(case.basis, rule_data), fixed_time().date())
    return plans + [
        Document(f"{case.case_id}.{notice.stem}.{'+'.join(langs)}", "no-show-notice", langs,
                 partial(notice_context, case, notice))
        for notice in due for langs in wanted
    ]


def render(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    formats: Sequence[Format] = ("docx", "pdf"),
    languages: Sequence[str] | None = None,
    rule_data: dict[str, Any] | None = None,
    templates: Path | None = None,
    profile: Path | None = None,
    password: str | None = None,
) -> list[CaseReport]:
    """Render case files into documents.

    Args:
        paths: case files.
        out_dir: where the documents go (created if missing).
        formats: "docx", "pdf" or both.
        languages: document languages replacing each case's own `languages`: `["fi", "sv"]` for
            two documents, `["fi+sv"]` for one bilingual document.
        rule_data: rule parameters replacing the built-in `data/rules.yaml`.
        templates: a municipality's template directory (`<lang>/<kind>.docx`) over the built-ins.
        profile: the authority's profile (fixed details, logo); default `profile.yaml` in `templates`.
        password: encrypt every PDF with this password (AES-256); PDF output only, since a DOCX
            beside it would not be encrypted. An encrypted PDF is not PDF/A (the standard forbids it).

    Returns:
        One report per case file, in the order given.

    Raises:
        UsageError: an unknown format or language, a missing template directory or profile, or
            LibreOffice missing for PDF output.
    """
    editions(languages)  # an unknown language fails before any work
    if not formats or any(f not in ("docx", "pdf") for f in formats):
        raise UsageError("formats are docx, pdf or both")
    check_password(password, formats)
    look = template_set(templates, profile)
    reports: list[CaseReport] = []
    jobs: list[_Job] = []
    used_ids: dict[str, Path] = {}
    for path in paths:
        case, report = check_file(Path(path), rule_data=rule_data, profile=look.profile)
        reports.append(report)
        if case is None:
            continue
        if case.case_id in used_ids:
            report.status = "failed"
            report.failures.append(f"case_id {case.case_id} is also used by {used_ids[case.case_id]} in this run")
            continue
        used_ids[case.case_id] = report.file
        jobs.append(_Job(case, report, documents(case, languages, rule_data=rule_data)))
    if not jobs:
        return reports

    private_dir(out_dir)
    work = Path(tempfile.mkdtemp(prefix=".kotodoc-work-", dir=out_dir))
    try:
        _render_docx(jobs, look, work)
        if "pdf" in formats:
            _render_pdf(jobs, work, password)
        for job in jobs:
            _publish(job, out_dir, formats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return reports


@dataclass
class _Job:
    case: Case
    report: CaseReport
    documents: list[Document]
    # by document stem
    docx: dict[str, Path] = field(default_factory=dict)
    pdf: dict[str, Path] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @property
    def ok(self) -> bool:
        return not self.report.failures


def render_document(case: Case, doc: Document, look: TemplateSet, target: Path, stamp: dt.datetime) -> str:
    """Render one document of a case into `target` (with its core properties); return its title.

    A bilingual document is rendered from its two templates joined (`_compose`), each version with
    its own context: the first version's language leads its properties, and its title names both.

    Raises:
        FileNotFoundError: no template for the document's kind and language.
        KotodocError, OSError: the template failed, or the file could not be written.
    """
    logo = look.logo
    contexts: list[dict[str, Any]] = []
    for lang in doc.langs:
        context = doc.context(lang)
        context["logo"] = logo.context() if logo else None
        contexts.append(context)
    title = " / ".join(str(c["title"]) for c in contexts)
    subject = f"{contexts[0]['title']} · {contexts[0]['act']}"
    # Two languages: their templates joined once per process, each version rendered with its context.
    template = compiled(*(look.path(doc.template, lang) for lang in doc.langs), langs=doc.langs)
    atomic_write(target, template.render(contexts, _properties(case, title, subject, doc.lang), stamp, logo))
    return title


def _properties(case: Case, title: str, subject: str, lang: str) -> dict[str, str]:
    return {"title": title, "author": case.authority.name, "subject": subject, "language": _DOC_LANG[lang],
            "keywords": case.case_id}


def failure_message(error: Exception, doc: Document) -> str:
    """What a case's report says when one of its documents could not be rendered."""
    if isinstance(error, FileNotFoundError):
        return f"no template for {doc.template} in language {doc.lang}"
    if isinstance(error, KotodocError):
        return str(error)
    if isinstance(error, OSError):
        return f"cannot write the DOCX: {error.strerror}"
    # A bug fails this case, not the whole run. The type only: an exception's text may quote
    # personal data. KOTODOC_DEBUG=1 lets it through with its traceback.
    if os.environ.get("KOTODOC_DEBUG") == "1":
        raise error
    return f"internal error ({type(error).__name__}) rendering {doc.stem}"


def _render_docx(jobs: list[_Job], look: TemplateSet, work: Path) -> None:
    stamp = fixed_time()
    for job in jobs:
        for doc in job.documents:
            target = work / f"{doc.stem}.docx"
            try:
                job.titles[doc.stem] = render_document(job.case, doc, look, target, stamp)
                job.docx[doc.stem] = target
            except Exception as e:  # noqa: BLE001 (failure_message sorts it out; a bug re-raised under KOTODOC_DEBUG)
                job.report.failures.append(failure_message(e, doc))


def check_password(password: str | None, formats: Sequence[str]) -> None:
    """An encryption password is given only for PDF output, and is not empty.

    Raises:
        UsageError: a DOCX would be written unencrypted beside the encrypted PDF, or the password is empty.
    """
    if password is None:
        return
    if not password:
        raise UsageError("the PDF password is empty")
    if tuple(formats) != ("pdf",):
        raise UsageError("encryption needs --format pdf: a DOCX beside the PDF would not be encrypted")


def _render_pdf(jobs: list[_Job], work: Path, password: str | None) -> None:
    sources = [(job, doc, job.docx[doc.stem]) for job in jobs if job.ok for doc in job.documents]
    if not sources:
        return
    results = convert([path for _, _, path in sources], work / "pdf")
    for (job, doc, _), result in zip(sources, results, strict=True):
        if result.error is not None or result.pdf is None:
            job.report.failures.append(str(result.error))
            continue
        try:
            verify_pdf(result.pdf, title=job.titles[doc.stem], author=job.case.authority.name,
                       language=_DOC_LANG[doc.lang])
            if password is not None:
                encrypt_pdf(result.pdf, password)  # last: verified as PDF/A first
        except KotodocError as e:
            job.report.failures.append(str(e))
            continue
        job.pdf[doc.stem] = result.pdf


def _publish(job: _Job, out_dir: Path, formats: Sequence[Format]) -> None:
    """Move a case's documents into place, all or none."""
    report = job.report
    report.seconds += time.perf_counter() - job.started
    if not job.ok:
        report.status = "failed"
        return
    moves: list[tuple[Path, Path]] = []
    for doc in job.documents:
        if "docx" in formats:
            moves.append((job.docx[doc.stem], out_dir / f"{doc.stem}.docx"))
        if "pdf" in formats:
            moves.append((job.pdf[doc.stem], out_dir / f"{doc.stem}.pdf"))
    extras = {out_dir / name: data for doc in job.documents if doc.extras for name, data in doc.extras().items()}
    try:
        for src, dst in moves:
            atomic_move(src, dst)
            report.outputs.append(dst)
        for dst, data in extras.items():
            atomic_write(dst, data)
            report.outputs.append(dst)
    except OSError as e:
        report.failures.append(f"cannot write to {out_dir}: {e.strerror}")
        report.status = "failed"
        return
    report.status = "done"
