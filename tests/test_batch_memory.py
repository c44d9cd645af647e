"""A batch's memory does not grow with its number of cases: reports are kept on disk, not in memory.

Issue 12 asks for kotodoc's own memory to stay flat from 1,000 to 10,000 cases (measured by
`benchmarks/run.py --memory`). What grew was the reports: every case's findings, outputs and
digests kept until the end, some 2 KB a case in Python objects alone. Here two in-process batches
of different sizes are compared with tracemalloc, which counts Python's own allocations
(deterministic, unlike the resident size): what a finished batch still holds may not grow by more
than a few hundred bytes a case (it held some 2.7 KB a case before).
"""

from __future__ import annotations

import gc
import io
import json
import re
import tracemalloc
from pathlib import Path

from kotodoc import BatchReport, batch

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "espoo-municipality-fi.yaml"


def _cases(folder: Path, count: int) -> Path:
    folder.mkdir()
    text = SAMPLE.read_text(encoding="utf-8")
    for i in range(count):
        case = re.sub(r"(?m)^case_id: .*$", f"case_id: MEM-{i:04d}", text)
        (folder / f"case-{i:04d}.yaml").write_text(case, encoding="utf-8")
    return folder


def _held_after(cases: Path, out: Path) -> tuple[int, BatchReport]:
    """Bytes Python still holds after a DOCX-only batch of `cases`, with its report kept."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = batch([cases], out, formats=["docx"], jobs=1)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, result
    finally:
        tracemalloc.stop()


def test_a_batch_holds_no_memory_per_case(tmp_path: Path) -> None:
    # A first batch compiles the template and fills the caches every batch shares.
    batch([_cases(tmp_path / "warm", 5)], tmp_path / "out-warm", formats=["docx"], jobs=1)
    small, small_result = _held_after(_cases(tmp_path / "small", 5), tmp_path / "out-small")
    large, large_result = _held_after(_cases(tmp_path / "large", 45), tmp_path / "out-large")
    per_case = (large - small) / 40
    assert per_case < 1000, f"a finished batch holds {per_case:.0f} bytes more per case"

    # The reports are all there all the same: in case order, whole, and in the JSON report.
    cases = large_result.cases
    assert len(cases) == 45
    assert [c.case_id for c in cases] == [f"MEM-{i:04d}" for i in range(45)]
    assert all(c.status == "done" and c.outputs for c in cases)
    assert cases[5].digests[cases[5].outputs[0].name]
    assert large_result.summary()["done"] == 45
    text = io.StringIO()
    large_result.write_json(text)
    assert text.getvalue() == json.dumps(large_result.as_dict(), ensure_ascii=False, indent=2) + "\n"
    assert [c["case_id"] for c in json.loads(text.getvalue())["cases"]][:2] == ["MEM-0000", "MEM-0001"]
    del small_result
