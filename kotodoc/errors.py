"""kotodoc's errors and findings: one tree, located, free of personal data.

Every problem kotodoc reports about a case is a `Finding`: a severity, an optional rule id from
the domain brief, the YAML path of the field and, once the loader has placed it, the file, line
and column. Findings are collected, never raised one by one; a stage that finds errors raises a
`CaseError` carrying all of them. Messages never hold an identity code in full or health text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "CaseError",
    "ConversionError",
    "ExitCode",
    "Finding",
    "KotodocError",
    "OutputDirError",
    "Severity",
    "TemplateRenderError",
    "UsageError",
]


class ExitCode(enum.IntEnum):
    """Process exit codes, decided here and nowhere else (documented in the README)."""

    OK = 0
    FAILED = 1  # a case was invalid, or a document could not be produced
    USAGE = 2  # the command line was wrong


class Severity(enum.StrEnum):
    """How much a finding matters: an error stops the document, a warning is shown."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One located problem in a case file."""

    severity: Severity
    path: str  # dotted YAML path, e.g. "person.personal_id"; "" for the whole document
    message: str
    rule: str | None = None  # rule id from the domain brief, e.g. "PLAN-DATES"
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def located(self, file: str, line: int | None, column: int | None) -> Finding:
        """Return a copy placed in a file."""
        return replace(self, file=file, line=line, column=column)

    def __str__(self) -> str:
        where = self.file or "<case>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        head = f"{where}: {self.path or '(document)'}: "
        if self.severity is Severity.WARNING:
            head += "warning: "
        if self.rule:
            head += f"{self.rule}: "
        return head + self.message

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping."""
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class KotodocError(Exception):
    """Base class of every error kotodoc raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED


class UsageError(KotodocError, ValueError):
    """The caller asked for something that cannot be done (unknown language, bad option)."""

    exit_code = ExitCode.USAGE


@dataclass
class CaseError(KotodocError):
    """A case file could not be loaded or failed validation; carries every finding."""

    file: Path
    findings: list[Finding] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        return f"{self.file}: {len(errors)} error(s)"


class TemplateRenderError(KotodocError):
    """A DOCX template failed to render: a syntax error, a missing variable, broken XML."""

    def __init__(self, template: Path, part: str, message: str, paragraph: int | None = None):
        """Locate the problem as template › part › paragraph."""
        self.template = template
        self.part = part
        self.paragraph = paragraph
        where = f"{template} › {part}"
        if paragraph is not None:
            where += f" › paragraph {paragraph}"
        super().__init__(f"{where}: {message}")


class TemplateLimitError(TemplateRenderError):
    """A template went over a rendering limit (time, size); `code` is RENDER-TIMEOUT or RENDER-TOO-LARGE."""

    def __init__(self, template: Path, part: str, code: str, message: str, paragraph: int | None = None):
        """Locate the problem as template › part › paragraph; `message` starts with `code`."""
        self.code = code
        super().__init__(template, part, message, paragraph)


class ConversionError(KotodocError):
    """LibreOffice did not produce a whole PDF for a document."""


class OutputDirError(KotodocError, OSError):
    """An output directory cannot be created or written to (a read-only file system, a file in the way).

    Both a kotodoc error, so the command line prints it (naming the directory) and exits 1 rather
    than report an "internal error (OSError)", and an OSError, so that every caller catching
    OSError around a write (a case failed, not the run) still does.
    """

    def __str__(self) -> str:
        return f"cannot write to {self.filename}: {self.strerror}"
