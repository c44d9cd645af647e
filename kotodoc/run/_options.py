"""The options of one run, checked once and frozen: `render`, `batch` and `claim` share them.

The environment is read here and nowhere else in a run (`SOURCE_DATE_EPOCH`, the render limits, the
template cache's folder): worker processes get the frozen options with each case, so a worker
started earlier (the forkserver keeps the environment of its own start) still stamps today's run
with today's time, and nothing writes into `os.environ`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kotodoc._languages import Edition, parse_editions
from kotodoc.docx import RenderLimits, cache_folder
from kotodoc.errors import UsageError

# The environment variable the command line reads the PDF password from (never an argument,
# which `ps` and shell histories would show).
PASSWORD_ENV = "KOTODOC_PDF_PASSWORD"

Format = Literal["docx", "pdf"]
FORMATS: tuple[Format, ...] = ("docx", "pdf")


def _stamp(environ: Mapping[str, str]) -> tuple[dt.datetime, bool]:
    """The time stamped into files, and whether it was pinned by `SOURCE_DATE_EPOCH`."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None), True
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0), False


@dataclass(frozen=True)
class RunOptions:
    """What a run makes and how: formats, languages, templates, limits, the time stamp.

    Build it with `RunOptions.make`, which checks every value; the fields are plain values, so the
    object goes to worker processes as it is.
    """

    formats: tuple[Format, ...] = FORMATS
    editions: tuple[Edition, ...] | None = None  # None: each case's own `languages`
    rule_data: dict[str, Any] | None = None
    templates: Path | None = None
    profile: Path | None = None
    password: str | None = field(default=None, repr=False)
    jobs: int = 1
    doc_timeout: float = 60.0
    restart_after: int = 200
    stamp: dt.datetime = field(default_factory=lambda: _stamp({})[0])
    pinned: bool = False  # SOURCE_DATE_EPOCH was set: the same inputs give the same bytes
    notice_date: dt.date | None = None  # --notice-date: the no-show fee notices' date (FEE-DATES)
    # Time and size of rendering one document (KOTODOC_RENDER_TIMEOUT, KOTODOC_RENDER_MAX_MB).
    render_limits: RenderLimits = field(default_factory=RenderLimits)
    # The user's folder of prepared templates (`kotodoc.docx.cache_folder`); None: off (KOTODOC_CACHE=off).
    template_cache: Path | None = None

    @classmethod
    def make(
        cls,
        *,
        formats: Sequence[str] = FORMATS,
        languages: str | Sequence[str] | None = None,
        rule_data: dict[str, Any] | None = None,
        templates: str | Path | None = None,
        profile: str | Path | None = None,
        password: str | None = None,
        jobs: int | None = 1,
        doc_timeout: float = 60.0,
        restart_after: int = 200,
        environ: Mapping[str, str] | None = None,
        notice_date: dt.date | None = None,
    ) -> RunOptions:
        """Check the options of a run and freeze them.

        Args:
            formats: "docx", "pdf" or both.
            languages: editions replacing each case's own languages: `"fi,sv"` or `["fi", "sv"]`
                for two documents, `"fi+sv"` for one bilingual document; None for the case's own.
            rule_data: rule parameters replacing the built-in `data/rules.yaml`.
            templates: a municipality's template directory over the built-ins.
            profile: the authority's profile; default `profile.yaml` in `templates`.
            password: encrypt every PDF (AES-256); PDF output only.
            jobs: worker processes and LibreOffice lanes; None for the number of CPUs.
            doc_timeout: seconds a document may take in LibreOffice before the instance is killed.
            restart_after: documents per LibreOffice start.
            environ: the environment to read `SOURCE_DATE_EPOCH`, the rendering limits
                (`KOTODOC_RENDER_TIMEOUT`, `KOTODOC_RENDER_MAX_MB`) and the template cache
                (`KOTODOC_CACHE`, `XDG_CACHE_HOME`, `HOME`) from (default `os.environ`).
            notice_date: the date of the no-show fee notices whose appointment gives none;
                default the day of the time stamp.

        Raises:
            UsageError: an unknown format or language, a password where it cannot be used, a
                rendering limit that is not a positive number, or `KOTODOC_CACHE` neither on nor off.
        """
        if not formats or any(f not in FORMATS for f in formats):
            raise UsageError("formats are docx, pdf or both")
        chosen = tuple(f for f in FORMATS if f in formats)
        editions = None if languages is None else parse_editions(languages)
        if password is not None:
            if not password:
                raise UsageError("the PDF password is empty")
            if chosen != ("pdf",):
                raise UsageError("encryption needs --format pdf: a DOCX beside the PDF would not be encrypted")
        env = os.environ if environ is None else environ
        stamp, pinned = _stamp(env)
        return cls(
            formats=chosen,
            editions=editions,
            rule_data=rule_data,
            templates=Path(templates) if templates is not None else None,
            profile=Path(profile) if profile is not None else None,
            password=password,
            jobs=max(1, jobs or os.cpu_count() or 1),
            doc_timeout=doc_timeout,
            restart_after=max(1, restart_after),
            stamp=stamp,
            pinned=pinned,
            notice_date=notice_date,
            render_limits=RenderLimits.from_env(env),
            template_cache=cache_folder(env),
        )

    @property
    def issued(self) -> dt.date:
        """The date of the no-show fee notices whose appointment gives none: `--notice-date`, else the
        day of the time stamp (`SOURCE_DATE_EPOCH` when set)."""
        return self.notice_date or self.stamp.date()

    @property
    def pdf(self) -> bool:
        """Whether PDFs are made."""
        return "pdf" in self.formats
