"""Defaults from a configuration file: `kotodoc.toml`, or `[tool.kotodoc]` in `pyproject.toml`.

    # kotodoc.toml
    lang = "fi+sv"            # languages: "fi", "fi,sv" (two documents) or "fi+sv" (one bilingual)
    format = "both"           # docx, pdf or both
    templates = "templates-espoo"   # a municipality's template directory
    profile = "templates-espoo/profile.yaml"
    out = "out"
    jobs = 4                  # batch workers
    ui_lang = "fi"            # the language of kotodoc's messages: fi, sv or en

Precedence is the command line's, then the environment's (`KOTODOC_LANG`, `KOTODOC_FORMAT`,
`KOTODOC_TEMPLATES`, `KOTODOC_PROFILE`, `KOTODOC_OUT`, `KOTODOC_JOBS`, `KOTODOC_UI_LANG`), then the file's, then
kotodoc's own defaults. click implements exactly that order for a context's `default_map`, so the
file becomes one. The file is found by `KOTODOC_CONFIG` or `--config`, else by looking in the
working directory and its parents, up to the project root (`.git`) or the home directory, for the
first `kotodoc.toml`, or `pyproject.toml` with a `[tool.kotodoc]` table, that only the user can
have written. Relative paths in the file are relative to the file, not to where kotodoc
runs, so a pipeline can run from anywhere in the repository.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kotodoc._files import read_user_file
from kotodoc.errors import Message, UsageError

CONFIG_NAME = "kotodoc.toml"
# key -> (type, is a path)
KEYS: dict[str, tuple[type, bool]] = {
    "lang": (str, False),
    "format": (str, False),
    "templates": (str, True),
    "profile": (str, True),
    "out": (str, True),
    "jobs": (int, False),
    "ui_lang": (str, False),  # the language of kotodoc's messages (fi, sv, en); global, not a command's
}
# Which settings each command takes (by its parameter name).
COMMANDS: dict[str, tuple[str, ...]] = {
    "render": ("lang", "format", "templates", "profile", "out"),
    "validate": ("templates", "profile"),
    "batch": ("lang", "format", "templates", "profile", "out", "jobs"),
    "claim": ("lang", "format", "templates", "profile", "out"),
}


def find_config(start: Path, ignored: list[str] | None = None) -> Path | None:
    """The nearest `kotodoc.toml`, or `pyproject.toml` with `[tool.kotodoc]`, from `start` upwards.

    The search stops at the project's root (a directory holding `.git`) or the user's home: a
    file above them belongs to someone else's project, or to nobody (`/tmp/kotodoc.toml`, which
    anyone can write, would otherwise switch every run below it to someone else's templates and
    output folder). A file that others could have written (see `untrusted`) is passed over.

    Args:
        start: the directory to start from (the working directory).
        ignored: collects a message for each file passed over, naming it and saying why.
    """
    home = _home()
    for directory in (start, *start.parents):
        for candidate in (directory / CONFIG_NAME, directory / "pyproject.toml"):
            if not candidate.is_file():
                continue
            why = untrusted(candidate)
            if why is not None:
                if ignored is not None and (candidate.name == CONFIG_NAME or _mentions_kotodoc(candidate)):
                    ignored.append(f"ignored the configuration {candidate}: {why}")
                continue
            if candidate.name == CONFIG_NAME or "kotodoc" in _read(candidate).get("tool", {}):
                return candidate
        if (directory / ".git").exists() or directory == home:
            break
    return None


def untrusted(path: Path) -> str | None:
    """Why a configuration file found by searching may have been written by someone else, or None.

    It must belong to the user, and neither it nor its directory may be writable by the group or
    by others: they could change the templates and the output folder of every run below it.
    """
    try:
        st, parent = path.stat(), path.parent.stat()
    except OSError as e:
        return f"cannot check it: {e.strerror}"
    if st.st_uid != os.getuid():
        return "it does not belong to you"
    if parent.st_mode & 0o022:
        return f"its directory {path.parent} can be written by others (chmod go-w)"
    if st.st_mode & 0o022:
        return "others can write to it (chmod go-w)"
    return None


def settings_in_effect(path: Path | None, settings: dict[str, Any],
                       environ: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Each setting, the value in effect before any flag, and where it comes from.

    Returns:
        (key, value, source) rows: the environment variable, the file, or kotodoc's default.
    """
    rows = []
    for key in KEYS:
        variable = f"KOTODOC_{key.upper()}"
        if environ.get(variable):
            rows.append((key, environ[variable], variable))
        elif key in settings and path is not None:
            rows.append((key, str(settings[key]), str(path)))
        else:
            rows.append((key, DEFAULTS[key], "default"))
    return rows


# What each setting is when neither a flag, the environment nor a file sets it.
DEFAULTS = {"lang": "the case's own languages", "format": "both", "templates": "the built-in templates",
            "profile": "profile.yaml in the templates, if any", "out": "out", "jobs": "the number of CPUs",
            "ui_lang": "the locale's language, else en"}


def _home() -> Path | None:
    try:
        return Path.home()
    except RuntimeError:  # no HOME and no password entry
        return None


def _mentions_kotodoc(path: Path) -> bool:
    try:
        return "kotodoc" in _read(path).get("tool", {})
    except UsageError:
        return False


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
            raise UsageError(Message("{file}: unknown setting {key!r}; settings are {keys}",
                                     {"file": where, "key": key, "keys": ", ".join(KEYS)}))
        kind, is_path = KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UsageError(Message("{file}: {key} must be a number", {"file": where, "key": key}) if kind is int
                             else Message("{file}: {key} must be a string", {"file": where, "key": key}))
        settings[key] = str((path.parent / str(value)).resolve()) if is_path else value
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
        raise UsageError(Message("{file}: not valid TOML: not UTF-8 text", {"file": path})) from None
    except OSError as e:
        raise UsageError(Message("cannot read the configuration {file}: {reason}",
                                 {"file": path, "reason": e.strerror})) from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(Message("{file}: not valid TOML: {reason}", {"file": path, "reason": str(e)})) from None
