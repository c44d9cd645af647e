"""Batch generation: many case files, rendered in parallel, converted by a pool of LibreOffice lanes.

The same stages as `render`, arranged for throughput and for unattended runs:

- Case files are found (folders, globs, files), sorted, and optionally cut to one CI shard.
- Worker processes validate each case and render its DOCX files with templates compiled once per
  process; a case is rendered only once it is valid, and nothing invalid reaches LibreOffice.
- DOCX files go to `ConverterPool` as soon as they exist, so conversion overlaps rendering.
- A case is published (moved into the output directory, all or none) when its last document is
  finished, and recorded in the manifest at once, so an interrupted batch loses nothing finished
  and a rerun does only the rest.
- Every case ends done, invalid or failed; a failed one is listed with its reasons.

The manifest (`.kotodoc-manifest.jsonl` in the output directory) holds, per case file, a
fingerprint of what its documents depend on (the case file's bytes, the templates, the kotodoc
version, formats, languages, rule data and `SOURCE_DATE_EPOCH`) and the sha256 of each output. A
rerun skips a case whose fingerprint is unchanged and whose outputs are intact.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kotodoc import __version__
from kotodoc._docx import fixed_time
from kotodoc._files import atomic_move, atomic_write, private_dir
from kotodoc._finish import bundle_pdfs, encrypt_pdf, pin_pdf, verify_pdf
from kotodoc._pdf import Conversion, ConverterPool, soffice_binary
from kotodoc._pipeline import (
    _DOC_LANG,
    CaseReport,
    Format,
    check_file,
    check_password,
    documents,
    editions,
    failure_message,
    render_document,
)
from kotodoc._templates import template_set
from kotodoc.errors import KotodocError, UsageError

MANIFEST = ".kotodoc-manifest.jsonl"
CASE_SUFFIXES = (".yaml", ".yml")

Progress = Callable[[CaseReport, int, int], None]


@dataclass
class BatchReport:
    """What became of every case of a batch, with totals."""

    cases: list[CaseReport]
    seconds: float
    documents: int = 0
    reused: int = 0
    libreoffice_starts: int = 0
    bundle: Path | None = None
    shard: tuple[int, int] | None = None

    def count(self, status: str) -> int:
        """How many cases ended with `status`."""
        return sum(1 for c in self.cases if c.status == status)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: per case status, outputs with sha256, findings, duration."""
        return {
            "kotodoc": __version__,
            "summary": {
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
            },
            "cases": [_case_dict(c) for c in self.cases],
        }


def _case_dict(report: CaseReport) -> dict[str, Any]:
    entry = report.as_dict()
    entry["outputs"] = [{"path": str(p), "sha256": report.digests.get(p.name, "")} for p in report.outputs]
    entry["reused"] = report.reused
    return entry


# ---------------------------------------------------------------------------------------------
# Finding the cases


def find_cases(inputs: Iterable[str | Path]) -> list[Path]:
    """Case files named by `inputs`: files as given, folders searched for *.yaml and *.yml, globs.

    Returns:
        The files, each once, sorted by path, so every run and every shard sees the same order.

    Raises:
        UsageError: an input matches nothing.
    """
    found: set[Path] = set()
    for raw in inputs:
        text = str(raw)
        path = Path(text)
        if path.is_dir():
            matches = [p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES and p.is_file()]
        elif path.is_file():
            matches = [path]
        elif glob.has_magic(text):
            # glob.glob, not Path.glob: the pattern may be absolute (a CI workspace path).
            matches = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]  # noqa: PTH207
        else:
            matches = []
        if not matches:
            raise UsageError(f"{text}: no such case file or folder, and no case file matches it")
        # Hidden files and folders (a working directory, .git) are not cases.
        found.update(p for p in matches if not any(part.startswith(".") and part not in (".", "..")
                                                  for part in p.parts))
    return sorted(found, key=lambda p: p.as_posix())


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
# The manifest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Manifest:
    """Per case file: the fingerprint its outputs were made from, and their digests (JSON lines)."""

    def __init__(self, out_dir: Path):
        """Read the manifest of `out_dir` (a missing or damaged line is ignored)."""
        self.path = out_dir / MANIFEST
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[entry["case"]] = entry
                except (ValueError, KeyError, TypeError):
                    continue

    def unchanged(self, key: str, fingerprint: str, out_dir: Path) -> dict[str, Any] | None:
        """The entry of a case made from the same inputs whose outputs are still intact, else None."""
        entry = self.entries.get(key)
        if not entry or entry.get("fingerprint") != fingerprint or not entry.get("outputs"):
            return None
        for name, digest in entry["outputs"].items():
            target = out_dir / name
            if not target.is_file() or _sha256(target) != digest:
                return None
        return entry

    def record(self, key: str, fingerprint: str, report: CaseReport) -> None:
        """Append a finished case at once: an interrupted batch keeps what it finished."""
        entry = {"case": key, "fingerprint": fingerprint, "case_id": report.case_id, "kind": report.kind,
                 "outputs": dict(report.digests)}
        with self._lock:
            self.entries[key] = entry
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    def compact(self) -> None:
        """Rewrite the manifest with one line per case."""
        lines = "".join(json.dumps(e, sort_keys=True) + "\n" for _, e in sorted(self.entries.items()))
        atomic_write(self.path, lines.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# The work of one case in a worker process


@dataclass
class _Prepared:
    """A case validated and its DOCX files rendered into the working directory (from a worker)."""

    report: CaseReport
    docs: list[tuple[str, str, str, Path]] = field(default_factory=list)  # stem, lang, title, docx
    extras: list[tuple[str, Path]] = field(default_factory=list)  # files beside the documents (a claim's CSV)
    author: str = ""


# case file, work dir, languages, rule data, templates, profile, time stamp, SOURCE_DATE_EPOCH
_Args = tuple[Path, Path, Sequence[str] | None, dict[str, Any] | None, Path | None, Path | None, dt.datetime,
              str | None]


def _prepare(args: _Args) -> _Prepared:
    """Validate a case and render its DOCX files (runs in a worker process).

    Everything comes in the arguments, the time stamp included: a worker started by the
    forkserver has the environment of the forkserver's start, not the caller's of today.
    """
    path, work, languages, rule_data, templates, profile, stamp, epoch = args
    if epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    start = time.perf_counter()
    # The profile is read once per worker (cached), not sent with every case.
    look = template_set(templates, profile)
    case, report = check_file(path, rule_data=rule_data, profile=look.profile)
    prepared = _Prepared(report)
    if case is None:
        report.seconds = time.perf_counter() - start
        return prepared
    prepared.author = case.authority.name
    for doc in documents(case, languages, rule_data=rule_data):
        target = work / f"{doc.stem}.docx"
        try:
            # render_docx caches the compiled template per process: each worker compiles it once.
            title = render_document(case, doc, look, target, stamp)
            prepared.docs.append((doc.stem, doc.lang, title, target))
            for name, payload in (doc.extras() if doc.extras else {}).items():
                atomic_write(work / name, payload)
                prepared.extras.append((name, work / name))
        except Exception as e:  # noqa: BLE001 (failure_message sorts it out; a bug re-raised under KOTODOC_DEBUG)
            report.failures.append(failure_message(e, doc))
    report.seconds = time.perf_counter() - start
    return prepared


# ---------------------------------------------------------------------------------------------
# The batch


@dataclass
class _CaseState:
    prepared: _Prepared
    key: str
    fingerprint: str
    waiting: set[str]
    pdfs: dict[str, Path] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


def batch(
    inputs: Sequence[str | Path],
    out_dir: Path,
    *,
    formats: Sequence[Format] = ("docx", "pdf"),
    languages: Sequence[str] | None = None,
    jobs: int | None = None,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    bundle: Path | None = None,
    doc_timeout: float = 60.0,
    restart_after: int = 200,
    rule_data: dict[str, Any] | None = None,
    templates: Path | None = None,
    profile: Path | None = None,
    password: str | None = None,
    progress: Progress | None = None,
) -> BatchReport:
    """Render many case files: validated and rendered in parallel, converted by LibreOffice lanes.

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

    Returns:
        The report: one entry per case, in case order.

    Raises:
        UsageError: bad options, no cases, LibreOffice missing for PDF output.
    """
    started = time.perf_counter()
    editions(languages)  # an unknown language fails before any work
    check_password(password, formats)
    if bundle is not None and password is not None:
        raise UsageError("--bundle and --encrypt do not go together: the bundle would be an unencrypted copy")
    look = template_set(templates, profile)  # a missing directory or a broken profile, too
    if not formats or any(f not in ("docx", "pdf") for f in formats):
        raise UsageError("formats are docx, pdf or both")
    if bundle is not None and "pdf" not in formats:
        raise UsageError("--bundle needs PDF output")
    workers = max(1, jobs or os.cpu_count() or 1)
    if "pdf" in formats:
        soffice_binary()  # fail now, not after rendering everything
    paths = find_cases(inputs)
    if shard is not None:
        paths = [p for p in paths if in_shard(p, shard)]

    private_dir(out_dir)
    manifest = Manifest(out_dir)
    base = "|".join([__version__, look.digest(), ",".join(sorted(formats)),
                     ",".join(languages or ()), json.dumps(rule_data, sort_keys=True, default=str),
                     os.environ.get("SOURCE_DATE_EPOCH", ""), "encrypted" if password else ""])
    reports: list[CaseReport | None] = [None] * len(paths)
    todo: list[tuple[int, Path, str, str]] = []
    reused = 0
    for i, path in enumerate(paths):
        key = path.as_posix()
        fingerprint = hashlib.sha256((base + "|" + _sha256(path)).encode()).hexdigest()
        entry = None if force else manifest.unchanged(key, fingerprint, out_dir)
        if entry is not None:
            outputs = entry["outputs"]
            report = CaseReport(path, "done", entry.get("case_id"), entry.get("kind"),
                                outputs=[out_dir / n for n in sorted(outputs)])
            report.digests, report.reused = dict(outputs), True
            reports[i] = report
            reused += 1
        else:
            todo.append((i, path, key, fingerprint))

    runner = _Runner(out_dir, formats, manifest, reports, progress, len(paths) - len(todo), len(paths))
    runner.password = password
    if todo:
        runner.run(todo, (languages, rule_data, templates, profile), workers, doc_timeout, restart_after)
    final = [r for r in reports if r is not None]
    report = BatchReport(final, 0.0, sum(len(r.outputs) for r in final), reused, runner.starts, shard=shard)
    try:
        manifest.compact()
    except OSError:
        # A full disk (found by tests/test_faults.py): the run ended in "internal error (OSError)"
        # and its report was lost. Compacting only tidies; the lines appended as cases ended stand.
        pass
    if bundle is not None:
        pdfs = [(p.stem, p) for r in final if r.status == "done" for p in r.outputs if p.suffix == ".pdf"]
        if pdfs:
            bundle_pdfs(pdfs, bundle)
            report.bundle = bundle
    report.seconds = time.perf_counter() - started
    return report


class _Runner:
    """The moving parts of one batch: worker processes, converter lanes, publishing."""

    def __init__(self, out_dir: Path, formats: Sequence[Format], manifest: Manifest,
                 reports: list[CaseReport | None], progress: Progress | None, ended: int, total: int):
        self.out_dir, self.formats, self.manifest = out_dir, formats, manifest
        self.reports, self.progress = reports, progress
        self.ended, self.total = ended, total
        self.starts = 0
        self.states: dict[str, tuple[int, _CaseState]] = {}  # docx stem -> (case index, state)
        self.lock = threading.Lock()
        self.pin = os.environ.get("SOURCE_DATE_EPOCH", "").isdigit()
        self.password: str | None = None
        self.stamp = fixed_time()

    def run(self, todo: list[tuple[int, Path, str, str]],
            options: tuple[Sequence[str] | None, dict[str, Any] | None, Path | None, Path | None],
            workers: int, doc_timeout: float, restart_after: int) -> None:
        work = Path(tempfile.mkdtemp(prefix=".kotodoc-work-", dir=self.out_dir))
        pool: ConverterPool | None = None
        collector: threading.Thread | None = None
        try:
            epoch = os.environ.get("SOURCE_DATE_EPOCH")
            languages, rule_data, templates, profile = options
            args = [(path, work, languages, rule_data, templates, profile, self.stamp, epoch) for _, path, _, _ in todo]
            # forkserver: workers start from a clean process, not a fork of one running threads.
            context = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as executor:
                prepared_iter = executor.map(_prepare, args, chunksize=4)
                if "pdf" in self.formats:
                    # The number of documents is known only once every case is rendered: start with
                    # one per case (or per language asked for) and correct it then.
                    estimate = len(todo) * (len(languages) if languages else 1)
                    pool = ConverterPool(work / "pdf", workers, doc_timeout=doc_timeout,
                                         restart_after=restart_after, expected=estimate)
                    collector = threading.Thread(target=self._collect, args=(pool.results(),), daemon=True)
                    collector.start()
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
            shutil.rmtree(work, ignore_errors=True)
            # Whatever did not end (an interruption) is reported, never silently dropped.
            for index, path, _, _ in todo:
                if self.reports[index] is None:
                    self.reports[index] = CaseReport(path, "failed", failures=["the batch was interrupted"])

    def _feed(self, todo: list[tuple[int, Path, str, str]], prepared_iter: Iterator[_Prepared],
              pool: ConverterPool | None) -> int:
        """Take each rendered case in order; send its DOCX files to conversion. Returns how many."""
        used: dict[str, Path] = {}
        submitted = 0
        for position, ((index, path, key, fingerprint), prepared) in enumerate(zip(todo, prepared_iter, strict=True)):
            report = prepared.report
            case_id = report.case_id
            if report.status == "valid" and case_id in used:
                report.failures.append(f"case_id {case_id} is also used by {used[case_id]} in this batch")
            if case_id and report.status == "valid":
                used.setdefault(case_id, path)
            state = _CaseState(prepared, key, fingerprint, {stem for stem, *_ in prepared.docs})
            if report.status != "valid" or report.failures or pool is None:
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
        for result in results:
            stem = result.source.stem
            with self.lock:
                index, state = self.states.pop(stem)
            report = state.prepared.report
            if result.error is not None or result.pdf is None:
                report.failures.append(str(result.error))
            else:
                try:
                    title = next(t for s, _, t, _ in state.prepared.docs if s == stem)
                    lang = next(lang for s, lang, _, _ in state.prepared.docs if s == stem)
                    if self.pin:
                        pin_pdf(result.pdf, self.stamp)
                    verify_pdf(result.pdf, title=title, author=state.prepared.author, language=_DOC_LANG[lang])
                    if self.password is not None:
                        encrypt_pdf(result.pdf, self.password)  # last: verified as PDF/A first
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
        """Publish a case's documents, all or none, record it, and tell the progress callback."""
        report = state.prepared.report
        if report.status == "valid":
            if report.failures:
                report.status = "failed"
            else:
                self._publish(state)
        report.seconds += time.perf_counter() - state.started
        with self.lock:
            self.reports[index] = report
            self.ended += 1
            ended = self.ended
        if self.progress is not None:
            self.progress(report, ended, self.total)

    def _publish(self, state: _CaseState) -> None:
        report = state.prepared.report
        moves: list[tuple[Path, Path]] = []
        for stem, _, _, docx in state.prepared.docs:
            if "docx" in self.formats:
                moves.append((docx, self.out_dir / f"{stem}.docx"))
            if "pdf" in self.formats:
                moves.append((state.pdfs[stem], self.out_dir / f"{stem}.pdf"))
        moves.extend((src, self.out_dir / name) for name, src in state.prepared.extras)
        try:
            for src, dst in moves:
                digest = _sha256(src)
                atomic_move(src, dst)
                report.outputs.append(dst)
                report.digests[dst.name] = digest
        except OSError as e:
            report.failures.append(f"cannot write to {self.out_dir}: {e.strerror}")
            report.status = "failed"
            return
        report.status = "done"
        try:
            self.manifest.record(state.key, state.fingerprint, report)
        except OSError:
            # A full disk: the documents are whole and in place, so the case is done; without its
            # manifest line a rerun redoes it. (Raised here, it killed the collecting thread.)
            pass
