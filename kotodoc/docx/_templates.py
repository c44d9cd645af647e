"""Which templates a document is rendered from: a municipality's own over the built-in ones.

A municipality lays its own templates over the built-in ones: `--templates DIR` holds
`<lang>/<kind>.docx` for the kinds and languages it wants to change; everything else falls back to
the built-ins. The authority's profile (fixed details, logo) is read by the load stage
(`kotodoc.load.load_profile`); a template set carries it for the logo in the headers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kotodoc._languages import LANGUAGES
from kotodoc.errors import UsageError
from kotodoc.load import PROFILE_NAME, Logo, Profile, load_profile


@dataclass(frozen=True)
class TemplateSet:
    """Where each kind's template in each language comes from, and the logo the headers show."""

    overlay: Path | None = None
    builtin: Path = field(default_factory=lambda: builtin_root())
    profile: Profile | None = None

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
        return h.hexdigest()


def builtin_root() -> Path:
    """The built-in templates: `templates/` beside the package, or inside an installed wheel."""
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
        templates: a directory of `<lang>/<kind>.docx` laid over the built-in templates.
        profile: a profile file; without one, `profile.yaml` in `templates` is used if present.

    Raises:
        UsageError: the directory or the profile is missing or not usable.
    """
    if templates is not None and not templates.is_dir():
        raise UsageError(f"template directory {templates} does not exist")
    if profile is None and templates is not None and (templates / PROFILE_NAME).is_file():
        profile = templates / PROFILE_NAME
    return TemplateSet(templates, builtin_root(), load_profile(profile) if profile is not None else None)
