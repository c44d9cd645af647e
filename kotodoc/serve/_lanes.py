"""The service's state: its LibreOffice lanes, its limit on requests at once, and the runner calls.

One `Service` per app. It holds the warm LibreOffice lanes that every request shares (started with
the app, stopped with it), and calls the one runner for each request in a private temporary
directory (`render_case` makes and removes its own; a claim gets one here).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kotodoc._i18n import DEFAULT as DEFAULT_UI_LANG
from kotodoc._i18n import finding_dict
from kotodoc.docx import template_set
from kotodoc.errors import UsageError
from kotodoc.serve._config import ServeConfig
from kotodoc.serve._errors import ApiError

if TYPE_CHECKING:
    from kotodoc.pdf import WarmLanes

log = logging.getLogger("kotodoc.serve")


@dataclass(frozen=True)
class Rendered:
    """What a render request gives: the status, the findings as JSON data, the documents."""

    status: str
    case_id: str | None
    findings_dict: dict[str, Any]
    documents: Mapping[str, bytes]


class Busy(Exception):
    """More requests than the queue holds."""


class Service:
    """The lanes, the request limit, and the runner calls of one app."""

    def __init__(self, config: ServeConfig):
        self.config = config
        # The trust rules of the command line: the templates are scanned and the profile read now,
        # so a refused template stops the start, not the first request.
        template_set(config.templates, config.profile)
        self.in_flight = 0
        self.lane_count = config.lanes if config.warm else 0
        self.lanes: WarmLanes | None = None

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the lanes (in the background: /readyz says when they are warm)."""
        if not self.config.warm:
            return
        from kotodoc.pdf import WarmLanes, uno_python
        from kotodoc.run import templates_root

        python = uno_python()
        if python is None:
            # Without LibreOffice's UNO module there are no warm lanes: each render starts
            # LibreOffice (2–3 s instead of 0.3 s), as `kotodoc render` does. Said once, at the start.
            log.warning("no Python with LibreOffice's UNO module (Debian: apt-get install python3-uno; or set "
                        "KOTODOC_UNO_PYTHON): every render starts LibreOffice afresh")
            self.lane_count = 0
            return
        # Each lane converts a built-in template once before it is ready: LibreOffice loads its DOCX
        # import and PDF export on first use (about 0.25 s), which no request should wait for.
        # A document may hang LibreOffice for a third of the request's time limit: then its lane is
        # restarted and the document retried on another within the limit (a plan takes 0.3–3 s).
        self.lanes = WarmLanes(self.config.lanes, python=python, doc_timeout=self.config.render_timeout / 3,
                               restart_after=self.config.restart_after,
                               warmup=templates_root() / "fi" / "integration-plan.docx")
        self.lanes.start()

    def shutdown(self) -> None:
        """Stop the lanes and their LibreOffice instances."""
        if self.lanes is not None:
            self.lanes.shutdown()

    @property
    def restarts(self) -> int:
        """LibreOffice restarts since the start (after a death, a hang, or `restart_after` documents)."""
        return self.lanes.restarts if self.lanes is not None else 0

    def ready(self) -> bool:
        """Whether the service can render: every lane has warmed up, and one at least is warm now.

        A lane restarting (after `restart_after` documents, or a death) leaves the others serving:
        a load balancer should not take the instance out for that.
        """
        if self.lanes is None:
            return self.lane_count == 0
        return self.lanes.warmed >= self.lane_count and self.lanes.ready >= 1

    def lanes_ready(self) -> int:
        """How many lanes are warm."""
        return self.lanes.ready if self.lanes is not None else 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A place among the requests being served; 503 when the queue is full.

        Raises:
            ApiError: the queue is full (503, Retry-After).
        """
        if self.in_flight >= self.config.queue:
            raise ApiError(503, "busy", f"{self.in_flight} requests are being served; try again shortly",
                           {"Retry-After": "1"})
        self.in_flight += 1  # the event loop's thread only: no lock needed
        try:
            yield
        finally:
            self.in_flight -= 1

    # -- the runner --------------------------------------------------------------------------------

    def validate(self, text: str, ui_lang: str | None = None) -> dict[str, Any]:
        """The findings of a case, as `kotodoc validate --json` gives one case, messages in `ui_lang`."""
        from kotodoc.run import validate_case

        report = validate_case(text, templates=self.config.templates, profile=self.config.profile)
        return report.as_dict(ui_lang or DEFAULT_UI_LANG)

    def render(self, text: str, formats: list[str], lang: str | None, ui_lang: str | None = None) -> Rendered:
        """Render a case through the runner.

        Raises:
            ApiError: a bad `lang` (400).
        """
        from kotodoc.run import render_case
        try:
            result = render_case(text, formats=formats, languages=lang, templates=self.config.templates,
                                 profile=self.config.profile, doc_timeout=self.config.render_timeout,
                                 lanes=self.lanes)
        except UsageError as e:
            raise ApiError(400, "bad-request", str(e)) from None
        ui = ui_lang or DEFAULT_UI_LANG
        findings = {"file": "case.yaml", "status": result.status, "case_id": result.case_id, "kind": result.kind,
                    "errors": [finding_dict(f, ui) for f in result.errors],
                    "warnings": [finding_dict(f, ui) for f in result.warnings], "failures": result.failures}
        return Rendered(result.status, result.case_id, findings, result.documents)

    def claim(self, body: Any) -> tuple[str, dict[str, Any], dict[str, bytes]]:
        """Build and render a claim from a JSON request (see docs/service.md); its status, report and files.

        Raises:
            ApiError: the request is not of the documented shape, or a bad period, date or language (400).
        """
        from kotodoc.claim import build_claim
        request = _claim_request(body)
        with tempfile.TemporaryDirectory(prefix="kotodoc-claim-") as folder:  # created 0700, removed on return
            root = Path(folder)
            (root / "cases").mkdir()
            paths = []
            for n, case in enumerate(request["cases"], 1):
                path = root / "cases" / f"case-{n}.yaml"
                path.write_text(case, encoding="utf-8")
                paths.append(path)
            claimant = root / "claimant.yaml"
            claimant.write_text(request["claimant"], encoding="utf-8")
            out = root / "out"
            try:
                report = build_claim(paths, claimant=claimant, period=request["period"], out_dir=out,
                                     submitted=request["submitted"], case_id=request["case_id"],
                                     languages=request["languages"], formats=request["formats"],
                                     templates=self.config.templates, profile=self.config.profile,
                                     lanes=self.lanes)
            except UsageError as e:
                raise ApiError(400, "bad-request", str(e).replace(folder + "/", "")) from None
            files = {p.name: p.read_bytes() for p in report.outputs}
            data = _relative(report.as_dict(), folder + "/")
        return report.status, data, files


def _claim_request(body: Any) -> dict[str, Any]:
    """The fields of a claim request, checked; cases and claimant as YAML text (JSON is YAML).

    Raises:
        ApiError: a missing or mistyped field (400).
    """
    def text(value: Any, what: str) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            return json.dumps(value, ensure_ascii=False)
        raise ApiError(400, "bad-request", f"{what} must be YAML text or a JSON object")

    if not isinstance(body, Mapping):
        raise ApiError(400, "bad-request", "the body must be a JSON object with cases, claimant and period")
    unknown = set(body) - {"cases", "claimant", "period", "submitted", "case_id", "lang", "format"}
    if unknown:
        raise ApiError(400, "bad-request", f"unknown field(s): {', '.join(sorted(map(str, unknown)))[:200]}")
    cases = body.get("cases")
    if not isinstance(cases, list) or not cases:
        raise ApiError(400, "bad-request", "cases must be a non-empty list of plans")
    period = body.get("period")
    if not isinstance(period, str):
        raise ApiError(400, "bad-request", "period must be START..END, such as 2025-01-01..2025-06-30")
    submitted = body.get("submitted")
    if submitted is not None and not isinstance(submitted, str):
        raise ApiError(400, "bad-request", "submitted must be a date, YYYY-MM-DD")
    case_id = body.get("case_id")
    if case_id is not None and not isinstance(case_id, str):
        raise ApiError(400, "bad-request", "case_id must be text")
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or len(lang) > 8):
        raise ApiError(400, "bad-request", "lang must be fi, sv, en or two joined by +, such as fi+sv")
    fmt = body.get("format", "pdf")
    formats = {"pdf": ["pdf"], "docx": ["docx"], "both": ["docx", "pdf"]}.get(fmt) if isinstance(fmt, str) else None
    if formats is None:
        raise ApiError(400, "bad-request", "format must be pdf, docx or both")
    return {"cases": [text(c, f"cases[{i}]") for i, c in enumerate(cases)],
            "claimant": text(body.get("claimant"), "claimant"), "period": period,
            "submitted": submitted or dt.date.today().isoformat(), "case_id": case_id,
            "languages": lang.split("+") if lang else None, "formats": formats}


def _relative(value: Any, prefix: str) -> Any:
    """`value` with the temporary folder taken off every path in it (the report names the request's files)."""
    if isinstance(value, str):
        return value.replace(prefix, "")
    if isinstance(value, list):
        return [_relative(v, prefix) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v, prefix) for k, v in value.items()}
    return value
