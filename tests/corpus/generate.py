"""Write the corpus files too large to commit: a file over the size limit and a huge text field.

Each file carries its expectation in `# expect:` header lines like the committed ones; the position
is computed here from how the file is laid out, not by asking kotodoc. Used by tests/test_corpus.py
at test time; by hand: `uv run python tests/corpus/generate.py DIR`.

`too_many_nodes(limit)` writes a list just over a node limit. At the real limit (200,000) ruamel.yaml
needs about ten seconds to reach it, too slow for every run: test_corpus.py uses it with the limit
lowered; the alias bombs of the committed corpus pass the real limit at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "espoo-municipality-fi.yaml"
# The documented limits (README, "Limits"); kept here as numbers so that a change to the code's
# limits shows up as a failing corpus test rather than passing silently.
MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_TEXT = 20_000


def _sample_body() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


def too_large() -> tuple[str, bytes]:
    """Lines of exactly 100 bytes, so the first byte past the limit is at a known line and column."""
    width = 100
    header = [
        f"# expect: {MAX_BYTES // width + 1}:{MAX_BYTES % width + 1} (document) | larger than {MAX_BYTES} bytes",
        f"# corpus: a file of {MAX_BYTES + 10 * width} bytes, over the limit of {MAX_BYTES}",
    ]
    lines = [line.ljust(width - 1) for line in header]
    lines += [f"# padding line {i}".ljust(width - 1) for i in range(len(lines), (MAX_BYTES + 10 * width) // width)]
    data = "".join(line + "\n" for line in lines).encode("ascii")
    assert len(data) > MAX_BYTES and all(len(line) == width - 1 for line in lines)
    return "too-large.yaml", data


def too_many_nodes(limit: int = MAX_NODES) -> tuple[str, bytes]:
    """A mapping with one key and a long list: the mapping, the key and the list are nodes 1 to 3.

    Item k (from 0) is node k + 4, so node `limit` + 1 is item `limit` - 3.
    """
    header_lines = 2
    item = limit - 3
    line = header_lines + 1 + item + 1  # after the header and `numbers:`
    header = (
        f"# expect: {line}:3 numbers.{item} | more than {limit} nodes\n"
        f"# corpus: a list of {limit + 1000} numbers, over the limit of {limit} nodes\n"
    )
    text = header + "numbers:\n" + "- 0\n" * (limit + 1000)
    return "too-many-nodes.yaml", text.encode("ascii")


def huge_text() -> tuple[str, bytes]:
    """The Espoo sample with its notes as one line of 300 kB: over the text limit (a 2 MB line takes seconds)."""
    body = _sample_body()
    (index,) = [i for i, line in enumerate(body) if line.startswith("  notes: ")]
    body[index] = "  notes: " + "Asiakas ilmoittautuu työnhakijaksi. " * 8_000
    header = [
        f"# expect: {index + 3}:{len('  notes: ') + 1} plan.notes | at most {MAX_TEXT} characters",
        "# corpus: plan.notes of 300 kB in one line; from samples/espoo-municipality-fi.yaml",
    ]
    data = "\n".join([*header, *body, ""]).encode("utf-8")
    assert len(data) < MAX_BYTES
    return "huge-text-field.yaml", data


def generate(directory: Path) -> list[Path]:
    """Write the generated corpus files into a directory.

    Args:
        directory: where to write them (created if missing).

    Returns:
        The paths written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in (too_large(), huge_text()):
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in generate(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-generated")):
        print(written)
