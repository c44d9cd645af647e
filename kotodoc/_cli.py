"""The `kotodoc` command: parse the command line, call one library function, show the result.

Exit codes are decided in one place, `kotodoc.errors.ExitCode`: 0 all went well, 1 a case was
invalid or failed, 2 usage error. Messages go to stderr, `--json` and documents written to `-` go
to stdout. No input produces a traceback: unexpected exceptions are reported as internal errors
without their details (which could hold personal data) unless `KOTODOC_DEBUG=1` is set.

How much is shown (`--quiet`, `--verbose`, before or after the command): quiet shows errors only
(error findings, failures, what stopped the command); the default adds warnings, the files skipped,
the summary and, for `render`, every file written; verbose adds, for `batch`, every file written,
and every case's status and time and the run's time.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import os
import signal
import sys
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from kotodoc._config import default_map, find_config, load_config, settings_in_effect
from kotodoc._files import atomic_write, check_output_file, open_user_file, private_dir, read_user_file, write_user_file
from kotodoc._i18n import _, error_text, finding_line, reset_ui_language, resolve_ui_language, set_ui_language
from kotodoc._languages import parse_editions, single_edition
from kotodoc.errors import ExitCode, KotodocError
from kotodoc.run import PASSWORD_ENV, Format

if TYPE_CHECKING:
    from typer import _click as click

    from kotodoc.run import CaseReport, Skipped

# The library is imported inside each command, not here: `kotodoc --version`, `new` and `schema`
# need neither docxtpl nor pypdf, and importing them took about a second at every start.

_CONFIG = "kotodoc.config"  # ctx.meta: (path, settings) of the configuration in effect
_CONFIG_FLAG = "kotodoc.config-flag"  # ctx.meta: --config (or KOTODOC_CONFIG) given before the command
_UI_LANG_FLAG = "kotodoc.ui-lang-flag"  # ctx.meta: --ui-lang, for the command's configuration to defer to
STDIN = "-"  # as a case: read it from standard input; as -o: write the document to standard output
STDIN_NAME = "<stdin>"  # how findings name a case read from standard input


class _Blaming:
    """Option errors that blame where the bad value came from.

    click names an option with its environment variable whether or not the value came from it
    (`--format PDF` blamed KOTODOC_FORMAT); the value's source is known, so name that: the flag,
    the environment variable, or the key in the configuration file.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if getattr(param, "_runtime_param", False) is None:  # typer's, not made yet
                param._runtime_param = _WhenNeeded()
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc, no-any-return]
        except typer.BadParameter as e:
            if e.param is not None and e.param.name and e.param_hint is None:
                e.param_hint = _blame(ctx, e.param.name)
            e.message = e.message.removeprefix("Value error, ")  # typer's pydantic coercion says so
            raise


class _WhenNeeded:
    """typer's coercion of a parameter's value, made only for a value that needs it.

    typer makes a pydantic validator (a TypeAdapter) for each parameter as it parses it, even for
    an option not given: eleven for `kotodoc validate FILE`, about 15 ms of its start, to return
    None, or the case files as they are. Those two it is spared here, with typer's own results
    (None, or () for a list; a list of the strings); any other value goes to typer's coercion.
    """

    def coerce(self, value: Any, param: Any, ctx: click.Context) -> Any:
        if value is None:  # as typer's `RuntimeParam.coerce` begins
            return () if param.multiple or param.nargs == -1 else None
        if (param.type_descriptor.annotation == list[str] and isinstance(value, (list, tuple))
                and all(type(item) is str for item in value)):
            return list(value)
        param._runtime_param = None
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


class _Command(_Blaming, TyperCommand):
    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Arguments named as in the usage line (`{integration-plan|minor-plan|...}`), without a type."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((" ".join(param.get_usage_pieces(ctx)), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _Group(_Blaming, TyperGroup):
    pass


def _examples(*lines: str) -> str:
    r"""An epilog of example command lines, kept as written (`\b` stops click rewrapping them)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


app = typer.Typer(
    name="kotodoc",
    cls=_Group,
    help="Finnish integration plans from YAML case files to DOCX and PDF/A, in fi, sv and en.",
    epilog=_examples("kotodoc render samples/ -o out", "kotodoc validate samples/tampere-2024-fi.yaml",
                     "kotodoc batch 'cases/**/*.yaml' -o out -j 4", "kotodoc new integration-plan -o case.yaml",
                     "kotodoc render -h", "kotodoc --install-completion    # Tab completion in your shell"),
    no_args_is_help=True,
    add_completion=True,  # --install-completion and --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    # Plain help: rich markup swallowed `[tool.kotodoc]` and showed flags as `<bool>` options.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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

# What rich does to text beyond colour: it drops these control characters and expands tabs. Text
# holding one goes through rich, so that a message reads the same whichever way it is written.
_RICH_REWRITES = frozenset("\t\a\b\v\f\r")


def _no_terminal() -> bool:
    """Whether rich would write stderr without colour: rich's own test (`Console.is_terminal`), in the
    same order (TTY_COMPATIBLE, FORCE_COLOR, then the stream)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "0"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force == ""
    try:
        return not sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one: rich says no terminal too
        return True


def _show(text: str, style: str | None = None, *, head: str | None = None) -> None:
    """Write a line to stderr: `text` in `style` (rich's colour name), after `head` in red if given.

    Where stderr is a file or a pipe (a CI log, a script, the benchmark), rich writes the text
    without colour, just as it is; writing it without rich spares importing rich's console at every
    `kotodoc validate` (about 20 ms). Once the console exists (a progress bar), it writes everything.
    """
    plain = text if head is None else f"{head} {text}"
    if not isinstance(err, _LazyConsole) or not _RICH_REWRITES.isdisjoint(plain) or not _no_terminal():
        from rich.text import Text  # styled text without markup: a message may quote `[/x]`

        line = Text(text, style=style or "")
        err.print(line if head is None else Text.assemble((head, "red"), " ", line))
        return
    if sys.stderr is None:  # no stream (pythonw): rich writes nowhere too
        return
    try:
        sys.stderr.write(plain + "\n")
        sys.stderr.flush()
    except BrokenPipeError:  # as rich does: nothing more is written, and the command ends with 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


class _Shown:
    """How much is shown: -1 errors only (--quiet), 0 the default, 1 more (--verbose)."""

    level = 0


def _say(text: str, *, style: str | None = None, level: int = 0) -> None:
    """Show `text` on stderr at `level` (0: unless --quiet; 1: with --verbose only)."""
    if _Shown.level >= level:
        _show(text, style)


class OutputFormat(StrEnum):
    """What `render` writes."""

    docx = "docx"
    pdf = "pdf"
    both = "both"

    @property
    def formats(self) -> tuple[Format, ...]:
        """The formats the library call takes."""
        return ("docx", "pdf") if self is OutputFormat.both else (typing.cast(Format, self.value),)


def _use_config(ctx: typer.Context, value: Path | None) -> Path | None:
    """Read the configuration file (before the command's other options, this option being eager).

    Its settings become the command's click `default_map`: flags, then environment, then the file.
    `--config` may come before the command (then it is in `ctx.meta`) or after it.
    """
    if ctx.resilient_parsing:  # shell completion: read nothing
        return value
    path = value or ctx.meta.get(_CONFIG_FLAG)
    if path is None:
        ignored: list[str] = []
        path = _guard(lambda: find_config(Path.cwd(), ignored), work=False)
        for message in ignored:
            _say(_("warning: {message}", message=message), style="yellow")
    settings = _guard(lambda: load_config(path), work=False) if path is not None else {}
    ctx.meta[_CONFIG] = (path, settings)
    # --ui-lang, then KOTODOC_UI_LANG, then the file's ui_lang, then the locale.
    set_ui_language(_guard(lambda: resolve_ui_language(ctx.meta.get(_UI_LANG_FLAG), settings.get("ui_lang")),
                           work=False))
    if settings and ctx.info_name is not None:
        ctx.default_map = {**(ctx.default_map or {}), **default_map(settings).get(ctx.info_name, {})}
    return value


def _blame(ctx: click.Context, name: str) -> str:
    """Where the value of the option `name` came from, to name it in an error: flag, variable or file."""
    param = next((p for p in ctx.command.params if p.name == name), None)
    flag = max(param.opts, key=len) if param is not None and param.opts else name
    source = ctx.get_parameter_source(name)
    kind = source.name if source is not None else ""
    if kind == "ENVIRONMENT" and param is not None and isinstance(param.envvar, str):
        return _("{variable} (environment variable)", variable=param.envvar)
    if kind == "DEFAULT_MAP":
        path, _settings = ctx.meta.get(_CONFIG, (None, {}))
        where = f"{path} [tool.kotodoc]" if path is not None and path.name == "pyproject.toml" else str(path)
        return _("{key} in {file}", key=name, file=where)
    return f"'{flag}'"


def _checked(ctx: click.Context, name: str, call: Callable[[], T]) -> T:
    """A library call checking an option's value; its UsageError blames where the value came from."""
    try:
        return call()
    except KotodocError as e:
        raise typer.BadParameter(error_text(e), ctx=ctx, param_hint=_blame(ctx, name)) from None


def _level(quiet: bool, verbose: bool) -> None:
    """Set how much is shown from a command's own --quiet/--verbose (they win over the root's)."""
    if quiet and verbose:
        _die(_("--quiet and --verbose do not go together"), ExitCode.USAGE)
    if quiet or verbose:
        _Shown.level = -1 if quiet else 1


Cases = Annotated[list[str], typer.Argument(metavar="CASE", show_default=False, help="Case files (YAML), "
                                            "folders and globs; - reads one case from standard input.")]
OutDir = Annotated[Path, typer.Option("--out", "-o", metavar="DIR", envvar="KOTODOC_OUT", help="Output directory.")]
Lang = Annotated[
    str | None,
    typer.Option("--lang", metavar="LANG", envvar="KOTODOC_LANG", show_default=False,
                 help="Document language(s) instead of the case's: fi, sv, en; fi,sv for two documents; "
                      "fi+sv for one bilingual document."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", envvar="KOTODOC_FORMAT", help="docx, pdf or both.")]
Templates = Annotated[
    Path | None,
    typer.Option("--templates", metavar="DIR", envvar="KOTODOC_TEMPLATES", help="A municipality's template "
                 "directory (LANG/KIND.docx), laid over the built-in templates.", show_default=False),
]
ProfileFile = Annotated[
    Path | None,
    typer.Option("--profile", metavar="FILE", envvar="KOTODOC_PROFILE", show_default=False,
                 help="The authority's profile (fixed details, logo); default: profile.yaml in --templates."),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout.")]
NoticeDate = Annotated[str | None, typer.Option(
    "--notice-date", metavar="DATE", envvar="KOTODOC_NOTICE_DATE", help="The date of the no-show fee notices, "
    "YYYY-MM-DD, for missed appointments without a notice_date of their own (default: today).", show_default=False)]
Encrypt = Annotated[bool, typer.Option("--encrypt", help="Encrypt every PDF with AES-256 (needs --format pdf). "
                                       f"The password comes from --password-file or ${PASSWORD_ENV}, never "
                                       "from the command line.")]
PasswordFile = Annotated[Path | None, typer.Option("--password-file", metavar="FILE", show_default=False,
                                                   help="A file holding the PDF password (its first line).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", is_eager=True, callback=_use_config, show_default=False,
    help="A configuration file (default: the nearest kotodoc.toml, or pyproject.toml with [tool.kotodoc]).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Show errors only.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Also show every file written and the times.")]


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
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="FILE", envvar="KOTODOC_CONFIG", show_default=False,
        help="A configuration file (default: the nearest kotodoc.toml, or pyproject.toml with "
             "[tool.kotodoc]). May also follow the command.")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    ui_lang: Annotated[str | None, typer.Option(
        "--ui-lang", metavar="LANG", show_default=False,
        help="The language of kotodoc's messages: fi, sv or en (default: $KOTODOC_UI_LANG, ui_lang in the "
             "configuration, the locale, else en).")] = None,
) -> None:
    """Finnish integration plans from YAML case files to DOCX and PDF/A."""
    # The interface language, said at once (flag, environment, locale) so that reading the configuration
    # speaks it, and again with the file's ui_lang when the command reads it (`_use_config`); the
    # language before is restored when the command ends (a program or a test may run several).
    token = set_ui_language(_guard(lambda: resolve_ui_language(ui_lang, None), work=False))
    ctx.call_on_close(lambda: reset_ui_language(token))
    ctx.meta[_UI_LANG_FLAG] = ui_lang
    _Shown.level = 0  # one process may run several command lines (tests, a shell)
    _level(quiet, verbose)
    # Read by the command's own --config (eager), which reads the file: `--config` may follow the command.
    ctx.meta[_CONFIG_FLAG] = config


@app.command("render", cls=_Command, short_help="Validate and render cases to DOCX and PDF/A.", epilog=_examples(
    "kotodoc render samples/espoo-municipality-fi.yaml -o out",
    "kotodoc render samples/ --format pdf --lang fi+sv",
    "kotodoc render samples/municipality/cases/ --templates samples/municipality",
    "cat case.yaml | kotodoc render - --format pdf -o - > plan.pdf"))
def render_command(
    ctx: typer.Context,
    cases: Cases,
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", envvar="KOTODOC_OUT", help="Output "
                                      "directory; - writes the one document to standard output.")] = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Lang = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    encrypt: Encrypt = False,
    password_file: PasswordFile = None,
    json_out: Json = False,
    notice_date: NoticeDate = None,
    config: ConfigOption = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Validate case files and render their documents as DOCX and PDF/A-2b.

    Folders are searched for *.yaml and *.yml as by batch; claimant files, profiles and a template
    directory's own cases are skipped with a note.
    """
    from kotodoc.run import render

    _level(quiet, verbose)
    _not_flag_values(cases)
    languages = _options(ctx, lang, templates, profile)
    password = _password(encrypt, password_file)
    issued = _date(ctx, notice_date)
    started = time.perf_counter()
    if STDIN in cases or str(out) == STDIN:
        _render_one(cases, out, format, languages, templates, profile, password, issued, json_out)
        return
    skipped: list[Skipped] = []
    reports = _guard(lambda: render(cases, out, formats=format.formats, languages=languages, templates=templates,
                                    profile=profile, password=password, notice_date=issued, skipped=skipped))
    _finish(reports, skipped, json_out, verb="rendered", started=started, list_files=True)


@app.command("validate", cls=_Command, short_help="Check cases against the format and the rules.",
             epilog=_examples("kotodoc validate samples/tampere-2024-fi.yaml", "kotodoc validate samples/ --json",
                              "kotodoc validate samples/municipality/cases/ --templates samples/municipality",
                              "cat case.yaml | kotodoc validate -"))
def validate_command(ctx: typer.Context, cases: Cases, templates: Templates = None, profile: ProfileFile = None,
                     json_out: Json = False, notice_date: NoticeDate = None, config: ConfigOption = None,
                     quiet: Quiet = False, verbose: Verbose = False) -> None:
    """Check case files against the format and the legal rules, without rendering.

    Folders and globs are searched as by batch (claimant files, profiles and a template
    directory's own cases skipped with a note).
    """
    from kotodoc.run import validate

    _level(quiet, verbose)
    _not_flag_values(cases)
    _options(ctx, None, templates, profile)
    issued = _date(ctx, notice_date)
    started = time.perf_counter()
    skipped: list[Skipped] = []
    if STDIN in cases:
        from kotodoc.run import validate_case  # its module imports the runner: not for files (0.4 s)

        text = _text(_stdin_case(cases), STDIN_NAME)
        reports = [_guard(lambda: validate_case(text, name=STDIN_NAME, templates=templates, profile=profile,
                                                notice_date=issued))]
    else:
        reports = _guard(lambda: validate(cases, templates=templates, profile=profile, notice_date=issued,
                                          skipped=skipped))
    _finish(reports, skipped, json_out, verb="valid", started=started)


@app.command("batch", cls=_Command, short_help="Render many cases in parallel, resumably.", epilog=_examples(
    "kotodoc batch samples/ -o out", "kotodoc batch 'cases/**/*.yaml' -o out -j 4 --report report.json",
    "kotodoc batch cases/ --shard 2/4 --format pdf --bundle print.pdf"))
def batch_command(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(metavar="CASE", show_default=False,
                                               help="Case files, folders and globs.")],
    out: OutDir = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Lang = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", metavar="N", min=1, envvar="KOTODOC_JOBS",
                                             show_default=False, help="Workers and LibreOffice instances "
                                             "(default: the number of CPUs).")] = None,
    shard: Annotated[str | None, typer.Option("--shard", metavar="I/N", show_default=False,
                                              help="Only shard I of N (CI matrix).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo cases the manifest says are unchanged.")] = False,
    bundle: Annotated[Path | None, typer.Option("--bundle", metavar="FILE", show_default=False,
                                                help="Also write one print-ready PDF of the batch.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", min=1, help="Seconds a document may "
                                           "take in LibreOffice before it is restarted.")] = 60.0,
    restart_after: Annotated[int, typer.Option("--restart-after", metavar="N", min=1, help="Documents per "
                                               "LibreOffice start (bounds its memory).")] = 200,
    report: Annotated[Path | None, typer.Option("--report", metavar="FILE", show_default=False,
                                                help="Write the JSON report to this file.")] = None,
    encrypt: Encrypt = False,
    password_file: PasswordFile = None,
    json_out: Json = False,
    notice_date: NoticeDate = None,
    config: ConfigOption = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Render many case files in parallel, resumably, with a JSON report and an optional print bundle.

    Claimant files, profiles and a template directory's own cases are skipped with a note.
    """
    from kotodoc.run import batch, parse_shard

    _level(quiet, verbose)
    _not_flag_values(paths)
    languages = _options(ctx, lang, templates, profile)
    password = _password(encrypt, password_file)
    issued = _date(ctx, notice_date)
    shard_value = _guard(lambda: parse_shard(shard)) if shard else None
    for named in (report, bundle):  # refused before the work, not after it
        if named is not None and str(named) != "-":
            try:
                check_output_file(named)
            except OSError as e:
                _die(f"cannot write {named}: {e.strerror}", ExitCode.USAGE)
    # SIGTERM (a CI runner cancelling) stops the batch like Ctrl-C: LibreOffice killed, work removed.
    signal.signal(signal.SIGTERM, _interrupt)
    with _progress(enabled=err.is_terminal and not json_out and _Shown.level >= 0) as progress:
        result = _guard(lambda: batch(
            paths, out, formats=format.formats, languages=languages, jobs=jobs, shard=shard_value,
            force=force, bundle=bundle, doc_timeout=timeout, restart_after=restart_after, progress=progress,
            templates=templates, profile=profile, password=password, notice_date=issued,
        ))
    if report is not None:
        try:
            # A case at a time: the report of a large batch is never whole in memory.
            if str(report) == "-":
                result.write_json(sys.stdout)
            else:
                with open_user_file(report) as fh:
                    result.write_json(fh)
        except OSError as e:  # a full disk, a symlink: say so, the documents written stand
            _die(f"cannot write the report {report}: {e.strerror}", ExitCode.FAILED)
    for warning in result.warnings:
        _say(_("warning: {message}", message=warning), style="yellow")
    _print_skipped(result.skipped)
    _print_findings(result.cases)
    _print_cases(result.cases, list_files=False)
    failed = [c.file for c in result.cases if c.status == "failed"] if result.count("failed") else []
    if json_out:
        result.write_json(sys.stdout)
    else:
        summary = result.summary()
        line = _("{cases} case(s): {done} done ({reused} unchanged), {invalid} invalid, {failed} failed; "
                 "{documents} file(s) in {seconds} s", cases=summary["cases"], done=summary["done"],
                 reused=summary["reused"], invalid=summary["invalid"], failed=summary["failed"],
                 documents=summary["documents"], seconds=f"{summary['seconds']:.1f}")
        if result.skipped:
            line += _(", {count} file(s) skipped", count=len(result.skipped))
        _say(line)
        for file in failed:
            _say(_("failed: {file}", file=str(file)), level=-1)
        if result.bundle:
            _say(_("bundle: {file}", file=_shown(result.bundle)))
    _nothing_left(result.cases, result.skipped)
    if result.count("invalid") or result.count("failed"):
        raise typer.Exit(int(ExitCode.FAILED))


@app.command("claim", cls=_Command, short_help="Build and render an interpretation-cost claim.", epilog=_examples(
    "kotodoc claim samples/*.yaml --claimant samples/claims/claimant-espoo.yaml --period 2025-01-01..2025-06-30",
    "kotodoc claim cases/*.yaml --claimant claimant.yaml --period 2025-01-01..2025-06-30 --lang fi"))
def claim_command(
    ctx: typer.Context,
    cases: Annotated[list[Path], typer.Argument(metavar="CASE", show_default=False,
                                                help="The case files whose appointments are claimed.")],
    claimant: Annotated[Path, typer.Option("--claimant", metavar="FILE", help="The claimant file (YAML): name, "
                                           "business ID, IBAN, languages.", show_default=False)],
    period: Annotated[str, typer.Option("--period", metavar="START..END", help="The claim period, such as "
                                        "2025-01-01..2025-06-30.", show_default=False)],
    submitted: Annotated[str | None, typer.Option("--submitted", metavar="DATE", show_default=False,
                                                  help="The submission date, YYYY-MM-DD (default: today); the "
                                                       "2-year reach-back counts from it.")] = None,
    case_id: Annotated[str | None, typer.Option("--case-id", metavar="ID", show_default=False, help="The claim's "
                                                "case id (default: <case_id_prefix>-KEHA-<start>-<end>).")] = None,
    out: OutDir = Path("out"),
    format: FormatOption = OutputFormat.both,
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="LANG", envvar="KOTODOC_LANG", show_default=False,
        help="The claim's language instead of the claimant file's `languages`: fi, sv or en, or two "
             "joined as fi+sv for one bilingual document (a claim is one document).")] = None,
    templates: Templates = None,
    profile: ProfileFile = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing claim file.")] = False,
    json_out: Json = False,
    config: ConfigOption = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Build an interpretation-cost claim to the KEHA Centre from case files, then render it with its CSV."""
    from kotodoc.claim import build_claim

    _level(quiet, verbose)
    _not_flag_values([str(c) for c in cases])
    _options(ctx, None, templates, profile)
    # A claim is one document: `fi` or, bilingual, `fi+sv` (`fi,sv` would be two documents).
    languages = list(_checked(ctx, "lang", lambda: single_edition(lang))) if lang is not None else None
    result = _guard(lambda: build_claim(
        cases, claimant=claimant, period=period, out_dir=out, submitted=submitted, case_id=case_id,
        languages=languages, formats=format.formats, force=force,
        templates=templates, profile=profile,
    ))
    _print_findings(result.inputs)
    for exclusion in result.exclusions:  # the annex, located in the case files
        _say(exclusion.text(), style="dim")
    if result.render is not None:
        _print_findings([result.render])
    if json_out:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in result.summary():
            _say(line)
    if result.status in ("invalid", "failed"):
        raise typer.Exit(int(ExitCode.FAILED))


SchemaName = Literal["case", "case-with-profile", "claimant", "profile"]  # kotodoc.authoring.SCHEMA_NAMES


@app.command("schema", cls=_Command, short_help="Print a JSON Schema for editors.", epilog=_examples(
    "kotodoc schema -o case.schema.json", "kotodoc schema --for claimant -o claimant.schema.json",
    "kotodoc schema --for case-with-profile", "kotodoc schema --lang fi -o kotodoc-case.schema.json"))
def schema_command(
    name: Annotated[SchemaName, typer.Option("--for", help="Which file the schema describes: a case, a case "
                                             "whose authority comes from a profile, a claimant file or a "
                                             "profile.")] = "case",
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", show_default=False,
                                             help="Write the schema to this file instead of stdout.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", metavar="fi|sv|en", show_default=False,
                                             help="The language of the descriptions an editor shows "
                                             "(default: the interface language).")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Print the JSON Schema of case files, claimant files or profiles (for editors: VS Code's YAML extension)."""
    from kotodoc._i18n import ui_language
    from kotodoc._languages import LANGUAGES
    from kotodoc.authoring import schema_for

    _level(quiet, verbose)
    chosen = lang or ui_language()
    if chosen not in LANGUAGES:
        _die(f"unknown language {chosen!r} for the schema: choose from {', '.join(LANGUAGES)}", ExitCode.USAGE)
    text = json.dumps(_guard(lambda: schema_for(name, chosen)), ensure_ascii=False, indent=2) + "\n"
    if out is None or str(out) == "-":
        typer.echo(text, nl=False)
    else:
        try:
            _write_out(out, text)
        except OSError as e:
            _die(f"cannot write {out}: {e.strerror}", ExitCode.USAGE)
        _say(f"schema written to {_shown(out)}")


# The kinds, for the usage line and completion (kotodoc.model.CASE_MODELS, which needs pydantic, is their home;
# tests/test_cli.py holds the two together). A bad kind is refused by `skeleton`, with "did you mean".
KINDS = ("integration-plan", "minor-plan", "family-plan", "interpretation-claim")


@app.command("new", cls=_Command, short_help="Write a commented skeleton case file.", epilog=_examples(
    "kotodoc new integration-plan -o case.yaml", "kotodoc new minor-plan --lang sv", "kotodoc new family-plan "
    "--lang fi+sv -o family.yaml"))
def new_command(
    kind: Annotated[str, typer.Argument(metavar="|".join(KINDS), show_default=False, help="The kind of case.",
                                        autocompletion=lambda: list(KINDS))],
    lang: Annotated[str, typer.Option("--lang", metavar="LANG", help="The comments' language and the case's "
                                      "languages: fi, sv, en, or two as fi+sv.")] = "fi",
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", show_default=False,
                                             help="Write the skeleton to this file instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write a commented skeleton case file to fill in."""
    from kotodoc.authoring import skeleton

    _level(quiet, verbose)
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
    _say(f"skeleton written to {_shown(out)}")


@app.command("config", cls=_Command, short_help="Show the configuration file and settings in effect.",
             epilog=_examples("kotodoc config", "kotodoc config --config ci/kotodoc.toml"))
def config_command(ctx: typer.Context, config: ConfigOption = None, quiet: Quiet = False,
                   verbose: Verbose = False) -> None:
    """Show which configuration file is used and the settings in effect (before any flag)."""
    _level(quiet, verbose)
    path, settings = ctx.meta.get(_CONFIG, (None, {}))
    typer.echo(f"configuration file: {path if path is not None else 'none'}")
    for key, value, source in settings_in_effect(path, settings, os.environ):
        typer.echo(f"{key} = {value}  ({source})")


@app.command("serve", cls=_Command, short_help="Serve the API and the officials' page over HTTP.", epilog=_examples(
    "kotodoc serve", "kotodoc serve --lanes 4 --templates municipality/", "kotodoc serve --host 0.0.0.0 "
    "--token-file /etc/kotodoc/token"))
def serve_command(
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="The address to listen on; other than "
                                      "loopback only with --token-file.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="The port to listen on.")] = 8080,
    templates: Templates = None,
    profile: ProfileFile = None,
    lanes: Annotated[int, typer.Option("--lanes", metavar="N", help="Warm LibreOffice instances shared by the "
                                       "requests.")] = 2,
    token_file: Annotated[Path | None, typer.Option("--token-file", metavar="FILE", show_default=False,
                                                    help="A file (owner-only) holding the bearer token every /v1 "
                                                    "request must carry.")] = None,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", help="The largest request body.")] = 1_000_000,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", help="Seconds a render may take.")] = 60.0,
    queue: Annotated[int, typer.Option("--queue", metavar="N", help="Render requests at once (served or waiting); "
                                       "more are answered 503 with Retry-After.")] = 16,
) -> None:
    """Serve the API (and the officials' page) over HTTP: validate, render, claims, skeletons, metrics."""
    from kotodoc.serve import ServeConfig, read_token, serve

    token = _guard(lambda: read_token(token_file)) if token_file is not None else None
    _guard(lambda: serve(ServeConfig(host=host, port=port, templates=templates, profile=profile, lanes=lanes,
                                     token=token, max_body=max_body, render_timeout=timeout, queue=queue)))


templates_app = typer.Typer(help="Work with DOCX templates.", no_args_is_help=True, rich_markup_mode=None,
                            epilog=_examples("kotodoc templates check", "kotodoc templates check samples/municipality"))
app.add_typer(templates_app, name="templates", short_help="Work with DOCX templates.")


@templates_app.command("check", cls=_Command, short_help="Check templates for errors and unsafe constructs.",
                       epilog=_examples("kotodoc templates check", "kotodoc templates check samples/municipality",
                                        "kotodoc templates check my-templates/ --json"))
def templates_check_command(
    directory: Annotated[Path | None, typer.Argument(metavar="DIR", help="A template directory "
                                                     "(LANG/KIND.docx); default: the built-in templates.",
                                                     show_default=False)] = None,
    json_out: Json = False,
    against_builtin: Annotated[bool, typer.Option(
        "--against-builtin", help="Also list, paragraph by paragraph, where the directory's templates differ "
        "from the built-in wording (to take upstream fixes); differences do not fail the check.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check templates: Jinja syntax, unknown variables, split tags, fi/sv/en differences, and unsafe
    constructs (external links, macros, fields that load files, unsafe Jinja)."""
    from kotodoc.authoring import check_templates, wording_differences

    _level(quiet, verbose)
    problems = _guard(lambda: check_templates(directory))
    differences = _guard(lambda: wording_differences(directory)) if against_builtin and directory else []
    if json_out:
        typer.echo(json.dumps([p.as_dict() for p in [*problems, *differences]], ensure_ascii=False, indent=2))
    for problem in problems:
        _say(str(problem), style="red", level=-1)
    for difference in differences:
        _say(str(difference))
    if not json_out:
        _say(f"{len(problems)} problem(s)" if problems else "templates ok")
        if against_builtin:
            _say(f"{len(differences)} paragraph(s) differ from the built-in wording" if differences
                 else "the wording is the built-in templates'")
    if problems:
        raise typer.Exit(int(ExitCode.FAILED))


# ---------------------------------------------------------------------------------------------
# Standard input and output: `-`


def _stdin_case(cases: Sequence[str]) -> bytes:
    """The case on standard input, for `-` given alone."""
    from kotodoc.load import MAX_BYTES

    if len(cases) != 1:
        _die(_("- reads one case from standard input; give it alone, without other case files"), ExitCode.USAGE)
    data = typer.get_binary_stream("stdin").read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        _die(_("standard input: a case file is at most {limit} bytes", limit=MAX_BYTES), ExitCode.USAGE)
    return bytes(data)


def _text(data: bytes, name: str) -> str:
    """A case's bytes as text; not UTF-8 is a usage error naming where it came from."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _die(_("{name}: not UTF-8 text", name=name), ExitCode.USAGE)


def _render_one(cases: Sequence[str], out: Path, format: OutputFormat, languages: str | None,
                templates: Path | None, profile: Path | None, password: str | None, issued: dt.date | None,
                json_out: bool) -> None:
    """`render -` (a case from standard input) and `render CASE -o -` (one document to standard output)."""
    from kotodoc.run import render_case

    to_stdout = str(out) == STDIN
    if to_stdout:
        if json_out:
            _die(_("-o - writes the document to standard output; --json cannot share it"), ExitCode.USAGE)
        if format is OutputFormat.both:
            _die(_("-o - writes one document: choose --format pdf or --format docx"), ExitCode.USAGE)
        if sys.stdout.isatty():
            _die(_("will not write a {format} file to a terminal: redirect standard output to a file or a pipe",
                   format=format.value.upper()), ExitCode.USAGE)
    if STDIN in cases:
        data, name = _stdin_case(cases), STDIN_NAME
    else:
        if len(cases) != 1:
            _die(_("-o - writes one document: give one case file"), ExitCode.USAGE)
        from kotodoc.load import MAX_BYTES

        try:
            data, name = read_user_file(Path(cases[0]), limit=MAX_BYTES), cases[0]
        except OSError as e:
            _die(_("cannot read {file}: {reason}", file=cases[0], reason=e.strerror or type(e).__name__),
                 ExitCode.USAGE)
    text = _text(data, name)
    done = _guard(lambda: render_case(text, name=name, formats=format.formats, languages=languages,
                                      templates=templates, profile=profile, password=password, notice_date=issued))
    for finding in done.findings:
        _print_finding(finding)
    for failure in done.failures:
        _say(f"{name}: failed: {failure}", style="red", level=-1)
    written: list[Path] = []
    if done.status not in ("invalid", "failed") and not to_stdout:
        _guard(lambda: private_dir(out))
        for file_name, content in done.documents.items():
            _guard(lambda: atomic_write(out / file_name, content))  # noqa: B023 (called at once)
            written.append(out / file_name)
    if json_out:  # as `render --json`: a list of one case
        typer.echo(json.dumps([{
            "file": name, "status": done.status, "case_id": done.case_id, "kind": done.kind,
            "outputs": [str(p) for p in written], "errors": [f.as_dict() for f in done.errors],
            "warnings": [f.as_dict() for f in done.warnings], "failures": done.failures,
        }], ensure_ascii=False, indent=2))
    if done.status in ("invalid", "failed"):
        raise typer.Exit(int(ExitCode.FAILED))
    if to_stdout:
        if len(done.documents) != 1:
            _die(_("-o - writes one document, and this case gives {count} ({names}): write them to a folder "
                   "with -o DIR", count=len(done.documents),
                   names=", ".join(done.documents)), ExitCode.USAGE)
        [content] = done.documents.values()
        stream = typer.get_binary_stream("stdout")
        stream.write(content)
        stream.flush()
        return
    if json_out:
        return
    for path in written:
        _say(_("wrote {file}", file=_shown(path)))
    _say(_("1 of 1 case(s) rendered, {count} file(s) written", count=len(written)))


# ---------------------------------------------------------------------------------------------
# Helpers


def _options(ctx: click.Context, lang: str | None, templates: Path | None, profile: Path | None) -> str | None:
    """Check the options shared by the commands, blaming each bad value's source; the languages as given."""
    if lang is not None:
        _checked(ctx, "lang", lambda: parse_editions(lang))
    if templates is not None and not templates.is_dir():
        raise typer.BadParameter(_("template directory {path} does not exist", path=templates), ctx=ctx,
                                 param_hint=_blame(ctx, "templates"))
    if profile is not None and not profile.exists():
        raise typer.BadParameter(_("profile {path} does not exist", path=profile), ctx=ctx,
                                 param_hint=_blame(ctx, "profile"))
    return lang


# A flag takes no value: `--json true` leaves `true` as a case file. Said so rather than "no such file".
_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "on", "off"})


def _not_flag_values(inputs: Sequence[str]) -> None:
    for text in inputs:
        if text.lower() in _FLAG_WORDS and not Path(text).exists():
            _die(_("{value!r} is not a case file: flags such as --json and --force take no value",
                   value=text), ExitCode.USAGE)


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
            _die(_("cannot read the password file {file}: {reason}", file=file, reason=e.strerror or type(e).__name__),
                 ExitCode.USAGE)
        except UnicodeDecodeError:
            _die(f"cannot read the password file {file}: not UTF-8 text", ExitCode.USAGE)
        password = lines[0] if lines else ""
    else:
        password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        _die(f"--encrypt needs a password: --password-file FILE, or ${PASSWORD_ENV}", ExitCode.USAGE)
    return password


def _date(ctx: click.Context, value: str | None) -> dt.date | None:
    """`--notice-date` as a date; a usage error (exit 2) blaming the flag or the variable otherwise."""
    if value is None:
        return None  # without importing the claim builder (8 ms of every validation)
    from kotodoc.claim import parse_date

    return _checked(ctx, "notice_date", lambda: parse_date(value, "value"))


def _guard(call: Callable[[], T], *, work: bool = True) -> T:
    """Run a library call, turning kotodoc errors into messages and exit codes.

    `work`: the call is the command's work (not the reading of its options), so kotodoc has started.
    """
    if work:
        _Collector.resume()
    try:
        return call()
    except KotodocError as e:
        _die(error_text(e), e.exit_code)
    except KeyboardInterrupt:
        _die("interrupted", ExitCode.FAILED)
    except Exception as e:
        if os.environ.get("KOTODOC_DEBUG") == "1":
            raise
        _die(f"internal error ({type(e).__name__}); rerun with KOTODOC_DEBUG=1 for details", ExitCode.FAILED)


def _die(message: str, code: ExitCode) -> NoReturn:
    head = _("error:")
    _show(message, head=head)
    raise typer.Exit(int(code))


def _print_findings(reports: Sequence[CaseReport]) -> None:
    for report in reports:
        for finding in report.findings:
            _print_finding(finding)
        for failure in report.failures:
            _say(_("{file}: failed: {failure}", file=str(report.file), failure=failure), style="red", level=-1)


def _print_finding(finding: Any) -> None:
    error = finding.severity.value == "error"
    # In the reader's language, with its code; --quiet: errors only.
    _say(finding_line(finding), style="red" if error else "yellow", level=-1 if error else 0)


def _print_skipped(skipped: Sequence[Skipped]) -> None:
    for item in skipped:
        _say(_("{file}: skipped: {reason}", file=_shown(item.file), reason=item.reason()))


def _print_cases(reports: Sequence[CaseReport], *, list_files: bool) -> None:
    """The files each case wrote (render: by default; batch: with --verbose), and its time (--verbose)."""
    if _Shown.level < (0 if list_files else 1):
        return
    for report in reports:
        for path in report.outputs:
            if not report.reused:
                _say(_("wrote {file}", file=_shown(path)), level=0 if list_files else 1)
        _say(_("{file}: {status} in {seconds:.2f} s", file=_shown(report.file), status=report.status,
               seconds=report.seconds), style="dim", level=1)


def _nothing_left(reports: Sequence[CaseReport], skipped: Sequence[Skipped]) -> None:
    """Exit 2 when every file given was skipped: nothing was done, and the notes say what to give instead."""
    if not reports and skipped:
        _die(_("no case file to work on: every file given was skipped (see the notes above)"), ExitCode.USAGE)


def _finish(reports: Sequence[CaseReport], skipped: Sequence[Skipped], json_out: bool, *, verb: str,
            started: float, list_files: bool = False) -> None:
    _print_skipped(skipped)
    _print_findings(reports)
    _print_cases(reports, list_files=list_files)
    bad = [r for r in reports if r.status in ("invalid", "failed")]
    if json_out:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        outputs = sum(len(r.outputs) for r in reports)
        ok = len(reports) - len(bad)
        if verb == "valid":
            summary = _("{ok} of {count} case(s) valid", ok=ok, count=len(reports))
        else:
            summary = _("{ok} of {count} case(s) rendered", ok=ok, count=len(reports))
        if outputs:
            summary = _("{summary}, {outputs} file(s) written", summary=summary, outputs=outputs)
        if skipped:
            summary += _(", {count} file(s) skipped", count=len(skipped))
        if _Shown.level > 0:
            summary += _(" in {seconds:.1f} s", seconds=time.perf_counter() - started)
        _say(summary)
    _nothing_left(reports, skipped)
    if bad:
        raise typer.Exit(int(ExitCode.FAILED))


def _shown(path: Path) -> str:
    """A path to show: relative to the working directory when it lies below it, else as given."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _write_out(path: Path, text: str) -> None:
    """Write a file the user named (`--report`, `-o`); `-` is standard output.

    Never through a symlink or over a device (`write_user_file`).
    """
    if str(path) == "-":
        typer.echo(text, nl=False)
    else:
        write_user_file(path, text.encode("utf-8"))


class _Collector:
    """Python's garbage collector, which the `kotodoc` script pauses while kotodoc starts.

    Starting is importing typer, pydantic and the case model: hundreds of thousands of objects,
    none of them garbage, which the collector went through again and again (21 times, 8 % of
    the instructions of a `kotodoc validate`). It is resumed as the command's work begins
    (`_guard`), with what the start made frozen (`gc.freeze`): modules and classes live as long as
    the process, and are never gone through again (a long batch or the service gains too).
    """

    paused = False

    @classmethod
    def resume(cls) -> None:
        if cls.paused:
            cls.paused = False
            gc.freeze()
            gc.enable()


# The root's options, as `_command_of` steps over them: those that take a value, and flags.
_ROOT_VALUED = ("--config", "--ui-lang")
_ROOT_FLAGS = ("-q", "--quiet", "-v", "--verbose")


def _command_of(args: Sequence[str]) -> str | None:
    """The command a command line names, when plain to see: after root options `main` knows, if any."""
    rest = iter(args)
    for arg in rest:
        if arg in _ROOT_VALUED:
            next(rest, None)
        elif not (arg in _ROOT_FLAGS or arg.startswith(tuple(f"{o}=" for o in _ROOT_VALUED))):
            return None if arg.startswith("-") else arg
    return None


def _for(args: Sequence[str] | None) -> typer.Typer:
    """The command line for `args`: `app` with the one command it names, else all of `app`.

    typer makes click's command, with every option, for each command before parsing (about 25 ms
    for the nine); a command line that names its command needs that one only, and says and does
    the same with it alone (its help, its errors, the root's options). Anything else (`-h`,
    `--version`, no command, a misspelt one, `templates`, shell completion) gets all of `app`.
    """
    command = _command_of(sys.argv[1:] if args is None else args)
    infos = [info for info in app.registered_commands if info.name is not None and info.name == command]
    if not infos or "_KOTODOC_COMPLETE" in os.environ:
        return app
    one = copy.copy(app)  # `app` itself stays whole (tests, and a program that imports it)
    one.registered_commands = infos
    one.registered_groups = []
    return one


def main(argv: Sequence[str] | None = None, *, collector_paused: bool = False) -> None:
    """Entry point of the `kotodoc` script.

    `collector_paused`: the script paused the garbage collector to start (`_Collector`); it is
    resumed as the command's work begins, or as the command line ends.
    """
    _Collector.paused = collector_paused and not gc.isenabled()
    try:
        _for(argv)(args=list(argv) if argv is not None else None, prog_name="kotodoc")
    except SystemExit as e:
        # click reports usage errors with exit status 2 itself; keep every other status as is.
        sys.exit(e.code)
    finally:
        _Collector.resume()
