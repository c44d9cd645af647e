"""Which templates a document is rendered from: a municipality's own over the built-in ones.

A municipality lays its own templates over the built-in ones: `--templates DIR` holds
`<lang>/<kind>.docx` for the kinds and languages it wants to change; everything else falls back to
the built-ins. The authority's profile (fixed details, logo) is read by the load stage
(`kotodoc.load.load_profile`); a template set carries it for the logo in the headers. The
municipality's own vocabulary, `DIR/locale/<lang>/terms.po` or named in the profile (which wins
for its languages), travels with the template set too: the documents' labels come from it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kotodoc._i18n import TERMS
from kotodoc._languages import LANGUAGES
from kotodoc._vocabulary import Overlay, read_overlay
from kotodoc.errors import UsageError
from kotodoc.load import PROFILE_NAME, Logo, Profile, load_profile


@dataclass(frozen=True)
class TemplateSet:
    """Where each kind's template in each language comes from, and the logo the headers show."""

    overlay: Path | None = None
    builtin: Path = field(default_factory=lambda: builtin_root())
    profile: Profile | None = None
    # The municipality's labels over the built-in vocabulary: the directory's `locale/<lang>/terms.po`,
    # then the profile's `vocabulary` (the last one of a language wins).
    vocabulary: tuple[Overlay, ...] = ()

    @property
    def logo(self) -> Logo | None:
        """The profile's logo, if any."""
        return self.profile.logo if self.profile else None

    def path(self, kind: str, lang: str) -> Path:
        """The template for `kind` in `lang`: the overlay's own if it has one, else the built-in."""
        if self.overlay is not None:
            own = self.overlay / lang / f"{kind}.docx"
            if own.is_file():
                return own
        return self.builtin / lang / f"{kind}.docx"

    def digest(self) -> str:
        """A digest of every template and the logo, so a batch's rerun notices a changed template."""
        h = hashlib.sha256()
        for root in (self.builtin, self.overlay):
            if root is None:
                continue
            for path in sorted(root.rglob("*.docx")):
                h.update(path.relative_to(root).as_posix().encode())
                h.update(hashlib.sha256(path.read_bytes()).digest())
        if self.profile is not None:
            h.update(self.profile.file.read_bytes())
            if self.profile.logo is not None:
                h.update(self.profile.logo.data)
        for overlay in self.vocabulary:
            h.update(f"{overlay.lang}:{overlay.digest}".encode())
        return h.hexdigest()


def builtin_root() -> Path:
    """The built-in templates: `templates/` beside the package, or inside an installed wheel.

    Found once per process: the package does not move, and looking cost 0.2 ms a case.
    """
    return _builtin_root()


@functools.cache
def _builtin_root() -> Path:
    package = Path(__file__).resolve().parent.parent  # kotodoc/, from kotodoc/docx/_templates.py
    for candidate in (package / "_templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise UsageError("kotodoc's built-in templates are missing")


def is_template_dir(directory: Path) -> bool:
    """Whether `directory` is laid out as a template directory: a `profile.yaml`, or `<lang>/*.docx`."""
    if (directory / PROFILE_NAME).is_file():
        return True
    return any((directory / lang).is_dir() and any((directory / lang).glob("*.docx")) for lang in LANGUAGES)


def template_set(templates: Path | None = None, profile: Path | None = None) -> TemplateSet:
    """The templates and profile to render with.

    Args:
        templates: a directory of `<lang>/<kind>.docx` laid over the built-in templates, and of
            `locale/<lang>/terms.po` laid over the built-in vocabulary.
        profile: a profile file; without one, `profile.yaml` in `templates` is used if present.

    Raises:
        UsageError: the directory or the profile is missing or not usable, or a vocabulary file
            is not (VOCAB-… codes, located by file and line).
    """
    if templates is not None and not templates.is_dir():
        raise UsageError(f"template directory {templates} does not exist")
    if profile is None and templates is not None and (templates / PROFILE_NAME).is_file():
        profile = templates / PROFILE_NAME
    loaded = load_profile(profile) if profile is not None else None
    own = tuple(read_overlay(po, lang) for lang in LANGUAGES
                if templates is not None and (po := templates / "locale" / lang / f"{TERMS}.po").is_file())
    # The profile's files read again (cached while unchanged): a profile is cached per process while
    # its own file is unchanged, and a long-running process must still see a changed .po.
    named = tuple(read_overlay(o.file, o.lang) for o in loaded.vocabulary) if loaded else ()
    return TemplateSet(templates, builtin_root(), loaded, own + named)
