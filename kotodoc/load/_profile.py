"""An authority's profile: the details every case of that authority would otherwise repeat, its logo and labels.

A profile file (`--profile FILE`, or `profile.yaml` in a municipality's template directory):

    authority:                 # merged into each case's `authority`; the case's own values win
      kind: municipality
      name: Esimerkkilän kunta
      unit: Kotoutumispalvelut
      address: PL 1, 99999 Esimerkkilä
      business_id: 1234567-1
    logo: logo.png             # PNG or JPEG, relative to the profile file; shown in every header
    vocabulary:                # the municipality's own labels, per language, over the built-in ones
      sv: locale/sv/terms.po   # a .po file relative to the profile (see kotodoc._vocabulary)

Merging a profile into a case is part of loading it (`Profile.apply`, before the model): values
taken from the profile keep their place, so an error in them names the profile's file, line and
column, not the case's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kotodoc._files import read_user_file
from kotodoc._i18n import _, finding_line
from kotodoc._languages import LANGUAGES
from kotodoc._vocabulary import Overlay, read_overlay
from kotodoc.errors import CaseError, UsageError
from kotodoc.load._careful import load_case
from kotodoc.load._positions import LoadedCase, Positions

PROFILE_NAME = "profile.yaml"  # a template directory's own profile, used when none is given
LOGO_MAX_BYTES = 2_000_000
_EMU_PER_CM = 360_000  # OOXML lengths are in English Metric Units
LOGO_HEIGHT = round(1.1 * _EMU_PER_CM)  # the logo sits in the header's first line
LOGO_MAX_WIDTH = 5 * _EMU_PER_CM
# A 16000 × 16000 PNG compresses to a few hundred kB yet cost LibreOffice 28 s and 0.9 GB for each
# document; a header logo 1.1 cm high needs a few hundred pixels.
LOGO_MAX_PIXELS = 16_000_000
LOGO_MAX_SIDE = 8000
_LOGO_TYPES = {"image/png": "png", "image/jpeg": "jpeg"}
_PROFILE_KEYS = ("authority", "logo", "vocabulary")


@dataclass(frozen=True)
class Logo:
    """The authority's logo: the image and its size in the header (EMU)."""

    data: bytes
    ext: str  # png or jpeg
    cx: int
    cy: int

    def context(self) -> dict[str, int]:
        """What the templates see: `logo.cx`, `logo.cy`."""
        return {"cx": self.cx, "cy": self.cy}


@dataclass(frozen=True)
class Profile:
    """An authority's fixed details, from a profile file."""

    file: Path
    authority: dict[str, Any] = field(default_factory=dict)
    positions: Positions = field(default_factory=Positions)
    logo: Logo | None = None
    vocabulary: tuple[Overlay, ...] = ()  # the municipality's labels laid over the built-in vocabulary

    def apply(self, loaded: LoadedCase) -> LoadedCase:
        """The case with the profile's authority details filled in where the case has none.

        A case's own value always wins; a key the case lacks is taken from the profile together
        with its position in the profile file. Claims have a claimant, not an authority: they are
        left as they are.
        """
        if not self.authority or loaded.data.get("kind") == "interpretation-claim":
            return loaded
        data = dict(loaded.data)
        own = data.get("authority")
        if own is None:
            own = {}
        elif not isinstance(own, dict):
            return loaded  # the model reports the wrong type at the case's own position
        merged = dict(own)
        positions = Positions(dict(loaded.positions.keys), dict(loaded.positions.values),
                              dict(loaded.positions.origins))
        for key, value in self.authority.items():
            if key in merged:
                continue
            merged[key] = copy.deepcopy(value)
            prefix = ("authority", key)
            positions.origins[prefix] = str(self.file)
            for table, source in ((positions.keys, self.positions.keys), (positions.values, self.positions.values)):
                for path, where in source.items():
                    if path[:2] == prefix:
                        table[path] = where
        if "authority" not in data:
            positions.origins[("authority",)] = str(self.file)
            positions.keys[("authority",)] = self.positions.keys.get(("authority",), (1, 1))
        data["authority"] = merged
        return LoadedCase(loaded.file, data, positions)


@cache
def _profile_cached(path: Path, mtime_ns: int) -> Profile:
    return _read_profile(path)


def load_profile(path: Path) -> Profile:
    """Read and check a profile file (cached per process while the file is unchanged).

    Raises:
        UsageError: the file cannot be read, is not a profile, or its logo is not a PNG or JPEG
            image; located by file, line and column.
    """
    try:
        st = path.stat()
    except OSError as e:
        raise UsageError(_("cannot read the profile {path}: {reason}", path=str(path), reason=e.strerror)) from None
    return _profile_cached(path.resolve(), st.st_mtime_ns)


def _read_profile(path: Path) -> Profile:
    try:
        loaded = load_case(path)
    except CaseError as e:
        raise UsageError("; ".join(finding_line(f) for f in e.findings)) from None

    def fail(key: tuple[str | int, ...], message: str) -> UsageError:
        line, column = loaded.positions.locate(key, key=True) or (None, None)
        where = f"{path}:{line}:{column}" if line else str(path)
        name = ".".join(map(str, key)) or _("(profile)")
        return UsageError(f"{where}: {name}: {message}")

    for key in loaded.data:
        if key not in _PROFILE_KEYS:
            raise fail((key,), _("unknown key in a profile; a profile holds {keys}", keys=" and ".join(_PROFILE_KEYS)))
    authority = loaded.data.get("authority") or {}
    if not isinstance(authority, dict):
        raise fail(("authority",), _("must be a mapping of the authority's details (kind, name, unit, ...)"))
    logo = None
    if "logo" in loaded.data:
        name = loaded.data["logo"]
        if not isinstance(name, str) or not name:
            raise fail(("logo",), _("must be the image file's name, relative to the profile"))
        logo = _read_logo(path.parent / name, lambda message: fail(("logo",), message))
    vocabulary = loaded.data.get("vocabulary") or {}
    if not isinstance(vocabulary, dict):
        raise fail(("vocabulary",), _("must map a language (fi, sv, en) to a .po file relative to the profile"))
    overlays: list[Overlay] = []
    for lang, name in vocabulary.items():
        if lang not in LANGUAGES:
            raise fail(("vocabulary", lang), _("unknown language; choose from {choices}", choices=", ".join(LANGUAGES)))
        if not isinstance(name, str) or not name:
            raise fail(("vocabulary", lang), _("must be a .po file's name, relative to the profile"))
        overlays.append(read_overlay(path.parent / name, lang))
    return Profile(path, authority, loaded.positions, logo, tuple(overlays))


def _read_logo(path: Path, fail: Any) -> Logo:
    try:
        # Like every file the user names: a FIFO would block for ever and /dev/zero read on until
        # memory ran out; only a regular file within the limit is read.
        data = read_user_file(path, limit=LOGO_MAX_BYTES)
    except OSError as e:
        raise fail(_("cannot read the logo {name}: {reason}", name=path.name, reason=e.strerror)) from None
    # python-docx's own header parser (type and pixel size), imported only when there is a logo:
    # validating a case needs no DOCX library.
    from docx.image.exceptions import UnrecognizedImageError
    from docx.image.image import Image

    try:
        image = Image.from_blob(data)
    except (UnrecognizedImageError, ValueError, IndexError):
        raise fail(_("{name} is not a PNG or JPEG image", name=path.name)) from None
    ext = _LOGO_TYPES.get(image.content_type)
    if ext is None or image.px_width <= 0 or image.px_height <= 0:
        raise fail(_("{name} is not a PNG or JPEG image", name=path.name))
    # The size comes from the image's header (python-docx reads no pixels), so a huge image is
    # refused before anything decodes it.
    if image.px_width * image.px_height > LOGO_MAX_PIXELS or max(image.px_width, image.px_height) > LOGO_MAX_SIDE:
        raise fail(_("{name} is {width} × {height} pixels; a logo may have at most {megapixels} megapixels and "
                     "{side} pixels a side (a few hundred pixels high is plenty): scale it down", name=path.name,
                     width=image.px_width, height=image.px_height, megapixels=LOGO_MAX_PIXELS // 1_000_000,
                     side=LOGO_MAX_SIDE))
    cy = LOGO_HEIGHT
    cx = round(cy * image.px_width / image.px_height)
    if cx > LOGO_MAX_WIDTH:  # a wide logo is scaled down to fit, keeping its proportions
        cx, cy = LOGO_MAX_WIDTH, round(LOGO_MAX_WIDTH * image.px_height / image.px_width)
    return Logo(data, ext, cx, cy)

