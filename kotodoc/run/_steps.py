"""The steps from a checked case to its DOCX files, shared by every caller.

After the check (`_check.check_file`: load → model → rules): what the case becomes
(`documents`) → context → DOCX (`render_document`). The runner (`_batch`) takes these steps for
`render` and `batch` alike, then converts, finishes and publishes. Nothing here prints, exits or
reads the environment.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from kotodoc._data import act_params
from kotodoc._languages import BCP47, Edition, edition_name, parse_editions
from kotodoc._vocabulary import overlays_in_effect
from kotodoc.context import build_context, claim_context, claim_files, notice_context
from kotodoc.docx import RenderLimits, TemplateSet, builtin_root, compiled, document_limits
from kotodoc.errors import KotodocError
from kotodoc.model import InterpretationClaimCase
from kotodoc.rules import notices, with_notice_date
from kotodoc.run._check import AnyCase

__all__ = ["Document", "documents", "editions", "render_document"]

def templates_root() -> Path:
    """The built-in templates: `templates/` beside the package, or inside an installed wheel."""
    return builtin_root()


def editions(
    languages: Sequence[Edition] | Sequence[str] | str | None, case: AnyCase | None = None
) -> list[Edition]:
    """The documents' languages: one tuple per edition, two languages for a bilingual one.

    `["fi", "sv"]` gives two documents, `["fi+sv"]` one bilingual document (see `_languages`);
    without `languages`, the case's own `languages` make one edition (two of them are one
    bilingual document, as the case format says).

    Raises:
        UsageError: an unknown language, or a bilingual edition whose two languages are the same.
    """
    if not languages:
        return [tuple(case.languages)] if case is not None else []
    if isinstance(languages, str) or all(isinstance(x, str) for x in languages):
        return list(parse_editions(languages))  # type: ignore[arg-type]
    return [tuple(x) for x in languages]


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
    case: AnyCase,
    languages: Sequence[Edition] | Sequence[str] | str | None = None,
    *,
    rule_data: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> list[Document]:
    """Every document a case produces, in each edition of `languages` (see `editions`).

    This is the one place that decides what a case becomes: a plan gives the plan in each edition,
    then a no-show fee notice per appointment for which the FEE rules allow a fee, in each edition
    (`ESP-2025-0217.no-show-notice.2025-06-11.fi`); a claim gives the claim in each edition, and
    the CSV of its claimed rows beside the first. A bilingual edition is named `fi+sv`. `today`
    is the date of the notices whose appointment gives no `notice_date`; default the system's.
    """
    wanted = editions(languages, case)
    if isinstance(case, InterpretationClaimCase):
        return [
            Document(f"{case.case_id}.{case.kind}.{edition_name(langs)}", case.kind, langs,
                     partial(claim_context, case, rule_data=rule_data), partial(claim_files, case) if n == 0 else None)
            for n, langs in enumerate(wanted)
        ]
    plans = [
        Document(f"{case.case_id}.{case.kind}.{edition_name(langs)}", case.kind, langs, partial(build_context, case))
        for langs in wanted
    ]
    # The notices' date: each missed appointment's own, else `today` (FEE-DATES; check_file has
    # usually dated them already, with the same day).
    due = notices(with_notice_date(case, today), act_params(case.basis, rule_data))
    return plans + [
        Document(f"{case.case_id}.{notice.stem}.{edition_name(langs)}", "no-show-notice", langs,
                 partial(notice_context, case, notice))
        for notice in due for langs in wanted
    ]


def render_document(
    case: AnyCase, doc: Document, look: TemplateSet, target: Path, stamp: dt.datetime, *,
    join_cache: Path | None = None, limits: RenderLimits | None = None, cache: Path | None = None,
) -> str:
    """Render one document of a case into `target`, a working file (with its core properties); return its title.

    A bilingual document is rendered from its two templates joined (`_compose`), each version with
    its own context: the first version's language leads its properties, and its title names both.
    `join_cache` is the run's folder and `cache` the user's where a template is prepared once (see `compiled`).
    The rendering stops at `limits` of time and size (`kotodoc.docx.RenderLimits`; default from the environment).

    Raises:
        FileNotFoundError: no template for the document's kind and language.
        KotodocError, OSError: the template failed, or the file could not be written.
    """
    logo = look.logo
    contexts: list[dict[str, Any]] = []
    for lang in doc.langs:
        # No copy: a context builder makes every dict and list afresh for each call (the terms
        # included: a test holds them to it), so no document can see what a template did with
        # another's values; and the sandbox lets a template change none of them. (A deep copy of
        # each context took some 1.5 ms of a plan's 18.)
        # The municipality's own labels, if it has any, for this document only.
        with overlays_in_effect(look.vocabulary):
            context = doc.context(lang)
        context["logo"] = logo.context() if logo else None
        contexts.append(context)
    title = " / ".join(str(c["title"]) for c in contexts)
    subject = f"{contexts[0]['title']} · {contexts[0]['act']}"
    # Two languages: their templates joined once (the template cache), each version rendered with its context.
    template = compiled(*(look.path(doc.template, lang) for lang in doc.langs), langs=doc.langs,
                        join_cache=join_cache, cache=cache)
    with document_limits(limits):
        data = template.render(contexts, _properties(case, title, subject, doc.lang), stamp, logo)
    _write_working_file(target, data)
    return title


def _write_working_file(target: Path, data: bytes) -> None:
    """Write a working file: `target` is in the run's private working folder, and read only once whole.

    Not `atomic_write`: no reader sees the file before this worker has returned it, so neither a
    temporary name nor a rename is needed (they cost half of the 0.4 ms of writing a document).
    Owner-only, and never through a symlink.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _properties(case: AnyCase, title: str, subject: str, lang: str) -> dict[str, str]:
    return {"title": title, "author": case.authority.name, "subject": subject, "language": BCP47[lang],
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
