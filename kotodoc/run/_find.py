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
import heapq
import os
import tempfile
import threading
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

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

    cases: CasePaths
    skipped: list[Skipped]


CLAIMANT = N_("a claimant file: use it with kotodoc claim --claimant")
PROFILE = N_("a profile: use it with --profile, or as profile.yaml in a --templates directory")
MUNICIPAL = N_("a case of the template directory {folder}: render it with --templates {folder}")


class Store:
    """Byte strings in an anonymous temporary file, read back by offset.

    It has no name on disk (no other process can open it) and is gone when closed or when kotodoc
    ends, as the reports' file (`_reports.py`). Reads are `pread`s: threads may read at once.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="kotodoc-cases-", buffering=0)  # noqa: SIM115 (lives as long as the object)
        weakref.finalize(self, self._file.close)
        self._pending = bytearray()  # written in blocks, not a system call a path
        self._written = 0
        self._lock = threading.Lock()

    def add(self, data: bytes) -> int:
        """Keep `data`; returns its offset."""
        with self._lock:
            offset = self._written + len(self._pending)
            self._pending += data
            if len(self._pending) >= 1 << 16:
                self._flush()
            return offset

    def _flush(self) -> None:
        data, done = bytes(self._pending), 0
        while done < len(data):
            done += os.write(self._file.fileno(), data[done:])
        self._written += len(data)
        self._pending.clear()

    def read(self, offset: int, size: int) -> bytes:
        """The `size` bytes kept at `offset`."""
        if offset + size > self._written:
            with self._lock:
                self._flush()
        return os.pread(self._file.fileno(), size, offset)


def _encode(path: Path) -> bytes:
    # surrogatepass: a file name that is not UTF-8 (kept by Python as lone surrogates) comes back
    # the same, and the bytes sort as the text does (UTF-8 keeps the order of code points).
    return path.as_posix().encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> Path:
    return Path(data.decode("utf-8", "surrogatepass"))


class CasePaths(Sequence[Path]):
    """Case file paths kept out of memory: their text in an anonymous temporary file, 12 bytes a case here.

    A batch of 10,000 cases held a `Path` per case for the whole run (some 500 bytes each, with
    its parts and text); these are made when read. Compares equal to a list of the same paths.
    """

    def __init__(self, store: Store | None = None):
        """Empty, keeping its paths in `store` (a new one by default; `select` shares its own)."""
        self._store = store if store is not None else Store()
        self._offsets = array("q")
        self._sizes = array("i")

    def _append(self, offset: int, size: int) -> None:
        self._offsets.append(offset)
        self._sizes.append(size)

    def _raw(self, index: int) -> bytes:
        return self._store.read(self._offsets[index], self._sizes[index])

    def select(self, keep: Callable[[Path], bool]) -> CasePaths:
        """The paths for which `keep` is true, in order (sharing this one's file)."""
        result = CasePaths(self._store)
        for index, path in enumerate(self):
            if keep(path):
                result._append(self._offsets[index], self._sizes[index])
        return result

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> Path: ...

    @overload
    def __getitem__(self, index: slice) -> list[Path]: ...

    def __getitem__(self, index: int | slice) -> Path | list[Path]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return _decode(self._raw(index))

    def __iter__(self) -> Iterator[Path]:
        for index in range(len(self)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable while `survey` fills it, as a list

    def __repr__(self) -> str:
        return f"CasePaths({list(self)!r})"


class _Found:
    """The files an input matched, in the order found, each with the folder searched (-1: named)."""

    def __init__(self) -> None:
        self.paths = CasePaths()
        self.roots = array("i")
        self.folders: list[Path] = []
        self._folder_ids: dict[Path, int] = {}

    def add(self, path: Path, root: Path | None) -> None:
        data = _encode(path)
        self.paths._append(self.paths._store.add(data), len(data))
        if root is None:
            self.roots.append(-1)
        else:
            if root not in self._folder_ids:
                self._folder_ids[root] = len(self.folders)
                self.folders.append(root)
            self.roots.append(self._folder_ids[root])


def sorted_runs(items: Sequence[int], key: Callable[[int], bytes], run: int = 1024) -> Iterator[int]:
    """`iter(sorted(items, key=key))`, stable, holding the keys of one run of `run` items at a time.

    `sorted` holds every key at once: for 10,000 paths, 10,000 byte strings at the peak of the
    search. Runs sorted alone and merged (`heapq.merge` is stable) give the same order.
    """
    runs = [array("i", sorted(items[i:i + run], key=key)) for i in range(0, len(items), run)]
    if len(runs) == 1:
        return iter(runs[0])
    return heapq.merge(*runs, key=key)


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
        The cases, each once (kept compactly: `CasePaths`), and the files skipped, each with its reason.

    Raises:
        UsageError: an input matches nothing (with `strict`).
    """
    # No `Path` is kept per file found: the paths go to a temporary file as they are found, and
    # are sorted and made unique by their offsets (a search of 10,000 files held some 7 MB).
    found = _Found()
    paths = found.paths
    order = array("i")  # indices into `found`, each input's files in their order (sort=False)
    for raw in inputs:
        text = str(raw)
        path = Path(text)
        start = len(paths)
        key: Callable[[int], bytes] = paths._raw
        if path.is_dir():
            count = _search(path, found)
        elif path.is_file():
            count = 1
            found.add(path, None)
        elif glob.has_magic(text):
            count = _glob(text, found)
            key = _parts_key(paths)  # Path order, as sorted(Path(...)) gave
        else:
            count = 0
        if not count and not strict and not path.is_dir():
            count = 1
            found.add(path, None)
        if not count:
            raise UsageError(f"{text}: no such case file or folder, and no case file matches it")
        if not sort:
            order.extend(sorted_runs(range(start, len(paths)), key))
    found_order: Sequence[int] = range(len(paths)) if sort else order

    # Each file once: equal paths lie side by side in path order, the first found first. A file
    # named by its own path is a case whatever its folder (root -1); else the first folder counts.
    leads = bytearray(len(paths))  # 1: a file's first finding
    in_order = array("i")  # sort: the first findings, by path
    previous, lead = b"", -1
    for position in sorted_runs(range(len(found_order)), lambda i: paths._raw(found_order[i])):
        index = found_order[position]
        data = paths._raw(index)
        if lead < 0 or data != previous:
            previous, lead = data, index
            leads[index] = 1
            if sort:
                in_order.append(index)
        elif found.roots[index] < 0:
            found.roots[lead] = -1
    chosen: Iterable[int] = in_order if sort else (i for i in order if leads[i])

    chosen_templates = {Path(t).resolve() for t in (templates,) if t is not None}
    own_profile = Path(profile).resolve() if profile is not None else None
    result = CaseFiles(CasePaths(paths._store), [])
    seen: dict[Path, bool] = {}
    for index in chosen:
        p = paths[index]
        root = found.folders[found.roots[index]] if found.roots[index] >= 0 else None
        role = file_role(p)
        if role == "claimant":
            result.skipped.append(Skipped(p, CLAIMANT))
        elif role == "profile":
            result.skipped.append(Skipped(p, PROFILE))
        elif (folder := _template_dir(p, root, seen)) is not None and not (
                folder.resolve() in chosen_templates or own_profile == (folder / PROFILE_NAME).resolve()):
            result.skipped.append(Skipped(p, MUNICIPAL, {"folder": str(folder)}))
        else:
            result.cases._append(paths._offsets[index], paths._sizes[index])
    return result


def _parts_key(paths: CasePaths) -> Callable[[int], bytes]:
    # Paths compare by their parts: "a/b" before "a-c". Joined by NUL (in no file name, and less
    # than any character) the text compares the same way.
    return lambda index: paths._raw(index).replace(b"/", b"\0")


def _suffix(name: str) -> str:
    """`Path(name).suffix`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _search(folder: Path, found: _Found) -> int:
    """Add the case files below `folder`, as `folder.rglob("*")` filtered by suffix finds them.

    Symlinked folders are not entered, folders that cannot be read are passed over; the files of a
    hidden file or a hidden folder below `folder` are counted as matches but not added (`_hidden`).
    No list of a folder's entries and no set of every path found (as `rglob` keeps) is held.

    Returns:
        How many case files were matched, hidden ones included.
    """
    count = 0
    stack: list[tuple[Path, bool]] = [(folder, False)]
    while stack:
        parent, hidden = stack.pop()
        try:
            with os.scandir(parent) as entries:
                for entry in entries:
                    name = entry.name
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        stack.append((parent / name, hidden or name.startswith(".")))
                    if _suffix(name) in CASE_SUFFIXES and _is_file(entry):
                        count += 1
                        if not (hidden or name.startswith(".")):
                            found.add(parent / name, folder)
        except PermissionError:
            continue
    return count


def _glob(pattern: str, found: _Found) -> int:
    """Add the files a glob matches (hidden ones below its fixed part left out); returns how many matched."""
    root = _fixed_part(pattern)
    count = 0
    # glob.iglob, not Path.glob: the pattern may be absolute (a CI workspace path).
    for name in glob.iglob(pattern, recursive=True):  # noqa: PTH207
        path = Path(name)
        if path.is_file():
            count += 1
            if not _hidden(path, root):
                found.add(path, root)
    return count


def find_cases(
    inputs: Iterable[str | Path],
    *,
    templates: str | Path | None = None,
    profile: str | Path | None = None,
) -> list[Path]:
    """The case files of `survey`, without the files it skipped."""
    return list(survey(inputs, templates=templates, profile=profile).cases)


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
