"""`kotodoc new`: a commented skeleton case file to fill in.

The skeleton of a kind is the model of that kind (`kotodoc.model._cases`) walked field by field: its
keys, what is required, nested mappings and lists, placeholder words by type, and the allowed
values of a `Literal`, so a field added to the model appears in `kotodoc new` without a change
here. What the model cannot say is a few tables below: the case format's order where the model's
differs, which optional blocks are written commented out, which optional fields a case needs all
the same, values written as is. The comments come from `data/skeleton.yaml` (in English), by the
key's YAML path, translated through the `fields` catalogues (`kotodoc.authoring._fields`).

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

import datetime as dt
import difflib
import textwrap
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from string import Template
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from kotodoc._data import _read, act_params
from kotodoc._vocabulary import TERM, builtin_labels
from kotodoc.authoring._fields import PLACEHOLDER, describe
from kotodoc.authoring._schema import SCHEMA_FILE
from kotodoc.errors import UsageError
from kotodoc.model import (
    CASE_MODELS,
    EXCLUSION_RULES,
    FORMAT_VERSION,
    ChildPlan,
    ClaimRow,
    Country,
    ExcludedRow,
    FamilyPlan,
    FamilyPlanCase,
    Initials,
    IntegrationPlanCase,
    Language,
    MinorPlanCase,
    Money,
    Plan,
)

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

# ---------------------------------------------------------------------------------------------
# The skeleton as a tree of keys, derived from the model


@dataclass(frozen=True)
class _Value:
    """A key with a placeholder to fill in (`fill` names the placeholder word), or a fixed value."""

    key: str
    path: str  # the YAML path without list indices: where data/skeleton.yaml keeps the comment
    fill: str = "text"
    choices: tuple[str, ...] = ()
    fixed: str | None = None  # a value written as is (YAML text), not a placeholder
    optional: bool = False


@dataclass(frozen=True)
class _List:
    """A list of scalars with one placeholder item."""

    key: str
    path: str
    fill: str = "text"
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True)
class _Map:
    """A mapping (`items` is None) or a list of mappings (`items` holds each item's keys)."""

    key: str
    path: str
    children: tuple[_Node, ...] = ()
    items: tuple[tuple[_Node, ...], ...] | None = None
    optional: bool = False


@dataclass(frozen=True)
class _Commented:
    """Optional keys, written as comments: the official removes the `#` to use them."""

    nodes: tuple[_Node, ...]


_Node = _Value | _List | _Map | _Commented

# What the model cannot say: how the skeleton shows a key. The tables name keys by their YAML path
# without list indices; an entry applies to every path that ends with it (`start` to
# plan.services.start and family_services.start), the longest entry first. A field that no table
# names is shown as the model has it, so a new field of the model appears in every skeleton.

# Optional blocks written as comments: the official removes the `#` to take one into use.
_COMMENTED = frozenset({
    "legal_basis", "participants", "first_plan_from", "job_search", "extension", "notes", "interpretation",
    "unaccompanied", "representative", "related_plans", "excluded", "child_signs",
})  # fmt: skip
# Optional in the model, but a case is incomplete without them (a rule reports their absence, or the
# document has an empty section): placeholders to fill in, without "(optional)". The yes/no questions
# among them have a default, but the official is to answer them.
_EXPECTED = frozenset({
    "date_of_birth", "citizenship", "native_language", "residence", "first_permit_date", "jobseeker",
    "interpreter", "literacy", "integration_language", "finnish_level", "swedish_level",
    "needs_special_measures", "first_plan", "plan.goals", "long_term", "plan_period", "services",
    "start", "end", "opportunities_per_month", "monitoring", "reviews", "attended", "fee_notice_given",
    "signatures", "guardians", "child_opinion", "schooling", "members.goals", "family_goals",
    "family_services", "rows",
})  # fmt: skip
# Values written as is: null where null has a meaning of its own (the comment says which, and the
# allowed values are listed under it); true for a switch that is commented out, since taking it
# into use means turning it on.
_FIXED: dict[str, str] = {
    "citizenship_date": "null", "health": "null", "absence_reason": "null", "fee": "null", "fee_due": "null",
    "notice_date": "null",
    "unaccompanied": "true", "child_signs": "true",
}  # fmt: skip
# Placeholder words where the type says no more than "text".
_FILLS: dict[str, str] = {"personal_id": "hetu", "business_id": "ytunnus", "iban": "iban"}
# The model also accepts other authority kinds so that PLAN-AUTHORITY can explain; a plan is drawn
# up by these two, and a family plan by the municipality alone (case format sections 1 and 3).
_CHOICES: dict[str, tuple[str, ...]] = {"authority.kind": ("municipality", "employment-authority")}
_KIND_FIXED: dict[str, dict[str, str]] = {"family-plan": {"authority.kind": "municipality"}}
# Keys the model allows on every kind that apply to one: the child's signature line to a minor's
# plan, the member an appointment is for to a family plan. A child is not a registered jobseeker
# (the default false is left out).
_OMIT: dict[str, frozenset[str]] = {
    "integration-plan": frozenset({"signatures.child_signs", "interpretation.member"}),
    "minor-plan": frozenset({"interpretation.member", "person.jobseeker"}),
    "family-plan": frozenset({"signatures.child_signs"}),
}


@dataclass(frozen=True)
class _Item:
    """One item of a list of mappings: keys written as is and keys left out (paths in the item)."""

    fixed: Mapping[str, str] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()


# A list of mappings gets one item with every key, except the members of a family: one item per
# role, each with the keys that apply to it (the model allows all of them on every member).
_ITEMS: dict[str, tuple[_Item, ...]] = {
    "family.members": (
        _Item({"role": "parent"}, frozenset({"schooling", "child_opinion"})),
        _Item({"role": "child"}, frozenset({"job_search", "person.jobseeker"})),
    ),
}
# The case format's order where the model's differs (inherited fields come first there); a field
# not listed follows the field it follows in the model.
_ORDER: tuple[tuple[tuple[type[BaseModel], ...], tuple[str, ...]], ...] = (
    ((IntegrationPlanCase, MinorPlanCase, FamilyPlanCase), (
        "kotodoc", "kind", "case_id", "languages", "legal_basis", "authority", "participants", "family",
        "family_goals", "family_services", "person", "guardians", "unaccompanied", "representative",
        "child_opinion", "schooling", "related_plans", "assessment", "plan", "interpretation", "signatures",
    )),
    ((Plan, ChildPlan, FamilyPlan), (
        "first_plan", "first_plan_from", "drawn_up", "valid_from", "valid_until", "goals", "services",
        "job_search", "monitoring", "extension", "notes",
    )),
    ((ClaimRow, ExcludedRow), (
        "case_id", "person", "residence_basis", "citizenship_date", "date", "purpose", "language", "provider",
        "minutes", "cost", "vat", "invoice", "reason", "rule",
    )),
)  # fmt: skip
# The format's own types, told apart by their validators, and the placeholder word of each.
_ALIAS_FILLS: tuple[tuple[Any, str], ...] = (
    (Money, "money"), (Country, "country"), (Language, "language"), (Initials, "initials"),
)  # fmt: skip
_BOOL = ("true", "false")


@dataclass(frozen=True)
class _Scope:
    """What applies below a point of the walk: keys left out and values written as is (full paths)."""

    omit: frozenset[str] = frozenset()
    fixed: Mapping[str, str] = field(default_factory=dict)

    def within(self, path: str, item: _Item) -> _Scope:
        return _Scope(self.omit | {_join(path, p) for p in item.omit},
                      {**self.fixed, **{_join(path, p): v for p, v in item.fixed.items()}})


def _tree(kind: str, languages: Sequence[str]) -> tuple[_Node, ...]:
    """The keys of a skeleton of `kind`: the fields of its model, in the order of the case format."""
    scope = _Scope(_OMIT.get(kind, frozenset()),
                   {"languages": f"[{', '.join(languages)}]", **_KIND_FIXED.get(kind, {})})
    return _fields(CASE_MODELS[kind], "", scope)


def _fields(model: type[BaseModel], path: str, scope: _Scope) -> tuple[_Node, ...]:
    """The nodes of a model's fields at `path`, in order, the optional blocks commented out."""
    nodes: list[_Node] = []
    for name in _ordered(model):
        at = _join(path, name)
        if at in scope.omit:
            continue
        node = _node(name, model.model_fields[name], at, scope)
        nodes.append(_Commented((node,)) if _match(_COMMENTED, at) else node)
    return tuple(nodes)


def _node(name: str, info: FieldInfo, at: str, scope: _Scope) -> _Node:
    """The node of one field: a mapping or list of mappings for a model, else a value or a list."""
    core, many, metadata = _shape(info)
    fixed = scope.fixed.get(at) or _FIXED.get(_match(_FIXED, at) or "")
    optional = not info.is_required() and not _match(_EXPECTED, at) and fixed != "null"
    if isinstance(core, type) and issubclass(core, BaseModel):
        if many:
            variants = _ITEMS.get(at, (_Item(),))
            items = tuple(_fields(core, at, scope.within(at, item)) for item in variants)
            return _Map(name, at, items=items, optional=optional)
        return _Map(name, at, _fields(core, at, scope), optional=optional)
    choices = tuple(str(v) for v in typing.get_args(core)) if typing.get_origin(core) is Literal else ()
    if core is bool:
        choices = _BOOL
    if len(choices) == 1 and info.is_required() and fixed is None:
        fixed = choices[0]  # `kotodoc: 1`, `kind: minor-plan`
    narrowed = _match(_CHOICES, at)
    choices = _CHOICES[narrowed] if narrowed else choices
    if fixed is not None and fixed != "null":
        choices = ()  # the value is given; the allowed values are listed only under a null
    fill = _FILLS.get(_match(_FILLS, at) or "") or _fill(core, metadata)
    if many and fixed is None:
        return _List(name, at, fill, choices, optional)
    return _Value(name, at, fill, choices, fixed, optional)


def _match(table: Collection[str], path: str) -> str | None:
    """The longest entry of a table that is `path` or ends it (at a `.`)."""
    found = [key for key in table if path == key or path.endswith(f".{key}")]
    return max(found, key=len) if found else None


def _ordered(model: type[BaseModel]) -> list[str]:
    """The model's field names in the order of the case format (`_ORDER`)."""
    names = list(model.model_fields)
    order = next((keys for models, keys in _ORDER if issubclass(model, models)), ())
    result = [name for name in order if name in names]
    for i, name in enumerate(names):
        if name not in result:
            result.insert(result.index(names[i - 1]) + 1 if i else 0, name)
    return result


def _shape(info: FieldInfo) -> tuple[Any, bool, list[Any]]:
    """A field's type without Optional and Annotated: the type, whether it is a list, the metadata."""
    annotation: Any = info.annotation
    metadata: list[Any] = list(info.metadata)
    many = False
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is Annotated:
            annotation, metadata = args[0], [*metadata, *args[1:]]
        elif origin in (Union, types.UnionType):
            # `Line | int | None` (a school grade): the first type names the placeholder.
            annotation = next(a for a in args if a is not type(None))
        elif origin is list and not many:
            annotation, many = args[0], True
        else:
            return annotation, many, metadata


def _fill(core: Any, metadata: list[Any]) -> str:
    """The placeholder word of a type: the format's own types by their validators, else by the type."""
    for alias, word in _ALIAS_FILLS:
        validators = [m for m in typing.get_args(alias)[1:] if isinstance(m, (BeforeValidator, AfterValidator))]
        if validators and all(v in metadata for v in validators):
            return word
    if core is dt.date:
        return "date"
    if core is bool:
        return "bool"
    if core in (int, Decimal):
        return "number"
    return "text"


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

    def comment(self, path: str) -> str | None:
        """The comment of a key, by its YAML path in `fields`. None when the wording lacks it: the key is
        still written (a skeleton without a field of the model would drop data), and a test reports it."""
        node: Any = _wording()["fields"]
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and "_" in node:
            node = node["_"]
        if not isinstance(node, str):
            return None
        return Template(describe(node, self.lang)).substitute(self.values)

    def word(self, section: str, name: str) -> str:
        """A word of `placeholders` or `text`, in the skeleton's language."""
        context = PLACEHOLDER if section == "placeholders" else None
        return Template(describe(_wording()[section][name], self.lang, context)).substitute(self.values)

    def nodes(self, nodes: Sequence[_Node], indent: int, hash_at: int | None = None) -> None:
        """Add the lines of `nodes`, their keys at `indent`; `hash_at` when they are commented out."""
        for node in nodes:
            if isinstance(node, _Commented):
                hidden = hash_at if hash_at is not None else None if self.with_optional else indent
                self.nodes(node.nodes, indent, hidden)
            elif isinstance(node, _Map):
                self.mapping(node, indent, hash_at)
            elif isinstance(node, _List):
                self.add(indent, f"{node.key}:", self.note(node.path, node.optional), hash_at)
                self.choice_lines(indent + 2, node.choices, hash_at, fixed=False)
                self.add(indent + 2, f"- {self.placeholder(node.fill, node.choices)}", None, hash_at)
            else:
                value = node.fixed if node.fixed is not None else self.placeholder(node.fill, node.choices)
                self.add(indent, f"{node.key}: {value}", self.note(node.path, node.optional), hash_at)
                self.choice_lines(indent, node.choices, hash_at, fixed=node.fixed is not None)

    def mapping(self, node: _Map, indent: int, hash_at: int | None) -> None:
        self.add(indent, f"{node.key}:", self.note(node.path, node.optional), hash_at)
        if node.items is None:
            self.nodes(node.children, indent + 2, hash_at)
            return
        for item in node.items:
            # The item's keys are written at indent + 4; its first key then moves onto the `- ` line.
            first = len(self.lines)
            self.nodes(item, indent + 4, hash_at)
            line = self.lines[first]
            line.indent -= 2
            line.text = f"- {line.text}"

    def note(self, path: str, optional: bool) -> str | None:
        text = self.comment(path)
        if text is None:
            return None
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
    writer.nodes(_tree(kind, languages), 0)
    return _header(kind, writer) + writer.text()


def _values(lang: Lang) -> dict[str, str]:
    params = act_params(_CURRENT_ACT)
    wording = _wording()
    return {
        "schema_file": SCHEMA_FILE,
        "version": str(FORMAT_VERSION),
        "text": describe(wording["placeholders"]["text"], lang, PLACEHOLDER),
        "date": describe(wording["placeholders"]["date"], lang, PLACEHOLDER),
        "review_months": str((params["review_max_months"] or {}).get("municipality")),
        "opportunities": str(params["job_search_opportunities_per_month"]),
        "reach_back": str(params["claim_reach_back_years"]),
        "rules": ", ".join(f"{reason} {rule}" for reason, rule in EXCLUSION_RULES.items()),
    }


def _header(kind: str, writer: _Writer) -> str:
    title = builtin_labels(writer.lang)[(TERM, kind)]
    lines = [f"# yaml-language-server: $schema={SCHEMA_FILE}",
             f"# {title[0].upper()}{title[1:]}: {writer.word('text', 'file')} (kind: {kind})"]
    parts = ["schema", "fill"] + (["claim"] if kind == "interpretation-claim" else [])
    for part in parts:
        lines += [f"# {chunk}" for chunk in _wrap(writer.word("text", part), _WIDTH - 2)]
    return "\n".join(lines) + "\n\n"
