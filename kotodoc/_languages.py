"""The document languages: the one place that knows which there are and how editions are written.

A document is written in one language or, bilingual, in two (both complete versions, one after
the other). On the command line and in the library, `,` separates documents and `+` joins two
languages into one document: `fi,sv` is two documents, `fi+sv` one bilingual document, and
`fi+sv,en` a bilingual one and an English one. A case file's own `languages: [fi, sv]` is one
bilingual document (the case format's meaning).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, get_args

from kotodoc.errors import Message, UsageError

Language = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
# BCP 47 tags for a document's properties and the PDF's /Lang: Finland's Swedish, and British
# English (the usual choice of Finnish authorities).
BCP47: dict[str, str] = {"fi": "fi-FI", "sv": "sv-FI", "en": "en-GB"}

Edition = tuple[str, ...]  # one language, or two for a bilingual document (in this order)


def parse_edition(spec: str) -> Edition:
    """`"fi"` -> ("fi",), `"fi+sv"` -> ("fi", "sv").

    Raises:
        UsageError: an unknown language, or a bilingual edition whose two languages are not two different ones.
    """
    langs = tuple(part.strip() for part in spec.split("+"))
    for lang in langs:
        if lang not in LANGUAGES:
            raise UsageError(Message("unknown language {lang!r}: choose from {choices}, or two as fi+sv",
                                     {"lang": lang, "choices": ", ".join(LANGUAGES)}))
    if len(langs) > 2 or len(set(langs)) != len(langs):
        raise UsageError(Message("a bilingual document has two different languages, as fi+sv, not {spec!r}",
                                 {"spec": spec}))
    return langs


def parse_editions(specs: str | Iterable[str]) -> tuple[Edition, ...]:
    """`"fi,sv"` or `["fi", "sv"]` -> two editions; `"fi+sv"` -> one bilingual edition.

    Raises:
        UsageError: as `parse_edition`, or no language at all.
    """
    parts = specs.split(",") if isinstance(specs, str) else list(specs)
    editions = tuple(parse_edition(part) for part in parts if part.strip())
    if not editions:
        raise UsageError(Message("no language given: choose from fi, sv, en, or two as fi+sv"))
    return editions


def single_edition(spec: str) -> Edition:
    """The one edition of something that is always one document (a claim, a skeleton): `fi` or `fi+sv`.

    Raises:
        UsageError: more than one document asked for (`fi,sv`), or as `parse_edition`.
    """
    editions = parse_editions(spec)
    if len(editions) != 1:
        raise UsageError(Message("{spec!r} asks for {count} documents; this is one document: write one "
                                 "language, or two joined by + for a bilingual one (fi+sv)",
                                 {"spec": spec, "count": len(editions)}))
    return editions[0]


def edition_name(edition: Sequence[str]) -> str:
    """The edition as written in file names: `fi`, `fi+sv`."""
    return "+".join(edition)
