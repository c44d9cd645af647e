"""Every field text to translate (the `fields` catalogues' template): the schemas' and the skeletons' wording.

`tools/catalogues.py` builds the `fields` catalogues from `field_texts()`; the translations are
used by `_fields.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kotodoc._data import _read
from kotodoc.authoring._fields import PLACEHOLDER
from kotodoc.authoring._schema import SCHEMA_NAMES, schema_for


def field_texts() -> dict[tuple[str, str], list[str]]:
    """Every text to translate, by (context, English text), with where it is used (for translators).

    The schemas' titles and descriptions (every field of every kind of file: cases, claimant
    files, profiles) and the skeletons' wording.
    """
    found: dict[tuple[str, str], list[str]] = {}

    def add(context: str, text: str, where: str) -> None:
        places = found.setdefault((context, text), [])
        if where not in places and len(places) < 3:  # a few places are enough to tell the sense
            places.append(where)

    for name in SCHEMA_NAMES:
        schema = schema_for(name)
        add("", schema["title"], f"schema {name}")
        for where, text in _descriptions(schema, f"schema {name}"):
            add("", text, where)
    wording = _read("skeleton.yaml")
    for section in ("placeholders", "text", "fields"):
        for where, text in _leaves(wording[section], f"skeleton {section}"):
            add(PLACEHOLDER if section == "placeholders" else "", text, where)
    return found


def _descriptions(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, list):
        for item in node:
            yield from _descriptions(item, where)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            elif key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _descriptions(sub, f"{where}: {name}")
            elif key == "definitions" and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _descriptions(sub, f"{where.split(':')[0]}: {name}")
            else:
                yield from _descriptions(value, where)


def _leaves(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{where}.{key}" if key != "_" else where)
    elif isinstance(node, str):
        yield where, node
