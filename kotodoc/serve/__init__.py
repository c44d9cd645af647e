"""`kotodoc serve`: the runner behind HTTP, for case systems and for an official's page.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that `kotodoc --version` does not load the
web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.serve._app import create_app, serve
    from kotodoc.serve._config import ServeConfig, read_token

_HOMES = {
    "ServeConfig": "kotodoc.serve._config",
    "create_app": "kotodoc.serve._app",
    "read_token": "kotodoc.serve._config",
    "serve": "kotodoc.serve._app",
}
__all__ = ["ServeConfig", "create_app", "read_token", "serve"]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
