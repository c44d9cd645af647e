"""The `kotodoc` command: parse the command line, call one library function, show the result.

Exit codes are decided in one place, `kotodoc.errors.ExitCode`: 0 all went well, 1 a case was
invalid or failed, 2 usage error. Messages go to stderr, `--json` to stdout. No input produces a
traceback: unexpected exceptions are reported as internal errors without their details (which
could hold personal data) unless `KOTODOC_DEBUG=1` is set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from kotodoc._config import default_map, find_config, load_config, settings_in_effect
from kotodoc._files import check_output_file, read_user_file, write_user_file
from kotodoc._languages import single_edition
from kotodoc.errors import ExitCode, KotodocError
from kotodoc.run import PASSWORD_ENV, Format

if TYPE_CHECKING:
    from kotodoc.run import CaseReport

# The library is imported inside each command, not here: `kotodoc --version`, `new` and `schema`
# need neither docxtpl nor pypdf, and importing them took about a second at every start.

app = typer.Typer(
    name="kotodoc",
    help="Finnish integration plans from YAML case files to DOCX and PDF/A, in fi, sv and en.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class _LazyConsole:
    """rich's stderr console, made on first use: importing rich.console costs 0.2 s at every start."""

    def __getattr__(self, name: str) -> Any:
        from rich.console import Console

        # emoji=False: rich would print `FILE:100:10:` as `FILE💯10:`.
        console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
        globals()["err"] = console  # the next use is the console itself
        return getattr(console, name)


err: Any = _LazyConsole()
T = TypeVar("T")


class OutputFormat(StrEnum):
    """What `render` writes."""

    docx = "docx"
    pdf = "pdf"
    both = "both"

    @property
    def formats(self) -> tuple[Format, ...]:
        """The formats the library call takes."""
        return ("docx", "pdf") if self is OutputFormat.both else (typing.cast(Format, self.value),)


Cases = Annotated[list[Path], typer.Argument(help="Case files (YAML).", show_default=False)]
OutDir = Annotated[Path, typer.Option("--out", "-o", envvar="KOTODOC_OUT", help="Output directory.")]
Lang = Annotated[
    str | None,
    typer.Option("--lang", envvar="KOTODOC_LANG", help="Document language(s) instead of the case's: fi, sv, "
                 "en; fi,sv for two documents; fi+sv for one bilingual document."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", envvar="KOTODOC_FORMAT", help="docx, pdf or both.")]
Templates = Annotated[
    Path | None,
    typer.Option("--templates", envvar="KOTODOC_TEMPLATES", help="A municipality's template directory "
                 "(<lang>/<kind>.docx), laid over the built-in templates."),
]
ProfileFile = Annotated[
    Path | None,
    typer.Option("--profile", envvar="KOTODOC_PROFILE", help="The authority's profile (fixed details, logo); "
                 "default: profile.yaml in --templates."),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout.")]
NoticeDate = Annotated[str | None, typer.Option(
    "--notice-date", envvar="KOTODOC_NOTICE_DATE", help="The date of the no-show fee notices, YYYY-MM-DD, for "
    "missed appointments without a notice_date of their own (default: today).", show_default=False)]
Encrypt = Annotated[bool, typer.Option("--encrypt", help="Encrypt every PDF with AES-256 (needs --format pdf). "
                                       f"The password comes from --password-file or ${PASSWORD_ENV}, never "
                                       "from the command line.")]
PasswordFile = Annotated[Path | None, typer.Option("--password-file", help="A file holding the PDF password "
                                                   "(its first line).")]


def _version(value: bool) -> None:
    if value:
        from kotodoc._version import __version__  # reads the package metadata: only when asked

        typer.echo(f"kotodoc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    config: Annotated[Path | None, typer.Option("--config", envvar="KOTODOC_CONFIG", help="A configuration "
                                                "file (default: the nearest kotodoc.toml or pyproject.toml "
                                                "with [tool.kotodoc]).")] = None,
) -> None:
    """Finnish integration plans from YAML case files to DOCX and PDF/A."""
    # The file's settings become click's default_map: flags, then environment, then the file.
    ignored: list[str] = []
    path = config or _guard(lambda: find_config(Path.cwd(), ignored))
    for message in ignored:
        err.print(f"[yellow]warning: {_escape(message)}[/yellow]", markup=True)
    settings = _guard(lambda: load_config(path)) if path is not None else {}
    if settings:
        ctx.default_map = default_map(settings)
    ctx.obj = (path, settings)  # for `kotodoc config`


@app.command("render")
def render_command(
    cases: Cases,
    out: OutDir = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Lang = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    encrypt: Encrypt = False,
    password_file: PasswordFile = None,
    json_out: Json = False,
    notice_date: NoticeDate = None,
) -> None:
    """Validate case files and render their documents as DOCX and PDF/A-2b."""
    from kotodoc.run import render

    password = _password(encrypt, password_file)
    issued = _date(notice_date, "--notice-date")
    reports = _guard(lambda: render(cases, out, formats=format.formats, languages=lang, templates=templates,
                                    profile=profile, password=password, notice_date=issued))
    _finish(reports, json_out, verb="rendered")


@app.command("validate")
def validate_command(cases: Cases, templates: Templates = None, profile: ProfileFile = None,
                     json_out: Json = False, notice_date: NoticeDate = None) -> None:
    """Check case files against the format and the legal rules, without rendering."""
    from kotodoc.run import validate

    issued = _date(notice_date, "--notice-date")
    reports = _guard(lambda: validate(cases, templates=templates, profile=profile, notice_date=issued))
    _finish(reports, json_out, verb="valid")


@app.command("batch")
def batch_command(
    paths: Annotated[list[str], typer.Argument(help="Case files, folders and globs.", show_default=False)],
    out: OutDir = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Lang = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, envvar="KOTODOC_JOBS", help="Workers and "
                                             "LibreOffice instances (default: the number of CPUs).")] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="Only shard I of N, as I/N (CI matrix).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo cases the manifest says are unchanged.")] = False,
    bundle: Annotated[Path | None, typer.Option("--bundle", help="Also write one print-ready PDF of the batch.")]
    = None,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds a document may take in "
                                           "LibreOffice before it is restarted.")] = 60.0,
    restart_after: Annotated[int, typer.Option("--restart-after", min=1, help="Documents per LibreOffice "
                                               "start (bounds its memory).")] = 200,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report to this file.")] = None,
    encrypt: Encrypt = False,
    password_file: PasswordFile = None,
    json_out: Json = False,
    notice_date: NoticeDate = None,
) -> None:
    """Render many case files in parallel, resumably, with a JSON report and an optional print bundle."""
    from kotodoc.run import batch, parse_shard

    password = _password(encrypt, password_file)
    issued = _date(notice_date, "--notice-date")
    shard_value = _guard(lambda: parse_shard(shard)) if shard else None
    for named in (report, bundle):  # refused before the work, not after it
        if named is not None and str(named) != "-":
            try:
                check_output_file(named)
            except OSError as e:
                _die(f"cannot write {named}: {e.strerror}", ExitCode.USAGE)
    # SIGTERM (a CI runner cancelling) stops the batch like Ctrl-C: LibreOffice killed, work removed.
    signal.signal(signal.SIGTERM, _interrupt)
    with _progress(enabled=err.is_terminal and not json_out) as progress:
        result = _guard(lambda: batch(
            paths, out, formats=format.formats, languages=lang, jobs=jobs, shard=shard_value,
            force=force, bundle=bundle, doc_timeout=timeout, restart_after=restart_after, progress=progress,
            templates=templates, profile=profile, password=password, notice_date=issued,
        ))
    data = result.as_dict()
    if report is not None:
        try:
            _write_out(report, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        except OSError as e:  # a full disk, a symlink: say so, the documents written stand
            _die(f"cannot write the report {report}: {e.strerror}", ExitCode.FAILED)
    for warning in result.warnings:
        err.print(f"[yellow]warning: {_escape(warning)}[/yellow]", markup=True)
    _print_findings(result.cases)
    bad = [c for c in result.cases if c.status in ("invalid", "failed")]
    if json_out:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        summary = data["summary"]
        line = (f"{summary['cases']} case(s): {summary['done']} done ({summary['reused']} unchanged), "
                f"{summary['invalid']} invalid, {summary['failed']} failed; {summary['documents']} file(s) "
                f"in {summary['seconds']:.1f} s")
        err.print(line)
        for case in bad:
            if case.status == "failed":
                err.print(f"failed: {_escape(str(case.file))}")
        if result.bundle:
            err.print(f"bundle: {_escape(str(result.bundle))}")
    if bad:
        raise typer.Exit(int(ExitCode.FAILED))


@app.command("claim")
def claim_command(
    cases: Cases,
    claimant: Annotated[Path, typer.Option("--claimant", help="The claimant file (YAML): name, business ID, "
                                           "IBAN, languages.", show_default=False)],
    period: Annotated[str, typer.Option("--period", help="The claim period as START..END, such as "
                                        "2025-01-01..2025-06-30.", show_default=False)],
    submitted: Annotated[str | None, typer.Option("--submitted", help="The submission date, YYYY-MM-DD (default: "
                                                  "today); the 2-year reach-back counts from it.")] = None,
    case_id: Annotated[str | None, typer.Option("--case-id", help="The claim's case id (default: "
                                                "<case_id_prefix>-KEHA-<start>-<end>).")] = None,
    out: OutDir = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Lang = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing claim file.")] = False,
    json_out: Json = False,
) -> None:
    """Build an interpretation-cost claim to the KEHA Centre from case files, then render it with its CSV."""
    from kotodoc.claim import build_claim

    # A claim is one document: `fi` or, bilingual, `fi+sv` (`fi,sv` would be two documents).
    languages = list(_guard(lambda: single_edition(lang))) if lang is not None else None
    result = _guard(lambda: build_claim(
        cases, claimant=claimant, period=period, out_dir=out, submitted=submitted, case_id=case_id,
        languages=languages, formats=format.formats, force=force,
        templates=templates, profile=profile,
    ))
    _print_findings(result.inputs)
    for exclusion in result.exclusions:  # the annex, located in the case files
        err.print(f"[dim]{_escape(str(exclusion))}[/dim]", markup=True, emoji=False)  # ':100:' is a line
    if result.render is not None:
        _print_findings([result.render])
    if json_out:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in result.summary():
            err.print(_escape(line), emoji=False)
    if result.status in ("invalid", "failed"):
        raise typer.Exit(int(ExitCode.FAILED))


@app.command("schema")
def schema_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the schema to this file instead of "
                                             "stdout.")] = None,
) -> None:
    """Print the JSON Schema of the case file format (for editors: VS Code's YAML extension)."""
    from kotodoc.authoring import case_schema

    text = json.dumps(_guard(case_schema), ensure_ascii=False, indent=2) + "\n"
    if out is None or str(out) == "-":
        typer.echo(text, nl=False)
    else:
        try:
            _write_out(out, text)
        except OSError as e:
            _die(f"cannot write {out}: {e.strerror}", ExitCode.USAGE)
        err.print(f"schema written to {_escape(str(out))}")


@app.command("new")
def new_command(
    kind: Annotated[str, typer.Argument(help="integration-plan, minor-plan, family-plan or "
                                        "interpretation-claim.", show_default=False)],
    lang: Annotated[str, typer.Option("--lang", help="The comments' language and the case's languages: "
                                      "fi, sv, en, or two as fi+sv.")] = "fi",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the skeleton to this file instead "
                                             "of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented skeleton case file to fill in."""
    from kotodoc.authoring import skeleton

    text = _guard(lambda: skeleton(kind, lang))
    if out is None or str(out) == "-":
        typer.echo(text, nl=False)
        return
    if out.exists() and not force:
        _die(f"{out} exists; use --force to replace it", ExitCode.USAGE)
    try:
        _write_out(out, text)
    except OSError as e:
        _die(f"cannot write {out}: {e.strerror}", ExitCode.USAGE)
    err.print(f"skeleton written to {_escape(str(out))}")


@app.command("config")
def config_command(ctx: typer.Context) -> None:
    """Show which configuration file is used and the settings in effect (before any flag)."""
    path, settings = ctx.obj if isinstance(ctx.obj, tuple) else (None, {})
    typer.echo(f"configuration file: {path if path is not None else 'none'}")
    for key, value, source in settings_in_effect(path, settings, os.environ):
        typer.echo(f"{key} = {value}  ({source})")


templates_app = typer.Typer(help="Work with DOCX templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("check")
def templates_check_command(
    directory: Annotated[Path | None, typer.Argument(help="A template directory (<lang>/<kind>.docx); "
                                                     "default: the built-in templates.")] = None,
    json_out: Json = False,
) -> None:
    """Check templates: Jinja syntax, unknown variables, split tags, fi/sv/en differences, and unsafe
    constructs (external links, macros, fields that load files, unsafe Jinja)."""
    from kotodoc.authoring import check_templates

    problems = _guard(lambda: check_templates(directory))
    if json_out:
        typer.echo(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2))
    for problem in problems:
        err.print(f"[red]{_escape(str(problem))}[/red]", markup=True)
    if not json_out:
        err.print(f"{len(problems)} problem(s)" if problems else "templates ok")
    if problems:
        raise typer.Exit(int(ExitCode.FAILED))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[CaseReport, int, int], None] | None]:
    """A progress bar on a terminal; nothing when output goes to a file or a pipe."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("rendering", total=None)

        def update(report: CaseReport, ended: int, total: int) -> None:
            bar.update(task, completed=ended, total=total)

        yield update


PASSWORD_MAX_BYTES = 65_536  # a password file holds a line; a larger one is the wrong file


def _password(encrypt: bool, file: Path | None) -> str | None:
    """The PDF password from its file or the environment; never an argument, which `ps` and shell
    histories would show."""
    if not encrypt:
        if file is not None:
            _die("--password-file is used with --encrypt", ExitCode.USAGE)
        return None
    if file is not None:
        try:
            lines = read_user_file(file, limit=PASSWORD_MAX_BYTES).decode("utf-8").splitlines()
        except OSError as e:
            _die(f"cannot read the password file {file}: {e.strerror or type(e).__name__}", ExitCode.USAGE)
        except UnicodeDecodeError:
            _die(f"cannot read the password file {file}: not UTF-8 text", ExitCode.USAGE)
        password = lines[0] if lines else ""
    else:
        password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        _die(f"--encrypt needs a password: --password-file FILE, or ${PASSWORD_ENV}", ExitCode.USAGE)
    return password


def _date(value: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option as a date; a usage error (exit 2) otherwise."""
    from kotodoc.claim import parse_date

    return None if value is None else _guard(lambda: parse_date(value, option))


def _guard(call: Callable[[], T]) -> T:
    """Run a library call, turning kotodoc errors into messages and exit codes."""
    try:
        return call()
    except KotodocError as e:
        _die(str(e), e.exit_code)
    except KeyboardInterrupt:
        _die("interrupted", ExitCode.FAILED)
    except Exception as e:
        if os.environ.get("KOTODOC_DEBUG") == "1":
            raise
        _die(f"internal error ({type(e).__name__}); rerun with KOTODOC_DEBUG=1 for details", ExitCode.FAILED)


def _die(message: str, code: ExitCode) -> NoReturn:
    err.print(f"[red]error:[/red] {_escape(message)}", markup=True)  # a message may quote `[/x]` typed by the user
    raise typer.Exit(int(code))


def _print_findings(reports: Sequence[CaseReport]) -> None:
    for report in reports:
        for finding in report.findings:
            colour = "red" if finding.severity.value == "error" else "yellow"
            err.print(f"[{colour}]{_escape(str(finding))}[/{colour}]", markup=True)
        for failure in report.failures:
            err.print(f"[red]{_escape(str(report.file))}: failed: {_escape(failure)}[/red]", markup=True)


def _finish(reports: Sequence[CaseReport], json_out: bool, *, verb: str) -> None:
    _print_findings(reports)
    bad = [r for r in reports if r.status in ("invalid", "failed")]
    if json_out:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        outputs = sum(len(r.outputs) for r in reports)
        ok = len(reports) - len(bad)
        summary = f"{ok} of {len(reports)} case(s) {verb}"
        if outputs:
            summary += f", {outputs} file(s) written"
        err.print(summary)
    if bad:
        raise typer.Exit(int(ExitCode.FAILED))


def _write_out(path: Path, text: str) -> None:
    """Write a file the user named (`--report`, `-o`); `-` is standard output.

    Never through a symlink or over a device (`write_user_file`).
    """
    if str(path) == "-":
        typer.echo(text, nl=False)
    else:
        write_user_file(path, text.encode("utf-8"))


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `kotodoc` script."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="kotodoc")
    except SystemExit as e:
        # click reports usage errors with exit status 2 itself; keep every other status as is.
        sys.exit(e.code)
