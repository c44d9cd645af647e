"""kotodoc's errors and findings: one tree, located, free of personal data.

Every problem kotodoc reports about a case is a `Finding`: a severity, an optional rule id from
the domain brief, the YAML path of the field and, once the loader has placed it, the file, line
and column. Findings are collected, never raised one by one; a stage that finds errors raises a
`CaseError` carrying all of them. Messages never hold an identity code in full or health text.

A finding keeps its message as an English message id with parameters and a stable code (the rule
id, or a FORMAT-* code): it is put into words in the reader's language where it is shown
(`kotodoc._i18n.finding_text`), since this module, at the bottom of kotodoc, imports nothing of it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "FORMAT_CODES",
    "CaseError",
    "ConversionError",
    "ExitCode",
    "Finding",
    "KotodocError",
    "Message",
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


Params = Mapping[str, object]


def english(msgid: str, params: Params) -> str:
    """A message id with its parameters filled in, in English (the language of the code)."""
    if not params:
        return msgid
    return msgid.format(**{k: str(v) if isinstance(v, Message) else v for k, v in params.items()})


@dataclass(frozen=True)
class Message:
    """A message id (English, with `{name}` placeholders) and its parameters, translated where shown.

    A parameter may itself be a `Message` (a reason inside a sentence), translated with it.
    Parameters never hold personal data: names, identity codes, health or reason texts.
    """

    msgid: str
    params: Params = field(default_factory=dict)

    def __str__(self) -> str:
        return english(self.msgid, self.params)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted((k, str(v)) for k, v in self.params.items()))))


# Codes of the problems that are not a legal rule's: the case file's format and its YAML. Every
# finding has a code: a rule finding its rule id, any other one of these. They are stable (a case
# system may count or translate findings by them) and listed in docs/reference/codes.md.
FORMAT_CODES: dict[str, str] = {
    "FORMAT-FILE": "The file cannot be read: missing, not UTF-8 text, empty or too large.",
    "FORMAT-YAML": "The file is not valid YAML: a syntax error, a tab, a duplicate key, an unsupported tag.",
    "FORMAT-LIMIT": "The file goes over a limit: nesting depth, number of nodes, a recursive anchor.",
    "FORMAT-CHARACTER": "A character that cannot go into a document (a control character, a lone surrogate).",
    "FORMAT-STRUCTURE": "The file is not a mapping of keys to values, or a key is not text.",
    "FORMAT-VERSION": "`kotodoc: 1` is missing or names a version this kotodoc does not read.",
    "FORMAT-KIND": "`kind` is missing or unknown.",
    "FORMAT-UNKNOWN-KEY": "A key the format does not have here (often a typo).",
    "FORMAT-MISSING": "A required field is missing.",
    "FORMAT-PLACEHOLDER": "A placeholder of the skeleton, such as {teksti}, is not filled in.",
    "FORMAT-TEXT": "Text expected: the value is a number, a list or a mapping.",
    "FORMAT-LENGTH": "Text or a list is too short (empty) or too long.",
    "FORMAT-PATTERN": "The value does not have the required form (case_id, initials).",
    "FORMAT-DATE": "A date not written as YYYY-MM-DD, or with a time of day.",
    "FORMAT-NUMBER": "A whole number expected.",
    "FORMAT-DECIMAL": ("A number or a euro amount expected, written with a point (25.5); "
                       "euros with at most two decimals."),
    "FORMAT-RANGE": "A number outside its allowed range.",
    "FORMAT-BOOLEAN": "true or false expected.",
    "FORMAT-CHOICE": "A value outside the list of allowed values (a residence basis, a service type...).",
    "FORMAT-COUNTRY": "Not an ISO 3166-1 alpha-2 country code, such as SY.",
    "FORMAT-LANGUAGE": "Not an ISO 639 language code, such as ar.",
    "FORMAT-TYPE": "A list or a mapping expected, or another value of the wrong type.",
    "FORMAT-VALUE": "A value the format does not allow for another reason (named in the message).",
    "FORMAT-INPUT": "A problem with the input files of a command (a claim built from a claim, a case id used twice).",
}


@dataclass(frozen=True)
class Finding:
    """One located problem in a case file.

    `msgid` is the English message with `{name}` placeholders and `params` their values (never
    personal data); `message` is the English text, and `kotodoc._i18n.finding_text` the text in
    the reader's language. `code` is stable: the rule id, or a FORMAT-* code.
    """

    severity: Severity
    path: str  # dotted YAML path, e.g. "person.personal_id"; "" for the whole document
    msgid: str
    rule: str | None = None  # rule id from the domain brief, e.g. "PLAN-DATES"
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    params: Params = field(default_factory=dict)
    code: str = ""  # the rule id when empty

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", self.rule or "FORMAT-VALUE")

    def __hash__(self) -> int:
        return hash((self.severity, self.path, self.msgid, self.rule, self.file, self.line, self.column, self.code))

    @property
    def message(self) -> str:
        """The message in English."""
        return english(self.msgid, self.params)

    def located(self, file: str, line: int | None, column: int | None) -> Finding:
        """Return a copy placed in a file."""
        return replace(self, file=file, line=line, column=column)

    def where(self) -> str:
        """`FILE:LINE:COLUMN`, as far as known."""
        where = self.file or "<case>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        head = f"{self.where()}: {self.path or '(document)'}: "
        if self.severity is Severity.WARNING:
            head += "warning: "
        head += f"{self.code}: "
        return head + self.message

    def as_dict(self, message: str | None = None) -> dict[str, object]:
        """Return a JSON-ready mapping; `message` in the reader's language if given, else English."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "rule": self.rule,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message if message is None else message,
        }


def sort_key(finding: Finding) -> tuple[int, int, int]:
    """Findings in the order of the file: by line, then column; unlocated ones first."""
    if finding.line is None:
        return (0, 0, 0)
    return (1, finding.line, finding.column or 0)


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
