"""Data files shipped with kotodoc: rule parameters, language aliases, and the vocabulary by language.

They are read once per process (cached), since a batch renders many cases with the same data.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

DATA = resources.files("kotodoc") / "data"


@cache
def _read(name: str) -> Any:
    return YAML(typ="safe").load((DATA / name).read_text(encoding="utf-8"))


def rule_data(path: Path | None = None) -> dict[str, Any]:
    """The rule parameters by Act, from `data/rules.yaml` or a deployment's own copy."""
    if path is not None:
        data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        return data
    result: dict[str, Any] = _read("rules.yaml")
    return result


def act_params(basis: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameter values (without their sources) of one Act."""
    params = (data or rule_data())["acts"][basis]["params"]
    return {name: entry["value"] for name, entry in params.items()}


def act_for(day: dt.date, data: dict[str, Any] | None = None) -> str:
    """PLAN-BASIS: the Act in force on `day`, by the acts' `in_force_from` in the rule data.

    The cut-over (2025-01-01, when 681/2023 replaced 1386/2010) is read from the data, not written
    in code, so that the next change of the law is one more entry there.
    """
    acts = (data or rule_data())["acts"]
    started = sorted(((dt.date.fromisoformat(str(a["in_force_from"])), name) for name, a in acts.items()),
                     reverse=True)
    return str(next((name for since, name in started if since <= day), started[-1][1]))


@cache
def terms() -> dict[str, Any]:
    """The built-in vocabulary by language: `terms` and `enums`, each entry with fi, sv and en.

    Read from the `terms` catalogues (`kotodoc._vocabulary`); the documents use
    `kotodoc._vocabulary.labels`, which applies a municipality's overlay.
    """
    from kotodoc._languages import LANGUAGES
    from kotodoc._vocabulary import TERM, builtin_labels

    result: dict[str, Any] = {"terms": {}, "enums": {}}
    for lang in LANGUAGES:
        for (context, code), label in builtin_labels(lang).items():
            entry = result["terms"].setdefault(code, {}) if context == TERM else \
                result["enums"].setdefault(context, {}).setdefault(code, {})
            entry[lang] = label
    return result


def language_aliases() -> dict[str, str]:
    """Language codes that CLDR knows under another identifier (`prs` → `fa_AF`)."""
    result: dict[str, str] = _read("languages.yaml")["aliases"]
    return result
