"""What a YAML file found among case files is: a case, a claimant file or a profile.

A folder of cases often holds the other YAML files kotodoc reads: the claimant file of
`kotodoc claim --claimant`, and a municipality's `profile.yaml`. Searching a folder, the runner
asks this module which is which, so that those files are passed over with a note instead of
failing as cases with advice meant for a case ("`kind` is required", "add `kotodoc: 1`").

The question is answered from the file's top-level keys, read line by line without parsing the
YAML: cheap for ten thousand files, and safe on a file the careful loader would refuse (which is
then called a case, so that the check step reports it at its line and column).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from kotodoc._files import read_user_file
from kotodoc.load._positions import MAX_BYTES

Role = Literal["case", "claimant", "profile"]

# A key at the start of a line: block-style YAML's top level. Indented lines, comments, document
# markers and block scalars' text (always indented) do not match.
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?=[ \t]|\r?$)", re.MULTILINE)
_PROFILE_KEYS = frozenset({"authority", "logo"})


def file_role(path: Path) -> Role:
    """Whether `path` is a case file, a claimant file (`kotodoc claim --claimant`) or a profile.

    A case has `kind`. A claimant file has `claimant` and no `kind`. A profile has only `authority`
    and `logo`. Anything else, an unreadable file included, is taken for a case: the check step
    then says what is wrong with it, located.
    """
    try:
        text = read_user_file(path, limit=MAX_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return "case"
    keys = set()
    for match in _TOP_KEY.finditer(text):
        if match[1] == "kind":  # a case's `kind` comes early: most files are read no further
            return "case"
        keys.add(match[1])
    if "claimant" in keys:
        return "claimant"
    if keys and keys <= _PROFILE_KEYS:
        return "profile"
    return "case"
