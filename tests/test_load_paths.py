"""The loader's two paths agree: the fast one (libyaml) gives the same data and positions as the careful one.

Almost every case file takes the fast path, and only the careful one is what the error messages
are written against; a difference between them would change a document or misplace an error
without any other test noticing. (A unit worth testing alone: the private modules are used.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kotodoc.load import _careful, _fast

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("samples/**/*.yaml"), *ROOT.glob("tests/cases/*.yaml"),
                *ROOT.glob("tests/corpus/*.yaml")])


def careful(path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> _careful.LoadedCase | None:
    with monkeypatch.context() as m:
        m.setattr(_careful, "fast_load", lambda text: None)
        try:
            return _careful.load_case(path, text)
        except _careful.CaseError:
            return None


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (a date is not a string; 1 is not True)."""
    if type(a) is not type(b) and not (isinstance(a, float) and isinstance(b, float)):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and getattr(a, "text", None) == getattr(b, "text", None)
    return bool(a == b)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_path_agrees_with_the_careful_path(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that wherever the fast path reads a file, its data and positions are the
    careful path's (empty values excepted: placed after their key's colon, as documented)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # not UTF-8: neither path reads it as YAML
    fast = _fast.fast_load(text)
    slow = careful(path, text, monkeypatch)
    if fast is None:
        return  # the careful path reads it alone
    assert slow is not None, "the fast path read a file that the careful path refuses"
    data, positions = fast
    assert same(data, slow.data)
    assert positions.keys == slow.positions.keys
    differ = {k for k in positions.values if positions.values[k] != slow.positions.values.get(k)}
    empty = {k for k in differ if _value_at(slow.data, k) in (None, "")}
    assert differ == empty
    assert positions.values.keys() == slow.positions.values.keys()


def _value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def test_most_files_take_the_fast_path() -> None:
    """This test ensures that the fast path is really taken for the samples (else it would test nothing)."""
    samples = [p for p in FILES if "samples" in p.parts]
    taken = [p for p in samples if _fast.fast_load(p.read_text(encoding="utf-8")) is not None]
    assert len(taken) >= len(samples) - 1
