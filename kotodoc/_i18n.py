"""The interface language and the translation catalogues: what kotodoc says, in fi, sv or en.

Everything a person reads (findings, command-line output, help where practical, vocabulary) is
written in the code in English and translated through gettext catalogues managed with Babel:
`kotodoc/locale/<lang>/LC_MESSAGES/<domain>.po`, compiled to `.mo` beside them (both committed;
`tools/catalogues.py` extracts, updates, compiles and checks them, and CI fails when a compiled
file differs from its source). A municipality may lay its own `.po` over a built-in domain, per
language (`overlay`).

Messages are translated at the boundary, not where they arise: a finding keeps its English
message id and its parameters, and the command line or the service renders it in the reader's
language. So a worker process, a report file and a test all see the same finding whatever the
interface language is.

Mark a message for translation with `_("…{name}…", name=value)` where it is shown, or with
`N_("…")` where it is only defined (a table of messages, a finding made in a worker) and
translated later by `translate`. Parameters are filled with `str.format` after translation, so a
translation may reorder them.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._languages import LANGUAGES, Language

if TYPE_CHECKING:
    from kotodoc.errors import Finding

LOCALE_DIR = Path(__file__).parent / "locale"
MESSAGES = "kotodoc"  # the domain of everything kotodoc says
# The vocabulary of the documents (terms and enumeration labels, `kotodoc._vocabulary`) and the
# case format's field descriptions (the schema and the skeletons, `kotodoc.authoring`).
TERMS, FIELDS = "terms", "fields"
DOMAINS = (MESSAGES, TERMS, FIELDS)  # every domain kotodoc ships
DEFAULT: Language = "en"
ENV = "KOTODOC_UI_LANG"

_ui_lang: ContextVar[Language] = ContextVar("kotodoc_ui_lang", default=DEFAULT)
# Overlays in effect for this context: (domain, lang) -> .po files laid over the built-in catalogue.
_overlays: ContextVar[tuple[tuple[str, str, Path], ...]] = ContextVar("kotodoc_ui_overlays", default=())


def locale_language(environ: Mapping[str, str] | None = None) -> Language | None:
    """The interface language the POSIX locale asks for (`LC_ALL`, `LC_MESSAGES`, `LANG`), if kotodoc has it.

    `fi_FI.UTF-8` -> fi, `sv_FI` -> sv, `en_GB` -> en; `C`, `POSIX` or another language -> None.
    """
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides, as in gettext
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else None
    return None


def resolve_ui_language(flag: str | None = None, config: str | None = None,
                        environ: Mapping[str, str] | None = None) -> Language:
    """The interface language: `--ui-lang`, `KOTODOC_UI_LANG`, the configuration file, the locale, else English.

    Raises:
        UsageError: an explicit choice (flag, environment or file) names a language kotodoc lacks.
    """
    from kotodoc.errors import UsageError

    env = os.environ if environ is None else environ
    for value, source in ((flag, "--ui-lang"), (env.get(ENV), ENV), (config, "ui_lang")):
        if value:
            if value not in LANGUAGES:
                raise UsageError(translate(
                    "unknown interface language {value!r} in {source}: choose from {choices}",
                    value=value, source=source, choices=", ".join(LANGUAGES)))
            return value
    return locale_language(env) or DEFAULT


def ui_language() -> Language:
    """The interface language in effect here."""
    return _ui_lang.get()


def set_ui_language(lang: Language) -> Token[Language]:
    """Make `lang` the interface language of this context (the command line sets it once).

    Returns the token that `reset_ui_language` takes to restore the language before.
    """
    return _ui_lang.set(lang)


def reset_ui_language(token: Token[Language]) -> None:
    """Restore the interface language that was in effect before `set_ui_language` gave `token`."""
    _ui_lang.reset(token)


@contextmanager
def using(lang: Language, overlays: Mapping[tuple[str, str], Path] | None = None) -> Iterator[None]:
    """Speak `lang` inside the block (a service request), with a municipality's `.po` overlays if given."""
    token = _ui_lang.set(lang)
    otoken = _overlays.set(tuple((d, lg, p) for (d, lg), p in (overlays or {}).items()))
    try:
        yield
    finally:
        _overlays.reset(otoken)
        _ui_lang.reset(token)


def _compiled(lang: str, domain: str) -> Path:
    """The compiled catalogue of a built-in domain in a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"


@functools.lru_cache(maxsize=64)
def _built_in(lang: str, domain: str) -> gettext.NullTranslations:
    # The standard library reads a compiled catalogue as Babel does (Babel's `Translations` is a
    # GNUTranslations); importing babel.support, with Babel's dates and numbers, cost 20 ms at every start.
    mo = _compiled(lang, domain)
    if not mo.is_file():
        return gettext.NullTranslations()
    with mo.open("rb") as fp:
        return gettext.GNUTranslations(fp)


@functools.lru_cache(maxsize=64)
def _overlaid(lang: str, domain: str, po: Path, mtime_ns: int) -> gettext.NullTranslations:
    """The built-in catalogue with a `.po` file laid over it; the overlay's messages win."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with po.open("rb") as fp:
        catalog = read_po(fp, locale=lang, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    merged = Translations(buffer, domain=domain)
    # Translations.merge lets the argument win; so merge the overlay into a copy of the base.
    result = Translations(domain=domain)
    mo = _compiled(lang, domain)
    if mo.is_file():
        with mo.open("rb") as fp:
            result.merge(Translations(fp, domain=domain))
    result.merge(merged)
    return result


def catalogue(lang: str | None = None, domain: str = MESSAGES) -> gettext.NullTranslations:
    """The translations of `domain` in `lang` (default: the interface language), overlays applied."""
    lang = lang or _ui_lang.get()
    for d, lg, po in _overlays.get():
        if d == domain and lg == lang:
            return _overlaid(lang, domain, po, po.stat().st_mtime_ns)
    return _built_in(lang, domain)


def translate(message: str, lang: str | None = None, domain: str = MESSAGES, context: str | None = None,
              **params: Any) -> str:
    """`message` (an English message id) in `lang` (default: the interface language), parameters filled in.

    A message the catalogue lacks is shown in English rather than not at all.
    """
    cat = catalogue(lang, domain)
    text = str(cat.pgettext(context, message) if context else cat.gettext(message))
    return text.format(**params) if params else text


def _(message: str, /, **params: Any) -> str:
    """Translate `message` into the interface language now (mark for extraction).

    Any parameter name may be used (`message`, `lang`...): they are not `translate`'s arguments.
    """
    return message_text(message, params)


def N_(message: str, /) -> str:
    """Mark `message` for extraction only; it is translated later, where it is shown."""
    return message


# ---------------------------------------------------------------------------------------------
# Findings and messages, rendered in the reader's language


def message_text(msgid: str, params: Mapping[str, object] | None = None, lang: str | None = None) -> str:
    """A message id in `lang` (default: the interface language), its parameters filled in.

    A parameter that is itself a `Message` (a reason inside a sentence) is translated first.
    """
    from kotodoc.errors import Message

    values = {k: message_text(v.msgid, v.params, lang) if isinstance(v, Message) else v
              for k, v in (params or {}).items()}
    text = str(catalogue(lang, MESSAGES).gettext(msgid))
    return text.format(**values) if values else text


def error_text(error: BaseException, lang: str | None = None) -> str:
    """What an error says, in `lang` (default: the interface language): a `Message` it carries is
    translated here, at the boundary; any other error as it is."""
    from kotodoc.errors import Message

    if len(error.args) == 1 and isinstance(error.args[0], Message):
        return message_text(error.args[0].msgid, error.args[0].params, lang)
    return str(error)


def finding_text(finding: Finding, lang: str | None = None) -> str:
    """A finding's message in `lang` (default: the interface language)."""
    return message_text(finding.msgid, finding.params, lang)


def finding_line(finding: Finding, lang: str | None = None) -> str:
    """A finding as the command line prints it: `FILE:LINE:COL: PATH: [warning: ]CODE: message`."""
    from kotodoc.errors import Severity

    path = finding.path or translate("(document)", lang)
    head = f"{finding.where()}: {path}: "
    if finding.severity is Severity.WARNING:
        head += translate("warning", lang) + ": "
    return f"{head}{finding.code}: {finding_text(finding, lang)}"


def finding_dict(finding: Finding, lang: str | None = None) -> dict[str, object]:
    """A finding as JSON: its code, its message in `lang` (default: the interface language) and the
    parameters of the message (a system may word its own message by code and parameters; none is
    personal data)."""
    from kotodoc.errors import Message

    data = finding.as_dict(finding_text(finding, lang))
    data["params"] = {k: message_text(v.msgid, v.params, lang) if isinstance(v, Message)
                      else v if isinstance(v, (int, str)) else str(v) for k, v in finding.params.items()}
    return data
