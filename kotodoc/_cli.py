"""The `kotodoc` command: parse the command line, call one library function, show the result.

Exit codes are decided in one place, `kotodoc.errors.ExitCode`: 0 all went well, 1 a case was
invalid or failed, 2 usage error. Messages go to stderr, `--json` to stdout. No input produces a
traceback: unexpected exceptions are reported as internal errors without their details (which
could hold personal data) unless `KOTODOC_DEBUG=1` is set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from kotodoc import __version__
from kotodoc._pipeline import CaseReport, render, validate
from kotodoc.errors import ExitCode, KotodocError

app = typer.Typer(
    name="kotodoc",
    help="Finnish integration plans from YAML case files to DOCX and PDF/A, in fi, sv and en.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")


class OutputFormat(StrEnum):
    """What `render` writes."""

    docx = "docx"
    pdf = "pdf"
    both = "both"


Cases = Annotated[list[Path], typer.Argument(help="Case files (YAML).", show_default=False)]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
Lang = Annotated[
    str | None,
    typer.Option("--lang", help="Document language(s) instead of the case's: fi, sv, en; several as fi,sv."),
]
Json = Annotated[bool, typer.Option("--json", help="Print a JSON report on stdout.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kotodoc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Finnish integration plans from YAML case files to DOCX and PDF/A."""


@app.command("render")
def render_command(
    cases: Cases,
    out: OutDir = Path("out"),
    format: Annotated[OutputFormat, typer.Option("--format", help="docx, pdf or both.")] = OutputFormat.both,
    lang: Lang = None,
    json_out: Json = False,
) -> None:
    """Validate case files and render their documents as DOCX and PDF/A-2b."""
    formats = ("docx", "pdf") if format is OutputFormat.both else (format.value,)
    languages = _languages(lang)
    reports = _guard(lambda: render(cases, out, formats=formats, languages=languages))  # type: ignore[arg-type]
    _finish(reports, json_out, verb="rendered")


@app.command("validate")
def validate_command(cases: Cases, json_out: Json = False) -> None:
    """Check case files against the format and the legal rules, without rendering."""
    reports = _guard(lambda: validate(cases))
    _finish(reports, json_out, verb="valid")


def _languages(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part.strip() for part in value.replace("+", ",").split(",") if part.strip()]


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
    err.print(f"[red]error:[/red] {message}", markup=True)
    raise typer.Exit(int(code))


def _finish(reports: Sequence[CaseReport], json_out: bool, *, verb: str) -> None:
    for report in reports:
        for finding in report.findings:
            colour = "red" if finding.severity.value == "error" else "yellow"
            err.print(f"[{colour}]{_escape(str(finding))}[/{colour}]", markup=True)
        for failure in report.failures:
            err.print(f"[red]{_escape(str(report.file))}: failed: {_escape(failure)}[/red]", markup=True)
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


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `kotodoc` script."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="kotodoc")
    except SystemExit as e:
        # click reports usage errors with exit status 2 itself; keep every other status as is.
        sys.exit(e.code)
