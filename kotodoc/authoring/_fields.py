"""The case format's field texts in fi, sv and en: the schema's descriptions and the skeletons' comments.

Both are written once, in English, where they belong: a field's description in the model
(`Field(description=...)`, which the JSON Schema carries), a skeleton's comments and header in
`data/skeleton.yaml`. Their translations are the gettext domain `fields`
(`kotodoc/locale/<lang>/LC_MESSAGES/fields.po`), whose message ids are those English texts: the
catalogues' template is `field_texts()` (`_texts.py`), gathered from the schemas and the skeleton wording, not
extracted from `_()` calls (`tools/catalogues.py`). A placeholder word of a skeleton (`{teksti}`)
has the context `placeholder`, since the same English word can be a comment elsewhere.
"""

from __future__ import annotations

from typing import Any

from kotodoc._i18n import FIELDS, translate

PLACEHOLDER = "placeholder"  # the context of a skeleton's placeholder words


def describe(text: str, lang: str, context: str | None = None) -> str:
    """`text` (English, from the model or the skeleton wording) in `lang`; English where no translation is."""
    return translate(text, lang, domain=FIELDS, context=context)


def translated(schema: dict[str, Any], lang: str) -> dict[str, Any]:
    """A copy of a JSON Schema with its title and every description in `lang`.

    The titles pydantic makes of the keys (`Fee Due`) stay as they are: they name the keys, which
    are English in every language of the format.
    """
    out: dict[str, Any] = _described(schema, lang)
    if isinstance(out.get("title"), str):
        out["title"] = describe(out["title"], lang)
    return out


def _described(node: Any, lang: str) -> Any:
    if isinstance(node, list):
        return [_described(item, lang) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str):
            out[key] = describe(value, lang)
        elif key == "properties" and isinstance(value, dict):
            # Field names are keys here, never keywords: a field called `description` keeps its schema.
            out[key] = {name: _described(sub, lang) for name, sub in value.items()}
        else:
            out[key] = _described(value, lang)
    return out
