"""kotodoc's translation catalogues: extract, update, compile and check, in one command.

    uv run python tools/catalogues.py update    # extract messages from the code, merge into every .po
    uv run python tools/catalogues.py compile   # .po -> .mo (committed beside the .po)
    uv run python tools/catalogues.py check     # CI: every message translated, nothing fuzzy
                                                # (unless listed in ALLOWED_UNTRANSLATED), .mo current,
                                                # every message id used in code present

A translator edits `kotodoc/locale/<lang>/LC_MESSAGES/<domain>.po` and runs `compile`. Babel does
the work (`babel.messages`); this file only knows where kotodoc keeps its catalogues.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kotodoc._i18n import LOCALE_DIR, MESSAGES  # noqa: E402
from kotodoc._languages import LANGUAGES  # noqa: E402

# Keywords that mark a message in the code: `_` and `N_` (kotodoc._i18n), `translate`, and the command
# line's `_t` (a line of its own, translated where printed).
KEYWORDS = {"_": None, "N_": None, "_t": None, "translate": None, "pgettext": ((1, "c"), 2)}
# Messages allowed to stay untranslated or fuzzy for now, per language: (domain, msgid) pairs,
# each also listed in the README's translation section for a translator to finish.
# The messages are written in English in the code: an empty English entry means the id itself
# (the English catalogue exists so that wording can be changed without touching the code).
SOURCE = "en"
ALLOWED_UNTRANSLATED: dict[str, set[tuple[str, str]]] = {lang: set() for lang in LANGUAGES}


def extracted() -> Catalog:
    """Every message marked in kotodoc's code, with where it is used."""
    catalog = Catalog(project="kotodoc", domain=MESSAGES, charset="utf-8")
    method_map = [("kotodoc/**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        if filename.startswith(("tests", "tools", "benchmarks")):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str, domain: str = MESSAGES) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=lang)


def write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    # No creation date, no line wrapping, files without line numbers: a catalogue changes only where a
    # message does (a line number would change with every edit of the code above the message).
    write_po(buffer, catalog, width=0, omit_header=False, sort_output=False, include_previous=False,
             include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _fixed(catalog: Catalog) -> Catalog:
    """Catalogue headers that do not change from run to run (reproducible files)."""
    import datetime as dt

    epoch = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    catalog.creation_date = epoch
    catalog.revision_date = epoch
    catalog.version = "1"
    catalog.msgid_bugs_address = None
    catalog.copyright_holder = "kotodoc contributors"
    return catalog


def update() -> None:
    template = extracted()
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang, domain=MESSAGES, project="kotodoc")
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()  # a message gone from the code is gone from the catalogue
        write(path, _fixed(catalog))
        print(f"updated {path.relative_to(ROOT)}: {len(catalog)} messages")


def compile_all(*, check_only: bool = False) -> list[str]:
    problems: list[str] = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        lang = po.parts[-3]
        data = mo_bytes(read(po, lang))
        mo = po.with_suffix(".mo")
        if check_only:
            if not mo.exists() or mo.read_bytes() != data:
                problems.append(f"{mo.relative_to(ROOT)} is not compiled from its .po: run tools/catalogues.py compile")
        else:
            mo.write_bytes(data)
    return problems


def _placeholders(text: str) -> set[str]:
    """The `{name}` fields a message fills (`{{` is a brace, not a field)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check() -> list[str]:
    problems = compile_all(check_only=True)
    template = extracted()
    for lang in LANGUAGES:
        path = po_path(lang)
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)} is missing: run tools/catalogues.py update")
            continue
        catalog = read(path, lang)
        allowed = ALLOWED_UNTRANSLATED[lang]
        for message in template:
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None:
                problems.append(f"{lang}: {message.id!r} (used in code) is not in {path.name}: run update")
            elif have.string and _placeholders(str(have.string)) != _placeholders(str(message.id)):
                # A translation must fill the same `{name}`s (a typo would fail when the message is shown).
                problems.append(f"{lang}: {message.id!r} is translated with other placeholders than its id: "
                                f"{sorted(_placeholders(str(have.string)))}")
            elif have.fuzzy or (not have.string and lang != SOURCE):
                if (MESSAGES, str(message.id)) in allowed:
                    continue
                state = "fuzzy" if have.fuzzy else "untranslated"
                problems.append(f"{lang}: {message.id!r} is {state} in {path.relative_to(ROOT)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["update", "compile", "check"])
    args = parser.parse_args()
    if args.command == "update":
        update()
        compile_all()
        return 0
    if args.command == "compile":
        compile_all()
        return 0
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
