"""Where the template cache lives (`KOTODOC_CACHE`), apart from the cache itself.

The run's options (`kotodoc.run.RunOptions`) read the setting for every command, `validate`
included; the cache (`_cache.py`) needs Jinja, which would then be imported by every command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kotodoc.errors import UsageError

CACHE_ENV = "KOTODOC_CACHE"


def cache_folder(environ: Mapping[str, str]) -> Path | None:
    """The folder of prepared templates shared by the user's runs, from `KOTODOC_CACHE`; None when it is `off`.

    Unset, empty or `on`: `$XDG_CACHE_HOME/kotodoc/templates` (a relative `XDG_CACHE_HOME` is
    ignored, as the XDG specification says), else `~/.cache/kotodoc/templates`. An absolute path:
    that folder (a service's own cache directory). Nothing is created here.

    Raises:
        UsageError: `KOTODOC_CACHE` is neither on, off nor an absolute path.
    """
    raw = environ.get(CACHE_ENV, "").strip()
    if raw.lower() == "off":
        return None
    if raw and raw.lower() != "on":
        if not Path(raw).is_absolute():
            raise UsageError(f"{CACHE_ENV} is on, off or the absolute path of a folder, not {raw!r}")
        return Path(raw)
    base = Path(environ.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():
        home = environ.get("HOME") or _home()
        if not home:
            return None
        base = Path(home) / ".cache"
    return base / "kotodoc" / "templates"


def _home() -> str:
    try:
        import pwd  # not on Windows

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return ""
