"""The reports of a run, kept on disk rather than in memory, so that a batch's memory stays flat.

A case's report (its findings, outputs and digests) is a few kilobytes; a batch of 10,000 cases
kept every one of them in memory until the end, and kotodoc's own memory grew by some 35 MiB
between 1,000 and 10,000 cases. Here each report is pickled into an anonymous temporary file as
its case ends (it has no name on disk, so no other process can open it, and it is gone when
closed or when kotodoc ends), and only its offset is kept: 8 bytes a case. Reading a report back
unpickles it from the file.

Pickle is safe here because only this process writes the file: it is created unlinked, never
found by name. The reports hold no personal data (case ids, paths, findings with their codes),
as in the JSON report; the file lies in the system's temporary folder.
"""

from __future__ import annotations

import pickle
import tempfile
import threading
import weakref
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import overload

from kotodoc.run._check import CaseReport


class Reports(Sequence[CaseReport]):
    """A run's reports by case index, each written once when its case ends; read back in order."""

    def __init__(self, count: int):
        """Room for `count` reports, none of them there yet."""
        self._offsets = array("q", [-1]) * count
        self._file = tempfile.TemporaryFile(prefix="kotodoc-reports-")  # noqa: SIM115 (lives as long as the object)
        weakref.finalize(self, self._file.close)  # closed when the reports go, without a ResourceWarning
        self._end = 0
        self._lock = threading.Lock()
        self._statuses: Counter[str] = Counter()
        self.outputs = 0  # files listed as outputs, over every report
        self.reused = 0  # reports of cases reused from an earlier run

    def put(self, index: int, report: CaseReport) -> None:
        """Keep the report of case `index` (once: a case ends once)."""
        data = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._offsets[index] >= 0:
                raise ValueError(f"case {index} already has a report")
            self._file.seek(self._end)
            self._file.write(len(data).to_bytes(4, "big") + data)
            self._offsets[index] = self._end
            self._end += 4 + len(data)
            self._statuses[report.status] += 1
            self.outputs += len(report.outputs)
            self.reused += report.reused

    def has(self, index: int) -> bool:
        """Whether case `index` has ended."""
        return self._offsets[index] >= 0

    def count(self, status: str) -> int:
        """How many kept reports have `status` (as it was when the report was kept)."""
        return self._statuses[status]

    def __len__(self) -> int:
        return len(self._offsets)

    @overload
    def __getitem__(self, index: int) -> CaseReport: ...

    @overload
    def __getitem__(self, index: slice) -> list[CaseReport]: ...

    def __getitem__(self, index: int | slice) -> CaseReport | list[CaseReport]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        offset = self._offsets[index]
        if offset < 0:
            raise LookupError(f"case {index} has no report yet")
        with self._lock:
            self._file.seek(offset)
            size = int.from_bytes(self._file.read(4), "big")
            data = self._file.read(size)
        report: CaseReport = pickle.loads(data)  # written by this process only (see the module)
        return report

    def __iter__(self) -> Iterator[CaseReport]:
        for index in range(len(self)):
            yield self[index]

    def close(self) -> None:
        """Let the file go (it goes anyway when the object does)."""
        self._file.close()

