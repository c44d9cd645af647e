"""Defaults from a configuration file: `kotodoc.toml`, or `[tool.kotodoc]` in `pyproject.toml`.

    # kotodoc.toml
    lang = "fi+sv"            # languages: "fi", "fi,sv" (two documents) or "fi+sv" (one bilingual)
    format = "both"           # docx, pdf or both
    templates = "templates-espoo"   # a municipality's template directory
    profile = "templates-espoo/profile.yaml"
    out = "out"
    jobs = 4                  # batch workers

Precedence is the command line's, then the environment's (`KOTODOC_LANG`, `KOTODOC_FORMAT`,
`KOTODOC_TEMPLATES`, `KOTODOC_PROFILE`, `KOTODOC_OUT`, `KOTODOC_JOBS`), then the file's, then
kotodoc's own defaults. click implements exactly that order for a context's `default_map`, so the
file becomes one. The file is found by `KOTODOC_CONFIG` or `--config`, else by looking in the
working directory and its parents for the first `kotodoc.toml`, or `pyproject.toml` with a
`[tool.kotodoc]` table. Relative paths in the file are relative to the file, not to where kotodoc
runs, so a pipeline can run from anywhere in the repository.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from kotodoc._files import read_user_file
from kotodoc.errors import UsageError

CONFIG_NAME = "kotodoc.toml"
# key -> (type, is a path)
KEYS: dict[str, tuple[type, bool]] = {
    "lang": (str, False),
    "format": (str, False),
    "templates": (str, True),
    "profile": (str, True),
    "out": (str, True),
    "jobs": (int, False),
}
# Which settings each command takes (by its parameter name).
COMMANDS: dict[str, tuple[str, ...]] = {
    "render": ("lang", "format", "templates", "profile", "out"),
    "validate": ("templates", "profile"),
    "batch": ("lang", "format", "templates", "profile", "out", "jobs"),
    "claim": ("lang", "format", "templates", "profile", "out"),
}


def find_config(start: Path) -> Path | None:
    """The nearest `kotodoc.toml`, or `pyproject.toml` with `[tool.kotodoc]`, from `start` upwards."""
    for directory in (start, *start.parents):
        own = directory / CONFIG_NAME
        if own.is_file():
            return own
        project = directory / "pyproject.toml"
        if project.is_file() and "kotodoc" in _read(project).get("tool", {}):
            return project
    return None


def load_config(path: Path) -> dict[str, Any]:
    """The settings of a configuration file, checked, with paths made absolute.

    Raises:
        UsageError: the file cannot be read, is not TOML, or has an unknown key or a wrong type.
    """
    data = _read(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("kotodoc", {})
        where = f"{path} [tool.kotodoc]"
    else:
        where = str(path)
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise UsageError(f"{where}: unknown setting {key!r}; settings are {', '.join(KEYS)}")
        kind, is_path = KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UsageError(f"{where}: {key} must be {'a number' if kind is int else 'a string'}")
        settings[key] = str((path.parent / value).resolve()) if is_path else value
    return settings


def default_map(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The settings as click's `default_map`: per command, the values of the options it has."""
    return {
        command: {key: settings[key] for key in keys if key in settings}
        for command, keys in COMMANDS.items()
    }


CONFIG_MAX_BYTES = 1_000_000  # a configuration is a few lines


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_user_file(path, limit=CONFIG_MAX_BYTES).decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid TOML: not UTF-8 text") from None
    except OSError as e:
        raise UsageError(f"cannot read the configuration {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from None
