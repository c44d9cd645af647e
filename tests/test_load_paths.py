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
    """Equal values of equal types (a date is not a string; 1 is not True).

    The careful path keeps how a whole number was written (`0x1F`, `007`: ruamel's ScalarInt); its value counts.
    """
    numbers = (isinstance(a, float) and isinstance(b, float)) or (
        isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool))
    if type(a) is not type(b) and not numbers:
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


# Each form a case file may hold, in a small file: the fast path must read it as the careful path
# does (it reads events, not ruamel's nodes, so each form of scalar is built by its own code).
READ_FAST = {
    "date": "d: 2025-01-31\n",
    "date in quotes": "d: '2025-01-31'\n",
    "time of day": "d: 2025-01-31 12:30:00\n",
    "whole number": "n: 42\n",
    "leading zero": "n: 007\n",
    "signed number": "n: -5\n",
    "hexadecimal": "n: 0x1F\n",
    "underscores": "n: 1_000\n",
    "decimal": "cost: 132.50\n",
    "booleans": "a: true\nb: False\nc: TRUE\n",
    "yes is text in YAML 1.2": "a: yes\nb: on\n",
    "nulls": "a: null\nb: ~\nc: Null\n",
    "empty value": "a:\nb: 1\n",
    "empty text": "a: ''\nb: \"\"\n",
    "quoted key": "'a b': 1\n\"n\": 2\n",
    "text like a number": "a: 12 Main St\nb: 1.2.3\nc: +358 40 123\n",
    "block scalars": "a: |\n  first\n  second\nb: >-\n  folded\n  text\nc:   |+\n  kept\n\n",
    "flow": "a: [x, 'y', 3]\nb: {c: 1, d: [2025-01-01]}\n",
    "nested": "a:\n  b:\n    - c: 1\n      d: [1, 2]\n    - e\n",
    "decomposed text": "name: Zoe\u0308\n",
    "comments and document markers": "# head\n---\na: 1  # one\n...\n",
    "unicode": "nimi: Äänekoski – Ålands\u00a0kommun\n",
}
# Forms the fast path leaves to the careful path, which reads or refuses them and says why.
STEP_ASIDE = {
    "directive": "%YAML 1.1\n---\na: yes\n",
    "anchor and alias": "a: &x 1\nb: *x\n",
    "merge key": "base: &b {x: 1}\nc:\n  <<: *b\n",
    "merge word as a value": "a: <<\n",
    "explicit tag": "a: !!str 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "number as a key": "1: a\n",
    "date as a key": "2025-01-01: a\n",
    "decomposed key": "Zoe\u0308: 1\n",
    "list as a key": "? [a]\n: 1\n",
    "infinity": "a: .inf\n",
    "impossible date": "a: 2025-02-30\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "a list": "- a\n- b\n",
    "a scalar": "just text\n",
    "only a comment": "# nothing\n",
    "control character": "a: \"x\\x01\"\n",
    "empty item in a list": "a:\n  -\n  - b\n",
    "block scalar in a list": "a:\n  - |\n    text\n",
    "syntax error": "a: [1, 2\n",
}


@pytest.mark.parametrize("text", READ_FAST.values(), ids=READ_FAST.keys())
def test_fast_path_reads_each_form_as_the_careful_path(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that every form of key and scalar the fast path reads itself gives the careful
    path's data (types, a float's written digits, NFC) and positions."""
    fast = _fast.fast_load(text)
    assert fast is not None, "the fast path stepped aside"
    slow = careful(Path("case.yaml"), text, monkeypatch)
    assert slow is not None
    data, positions = fast
    assert same(data, slow.data)
    assert positions.keys == slow.positions.keys
    assert positions.values.keys() == slow.positions.values.keys()
    differ = {k for k in positions.values if positions.values[k] != slow.positions.values.get(k)}
    assert differ == {k for k in differ if _value_at(slow.data, k) is None}


@pytest.mark.parametrize("text", STEP_ASIDE.values(), ids=STEP_ASIDE.keys())
def test_fast_path_steps_aside_for_what_it_does_not_read(text: str) -> None:
    """This test ensures that the fast path leaves every unusual or broken file to the careful path."""
    assert _fast.fast_load(text) is None


def test_fast_path_steps_aside_at_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test ensures that the fast path keeps the size and depth limits, read when it runs."""
    from kotodoc.load import _positions

    text = "a:\n  b:\n    c: [1, 2, 3]\n"
    assert _fast.fast_load(text) is not None
    monkeypatch.setattr(_positions, "MAX_DEPTH", 3)
    assert _fast.fast_load(text) is None
    monkeypatch.setattr(_positions, "MAX_DEPTH", 32)
    monkeypatch.setattr(_positions, "MAX_NODES", 6)
    assert _fast.fast_load(text) is None
