"""kotodoc's vocabulary: domain terms and enumeration labels in fi, sv and en, from the `terms` catalogues.

The vocabulary is a gettext domain, `terms` (`kotodoc/locale/<lang>/LC_MESSAGES/terms.po`, compiled
to `.mo` beside it by `tools/catalogues.py`):

- a domain term has the context `term` and its key as the message id (`term` / `integration-plan`
  -> "kotoutumissuunnitelma");
- an enumeration label has the enumeration as its context and the code written in a case file as
  the message id (`service_type` / `finnish-studies` -> "suomen kielen opinnot").

Since the message ids are codes, English has its labels in its own catalogue like the other two
languages. A label a translator should confirm carries a translator comment `needs confirming: …`
and is used as it is until then (a fuzzy flag would leave it out of the compiled catalogue).

A municipality may lay its own `.po` over the built-in vocabulary, per language
(`<templates>/locale/<lang>/terms.po`, or named in its profile). Such a file is untrusted input:
`read_overlay` reads it within a size limit, locates a parse error by line, and accepts only
labels the built-in vocabulary has, as plain text (the templates escape every value). The overlays
of a render are in effect inside `overlays_in_effect(...)`; `labels(lang)` gives the built-in
labels with them applied. (`kotodoc._i18n.using` lays a `.po` over the interface's messages as it
is; the documents' labels go through this module instead, which checks the file first and keeps
the checked labels, so what is rendered is what was checked.)
"""

from __future__ import annotations

import io
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kotodoc._files import read_user_file
from kotodoc._i18n import LOCALE_DIR, TERMS, _
from kotodoc.errors import UsageError

TERM = "term"  # the context of a domain term (an enumeration's context is its name)
NEEDS_CONFIRMING = "needs confirming"  # the translator comment that marks a label to confirm
OVERLAY_MAX_BYTES = 512_000  # the built-in catalogues are about 20 kB each
LABEL_MAX_CHARS = 300  # the longest built-in label has about 90 characters

Key = tuple[str, str]  # (context, message id)


@cache
def builtin_labels(lang: str) -> dict[Key, str]:
    """Every built-in label of `lang`, by (context, code), from the compiled catalogue."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{TERMS}.mo"
    return {key: label for key, label in _read_mo(path.read_bytes()).items() if key[1] and label}


def _read_mo(data: bytes) -> dict[Key, str]:
    """The messages of a compiled catalogue (GNU .mo), by (context, id).

    Read here rather than with Babel's `read_mo`, which builds a whole Catalog and loads the CLDR
    data of its locale: a third of a second per language, for a table of 150 strings. Our .mo files
    are written by Babel (`tools/catalogues.py`), UTF-8, without plural forms in this domain.
    """
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, originals, translations = struct.unpack(f"{order}4I", data[4:20])
    out: dict[Key, str] = {}
    for n in range(count):
        olen, ooff = struct.unpack(f"{order}2I", data[originals + 8 * n:originals + 8 * n + 8])
        tlen, toff = struct.unpack(f"{order}2I", data[translations + 8 * n:translations + 8 * n + 8])
        original = data[ooff:ooff + olen].decode("utf-8")
        context, _, msgid = original.rpartition("\x04")  # gettext writes a context as `context EOT id`
        out[(context, msgid.split("\x00")[0])] = data[toff:toff + tlen].decode("utf-8").split("\x00")[0]
    return out


@dataclass(frozen=True)
class Overlay:
    """A municipality's labels for one language, checked (`read_overlay`)."""

    lang: str
    file: Path
    labels: tuple[tuple[str, str, str], ...]  # (context, code, label)
    digest: str  # of the file's bytes: a batch's rerun notices a changed vocabulary


def read_overlay(path: Path, lang: str) -> Overlay:
    """Read and check a municipality's `.po` laid over the built-in vocabulary of `lang`.

    Read once per process while the file is unchanged (a batch renders many cases with it).

    Raises:
        UsageError: the file cannot be read or is too large (VOCAB-READ), is not a `.po` file in
            UTF-8 (VOCAB-PARSE, with its line), or names a label the built-in vocabulary lacks
            (VOCAB-UNKNOWN) or gives one that is not a line of plain text (VOCAB-TEXT), located by
            file and line.
    """
    try:
        st = path.stat()
    except OSError as e:
        raise UsageError(_("{path}: VOCAB-READ: cannot read the vocabulary: {reason}",
                           path=path, reason=e.strerror)) from None
    return _read_overlay(path, lang, st.st_mtime_ns, st.st_size)


@cache
def _read_overlay(path: Path, lang: str, mtime_ns: int, size: int) -> Overlay:
    import hashlib

    from babel.messages.pofile import PoFileError, read_po

    try:
        data = read_user_file(path, limit=OVERLAY_MAX_BYTES)
    except OSError as e:
        raise UsageError(_("{path}: VOCAB-READ: cannot read the vocabulary: {reason} (at most {limit} kB)",
                           path=path, reason=e.strerror, limit=OVERLAY_MAX_BYTES // 1000)) from None
    try:
        data.decode("utf-8")
        catalog = read_po(io.BytesIO(data), locale=lang, domain=TERMS, abort_invalid=True, charset="utf-8")
    except UnicodeDecodeError:
        raise UsageError(_("{path}: VOCAB-PARSE: not UTF-8 text; save the .po file as UTF-8", path=path)) from None
    except PoFileError as e:
        raise UsageError(_("{path}:{line}: VOCAB-PARSE: not a .po file here: {reason}",
                           path=path, line=e.lineno + 1, reason=str(e).rsplit(" on ", 1)[0])) from None
    except Exception as e:  # noqa: BLE001  # the parser's own errors on a broken file: the type only
        raise UsageError(_("{path}: VOCAB-PARSE: not a .po file ({reason})", path=path,
                           reason=type(e).__name__)) from None
    known = builtin_labels(lang)
    labels: list[tuple[str, str, str]] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        where = f"{path}:{message.lineno}" if message.lineno else str(path)
        context = str(message.context or "")
        if not isinstance(message.id, str) or (context, message.id) not in known:
            shown = (message.id if isinstance(message.id, str) else message.id[0])[:60]
            raise UsageError(_("{where}: VOCAB-UNKNOWN: {context} / {label!r} is not in kotodoc's vocabulary; "
                               "an overlay can only change a built-in label (see {builtin})",
                               where=where, context=context[:60] or "(no msgctxt)", label=shown,
                               builtin=f"kotodoc/locale/{lang}/LC_MESSAGES/{TERMS}.po"))
        if message.fuzzy or not message.string:
            continue  # as msgfmt does: a fuzzy or empty entry keeps the built-in label
        label = str(message.string)
        if len(label) > LABEL_MAX_CHARS or any(unicodedata.category(c).startswith("C") for c in label):
            raise UsageError(_("{where}: VOCAB-TEXT: the label of {context} / {label!r} must be one line of "
                               "text of at most {limit} characters, without control characters",
                               where=where, context=context, label=message.id, limit=LABEL_MAX_CHARS))
        labels.append((context, message.id, label))
    return Overlay(lang, path, tuple(labels), hashlib.sha256(data).hexdigest())


_in_effect: ContextVar[tuple[Overlay, ...]] = ContextVar("kotodoc_vocabulary_overlays", default=())


@contextmanager
def overlays_in_effect(overlays: Iterable[Overlay]) -> Iterator[None]:
    """Use a municipality's overlays inside the block (one render; each worker process sets its own)."""
    token = _in_effect.set(tuple(overlays))
    try:
        yield
    finally:
        _in_effect.reset(token)


def overlay_for(lang: str) -> Overlay | None:
    """The overlay in effect for `lang`, if any (the last one given wins)."""
    found = [o for o in _in_effect.get() if o.lang == lang]
    return found[-1] if found else None


def labels(lang: str, overlay: Overlay | None = None) -> Mapping[Key, str]:
    """The labels of `lang`: the built-in ones with `overlay` (default: the one in effect) applied."""
    overlay = overlay if overlay is not None else overlay_for(lang)
    return _merged(lang, overlay) if overlay is not None else builtin_labels(lang)


@cache
def _merged(lang: str, overlay: Overlay) -> dict[Key, str]:
    merged = dict(builtin_labels(lang))
    merged.update({(context, code): label for context, code, label in overlay.labels})
    return merged
