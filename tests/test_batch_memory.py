"""A batch's memory does not grow with its number of cases: what it keeps per case is on disk.

Issue 12 asks for kotodoc's own memory to stay flat from 1,000 to 10,000 cases (measured by
`benchmarks/run.py --memory`). What grew was first the reports (every case's findings, outputs and
digests kept until the end, some 2 KB a case), then what the runner kept of every case while it
ran (its path, key and fingerprint; on a rerun the manifest's lines). Here in-process batches of
different sizes are compared with tracemalloc, which counts Python's own allocations
(deterministic, unlike the resident size): what a finished batch still holds, and what a running
batch holds at its last case, may not grow by more than a few hundred, and a few dozen, bytes a case.
"""

from __future__ import annotations

import gc
import io
import json
import pathlib
import re
import tracemalloc
from pathlib import Path

import pytest

from kotodoc import BatchReport, batch
from kotodoc.run import MANIFEST, in_shard

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


def _invalid_cases(folder: Path, count: int) -> Path:
    """`count` small case files that fail the check: each takes a millisecond, not a render."""
    folder.mkdir()
    for i in range(count):
        (folder / f"case-{i:05d}.yaml").write_text(f"kind: integration-plan\ncase_id: RUN-{i:05d}\n", encoding="utf-8")
    return folder


def _held_while_running(cases: Path, out: Path, *, rerun: bool) -> tuple[int, int, BatchReport]:
    """Bytes and memory blocks Python holds as a batch's last case ends, more than before the batch.

    With `rerun`, the output folder's manifest has a line for every case first (made from other
    inputs: every case is done again), as when a batch is run again after a change.

    pathlib's own allocations are left out: it interns every part of every path it parses, and
    the interning table grows in steps as names come and go, whatever the runner keeps.
    """
    if rerun:
        out.mkdir()
        lines = [{"case": case.as_posix(), "fingerprint": "0" * 64, "case_id": case.stem, "kind": "integration-plan",
                  "outputs": {f"{case.stem}.docx": "0" * 64}} for case in sorted(cases.iterdir())]
        (out / MANIFEST).write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    leave_out = [tracemalloc.Filter(False, pathlib.__file__)]
    at_end: list[tracemalloc.Snapshot] = []

    def progress(report: object, ended: int, total: int) -> None:
        if ended == total:
            gc.collect()
            at_end.append(tracemalloc.take_snapshot().filter_traces(leave_out))

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot().filter_traces(leave_out)
        result = batch([cases], out, formats=["docx"], jobs=1, progress=progress)
    finally:
        tracemalloc.stop()
    stats = at_end[0].compare_to(before, "filename")
    return sum(s.size_diff for s in stats), sum(s.count_diff for s in stats), result


@pytest.mark.parametrize("rerun", [False, True], ids=["first-run", "rerun"])
def test_a_running_batch_holds_no_memory_per_case(tmp_path: Path, rerun: bool) -> None:
    # Issue 12: the kotodoc process grew by some 1 KB a case while a batch ran (72 -> 81 MiB from
    # 1,000 to 10,000 cases): every case's Path, its key, its fingerprint and a tuple of them were
    # kept for the whole run (some 600 bytes a case, 9 memory blocks), and on a rerun every line
    # of the manifest as a dict (some 1.3 KB a case more). Now the paths and the manifest's lines
    # are kept in temporary files and the rest is made when a case is handed out: a few dozen
    # bytes a case, in arrays.
    batch([_cases(tmp_path / "warm", 2)], tmp_path / "out-warm", formats=["docx"], jobs=1)
    small_bytes, small_blocks, _ = _held_while_running(_invalid_cases(tmp_path / "small", 300), tmp_path / "out-s",
                                                       rerun=rerun)
    large_bytes, large_blocks, result = _held_while_running(_invalid_cases(tmp_path / "large", 2300),
                                                            tmp_path / "out-l", rerun=rerun)
    per_case = (large_bytes - small_bytes) / 2000
    blocks_per_case = (large_blocks - small_blocks) / 2000
    assert per_case < 80, f"a running batch holds {per_case:.0f} bytes more per case"
    assert blocks_per_case < 0.05, f"a running batch holds {blocks_per_case:.2f} more memory blocks per case"

    # Every case has its report all the same, in the order of the files.
    assert len(result.cases) == 2300 and result.count("invalid") == 2300
    assert [c.file.name for c in result.cases[:3]] == ["case-00000.yaml", "case-00001.yaml", "case-00002.yaml"]
    assert [c.file.name for c in result.cases[-2:]] == ["case-02298.yaml", "case-02299.yaml"]
    assert result.reused == 0 and not result.warnings


def test_shards_and_case_ids_stay_right_when_kept_compactly(tmp_path: Path) -> None:
    # The case paths are kept in a temporary file and a shard is a selection of them; the case ids
    # seen are kept as 64-bit hashes in a table that grows (it starts at 64 slots).
    cases = _invalid_cases(tmp_path / "cases", 120)
    everything = [c.file for c in batch([cases], tmp_path / "all", formats=["docx"], jobs=1).cases]
    assert everything == sorted(cases.iterdir())
    shards = [[c.file for c in batch([cases], tmp_path / f"s{i}", formats=["docx"], jobs=2, shard=(i, 3)).cases]
              for i in (1, 2, 3)]
    for i, shard in enumerate(shards, 1):
        assert shard == [p for p in everything if in_shard(p, (i, 3))] and shard
    assert sorted(p for shard in shards for p in shard) == everything

    valid = _cases(tmp_path / "valid", 100)
    copy = valid / "case-0099.yaml"
    copy.write_text(copy.read_text(encoding="utf-8").replace("MEM-0099", "MEM-0003"), encoding="utf-8")
    result = batch([valid], tmp_path / "out", formats=["docx"], jobs=1)
    assert result.count("done") == 99
    assert result.cases[99].failures == [f"case_id MEM-0003 is also used by {valid / 'case-0003.yaml'} in this run"]
