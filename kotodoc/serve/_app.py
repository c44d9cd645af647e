"""The ASGI app: the HTTP face of the runner (`create_app`).

Every request that renders goes through the one runner (`kotodoc.run.render_case`, or
`kotodoc.claim.build_claim` for a claim) with the service's long-lived LibreOffice lanes, in a
private temporary directory of its own that is removed before the response is sent: the response
carries the documents as bytes, and nothing one request writes is visible to another.

Errors are JSON `{"code", "message"}` with a stable code; an invalid case is not an error of the
request: validation answers 200 with status `invalid`, rendering 422 with the findings.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import logging
import os
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from kotodoc._i18n import DEFAULT as DEFAULT_UI_LANG
from kotodoc._version import __version__
from kotodoc.errors import UsageError
from kotodoc.serve._config import ServeConfig, check_config
from kotodoc.serve._errors import ApiError
from kotodoc.serve._lanes import Service
from kotodoc.serve._metrics import CONTENT_TYPE, Metrics

access_log = logging.getLogger("kotodoc.serve.access")
T = TypeVar("T")

CASE_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json",
                        "text/plain"})
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA = {".pdf": "application/pdf", ".docx": DOCX_TYPE, ".csv": "text/csv; charset=utf-8",
         ".yaml": "application/yaml; charset=utf-8"}
FINDINGS_HEADER = "X-Kotodoc-Findings"
# A header larger than this is refused by some proxies (nginx's default buffer is 4–8 kB): the
# header then carries the counts only, and the whole findings are in the body or the ZIP.
HEADER_LIMIT = 6000
# Query parameters whose values may appear in the access log: their values come from closed lists.
LOGGED_QUERY = frozenset({"format", "lang", "kind", "ui_lang"})
PAGE = "kotodoc.serve._page"
PUBLIC = ("/healthz", "/readyz", "/openapi.json")


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=dict(headers or {}))


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The service as an ASGI app; its lanes start with the app's lifespan and stop with it.

    Raises:
        UsageError: a missing template directory or profile, or a template or profile that is refused.
    """
    config = config or ServeConfig()
    service = Service(config)  # checks the templates and the profile now, before anything listens
    metrics = Metrics(lambda: service.restarts, service.lanes_ready)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(service.shutdown)

    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN, and the service must work
    # with no internet access and load nothing from outside. /openapi.json is the description.
    app = FastAPI(title="kotodoc", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Integration plans, minors' and family plans, interpretation-cost claims and "
                              "no-show fee notices from case files (YAML or JSON) to PDF/A-2b + PDF/UA-1 and DOCX.")
    app.state.service = service
    app.state.metrics = metrics

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_query(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer is 422 with the values given; ours is the service's error shape,
        # naming the parameter and what it takes, never the value (it could be anything).
        what = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                         for e in exc.errors())
        return _error(400, "bad-request", what[:300])

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Token, access log and metrics for every request (bodies and query values are never logged)."""
        started = time.perf_counter()
        path = request.url.path
        if config.token is not None and path not in PUBLIC and path != "/" \
                and not path.startswith("/static/") and not _authorised(request, config.token):
            response: Response = _error(401, "unauthorized", "a valid bearer token is needed",
                                        {"WWW-Authenticate": 'Bearer realm="kotodoc"'})
        else:
            try:
                response = await call_next(request)
            except Exception:  # noqa: BLE001 (logged without details: they could hold personal data)
                access_log.error("internal error in %s %s", request.method, path)
                response = _error(500, "internal", "internal error")
        seconds = time.perf_counter() - started
        metrics.observe(path, response.status_code, seconds)
        access_log.info("%s %s %d %.0f ms", request.method, _logged_path(request), response.status_code,
                        seconds * 1000)
        return response

    # -- the API -------------------------------------------------------------------------------

    @app.post("/v1/validate", summary="Check a case: the findings, as `kotodoc validate --json` gives one case")
    async def validate(request: Request, ui_lang: Annotated[Literal["fi", "sv", "en"] | None, Query(
            description="The language of the findings' messages (default English); the answer's "
                        "Content-Language says which")] = None) -> JSONResponse:
        text = await _case_text(request, config.max_body)
        report = await anyio.to_thread.run_sync(service.validate, text, ui_lang)
        return JSONResponse(report, headers={"Content-Language": ui_lang or DEFAULT_UI_LANG})

    @app.post("/v1/render", summary="Render a case: the document, or a ZIP when it gives several",
              responses={200: {"content": {"application/pdf": {}, DOCX_TYPE: {}, "application/zip": {}}},
                         422: {"description": "The case is invalid: the findings"}})
    async def render(request: Request,
                     format: Annotated[Literal["pdf", "docx", "both"], Query(
                         description="pdf (PDF/A-2b + PDF/UA-1), docx, or both (a ZIP)")] = "pdf",
                     lang: Annotated[str | None, Query(
                         description="The documents' languages instead of the case's own: fi, sv, en; "
                                     "fi,sv for two documents, fi+sv for one bilingual document",
                         max_length=16)] = None,
                     ui_lang: Annotated[Literal["fi", "sv", "en"] | None, Query(
                         description="The language of the findings' messages (default English)")] = None,
                     ) -> Response:
        text = await _case_text(request, config.max_body)
        formats: list[str] = ["docx", "pdf"] if format == "both" else [format]
        async with service.slot():
            result = await _in_time(lambda: service.render(text, formats, lang, ui_lang), config.render_timeout)
        findings = result.findings_dict
        if result.status == "invalid":
            return JSONResponse(findings, status_code=422,
                                headers={"Content-Language": ui_lang or DEFAULT_UI_LANG})
        if result.status != "done":
            return JSONResponse({"code": "render-failed", "message": "a document could not be made; see failures",
                                 **findings}, status_code=500)
        for name in result.documents:
            metrics.documents.labels(Path(name).suffix.lstrip(".")).inc()
        return _documents(result.documents, findings, result.case_id or "case")

    @app.post("/v1/claims", summary="Build and render an interpretation-cost claim from plans, as `kotodoc claim`",
              responses={200: {"content": {"application/zip": {}}},
                         422: {"description": "An input is invalid: the report, located"}})
    async def claims(request: Request) -> Response:
        text = await _case_text(request, config.max_body, json_only=True)
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            raise ApiError(400, "bad-json", f"the body is not JSON (line {e.lineno}, column {e.colno})") from None
        async with service.slot():
            status, report, files = await _in_time(lambda: service.claim(body), config.render_timeout)
        if status == "invalid":
            return JSONResponse(report, status_code=422)
        if status == "failed":
            return JSONResponse({"code": "render-failed", "message": "the claim could not be made; see the report",
                                 **report}, status_code=500)
        for name in files:
            metrics.documents.labels(Path(name).suffix.lstrip(".")).inc()
        return _zip({**files, "report.json": _json_bytes(report)}, str(report.get("case_id") or "claim"))

    @app.get("/v1/skeleton", summary="A commented skeleton case file to fill in (YAML)",
             response_class=PlainTextResponse)
    async def skeleton(kind: Annotated[str, Query(max_length=40)],
                       lang: Annotated[str, Query(max_length=8)] = "fi") -> Response:
        from kotodoc.authoring import skeleton as make

        try:
            text = make(kind, lang)
        except UsageError as e:
            raise ApiError(400, "bad-request", str(e)) from None
        return Response(text, media_type="application/yaml; charset=utf-8")

    @app.get("/v1/kinds", summary="The kinds of case, and the languages")
    async def kinds() -> dict[str, list[str]]:
        from kotodoc.authoring import KINDS

        return {"kinds": list(KINDS), "languages": ["fi", "sv", "en"]}

    # -- operations ------------------------------------------------------------------------------

    @app.get("/healthz", summary="The process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="Ready to render: the LibreOffice lanes are warm")
    async def readyz() -> JSONResponse:
        ready, total = service.lanes_ready(), service.lane_count
        body = {"status": "ready" if service.ready() else "starting", "lanes_ready": ready, "lanes": total}
        return JSONResponse(body, status_code=200 if service.ready() else 503)

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def prometheus() -> Response:
        return Response(metrics.text(), media_type=CONTENT_TYPE)

    if find_spec(PAGE) is not None:  # the officials' page, when installed: it mounts `/` and its files
        import_module(PAGE).add_page(app)
    return app


async def _in_time(call: Callable[[], T], seconds: float) -> T:
    """`call()` in a worker thread, answered 504 when it takes longer than `seconds`.

    The thread is left to end on its own (a thread cannot be stopped): its LibreOffice conversion
    is bounded by the same time limit in the lanes, and its temporary directory goes when it ends.

    Raises:
        ApiError: 504, the time limit passed.
    """
    try:
        with anyio.fail_after(seconds):
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    except TimeoutError:
        raise ApiError(504, "timeout", f"the render took longer than the limit of {seconds:g} s") from None


def _authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Constant time: the comparison takes as long whatever the given token shares with the real one.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _logged_path(request: Request) -> str:
    """The path, with only the query parameters whose values come from closed lists (never a case's data)."""
    kept = [f"{k}={v}" for k, v in request.query_params.multi_items()
            if k in LOGGED_QUERY and len(v) <= 8 and v.replace("+", "").replace(",", "").isalpha()]
    return request.url.path + ("?" + "&".join(kept) if kept else "")


async def _case_text(request: Request, limit: int, *, json_only: bool = False) -> str:
    """The request body as text, within `limit` bytes.

    Raises:
        ApiError: 413 too large, 415 a media type that is not a case, 400 not UTF-8 text.
    """
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    allowed = {"application/json"} if json_only else CASE_TYPES
    if media and media not in allowed:
        raise ApiError(415, "unsupported-media-type",
                       f"send the case as {' or '.join(sorted(allowed))} (Content-Type), not {media[:60]}")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too-large", f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too-large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ApiError(400, "not-text", "the body is not UTF-8 text") from None
    if "\x00" in text:
        raise ApiError(400, "not-text", "the body holds NUL characters: it is not a text file")
    if not text.strip():
        raise ApiError(400, "empty", "the body is empty: send a case")
    return text


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _findings_header(findings: Mapping[str, Any]) -> str:
    """The findings as base64url of compact UTF-8 JSON (a header is Latin-1; messages are not)."""
    compact = json.dumps(findings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    encoded = base64.urlsafe_b64encode(compact).decode("ascii")
    if len(encoded) <= HEADER_LIMIT:
        return encoded
    counts = {"status": findings.get("status"), "errors": len(findings.get("errors", [])),
              "warnings": len(findings.get("warnings", [])), "truncated": True}
    return base64.urlsafe_b64encode(json.dumps(counts).encode("utf-8")).decode("ascii")


def _documents(documents: Mapping[str, bytes], findings: Mapping[str, Any], stem: str) -> Response:
    """One document as itself, several as a ZIP with findings.json; the findings in a header either way."""
    header = {FINDINGS_HEADER: _findings_header(findings)}
    if len(documents) == 1:
        [(name, payload)] = documents.items()
        return Response(payload, media_type=MEDIA.get(Path(name).suffix, "application/octet-stream"),
                        headers={**header, "Content-Disposition": f'attachment; filename="{name}"'})
    response = _zip({**documents, "findings.json": _json_bytes(findings)}, stem)
    response.headers.update(header)
    return response


def _zip(files: Mapping[str, bytes], stem: str) -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in files.items():
            # A fixed time stamp: the same documents give the same ZIP.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".pdf") else zipfile.ZIP_DEFLATED
            archive.writestr(info, payload)
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.zip"'})


def serve(config: ServeConfig) -> None:
    """Run the service until it is stopped (SIGINT or SIGTERM): `kotodoc serve`.

    Raises:
        UsageError: see `check_config`; a missing template directory or profile; LibreOffice missing.
    """
    import uvicorn

    check_config(config)
    app = create_app(config)
    access = logging.getLogger("kotodoc.serve.access")
    if not access.handlers:  # one line per request on stderr: method, path, status, duration (see `_app`)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    # access_log=False: uvicorn's access log prints the query string; ours (`_app.AccessLog`) does not.
    # server_header=False: no software version for a scanner to read.
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, server_header=False,
                log_level=os.environ.get("KOTODOC_LOG_LEVEL", "info").lower(), timeout_graceful_shutdown=30)
