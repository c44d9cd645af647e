"""The service's settings and the checks made before it listens.

Safe by default: it listens on loopback; any other address needs a bearer token, read from a file
that only its owner can read (a token on the command line would show in `ps`).
"""

from __future__ import annotations

import ipaddress
import stat
from dataclasses import dataclass
from pathlib import Path

from kotodoc._files import read_user_file
from kotodoc.errors import UsageError

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
TOKEN_MIN = 16  # characters: a shorter token can be guessed


@dataclass(frozen=True)
class ServeConfig:
    """What a service instance is started with (all limits have safe defaults)."""

    host: str = "127.0.0.1"
    port: int = 8080
    templates: Path | None = None
    profile: Path | None = None
    lanes: int = 2
    token: str | None = None
    max_body: int = 1_000_000  # bytes of a request body (a long plan is some 30 kB)
    render_timeout: float = 60.0  # seconds a render or claim request may take, and a document in LibreOffice
    queue: int = 16  # render and claim requests at once (being served or waiting); more get 503
    warm: bool = True  # start the LibreOffice lanes (False: DOCX only, for a host without LibreOffice)
    restart_after: int = 200  # documents per LibreOffice start (bounds its memory growth)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(path: Path) -> str:
    """The bearer token in `path`: its first line, at least 16 characters, the file owner-only.

    Raises:
        UsageError: the file cannot be read, others can read it, or the token is too short.
    """
    try:
        st = path.stat()
        data = read_user_file(path, limit=4096)
    except OSError as e:
        raise UsageError(f"--token-file {path}: {e.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(f"--token-file {path}: others can read or write it; make it owner-only (chmod 600)")
    lines = data.decode("utf-8", "replace").splitlines()
    token = lines[0].strip() if lines else ""
    if len(token) < TOKEN_MIN:
        raise UsageError(f"--token-file {path}: the token must have at least {TOKEN_MIN} characters")
    return token


def check_config(config: ServeConfig) -> None:
    """Refuse a configuration that would be unsafe or cannot work, before anything starts.

    Raises:
        UsageError: a non-loopback address without a token, or a bad limit.
    """
    if not is_loopback(config.host) and config.token is None:
        raise UsageError(f"--host {config.host} is not a loopback address: give --token-file, so that only "
                         "callers with the token are served")
    if config.lanes < 1:
        raise UsageError("--lanes must be at least 1")
    if not 1 <= config.port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    if config.max_body < 1 or config.render_timeout <= 0 or config.queue < 1:
        raise UsageError("the limits must be positive")
