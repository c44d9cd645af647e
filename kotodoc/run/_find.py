"""Finding the case files a run is given: files, folders and globs, and what is passed over.

A folder holds more than cases: a claimant file (for `kotodoc claim --claimant`), a municipality's
profile, and the cases a municipality keeps in its own template directory. Those are skipped with a
note naming the file and saying what to do with it, so that `kotodoc batch samples/` renders what
it can and fails on nothing that is not a case:

- a claimant file or a profile (`kotodoc.load.file_role`) is skipped wherever it is named;
- a case found by searching a folder that lies inside a template directory (a folder with
  `profile.yaml` or `<lang>/*.docx`) belongs to that municipality: it is rendered only with that
  directory as `--templates` (or its `profile.yaml` as `--profile`), and skipped otherwise with a
  note naming the option. One run has one set of templates and one profile, and a template
  directory found by searching is not one the user chose to render with. A case named by its own
  path is always taken as a case.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kotodoc._i18n import N_, translate
from kotodoc.docx import is_template_dir
from kotodoc.errors import UsageError
from kotodoc.load import PROFILE_NAME, file_role

CASE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Skipped:
    """A file passed over, and why (a message id with its parameters; no personal data)."""

    file: Path
    message: str
    params: dict[str, str] = field(default_factory=dict)

    def reason(self, lang: str | None = None) -> str:
        """Why, in `lang` (default: the interface language)."""
        return translate(self.message, lang, **self.params)

    def __str__(self) -> str:
        return translate("{file}: skipped: {reason}", file=str(self.file), reason=self.reason())

    def as_dict(self) -> dict[str, Any]:
        """For JSON reports: the file and the reason in English (a report is read by machines)."""
        return {"file": str(self.file), "reason": self.reason("en")}


@dataclass
class CaseFiles:
    """The case files of a run, sorted by path, and the files passed over."""

    cases: list[Path]
    skipped: list[Skipped]


CLAIMANT = N_("a claimant file: use it with kotodoc claim --claimant")
PROFILE = N_("a profile: use it with --profile, or as profile.yaml in a --templates directory")
MUNICIPAL = N_("a case of the template directory {folder}: render it with --templates {folder}")


def survey(
    inputs: Iterable[str | Path],
    *,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
    sort: bool = True,
    strict: bool = True,
) -> CaseFiles:
    """The case files named by `inputs` (files as given, folders searched for *.yaml and *.yml, globs).

    Args:
        inputs: files, folders and globs.
        templates, profile: the run's; a template directory's own cases are taken with it only.
        sort: sort the files by path (batch: every run and every shard sees the same order);
            False keeps the order of `inputs`, each folder's and glob's files sorted (render).
        strict: an input that matches nothing is an error; False passes it on as a case file, for
            the check step to report where the other findings are (render, validate).

    Returns:
        The cases, each once, and the files skipped, each with its reason.

    Raises:
        UsageError: an input matches nothing (with `strict`).
    """
    roots: dict[Path, Path | None] = {}  # file -> the folder searched to find it (None: named)
    for raw in inputs:
        text = str(raw)
        path = Path(text)
        root: Path | None
        if path.is_dir():
            matches = sorted((p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES and p.is_file()),
                             key=lambda p: p.as_posix())
            root = path
        elif path.is_file():
            matches, root = [path], None
        elif glob.has_magic(text):
            # glob.glob, not Path.glob: the pattern may be absolute (a CI workspace path).
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())  # noqa: PTH207
            root = _fixed_part(text)
        else:
            matches = []
        if not matches and not strict and not path.is_dir():
            matches, root = [path], None
        if not matches:
            raise UsageError(f"{text}: no such case file or folder, and no case file matches it")
        for p in matches:
            if root is not None and _hidden(p, root):
                continue
            if p not in roots or root is None:  # named by its own path: a case whatever its folder
                roots[p] = root
    chosen = {Path(t).resolve() for t in (templates,) if t is not None}
    own_profile = Path(profile).resolve() if profile is not None else None
    result = CaseFiles([], [])
    seen: dict[Path, bool] = {}
    for p in sorted(roots, key=lambda p: p.as_posix()) if sort else roots:
        role = file_role(p)
        if role == "claimant":
            result.skipped.append(Skipped(p, CLAIMANT))
        elif role == "profile":
            result.skipped.append(Skipped(p, PROFILE))
        elif (folder := _template_dir(p, roots[p], seen)) is not None and not (
                folder.resolve() in chosen or own_profile == (folder / PROFILE_NAME).resolve()):
            result.skipped.append(Skipped(p, MUNICIPAL, {"folder": str(folder)}))
        else:
            result.cases.append(p)
    return result


def find_cases(
    inputs: Iterable[str | Path],
    *,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
) -> list[Path]:
    """The case files of `survey`, without the files it skipped."""
    return survey(inputs, templates=templates, profile=profile).cases


def _template_dir(path: Path, root: Path | None, seen: dict[Path, bool]) -> Path | None:
    """The template directory a case found under `root` lies in (up to `root` itself), if any.

    `seen` remembers each folder's answer: ten thousand cases share a few folders.
    """
    if root is None:
        return None
    for folder in path.parents:
        if folder not in seen:
            seen[folder] = is_template_dir(folder)
        if seen[folder]:
            return folder
        if folder == root or folder == Path(folder.anchor) or folder == Path():
            return None
    return None


def _hidden(path: Path, root: Path) -> bool:
    """Whether a file found under `root` is hidden or lies in a hidden folder below it (a working
    directory, .git): not a case. The folders above `root` are the user's choice (`~/.cases/`)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    return any(part.startswith(".") and part not in (".", "..") for part in parts)


def _fixed_part(pattern: str) -> Path:
    """The folder a glob searches: its leading components without wildcards."""
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()
