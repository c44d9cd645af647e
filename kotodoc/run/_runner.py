"""The one runner: `render` and `batch` take every case through the same steps.

check (load, model, rules) → documents → DOCX (`_pipeline`) → PDF (`ConverterPool`) → finish
(pin, verify, encrypt) → publish. `render` is this runner with one worker (in-process) and one
LibreOffice lane; `batch` adds worker processes, several lanes, the manifest, shards and a bundle.

- Case files are found (folders, globs, files), sorted, and optionally cut to one CI shard (batch).
- Workers check each case and render its DOCX files with templates prepared once (the template
  cache, `docx/_cache.py`: the first worker to need a template prepares it, the others and later
  runs load it); a case is rendered only once it is valid, and nothing invalid reaches LibreOffice.
- The LibreOffice lanes start at once and take DOCX files as soon as they exist, so conversion
  overlaps rendering.
- A case is published (moved into the output directory, all or none) when its last document is
  finished, and (batch) recorded in the manifest at once, so an interrupted batch loses nothing
  finished and a rerun does only the rest.
- Every case ends done, invalid or failed (`CaseReport.status`, derived from what happened).

The manifest (`.kotodoc-manifest.jsonl` in the output directory, see `_manifest`) lets a rerun
skip a case whose inputs are unchanged and whose outputs are intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kotodoc._files import atomic_move, atomic_write, check_output_file, make_work_dir, private_dir, remove_work_dir
from kotodoc._languages import BCP47, edition_name
from kotodoc._version import __version__
from kotodoc.docx import template_set
from kotodoc.errors import KotodocError, UsageError
from kotodoc.pdf import (
    Conversion,
    ConverterPool,
    LaneSession,
    WarmLanes,
    amend_pdf,
    bundle_pdfs,
    encrypt_pdf,
    pin_pdf,
    soffice_binary,
    verify_pdf,
)
from kotodoc.run._check import CaseReport, check_file
from kotodoc.run._find import Skipped, survey
from kotodoc.run._manifest import KeyTable, Manifest, sha256_file
from kotodoc.run._options import RunOptions
from kotodoc.run._reports import Reports
from kotodoc.run._steps import documents, failure_message, render_document

Progress = Callable[[CaseReport, int, int], None]


@dataclass
class BatchReport:
    """What became of every case of a batch, with totals."""

    cases: Sequence[CaseReport]  # a run's `Reports`: read back from disk when used
    seconds: float
    documents: int = 0
    reused: int = 0
    libreoffice_starts: int = 0
    bundle: Path | None = None
    shard: tuple[int, int] | None = None
    warnings: list[str] = field(default_factory=list)  # about the run, not a case (a damaged manifest)
    skipped: list[Skipped] = field(default_factory=list)  # files found that are not cases of this run

    def count(self, status: str) -> int:
        """How many cases ended with `status`."""
        if isinstance(self.cases, Reports):
            return self.cases.count(status)  # counted as they ended, not read back
        return sum(1 for c in self.cases if c.status == status)

    def summary(self) -> dict[str, Any]:
        """The totals: cases by status, files, LibreOffice starts, time, shard, bundle, skipped files."""
        return {
            "cases": len(self.cases),
            "done": self.count("done"),
            "invalid": self.count("invalid"),
            "failed": self.count("failed"),
            "reused": self.reused,
            "documents": self.documents,
            "libreoffice_starts": self.libreoffice_starts,
            "seconds": round(self.seconds, 3),
            "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None,
            "bundle": str(self.bundle) if self.bundle else None,
            "skipped": len(self.skipped),
        }

    def _head(self) -> dict[str, Any]:
        return {"kotodoc": __version__, "summary": self.summary(), "warnings": self.warnings,
                "skipped": [s.as_dict() for s in self.skipped]}

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: per case status, outputs with sha256, findings, duration."""
        return {**self._head(), "cases": [_case_dict(c) for c in self.cases]}

    def write_json(self, out: TextIO) -> None:
        """Write `as_dict()` as indented JSON, a case at a time.

        The same text as `json.dumps(self.as_dict(), ensure_ascii=False, indent=2)`, without
        holding every case's entry at once: a report of 10,000 cases stays out of memory.
        """
        head = json.dumps(self._head(), ensure_ascii=False, indent=2)
        out.write(head[:-2] + ',\n  "cases": [')  # head ends with "\n}"
        first = True
        for case in self.cases:
            entry = json.dumps(_case_dict(case), ensure_ascii=False, indent=2).replace("\n", "\n    ")
            out.write(("\n    " if first else ",\n    ") + entry)
            first = False
        out.write("]\n}\n" if first else "\n  ]\n}\n")


def _case_dict(report: CaseReport) -> dict[str, Any]:
    entry = report.as_dict()
    entry["outputs"] = [{"path": str(p), "sha256": report.digests.get(p.name, "")} for p in report.outputs]
    entry["reused"] = report.reused
    return entry


# ---------------------------------------------------------------------------------------------
# Finding the cases


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` -> (2, 4): the second of four shards.

    Raises:
        UsageError: not of the form I/N with 1 ≤ I ≤ N.
    """
    try:
        index, total = (int(x) for x in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected I/N, such as 1/4") from None
    if not 1 <= index <= total:
        raise UsageError(f"--shard {text!r}: I must be between 1 and N")
    return index, total


def in_shard(path: Path, shard: tuple[int, int]) -> bool:
    """Whether a case file belongs to a shard.

    By a hash of its path as found, not its position in the list: adding a case file does not
    move the others to other shards, and every runner of a CI matrix agrees without talking.
    """
    index, total = shard
    digest = hashlib.sha256(path.as_posix().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total == index - 1


# ---------------------------------------------------------------------------------------------
# The steps of one case, in a worker process (or in-process for one worker)


@dataclass
class _Prepared:
    """A case checked and its DOCX files rendered into the working directory."""

    report: CaseReport
    docs: list[tuple[str, str, str, Path]] = field(default_factory=list)  # stem, lang, title, docx
    extras: list[tuple[str, Path]] = field(default_factory=list)  # files beside the documents (a claim's CSV)
    author: str = ""


def _prepare(args: tuple[Path, Path, RunOptions]) -> _Prepared:
    """Check a case and render its DOCX files: the `prepare` and `render DOCX` steps.

    Everything comes in the arguments, the run's options (and its time stamp) included: a
    worker started by the forkserver has the environment of the forkserver's start.
    """
    path, work, options = args
    start = time.perf_counter()
    # The profile is read once per process (cached), not sent with every case.
    look = template_set(options.templates, options.profile)
    case, report = check_file(path, rule_data=options.rule_data, profile=look.profile, notice_date=options.issued)
    prepared = _Prepared(report)
    if case is None:
        report.seconds = time.perf_counter() - start
        return prepared
    prepared.author = case.authority.name
    for doc in documents(case, options.editions, rule_data=options.rule_data, today=options.issued):
        target = work / f"{doc.stem}.docx"
        try:
            # A template is prepared once for all workers (and runs: `options.template_cache`).
            title = render_document(case, doc, look, target, options.stamp, join_cache=work / "joined",
                                    limits=options.render_limits, cache=options.template_cache)
            prepared.docs.append((doc.stem, doc.lang, title, target))
            for name, payload in (doc.extras() if doc.extras else {}).items():
                atomic_write(work / name, payload, sync=False)  # a working file
                prepared.extras.append((name, work / name))
        except Exception as e:  # noqa: BLE001 (failure_message sorts it out; a bug re-raised under KOTODOC_DEBUG)
            report.failures.append(failure_message(e, doc))
    report.seconds = time.perf_counter() - start
    return prepared


# ---------------------------------------------------------------------------------------------
# The one runner: render and batch


def render(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    formats: Sequence[str] = ("docx", "pdf"),
    languages: str | Sequence[str] | None = None,
    rule_data: dict[str, Any] | None = None,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    password: str | None = None,
    doc_timeout: float = 60.0,
    notice_date: dt.date | None = None,
    skipped: list[Skipped] | None = None,
    lanes: WarmLanes | None = None,
) -> list[CaseReport]:
    """Render case files into documents: the batch runner with one worker and one LibreOffice lane.

    Every guarantee of `batch` holds: a case's documents are published all or none, a document
    LibreOffice fails on is retried once, a hung LibreOffice is killed after `doc_timeout`, and
    with `SOURCE_DATE_EPOCH` set the same case gives byte-identical files. Unlike `batch`, every
    case is rendered afresh and no manifest is kept.

    Args:
        paths: case files, folders and globs (as for `batch`).
        out_dir: where the documents go (created if missing).
        formats: "docx", "pdf" or both.
        languages: document languages replacing each case's own `languages`: `["fi", "sv"]` for
            two documents, `["fi+sv"]` for one bilingual document.
        rule_data: rule parameters replacing the built-in `data/rules.yaml`.
        templates: a municipality's template directory (`<lang>/<kind>.docx`) over the built-ins.
        profile: the authority's profile (fixed details, logo); default `profile.yaml` in `templates`.
        password: encrypt every PDF with this password (AES-256); PDF output only, since a DOCX
            beside it would not be encrypted. An encrypted PDF is not PDF/A (the standard forbids it).
        doc_timeout: seconds a document may take in LibreOffice before the instance is killed.
        notice_date: the date of the no-show fee notices whose appointment gives no `notice_date`
            of its own (FEE-DATES); default: the day of the run (`SOURCE_DATE_EPOCH` when set).
        skipped: collects the files found that are not cases of this run (a claimant file, a
            profile, a template directory's own case), each with its reason (see `survey`).
        lanes: warm LibreOffice lanes to convert on (a service's, shared by its requests) instead
            of a lane started for this call.

    Returns:
        One report per case file, in the order given (a folder's files sorted by path).

    Raises:
        UsageError: an unknown format or language, a missing template directory or profile, or
            LibreOffice missing for PDF output.
    """
    options = RunOptions.make(formats=formats, languages=languages, rule_data=rule_data, templates=templates,
                              profile=profile, password=password, jobs=1, doc_timeout=doc_timeout,
                              notice_date=notice_date)
    template_set(options.templates, options.profile)  # a missing directory or a broken profile: before the search
    found = survey(paths, templates=options.templates, profile=options.profile, sort=False, strict=False)
    if skipped is not None:
        skipped.extend(found.skipped)
    reports, _ = run(found.cases, Path(out_dir), options, lanes=lanes)
    return list(reports)


def batch(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    formats: Sequence[str] = ("docx", "pdf"),
    languages: str | Sequence[str] | None = None,
    jobs: int | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    bundle: str | Path | None = None,
    doc_timeout: float = 60.0,
    restart_after: int = 200,
    rule_data: dict[str, Any] | None = None,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    notice_date: dt.date | None = None,
) -> BatchReport:
    """Render many case files: checked and rendered in parallel, converted by LibreOffice lanes.

    Args:
        inputs: case files, folders and globs.
        out_dir: where the documents, the manifest and (by default) the bundle go.
        formats: "docx", "pdf" or both.
        languages: document languages replacing each case's own: `["fi", "sv"]` for two documents,
            `["fi+sv"]` for one bilingual document.
        jobs: worker processes and LibreOffice instances; default the CPU count.
        shard: (I, N): only the I-th of N shards of the cases.
        force: redo cases the manifest says are unchanged.
        bundle: also write one print-ready PDF of the batch here (needs PDF output).
        doc_timeout: seconds a document may take in LibreOffice before the instance is restarted.
        restart_after: documents per LibreOffice start (bounds its memory growth).
        rule_data: rule parameters replacing `data/rules.yaml`.
        templates: a municipality's template directory (`<lang>/<kind>.docx`) over the built-ins.
        profile: the authority's profile (fixed details, logo); default `profile.yaml` in `templates`.
        password: encrypt every PDF with this password (AES-256); PDF output only (see `render`).
        progress: called after each case ends, with its report, the count ended and the total.
        notice_date: the date of the no-show fee notices whose appointment gives none (see `render`).

    Returns:
        The report: one entry per case, in case order.

    Raises:
        UsageError: bad options, no cases, LibreOffice missing for PDF output.
    """
    started = time.perf_counter()
    options = RunOptions.make(formats=formats, languages=languages, rule_data=rule_data, templates=templates,
                              profile=profile, password=password, jobs=jobs, doc_timeout=doc_timeout,
                              restart_after=restart_after, notice_date=notice_date)
    if bundle is not None and password is not None:
        raise UsageError("--bundle and --encrypt do not go together: the bundle would be an unencrypted copy")
    if bundle is not None and not options.pdf:
        raise UsageError("--bundle needs PDF output")
    if bundle is not None:
        try:
            check_output_file(Path(bundle))  # never over a device or through a symlink
        except OSError as e:
            raise UsageError(f"--bundle {bundle}: {e.strerror}") from None
    template_set(options.templates, options.profile)  # a missing directory or a broken profile: before the search
    found = survey(inputs, templates=options.templates, profile=options.profile)
    paths = found.cases
    if shard is not None:
        paths = paths.select(lambda p: in_shard(p, shard))  # kept as compactly as the search's
    out = Path(out_dir)
    warnings: list[str] = []
    reports, starts = run(paths, out, options, resume=True, force=force, progress=progress, warnings=warnings)
    report = BatchReport(reports, 0.0, reports.outputs, reports.reused, starts, shard=shard, warnings=warnings,
                         skipped=found.skipped)
    if bundle is not None:
        pdfs = [(p.stem, p) for r in reports if r.status == "done" for p in r.outputs if p.suffix == ".pdf"]
        if pdfs:
            bundle_pdfs(pdfs, Path(bundle))
            report.bundle = Path(bundle)
    report.seconds = time.perf_counter() - started
    return report


def run(
    paths: Sequence[Path],
    out_dir: Path,
    options: RunOptions,
    *,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    warnings: list[str] | None = None,
    lanes: WarmLanes | None = None,
) -> tuple[Reports, int]:
    """The one runner: check, render DOCX, convert, finish and publish every case; one report each.

    Args:
        paths: the case files, in the order their reports come back.
        out_dir: where the documents go (created if missing, owner-only).
        options: the run's options.
        resume: keep a manifest in `out_dir` and reuse a case's outputs when nothing it depends
            on changed (batch); without it every case is rendered afresh (render).
        force: with `resume`, redo every case all the same.
        progress: called after each case ends, with its report, the count ended and the total.
        warnings: collects what was wrong with the run's own files (a damaged manifest line).
        lanes: warm LibreOffice lanes shared with other runs (kotodoc serve), converting instead of
            lanes started for this run.

    Returns:
        The reports in the order of `paths` (kept on disk, read back when used: `Reports`), and how
        many times LibreOffice was started.

    Raises:
        UsageError: a missing template directory or profile, or LibreOffice missing for PDF output.
    """
    look = template_set(options.templates, options.profile)
    if options.pdf and lanes is None:
        soffice_binary()  # fail now, not after rendering everything
    private_dir(out_dir)
    manifest = Manifest(out_dir) if resume else None
    if manifest is not None and warnings is not None:
        warnings.extend(manifest.warnings)
    base = "|".join([__version__, look.digest(), ",".join(options.formats),
                     ",".join(edition_name(e) for e in options.editions or ()),
                     json.dumps(options.rule_data, sort_keys=True, default=str),
                     options.stamp.isoformat() if options.pinned else "", "encrypted" if options.password else "",
                     options.notice_date.isoformat() if options.notice_date else ""])
    reports = Reports(len(paths))
    if manifest is not None and not force and len(manifest):
        for i, path in enumerate(paths):
            key = path.as_posix()
            if key not in manifest:
                continue  # a new case: its fingerprint is taken when it is handed to a worker
            entry = manifest.unchanged(key, _fingerprint(base, path), out_dir)
            if entry is not None:
                outputs = entry["outputs"]
                reports.put(i, CaseReport(path, entry.get("case_id"), entry.get("kind"),
                                          outputs=[out_dir / n for n in sorted(outputs)], digests=dict(outputs),
                                          reused=True, published=True))
    # The cases to do, by index (4 bytes a case, none when all are to do): a case's path, key and
    # fingerprint are made from `paths` when it is handed out. Kept for the whole run as tuples,
    # they were some 600 bytes a case.
    todo: Sequence[int] = range(len(paths))
    if reports.reused:
        todo = array("i", (i for i in range(len(paths)) if not reports.has(i)))

    runner = _Runner(out_dir, options, manifest, reports, progress, len(paths) - len(todo), len(paths), lanes,
                     paths=paths, base=base)
    if todo:
        runner.run(todo)
    if manifest is not None:
        try:
            manifest.sync()
            manifest.compact()
        except OSError:
            # A full disk (found by tests/test_faults.py): the run ended in "internal error (OSError)"
            # and its report was lost. Compacting only tidies; the lines appended as cases ended stand.
            pass
    return reports, runner.starts


def _fingerprint(base: str, path: Path) -> str:
    """What a case's outputs depend on: the run's options and templates (`base`), and the case file's bytes."""
    return hashlib.sha256((base + "|" + sha256_file(path)).encode()).hexdigest()


def _bounded_map(executor: ProcessPoolExecutor, fn: Callable[[Any], _Prepared], items: Iterable[Any], *,
                 ahead: int) -> Iterator[_Prepared]:
    """`executor.map(fn, items)`, with at most `ahead` items handed to the workers and not yet taken.

    `Executor.map` submits every item at once (Python 3.14 adds `buffersize` for this): for
    10,000 cases that is 10,000 futures at the start, and every result the runner has not taken
    yet stays in memory. Results come in the order of `items`.
    """
    pending: deque[Future[_Prepared]] = deque()
    source = iter(items)
    for item in itertools.islice(source, ahead):
        pending.append(executor.submit(fn, item))
    while pending:
        result = pending.popleft().result()
        for item in itertools.islice(source, 1):
            pending.append(executor.submit(fn, item))
        yield result


@dataclass
class _CaseState:
    """A case between its DOCX files and its end (only the cases in flight have one)."""

    prepared: _Prepared
    key: str  # the case file as found (the manifest's key)
    fingerprint: str  # what its outputs depend on, taken when it was handed to a worker (batch)
    waiting: set[str]
    pdfs: dict[str, Path] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


class _Runner:
    """The moving parts of one run: the steps (in workers), converter lanes, finishing, publishing."""

    def __init__(self, out_dir: Path, options: RunOptions, manifest: Manifest | None,
                 reports: Reports, progress: Progress | None, ended: int, total: int,
                 lanes: WarmLanes | None = None, *, paths: Sequence[Path] = (), base: str = ""):
        self.out_dir, self.options, self.manifest, self.lanes = out_dir, options, manifest, lanes
        self.reports, self.progress = reports, progress
        self.ended, self.total = ended, total
        self.paths, self.base = paths, base  # a case's path and fingerprint are made from these
        self.starts = 0
        self.states: dict[str, tuple[int, _CaseState]] = {}  # docx stem -> (case index, state)
        self.handed: dict[int, str] = {}  # case index -> fingerprint, from hand-out to `_feed` (a few cases)
        self.lock = threading.Lock()

    def _hand_out(self, todo: Sequence[int], work: Path) -> Iterator[tuple[Path, Path, RunOptions]]:
        """The workers' arguments, case by case; a case's fingerprint is taken as it is handed out.

        Taken before the worker reads the file (as when every fingerprint was taken at the start):
        a file changed in between is redone by the next run, never taken for unchanged.
        """
        for index in todo:
            path = self.paths[index]
            if self.manifest is not None:
                try:
                    self.handed[index] = _fingerprint(self.base, path)
                except OSError:
                    pass  # gone or unreadable: the check step says so, and nothing is recorded
            yield path, work, self.options

    def run(self, todo: Sequence[int]) -> None:
        options = self.options
        work = make_work_dir(self.out_dir)
        pool: ConverterPool | LaneSession | None = None
        collector: threading.Thread | None = None
        try:
            args = self._hand_out(todo, work)
            with ExitStack() as stack:
                if options.pdf:
                    # The lanes start at once, before the first DOCX exists: LibreOffice's start
                    # overlaps rendering. The number of documents is known only once every case is
                    # rendered: start with one per case and edition, and correct it as cases come.
                    estimate = len(todo) * len(options.editions or ((),))
                    if self.lanes is not None:  # a service's warm lanes, already running
                        pool = self.lanes.session(work / "pdf")
                    else:
                        pool = ConverterPool(work / "pdf", options.jobs, doc_timeout=options.doc_timeout,
                                             restart_after=options.restart_after, expected=estimate)
                    collector = threading.Thread(target=self._collect, args=(pool.results(),), daemon=True)
                    collector.start()
                prepared_iter: Iterator[_Prepared]
                if options.jobs == 1:
                    # One worker: the steps run here, one case after the other (no process to start).
                    prepared_iter = map(_prepare, args)
                else:
                    # forkserver: workers start from a clean process, not a fork of one running threads.
                    # The forkserver imports this module, and with it all a worker runs (kotodoc,
                    # Jinja, lxml, pydantic, Babel: some 0.8 s of CPU), once; each worker is a fork of
                    # it that imports nothing more. (Without it, every worker imported them anew.)
                    # A forkserver already running (an earlier run in this process) keeps its own.
                    context = multiprocessing.get_context("forkserver")
                    context.set_forkserver_preload(["__main__", __name__])  # "__main__": the default
                    executor = stack.enter_context(ProcessPoolExecutor(max_workers=options.jobs, mp_context=context))
                    prepared_iter = _bounded_map(executor, _prepare, args, ahead=8 * options.jobs)
                submitted = self._feed(todo, prepared_iter, pool)
            if pool is not None and collector is not None:
                pool.expect(submitted)
                pool.close()
                collector.join()
                self.starts = pool.starts
        finally:
            if pool is not None:
                pool.shutdown()
            if collector is not None:
                # On an interruption the collecting thread may be publishing a case: let it end
                # (the lanes have stopped, so it soon does) before the working directory goes, or a
                # case could be left half-published (its DOCX in place, not its PDF) and unrecorded.
                collector.join(timeout=60)
            remove_work_dir(work)
            # Whatever did not end (an interruption) is reported, never silently dropped.
            for index in todo:
                if not self.reports.has(index):
                    self.reports.put(index, CaseReport(self.paths[index], failures=["the run was interrupted"]))

    def _feed(self, todo: Sequence[int], prepared_iter: Iterator[_Prepared],
              pool: ConverterPool | LaneSession | None) -> int:
        """Take each rendered case in order; send its DOCX files to conversion. Returns how many."""
        used = KeyTable()  # case id -> the first case that has it (16 bytes a slot, not a dict's 150 a case)
        submitted = 0
        for position, (index, prepared) in enumerate(zip(todo, prepared_iter, strict=True)):
            report = prepared.report
            case_id = report.case_id
            if report.status == "valid" and case_id is not None:
                first = used.put(case_id, index, replace=False)
                if first != index:
                    report.failures.append(f"case_id {case_id} is also used by {self.paths[first]} in this run")
            key = self.paths[index].as_posix() if self.manifest is not None else ""
            state = _CaseState(prepared, key, self.handed.pop(index, ""), {stem for stem, *_ in prepared.docs})
            if report.status != "valid" or pool is None:
                self._end(index, state)
                continue
            with self.lock:
                for stem, *_ in prepared.docs:
                    self.states[stem] = (index, state)
            for _, _, _, docx in prepared.docs:
                pool.submit(docx)
                submitted += 1
            # Re-estimate the documents to come (cases differ in languages and notices), so the
            # lanes' shares stay even and LibreOffice is not restarted more than needed.
            done_cases = position + 1
            pool.expect(submitted + round(submitted / done_cases * (len(todo) - done_cases)))
        return submitted

    def _collect(self, results: Iterator[Conversion]) -> None:
        """Finish each PDF as LibreOffice delivers it: pin, verify, encrypt; end its case when whole."""
        options = self.options
        for result in results:
            stem = result.source.stem
            with self.lock:
                index, state = self.states.pop(stem)
            report = state.prepared.report
            if result.error is not None or result.pdf is None:
                report.failures.append(str(result.error))
            else:
                try:
                    _, lang, title, _ = next(d for d in state.prepared.docs if d[0] == stem)
                    amend_pdf(result.pdf)  # before pinning: /ID is a digest of the file
                    if options.pinned:
                        pin_pdf(result.pdf, options.stamp)
                    verify_pdf(result.pdf, title=title, author=state.prepared.author, language=BCP47[lang])
                    if options.password is not None:
                        encrypt_pdf(result.pdf, options.password)  # last: verified as PDF/A first
                    state.pdfs[stem] = result.pdf
                except KotodocError as e:
                    report.failures.append(str(e))
                except OSError as e:
                    # Pinning rewrites the PDF: on a full disk this killed the collecting thread, and
                    # every case after it was reported "interrupted" (found by tests/test_faults.py).
                    report.failures.append(f"{stem}.pdf: cannot write to {self.out_dir}: {e.strerror}")
            state.waiting.discard(stem)
            if not state.waiting:
                self._end(index, state)

    def _end(self, index: int, state: _CaseState) -> None:
        """A case's last step: publish its documents (all or none) if it is whole, record it, report it."""
        report = state.prepared.report
        if report.status == "valid":
            self._publish(state)
        report.seconds += time.perf_counter() - state.started
        with self.lock:
            self.reports.put(index, report)
            self.ended += 1
            ended = self.ended
        if self.progress is not None:
            self.progress(report, ended, self.total)

    def _publish(self, state: _CaseState) -> None:
        report = state.prepared.report
        formats = self.options.formats
        moves: list[tuple[Path, Path]] = []
        for stem, _, _, docx in state.prepared.docs:
            if "docx" in formats:
                moves.append((docx, self.out_dir / f"{stem}.docx"))
            if "pdf" in formats:
                moves.append((state.pdfs[stem], self.out_dir / f"{stem}.pdf"))
        moves.extend((src, self.out_dir / name) for name, src in state.prepared.extras)
        try:
            for src, dst in moves:
                digest = sha256_file(src)
                atomic_move(src, dst)
                report.outputs.append(dst)
                report.digests[dst.name] = digest
        except OSError as e:
            report.failures.append(f"cannot write to {self.out_dir}: {e.strerror}")
            return
        report.published = True
        if self.manifest is None:
            return
        try:
            self.manifest.record(state.key, state.fingerprint, report)
        except OSError:
            # A full disk: the documents are whole and in place, so the case is done; without its
            # manifest line a rerun redoes it. (Raised here, it killed the collecting thread.)
            pass
