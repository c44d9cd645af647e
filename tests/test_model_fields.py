"""Every field of the case model reaches the authoring aids: `kotodoc new` and `kotodoc schema`.

A field added to the model must appear in the skeleton of every kind it applies to, with a comment
in fi, sv and en, and must carry a description, which the JSON Schema shows on hover in an editor.
These tests walk the model and the generated outputs, so a new field fails them until it has both.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from typer.testing import CliRunner

import kotodoc
from kotodoc._cli import app
from kotodoc.authoring import skeleton
from kotodoc.model import CASE_MODELS

KINDS = list(CASE_MODELS)
WORDING = Path(kotodoc.__file__).parent / "data" / "skeleton.yaml"
# Fields the model allows on every kind that the skeleton of one kind leaves out, and why.
NOT_IN_SKELETON = {
    ("integration-plan", "signatures.child_signs"): "the child's signature line is for a minor's plan",
    ("family-plan", "signatures.child_signs"): "the child's signature line is for a minor's plan",
    ("integration-plan", "interpretation.member"): "the member an appointment is for: family plans only",
    ("minor-plan", "interpretation.member"): "the member an appointment is for: family plans only",
    ("minor-plan", "person.jobseeker"): "a child is not a registered jobseeker",
}
_KEY_LINE = re.compile(r"^(?P<lead>\s*)(?P<dash>- )?(?P<key>[a-z_]+):(?: |$)")


def model_paths(model: type[BaseModel], path: str = "") -> Iterator[str]:
    """The YAML path (without list indices) of every field of a model and of the models it holds."""
    for name, info in model.model_fields.items():
        at = f"{path}.{name}" if path else name
        yield at
        inner = _model_of(info.annotation)
        if inner is not None:
            yield from model_paths(inner, at)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model inside `Optional[...]`, `list[...]` and `Annotated[...]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Annotated, Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def skeleton_paths(node: Any, path: str = "") -> set[str]:
    """The key paths of a parsed skeleton; each item of a list counts (family members differ)."""
    found: set[str] = set()
    if isinstance(node, CommentedSeq):
        for item in node:
            found |= skeleton_paths(item, path)
    elif isinstance(node, CommentedMap) and not node.fa.flow_style():  # `{text}` is a placeholder
        for key, value in node.items():
            at = f"{path}.{key}" if path else str(key)
            found |= {at} | skeleton_paths(value, at)
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_every_model_field_is_in_the_skeleton(kind: str) -> None:
    """The skeleton of a kind (with its optional blocks) has a key for every field of the kind's model,
    nested models included, but for the few that do not apply to that kind (NOT_IN_SKELETON)."""
    data = YAML().load(skeleton(kind, "en", with_optional=True))
    present = skeleton_paths(data)
    expected = set(model_paths(CASE_MODELS[kind]))
    left_out = {path for (k, path) in NOT_IN_SKELETON if k == kind}
    assert sorted(expected - present - left_out) == [], "model fields missing from the skeleton"
    assert sorted(left_out & present) == [], "NOT_IN_SKELETON lists a key that the skeleton has"
    assert sorted(present - expected) == [], "skeleton keys that the model does not have"


def key_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Each key of a skeleton by its path, and whether it has a comment: after it on its line, or
    wrapped above it when the line would be too long."""
    stack: list[tuple[int, str]] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        match = _KEY_LINE.match(line)
        if not match:
            continue
        lead = match["lead"]
        indent = len(lead) + (2 if match["dash"] else 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        above = lines[n - 1] if n else ""
        commented = "  # " in line or (above.startswith(f"{lead}# ") and not above.startswith(f"{lead}#  "))
        yield ".".join(key for _, key in stack), commented


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_skeleton_key_has_a_comment(kind: str, lang: str) -> None:
    """Each key of the skeleton carries its comment from data/skeleton.yaml in the skeleton's
    language: a field added to the model needs its wording (in English there, translated in the
    `fields` catalogues)."""
    text = skeleton(kind, lang, with_optional=True)
    keys = list(key_lines(text))
    assert len(keys) > 40
    assert sorted({path for path, commented in keys if not commented}) == [], \
        f"keys without a {lang} comment in kotodoc/data/skeleton.yaml"


def wording_paths(node: Any, path: str = "") -> Iterator[str]:
    """The key paths that data/skeleton.yaml words itself, not those it takes over with a merge key."""
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("<<", "_"):
            continue
        at = f"{path}.{key}" if path else key
        yield at
        yield from wording_paths(value, at)


def test_skeleton_wording_has_no_stale_key() -> None:
    """Every comment of data/skeleton.yaml belongs to a key of some skeleton: a field renamed or removed
    in the model does not leave its wording behind."""
    # The base loader keeps `<<` as a key: a merged mapping's keys are checked where they are written.
    fields = YAML(typ="base").load(WORDING.read_text(encoding="utf-8"))["fields"]
    present: set[str] = set()
    for kind in KINDS:
        present |= skeleton_paths(YAML().load(skeleton(kind, "en", with_optional=True)))
    assert sorted(set(wording_paths(fields)) - present) == [], "wording for keys that no skeleton has"


def test_every_schema_property_has_a_description() -> None:
    """Every property of the JSON Schema (`kotodoc schema`) has a description, the editor's hover text:
    each field of the model has `Field(description=...)`."""
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    missing: list[str] = []
    total = 0
    for name, definition in schema["definitions"].items():
        for prop, sub in definition.get("properties", {}).items():
            total += 1
            text = sub.get("description")
            if not (isinstance(text, str) and text.strip()):
                missing.append(f"{name}.{prop}")
    assert total > 200
    assert missing == [], "schema properties without a description"
