"""kotodoc's translation catalogues: extract, update, compile and check, in one command.

    uv run python tools/catalogues.py update    # extract messages from the code, merge into every .po
    uv run python tools/catalogues.py compile   # .po -> .mo (committed beside the .po), and the
                                                # files made from them (schemas/fi, schemas/sv)
    uv run python tools/catalogues.py check     # CI: every message translated, nothing fuzzy
                                                # (unless listed in ALLOWED_UNTRANSLATED), .mo current,
                                                # every message id used in code present

A translator edits `kotodoc/locale/<lang>/LC_MESSAGES/<domain>.po` and runs `compile`. Babel does
the work (`babel.messages`); this file only knows where kotodoc keeps its catalogues.
"""

from __future__ import annotations

import argparse
import io
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kotodoc._i18n import FIELDS, LOCALE_DIR, MESSAGES, TERMS  # noqa: E402
from kotodoc._languages import LANGUAGES  # noqa: E402
from kotodoc._vocabulary import NEEDS_CONFIRMING as NEEDS_CONFIRMING_NOTE  # noqa: E402

# Keywords that mark a message in the code: `_` and `N_` (kotodoc._i18n), `translate`, and the command
# line's `_t` (a line of its own, translated where printed).
# `Message("…", {...})` marks one too: the ground floor below kotodoc._i18n (errors, languages)
# raises its errors with a Message, translated where it is shown.
KEYWORDS = {"_": None, "N_": None, "_t": None, "Message": None, "translate": None, "pgettext": ((1, "c"), 2)}
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


def catalogues(domain: str, problems: list[str]) -> Iterator[tuple[str, Path, Catalog]]:
    """Each language's catalogue of `domain` (its path relative to the repository, its messages); a
    missing one is a problem, and its language is passed over."""
    for lang in LANGUAGES:
        path = po_path(lang, domain)
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)} is missing: run tools/catalogues.py update")
            continue
        yield lang, path.relative_to(ROOT), read(path, lang)


def check() -> list[str]:
    problems = compile_all(check_only=True)
    template = extracted()
    for lang, rel, catalog in catalogues(MESSAGES, problems):
        allowed = ALLOWED_UNTRANSLATED[lang]
        for message in template:
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None:
                problems.append(f"{lang}: {message.id!r} (used in code) is not in {rel.name}: run update")
            elif have.string and _placeholders(str(have.string)) != _placeholders(str(message.id)):
                # A translation must fill the same `{name}`s (a typo would fail when the message is shown).
                problems.append(f"{lang}: {message.id!r} is translated with other placeholders than its id: "
                                f"{sorted(_placeholders(str(have.string)))}")
            elif have.fuzzy or (not have.string and lang != SOURCE):
                if (MESSAGES, str(message.id)) in allowed:
                    continue
                state = "fuzzy" if have.fuzzy else "untranslated"
                problems.append(f"{lang}: {message.id!r} is {state} in {rel}")
    return problems


# ---------------------------------------------------------------------------------------------
# The vocabulary (domain `terms`): terms and enumeration labels of the documents. Its template is
# not extracted from `_()` calls: the enumerations' codes come from the model
# (`kotodoc.context.enumerations`), the terms from the English catalogue (add a term there, run
# `update`, translate it in fi and sv). Message ids are codes, so English needs its labels too.

# Labels marked `# needs confirming: …` in a catalogue: used as they are, but a translator should
# confirm them. Each is listed here and in the README's translation section; the check fails on a
# marked label not listed (or a listed one no longer marked), so the list cannot drift.
NEEDS_CONFIRMING: set[tuple[str, str]] = {
    ("term", "mother-tongue-teaching"),
    ("term", "interpretation-claim"),
    ("term", "no-show-fee-notice"),
    ("service_type", "mother-tongue-teaching"),
    ("service_type", "preparatory-education"),
    ("residence_basis", "exclusion-clause-permit"),
    ("residence_basis", "removal-prevented"),
    ("residence_basis", "family-member-of-protected"),
    ("literacy", "literate-other-script"),
    ("exclusion_reason", "no-show"),
    ("exclusion_reason", "not-eligible"),
    ("exclusion_reason", "purpose"),
    ("exclusion_reason", "too-old"),
    ("exclusion_reason", "cost-missing"),
    ("related_plan", "after-care-plan"),
}


def vocabulary_template() -> Catalog:
    """The vocabulary's messages: the English catalogue's terms and every enumeration code of the model."""
    from kotodoc._vocabulary import TERM
    from kotodoc.context import enumerations

    catalog = Catalog(project="kotodoc", domain=TERMS, charset="utf-8")
    source = read(po_path(SOURCE, TERMS), SOURCE)
    for message in source:
        if message.id and message.context == TERM:
            catalog.add(message.id, None, context=TERM)
    for name, codes in enumerations().items():
        for code in codes:
            catalog.add(code, None, context=name)
    return catalog


def update_vocabulary() -> None:
    template = vocabulary_template()
    for lang in LANGUAGES:
        path = po_path(lang, TERMS)
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang, domain=TERMS, project="kotodoc")
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()  # a code gone from the model is gone from the catalogue
        write(path, _fixed(catalog))
        print(f"updated {path.relative_to(ROOT)}: {len(catalog)} labels")


def _marked(message: Message) -> bool:
    return any(c.startswith(NEEDS_CONFIRMING_NOTE) for c in message.user_comments)


def check_vocabulary() -> list[str]:
    """Every term and code labelled in fi, sv and en, nothing fuzzy or extra, the marked labels listed."""
    problems: list[str] = []
    template = vocabulary_template()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lang, rel, catalog in catalogues(TERMS, problems):
        for message in template:
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None:
                problems.append(f"{lang}: {message.context} / {message.id} has no label in {rel}: run update")
            elif have.fuzzy or not have.string:
                state = "fuzzy (fuzzy labels are left out of the compiled file)" if have.fuzzy else "unlabelled"
                problems.append(f"{lang}: {message.context} / {message.id} is {state} in {rel}")
        for message in catalog:
            if message.id and template.get(message.id, context=message.context) is None:
                problems.append(f"{lang}: {message.context} / {message.id} in {rel} is neither a term of "
                                f"{po_path(SOURCE, TERMS).name} ({SOURCE}) nor a code of the model: run update")
            key = (str(message.context), str(message.id))
            if message.id and _marked(message) != (key in NEEDS_CONFIRMING):
                problems.append(f"{lang}: {key[0]} / {key[1]} in {rel}: "
                                + ("marked 'needs confirming' but not listed in NEEDS_CONFIRMING (tools/catalogues.py)"
                                   if _marked(message) else "listed in NEEDS_CONFIRMING but not marked: "
                                   "remove it from the list (and the README) once confirmed"))
    for context, code in sorted(NEEDS_CONFIRMING):
        if f"`{context} / {code}`" not in readme:
            problems.append(f"README.md does not list `{context} / {code}` among the labels to confirm")
    return problems


# ---------------------------------------------------------------------------------------------
# The case format's field texts (domain `fields`): the schema's descriptions and the skeletons'
# wording, written in English in the model and in kotodoc/data/skeleton.yaml. The template is
# `kotodoc.authoring.field_texts()`; as with messages, an empty English entry means the id itself.


def fields_template() -> Catalog:
    from kotodoc.authoring import field_texts

    catalog = Catalog(project="kotodoc", domain=FIELDS, charset="utf-8")
    for (context, text), places in field_texts().items():
        catalog.add(text, None, auto_comments=places, context=context or None)
    return catalog


def update_fields() -> None:
    template = fields_template()
    for lang in LANGUAGES:
        path = po_path(lang, FIELDS)
        catalog = read(path, lang) if path.exists() else Catalog(locale=lang, domain=FIELDS, project="kotodoc")
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()  # a description gone from the model is gone from the catalogue
        write(path, _fixed(catalog))
        print(f"updated {path.relative_to(ROOT)}: {len(catalog)} texts")


def _field_text_problems(lang: str, text: str, translation: str, context: str | None, rel: Path) -> list[str]:
    """A translation keeps the `$name`s the code fills in; a placeholder word stays a YAML flow key."""
    problems = []
    names = sorted(re.findall(r"\$\w+", text))
    if names != sorted(re.findall(r"\$\w+", translation)):
        problems.append(f"{lang}: {text!r} in {rel}: the translation must keep {', '.join(names)}")
    if context == "placeholder" and set(translation) & set(",:[]{}#"):
        problems.append(f"{lang}: placeholder {text!r} in {rel}: no , : [ ] {{ }} # in a placeholder word")
    return problems


def check_fields() -> list[str]:
    """Every field text translated in fi and sv (English may keep the id), nothing fuzzy, nothing stale."""
    problems: list[str] = []
    template = fields_template()
    for lang, rel, catalog in catalogues(FIELDS, problems):
        for message in template:
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None:
                problems.append(f"{lang}: {message.id!r} is not in {rel}: run tools/catalogues.py update")
            elif have.fuzzy or (not have.string and lang != SOURCE):
                problems.append(f"{lang}: {message.id!r} is {'fuzzy' if have.fuzzy else 'untranslated'} in {rel}")
            elif have.string:
                problems += _field_text_problems(lang, str(message.id), str(have.string), message.context, rel)
        stale = [m.id for m in catalog if m.id and template.get(m.id, context=m.context) is None]
        problems += [f"{lang}: {text!r} in {rel} is no longer used: run tools/catalogues.py update" for text in stale]
    return problems


def regenerate() -> None:
    """Rewrite the files made from the catalogues (schemas/fi, schemas/sv), so a translator runs one command."""
    import gen_docs  # tools/gen_docs.py, beside this file

    gen_docs.main([])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["update", "compile", "check"])
    args = parser.parse_args()
    if args.command == "update":
        update()
        update_vocabulary()
        update_fields()
        compile_all()
        regenerate()
        return 0
    if args.command == "compile":
        compile_all()
        regenerate()
        return 0
    problems = check() + check_vocabulary() + check_fields()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
