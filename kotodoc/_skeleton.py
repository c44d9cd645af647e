"""`kotodoc new`: a commented skeleton case file to fill in.

The skeleton of a kind is built here, key by key, in the order of the case format; the comments
come from `data/skeleton.yaml` (fi, sv, en) and the allowed values of an enumeration from the
model's `Literal` types, so the lists cannot drift from what kotodoc accepts.

Every value the official must write is a placeholder in braces, such as `{teksti}` or
`{VVVV-KK-PP}`. YAML reads `{...}` as a mapping, which no field of the format accepts, so an
unfilled skeleton never validates: `kotodoc validate` reports each placeholder at its line and
column with what is expected there ("expected a valid string", "expected one of: ..."), and an
editor with the schema marks it too. Values with a sensible default (`citizenship_date: null`)
are written out; optional blocks (participants, interpretation, an extension...) are commented
out, their lines holding placeholders as well, so that a block taken into use must be filled in.

The first line is a yaml-language-server modeline pointing at `kotodoc-case.schema.json` beside
the case file (a path relative to the file): the name `kotodoc schema -o` is told to write.
"""

from __future__ import annotations

import difflib
import textwrap
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from string import Template
from typing import Any, Literal

from kotodoc._data import _read, act_params, terms
from kotodoc._model import (
    CASE_MODELS,
    EXCLUSION_RULES,
    FORMAT_VERSION,
    Appointment,
    Assessment,
    Education,
    ExcludedRow,
    Guardian,
    LanguageSkill,
    LegalBasis,
    Participant,
    Purpose,
    RelatedPlan,
    Residence,
    ResidenceBasis,
    Schooling,
    Service,
)
from kotodoc._schema import SCHEMA_FILE
from kotodoc.errors import UsageError

Lang = Literal["fi", "sv", "en"]
KINDS: tuple[str, ...] = tuple(CASE_MODELS)
# The languages of `--lang`: one, or a pair as in the case format (a national language first).
LANGUAGE_CHOICES: tuple[str, ...] = ("fi", "sv", "en", "fi+sv", "sv+fi", "fi+en", "sv+en")
# The Act whose numbers the comments quote (review interval, job opportunities, claim reach-back).
_CURRENT_ACT = "681/2023"
_COMMENT_COLUMN = 40  # trailing comments start here when the line is shorter
_WIDTH = 100  # comment lines are wrapped at this width
_LINE_LIMIT = 120  # a key with its trailing comment; longer, and the comment goes above the key
_INLINE_CHOICES = 45  # a list of allowed values this long or shorter goes in the placeholder itself
_BOOL = ("true", "false")

# ---------------------------------------------------------------------------------------------
# The skeleton as a tree of keys


@dataclass(frozen=True)
class _Value:
    """A key with a placeholder to fill in (`fill` names the placeholder word), or a fixed value."""

    key: str
    fill: str = "text"
    choices: tuple[str, ...] = ()
    fixed: str | None = None  # a value written as is (YAML text), not a placeholder
    optional: bool = False
    doc: str | None = None  # the comment's key in data/skeleton.yaml; default: the path


@dataclass(frozen=True)
class _List:
    """A list of scalars with one placeholder item."""

    key: str
    fill: str = "text"
    choices: tuple[str, ...] = ()
    optional: bool = False
    doc: str | None = None


@dataclass(frozen=True)
class _Map:
    """A mapping (`items` is None) or a list of mappings (`items` holds each item's keys)."""

    key: str
    children: tuple[_Node, ...] = ()
    items: tuple[tuple[_Node, ...], ...] | None = None
    optional: bool = False
    doc: str | None = None
    base: str | None = None  # where its keys' comments are found; default: its own doc key


@dataclass(frozen=True)
class _Commented:
    """Optional keys, written as comments: the official removes the `#` to use them."""

    nodes: tuple[_Node, ...]


_Node = _Value | _List | _Map | _Commented


def _choices(model: Any, name: str) -> tuple[str, ...]:
    """The allowed values of a model field typed as a `Literal` (optional or not)."""
    return _literal(model.model_fields[name].annotation)


def _literal(annotation: Any) -> tuple[str, ...]:
    """The values of a `Literal`, also inside `Optional[...]` or a union of literals."""
    if typing.get_origin(annotation) is Literal:
        return tuple(str(v) for v in typing.get_args(annotation))
    values: list[str] = []
    for arg in typing.get_args(annotation) or (annotation,):
        if typing.get_origin(arg) is Literal:
            values.extend(str(v) for v in typing.get_args(arg))
        elif arg is not type(None) and typing.get_args(arg):
            values.extend(_literal(arg))
    return tuple(values)


def _head(kind: str, languages: Sequence[str], *, plan: bool) -> list[_Node]:
    nodes: list[_Node] = [
        _Value("kotodoc", fixed=str(FORMAT_VERSION)),
        _Value("kind", fixed=kind),
        _Value("case_id"),
        _Value("languages", fixed=f"[{', '.join(languages)}]"),
    ]
    if plan:
        nodes.append(_Commented((_Value("legal_basis", "choose", _literal(LegalBasis), optional=True),)))
    return nodes


def _authority(*, family: bool) -> _Map:
    # The model also accepts other kinds so that PLAN-AUTHORITY can explain; a plan is drawn up by
    # these two, and a family plan by the municipality alone (case format sections 1 and 3).
    kind = _Value("kind", fixed="municipality") if family else _Value(
        "kind", "choose", ("municipality", "employment-authority"))
    return _Map("authority", (
        kind,
        _Value("name"),
        _Value("unit", optional=True),
        _Value("address", optional=True),
        _Value("business_id", "ytunnus", optional=True),
        _Map("official", (
            _Value("name"),
            _Value("title", optional=True),
            _Value("phone", optional=True),
            _Value("email", optional=True),
        ), optional=True),
    ))


def _participants() -> _Commented:
    return _Commented((_Map("participants", items=((
        _Value("kind", "choose", _choices(Participant, "kind")),
        _Value("name"),
        _Value("contact", optional=True),
    ),), optional=True),))


def _person(*, adult: bool, key: str = "person", doc: str | None = None) -> _Map:
    nodes: list[_Node] = [
        _Value("family_name"),
        _Value("given_names"),
        _Value("personal_id", "hetu", optional=True),
        _Value("date_of_birth", "date"),
        _Value("citizenship", "country"),
        _Value("native_language", "language"),
        _Map("other_languages", items=((
            _Value("language", "language"),
            _Value("level", "choose", _choices(LanguageSkill, "level")),
        ),), optional=True),
        _Value("address", optional=True),
        _Value("phone", optional=True),
        _Value("email", optional=True),
        _Map("residence", (
            _Value("basis", "choose", _choices(Residence, "basis")),
            _Value("permit_section", optional=True),
            _Value("first_permit_date", "date"),
            _Value("municipality_since", "date", optional=True),
            _Value("citizenship_date", fixed="null"),
        )),
    ]
    if adult:  # a child is not a registered jobseeker; the default false is left out
        nodes.append(_Value("jobseeker", "bool", _BOOL))
    nodes.append(_Map("interpreter", (
        _Value("needed", "bool", _BOOL),
        _Value("language", "language", optional=True),
    )))
    return _Map(key, tuple(nodes), doc=doc, base="person")


def _assessment() -> _Map:
    return _Map("assessment", (
        _Value("date", "date"),
        _Value("conducted_by", optional=True),
        _Value("literacy", "choose", _choices(Assessment, "literacy")),
        _Value("integration_language", "choose", _choices(Assessment, "integration_language")),
        _Value("finnish_level", "choose", _choices(Assessment, "finnish_level")),
        _Value("swedish_level", "choose", _choices(Assessment, "swedish_level")),
        _Map("education", items=((
            _Value("level", "choose", _choices(Education, "level")),
            _Value("field", optional=True),
            _Value("country", "country", optional=True),
            _Value("years", "number", optional=True),
        ),), optional=True),
        _Map("work_experience", items=((
            _Value("occupation"),
            _Value("years", "number", optional=True),
            _Value("country", "country", optional=True),
        ),), optional=True),
        _List("strengths", optional=True),
        _Value("life_situation", optional=True),
        _Value("needs_special_measures", "bool", _BOOL),
        _Value("health", fixed="null"),
    ))


def _services(key: str, doc: str | None = None) -> _Map:
    return _Map(key, items=((
        _Value("type", "choose", _choices(Service, "type")),
        _Value("description", optional=True),
        _Value("provider", optional=True),
        _Value("start", "date"),
        _Value("end", "date"),
        _Value("hours_per_week", "number", optional=True),
    ),), doc=doc, base="service")


def _job_search() -> _Commented:
    return _Commented((_Map("job_search", (
        _Value("obligation", "bool", _BOOL),
        _Value("opportunities_per_month", "number"),
        _List("goals", optional=True),
    ), optional=True, doc="job_search", base="job_search"),))


def _plan(kind: str) -> _Map:
    nodes: list[_Node] = [
        _Value("first_plan", "bool", _BOOL),
        _Commented((_Value("first_plan_from", "date", optional=True),)),
        _Value("drawn_up", "date"),
        _Value("valid_from", "date"),
        _Value("valid_until", "date"),
    ]
    if kind != "family-plan":  # a family's goals and services are the family's and its members'
        nodes += [
            _Map("goals", (_List("long_term"), _List("plan_period"))),
            _services("services"),
        ]
    if kind == "integration-plan":
        nodes.append(_job_search())
    nodes += [
        _Map("monitoring", (
            _Value("method", optional=True),
            _List("reviews", "date"),
        )),
        _Commented((
            _Map("extension", (_Value("until", "date"), _Value("grounds")), optional=True),
            _Value("notes", optional=True),
        )),
    ]
    return _Map("plan", tuple(nodes))


def _interpretation(*, family: bool) -> _Commented:
    nodes: list[_Node] = [
        _Value("date", "date"),
        _Value("purpose", "choose", _literal(Purpose)),
        _Value("language", "language"),
        _Value("provider", optional=True),
        _Value("mode", "choose", _choices(Appointment, "mode"), optional=True),
        _Value("minutes", "number", optional=True),
        _Value("cost", "money", optional=True),
        _Value("vat", "money", optional=True),
        _Value("invoice", optional=True),
        _Value("attended", "bool", _BOOL),
        _Value("booked_at", "date", optional=True),
        _Value("fee_notice_given", "bool", _BOOL),
        _Value("absence_reason", fixed="null", choices=_choices(Appointment, "absence_reason")),
        _Value("fee", fixed="null"),
        _Value("fee_due", fixed="null"),
    ]
    if family:
        nodes.append(_Value("member", "number", optional=True))
    return _Commented((_Map("interpretation", items=(tuple(nodes),), optional=True),))


def _signatures(*, child: bool) -> _Map:
    nodes: list[_Node] = [_Value("place"), _Value("date", "date")]
    if child:
        nodes.append(_Commented((_Value("child_signs", fixed="true", optional=True),)))
    return _Map("signatures", tuple(nodes))


def _schooling(doc: str | None = None) -> _Map:
    return _Map("schooling", (
        _Value("institution", optional=True),
        _Value("grade", optional=True),
        _Value("class_type", "choose", _choices(Schooling, "class_type"), optional=True),
    ), doc=doc, base="schooling")


def _minor() -> list[_Node]:
    return [
        _Map("guardians", items=((
            _Value("name"),
            _Value("relation", "choose", _choices(Guardian, "relation"), optional=True),
            _Value("phone", optional=True),
            _Value("email", optional=True),
        ),)),
        _Commented((
            _Value("unaccompanied", fixed="true", optional=True),
            _Map("representative", (
                _Value("name"),
                _Value("appointed_by"),
                _Value("appointed_on", "date", optional=True),
                _Value("phone", optional=True),
                _Value("email", optional=True),
            ), optional=True),
        )),
        _Value("child_opinion"),
        _schooling(),
        _Commented((_List("related_plans", "choose", _literal(RelatedPlan), optional=True),)),
    ]


def _family() -> _Map:
    parent: tuple[_Node, ...] = (
        _Value("role", fixed="parent"),
        _person(adult=True, doc="family.members.person"),
        _List("goals"),
        _services("services", doc="family.members.services"),
        _job_search(),
    )
    child: tuple[_Node, ...] = (
        _Value("role", fixed="child"),
        _person(adult=False, doc="family.members.person"),
        _List("goals"),
        _services("services", doc="family.members.services"),
        _schooling(doc="schooling"),
        _Value("child_opinion", doc="child_opinion"),
    )
    return _Map("family", (
        _Value("name"),
        _Value("address", optional=True),
        _Map("members", items=(parent, child)),
    ))


def _claim_row(*, excluded: bool) -> tuple[_Node, ...]:
    nodes: list[_Node] = [
        _Value("case_id"),
        _Map("person", (_Value("initials", "initials"), _Value("date_of_birth", "date"))),
        _Value("residence_basis", "choose", _literal(ResidenceBasis), optional=excluded),
        _Value("citizenship_date", fixed="null"),
        _Value("date", "date"),
        _Value("purpose", "choose", _literal(Purpose)),
        _Value("language", "language"),
        _Value("provider", optional=True),
        _Value("minutes", "number", optional=True),
        _Value("cost", "money", optional=excluded),
        _Value("vat", "money", optional=excluded),
        _Value("invoice", optional=True),
    ]
    if excluded:
        nodes += [
            _Value("reason", "choose", _choices(ExcludedRow, "reason")),
            _Value("rule", "choose", _choices(ExcludedRow, "rule")),
        ]
    return tuple(nodes)


def _tree(kind: str, languages: Sequence[str]) -> list[_Node]:
    """The keys of a skeleton of `kind`, in the order of the case format."""
    if kind == "interpretation-claim":
        return [
            *_head(kind, languages, plan=False),
            _Map("claimant", (
                _Value("name"),
                _Value("business_id", "ytunnus"),
                _Value("address", optional=True),
                _Map("contact", (
                    _Value("name", optional=True),
                    _Value("phone", optional=True),
                    _Value("email", optional=True),
                ), optional=True),
                _Value("iban", "iban"),
            )),
            _Map("period", (_Value("start", "date"), _Value("end", "date"))),
            _Value("submitted", "date"),
            _Map("rows", items=(_claim_row(excluded=False),)),
            _Commented((_Map("excluded", items=(_claim_row(excluded=True),), optional=True, base="rows"),)),
        ]
    family = kind == "family-plan"
    nodes: list[_Node] = [*_head(kind, languages, plan=True), _authority(family=family), _participants()]
    if family:
        nodes += [
            _family(),
            _List("family_goals"),
            _services("family_services", doc="family_services"),
        ]
    else:
        nodes.append(_person(adult=kind == "integration-plan"))
        if kind == "minor-plan":
            nodes += _minor()
        nodes.append(_assessment())
    nodes += [_plan(kind), _interpretation(family=family), _signatures(child=kind == "minor-plan")]
    return nodes


# ---------------------------------------------------------------------------------------------
# Writing the tree as commented YAML


@cache
def _wording() -> dict[str, Any]:
    """The wording of data/skeleton.yaml (read once; `_read` caches the file)."""
    data: dict[str, Any] = _read("skeleton.yaml")
    return data


@dataclass
class _Line:
    """One line of the skeleton before it is written out."""

    indent: int
    text: str  # `key: value`, `- key: value`, or `#   a | b` (a comment line)
    comment: str | None = None  # written after the text, or above it when the line would be too long
    hash_at: int | None = None  # the column of the `#` that comments out an optional block


@dataclass
class _Writer:
    """Writes the nodes of a skeleton as YAML lines with comments in one language."""

    lang: Lang
    with_optional: bool
    values: dict[str, str] = field(default_factory=dict)  # $name substitutions in the wording
    lines: list[_Line] = field(default_factory=list)

    def comment(self, doc: str) -> str:
        """The comment of a key, by its dotted path in `fields`; a missing one is a bug (KeyError)."""
        node: Any = _wording()["fields"]
        for part in doc.split("."):
            node = node[part]
        if "_" in node:
            node = node["_"]
        return Template(node[self.lang]).substitute(self.values)

    def word(self, section: str, name: str) -> str:
        """A word of `placeholders` or `text`."""
        return Template(_wording()[section][name][self.lang]).substitute(self.values)

    def nodes(self, nodes: Sequence[_Node], indent: int, base: str, hash_at: int | None = None) -> None:
        """Add the lines of `nodes`, their keys at `indent`; `hash_at` when they are commented out."""
        for node in nodes:
            if isinstance(node, _Commented):
                hidden = hash_at if hash_at is not None else None if self.with_optional else indent
                self.nodes(node.nodes, indent, base, hidden)
            elif isinstance(node, _Map):
                self.mapping(node, indent, base, hash_at)
            elif isinstance(node, _List):
                doc = node.doc or _join(base, node.key)
                self.add(indent, f"{node.key}:", self.note(doc, node.optional), hash_at)
                self.choice_lines(indent + 2, node.choices, hash_at, fixed=False)
                self.add(indent + 2, f"- {self.placeholder(node.fill, node.choices)}", None, hash_at)
            else:
                doc = node.doc or _join(base, node.key)
                value = node.fixed if node.fixed is not None else self.placeholder(node.fill, node.choices)
                self.add(indent, f"{node.key}: {value}", self.note(doc, node.optional), hash_at)
                self.choice_lines(indent, node.choices, hash_at, fixed=node.fixed is not None)

    def mapping(self, node: _Map, indent: int, base: str, hash_at: int | None) -> None:
        doc = node.doc or _join(base, node.key)
        inner = node.base or doc
        self.add(indent, f"{node.key}:", self.note(doc, node.optional), hash_at)
        if node.items is None:
            self.nodes(node.children, indent + 2, inner, hash_at)
            return
        for item in node.items:
            # The item's keys are written at indent + 4; its first key then moves onto the `- ` line.
            first = len(self.lines)
            self.nodes(item, indent + 4, inner, hash_at)
            line = self.lines[first]
            line.indent -= 2
            line.text = f"- {line.text}"

    def note(self, doc: str, optional: bool) -> str:
        text = self.comment(doc)
        return f"{text} ({self.word('text', 'optional')})" if optional else text

    def placeholder(self, fill: str, choices: tuple[str, ...]) -> str:
        if choices and _inline(choices):
            return "{" + " | ".join(choices) + "}"
        return "{" + self.word("placeholders", "choose" if choices else fill) + "}"

    def choice_lines(self, indent: int, choices: tuple[str, ...], hash_at: int | None, *, fixed: bool) -> None:
        """The allowed values as comment lines under a key, unless the placeholder shows them."""
        if not choices or (_inline(choices) and not fixed):
            return
        for chunk in _wrap(" | ".join(choices), _WIDTH - indent - 4):
            self.add(indent, f"#   {chunk}", None, hash_at)

    def add(self, indent: int, text: str, comment: str | None, hash_at: int | None) -> None:
        self.lines.append(_Line(indent, text, comment, hash_at))

    def text(self) -> str:
        """The lines written out. A commented-out line is its active form with `# ` inserted at
        `hash_at`, so that removing those two characters takes a block into use."""
        out: list[str] = []
        for line in self.lines:
            pad = " " * line.indent
            body = pad + line.text
            rows: list[str] = []
            hashes = 0 if line.hash_at is None else 2
            if line.comment and max(len(body), _COMMENT_COLUMN - 2) + 4 + hashes + len(line.comment) > _LINE_LIMIT:
                # Too long for one line: the comment goes above the key, wrapped.
                rows += [f"{pad}# {chunk}" for chunk in _wrap(line.comment, _WIDTH - line.indent - 2)]
            elif line.comment:
                body = f"{body.ljust(_COMMENT_COLUMN - 2)}  # {line.comment}"
            rows.append(body)
            if line.hash_at is not None:
                rows = [f"{row[:line.hash_at]}# {row[line.hash_at:]}" for row in rows]
            out += rows
        return "\n".join(out) + "\n"


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _inline(choices: tuple[str, ...]) -> bool:
    return len(" | ".join(choices)) <= _INLINE_CHOICES


def _wrap(text: str, width: int) -> list[str]:
    """Wrap text, never inside `code` (a command must stay whole to be copied) nor at a hyphen."""
    parts = text.split("`")
    joined = "`".join(part.replace(" ", "\0") if i % 2 else part for i, part in enumerate(parts))
    return [chunk.replace("\0", " ") for chunk in textwrap.wrap(joined, width, break_on_hyphens=False,
                                                                break_long_words=False)]


# ---------------------------------------------------------------------------------------------
# The public function


def parse_languages(lang: str) -> list[Lang]:
    """The languages of `--lang`: "fi", "sv", "en", or a pair such as "fi+sv" (or "fi,sv").

    Raises:
        UsageError: not one of `LANGUAGE_CHOICES`.
    """
    text = lang.strip().lower().replace(",", "+").replace(" ", "")
    if text not in LANGUAGE_CHOICES:
        raise UsageError(f"unknown language {lang!r} for a skeleton: choose {', '.join(LANGUAGE_CHOICES[:-1])} "
                         f"or {LANGUAGE_CHOICES[-1]} (the comments are in the first)")
    return typing.cast(list[Lang], text.split("+"))


def skeleton(kind: str, lang: str = "fi", *, with_optional: bool = False) -> str:
    """A commented YAML skeleton of a case file to fill in.

    Args:
        kind: integration-plan, minor-plan, family-plan or interpretation-claim.
        lang: the comments' language and the case's `languages`: fi, sv, en, or a pair fi+sv,
            sv+fi, fi+en, sv+en (the comments are in the first).
        with_optional: write the optional blocks as YAML rather than as comments (for tests and
            for tools that fill every key).

    Returns:
        The skeleton's text. Its placeholders (`{teksti}`) do not validate until they are filled in.

    Raises:
        UsageError: an unknown kind or language.
    """
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown kind {kind!r}{hint} (choose {', '.join(KINDS[:-1])} or {KINDS[-1]})")
    languages = parse_languages(lang)
    writer = _Writer(languages[0], with_optional, values=_values(languages[0]))
    writer.nodes(_tree(kind, languages), 0, "")
    return _header(kind, writer) + writer.text()


def _values(lang: Lang) -> dict[str, str]:
    params = act_params(_CURRENT_ACT)
    wording = _wording()
    return {
        "schema_file": SCHEMA_FILE,
        "version": str(FORMAT_VERSION),
        "text": wording["placeholders"]["text"][lang],
        "date": wording["placeholders"]["date"][lang],
        "review_months": str((params["review_max_months"] or {}).get("municipality")),
        "opportunities": str(params["job_search_opportunities_per_month"]),
        "reach_back": str(params["claim_reach_back_years"]),
        "rules": ", ".join(f"{reason} {rule}" for reason, rule in EXCLUSION_RULES.items()),
    }


def _header(kind: str, writer: _Writer) -> str:
    title = terms()["terms"][kind][writer.lang]
    lines = [f"# yaml-language-server: $schema={SCHEMA_FILE}",
             f"# {title[0].upper()}{title[1:]}: {writer.word('text', 'file')} (kind: {kind})"]
    parts = ["schema", "fill"] + (["claim"] if kind == "interpretation-claim" else [])
    for part in parts:
        lines += [f"# {chunk}" for chunk in _wrap(writer.word("text", part), _WIDTH - 2)]
    return "\n".join(lines) + "\n\n"
