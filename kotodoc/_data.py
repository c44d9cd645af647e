"""Data files shipped with kotodoc: rule parameters, the term catalogue, language aliases.

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


def terms() -> dict[str, Any]:
    """The term catalogue: `terms` and `enums`, each entry with fi, sv and en."""
    result: dict[str, Any] = _read("terms.yaml")
    return result


def language_aliases() -> dict[str, str]:
    """Language codes that CLDR knows under another identifier (`prs` → `fa_AF`)."""
    result: dict[str, str] = _read("languages.yaml")["aliases"]
    return result
