"""Stage 1, load: a case file read into plain data with the line and column of every key and value.

The face of the package: other parts of kotodoc import these names from here, never from the
private modules. They are imported when first used, so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kotodoc._lazy import face

if TYPE_CHECKING:
    from kotodoc.load._careful import load_case
    from kotodoc.load._positions import MAX_BYTES, MAX_DEPTH, MAX_NODES, LoadedCase, PathKey, Positions, dotted
    from kotodoc.load._profile import PROFILE_NAME, Logo, Profile, load_profile
    from kotodoc.load._sniff import Role, file_role

_HOMES = {
    "Logo": "kotodoc.load._profile",
    "PROFILE_NAME": "kotodoc.load._profile",
    "Profile": "kotodoc.load._profile",
    "load_profile": "kotodoc.load._profile",
    "LoadedCase": "kotodoc.load._positions",
    "MAX_BYTES": "kotodoc.load._positions",
    "MAX_DEPTH": "kotodoc.load._positions",
    "MAX_NODES": "kotodoc.load._positions",
    "PathKey": "kotodoc.load._positions",
    "Positions": "kotodoc.load._positions",
    "dotted": "kotodoc.load._positions",
    "load_case": "kotodoc.load._careful",
    "Role": "kotodoc.load._sniff",
    "file_role": "kotodoc.load._sniff",
}
__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "PROFILE_NAME",
    "LoadedCase",
    "Logo",
    "PathKey",
    "Positions",
    "Profile",
    "Role",
    "dotted",
    "file_role",
    "load_case",
    "load_profile",
]

__getattr__, __dir__ = face(__name__, globals(), _HOMES)
