"""The page for officials at `/`: open or paste a case, see its findings by line, preview, download, print.

Plain HTML, two scripts (its words in three languages, its behaviour) and a style sheet from
`static/`, served by the app itself: the page works with no internet access and loads nothing from
anywhere else. The page talks to this service's `/v1/` endpoints only, keeps nothing in the
browser's storage, and runs under a strict Content-Security-Policy that forbids inline scripts and
styles, other origins and being framed.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(str(files("kotodoc.serve") / "static"))
STATIC_PREFIX = "/static"

# What the page needs and nothing more: its own script, style and icon; fetches to this service;
# the PDF preview, a blob: URL made by the page, in a frame. No inline script or style, no other
# origin, no plugins, no <base>, no form posting anywhere, and no framing of the page by others.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# no-cache: the browser asks again each time (an ETag makes that cheap), so that after an upgrade
# the page never runs an old script against a new service.
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def add_page(app: Starlette) -> None:
    """Serve the page at `/` and its files under `/static/` on a Starlette or FastAPI `app`.

    Args:
        app: the service's application; the page's routes are left out of its OpenAPI description.
    """
    page = (STATIC / "index.html").read_bytes()
    names = kind_names()

    async def index(request: Request) -> Response:
        """The page itself: the same for everyone, its language chosen in the browser."""
        return Response(page, media_type="text/html; charset=utf-8", headers=HEADERS)

    async def kinds(request: Request) -> Response:
        """The kinds' names in fi, sv and en, for the page's choice of an empty case."""
        return JSONResponse(names, headers=HEADERS)

    app.add_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(f"{STATIC_PREFIX}/kinds.json", kinds, methods=["GET"], include_in_schema=False)
    app.mount(STATIC_PREFIX, _Headers(StaticFiles(directory=STATIC)), name="page-static")


def kind_names() -> dict[str, dict[str, str]]:
    """Each kind of case by its name in fi, sv and en, from the term catalogue (their one home)."""
    from kotodoc._data import terms
    from kotodoc.authoring import KINDS

    catalogue = terms()["terms"]
    return {kind: {lang: catalogue[kind][lang] for lang in ("fi", "sv", "en")} for kind in KINDS if kind in catalogue}


class _Headers:
    """The page's headers on its static files too (a script or style opened on its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())]
            await send(message)

        await self.app(scope, receive, send_with_headers)
