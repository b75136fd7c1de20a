"""``/playground``: a page to try the service in a browser, and ``/traces``: what a request did.

The page is static HTML, CSS and JavaScript shipped in ``serving/playground/`` (no CDN, no external
font; its Content-Security-Policy lets it talk to this origin only). It has one tab per pillar
present: ``serving/playground/tabs/<pillar>.js`` exists only when that pillar is part of the
project (the template's manifest lists each as a serving integration), and the page loads the
tabs it finds. It asks for an API key and keeps it in the tab's memory only: the HTML and its
assets are public (``public_paths`` lists ``/playground``), every API call it makes needs the key.

``GET /traces`` (protected like any API) reads the in-process span store
(:mod:`...monitoring.spans`): ``?request_id=<x-request-id>`` or ``?run_id=<agent run>`` -> the
spans of those traces; no parameter -> a summary of the newest traces.

Off unless ``ENVIRONMENT=dev`` or ``SERVING__PLAYGROUND_ENABLED=true`` (both paths answer 404
then); ``SERVING__PLAYGROUND_TRACE_SPANS`` bounds the span store.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ...core.pillars import PILLAR_NAMES
from ...core.settings import Environment, get_settings
from ...monitoring.spans import span_store
from .._adapters import Contribution
from ..settings import ServingSettings

ASSETS = Path(__file__).resolve().parent.parent / "playground"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}
# The page may load and call this origin only (no inline script, no other host).
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
NOT_FOUND = {"error": "not found"}


class PlaygroundSettings(BaseModel):
    """``<PREFIX>_SERVING__PLAYGROUND_<FIELD>`` in the serving section."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None,
        description="Serve /playground and /traces; unset: only when ENVIRONMENT=dev.",
    )
    trace_spans: int = Field(
        default=5000, ge=100, le=1_000_000, description="Most spans the trace view keeps in memory."
    )


def settings() -> PlaygroundSettings:
    """The playground section of the settings in force."""
    return (
        get_settings().section("serving", ServingSettings).route("playground", PlaygroundSettings)
    )


def enabled() -> bool:
    """Whether the playground is on for the settings in force."""
    chosen = settings().enabled
    return get_settings().environment is Environment.DEV if chosen is None else chosen


def trace_spans() -> int:
    """How many spans the service keeps for the trace view: 0 when the playground is off."""
    return settings().trace_spans if enabled() else 0


def tabs() -> list[str]:
    """The pillars with a tab file, in pillar order."""
    present = {path.stem for path in (ASSETS / "tabs").glob("*.js")}
    return [pillar for pillar in PILLAR_NAMES if pillar in present]


def page() -> str:
    """The HTML page with a script tag per tab."""
    scripts = "\n".join(
        f'  <script src="/playground/tabs/{name}.js" defer></script>' for name in tabs()
    )
    html = (ASSETS / "index.html").read_text(encoding="utf-8")
    return html.replace("<!-- tabs -->", scripts).replace("__TABS__", " ".join(tabs()))


async def index(request: Request) -> Response:
    """The page (404 when the playground is off)."""
    if not enabled():
        return JSONResponse(NOT_FOUND, status_code=404)
    return HTMLResponse(
        page(), headers={"content-security-policy": PAGE_CSP, "cache-control": "no-cache"}
    )


async def asset(request: Request) -> Response:
    """One shipped CSS or JavaScript file; anything else is 404."""
    relative = str(request.path_params["path"])
    target = (ASSETS / relative).resolve()
    media = MEDIA_TYPES.get(target.suffix)
    if not enabled() or media is None or ASSETS not in target.parents or not target.is_file():
        return JSONResponse(NOT_FOUND, status_code=404)
    return FileResponse(target, media_type=media, headers={"cache-control": "no-cache"})


async def traces(request: Request) -> Response:
    """Spans of one request or agent run, or the newest traces (see the module docstring)."""
    store = span_store()
    if not enabled() or store is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    request_id = request.query_params.get("request_id")
    run_id = request.query_params.get("run_id")
    if request_id or run_id:
        spans = store.find(request_id=request_id, run_id=run_id)
        return JSONResponse({"request_id": request_id, "run_id": run_id, "spans": spans})
    return JSONResponse({"traces": store.recent()})


def contribute() -> Contribution:
    """The playground and trace routes (see :mod:`.._adapters`); they answer 404 when off."""
    page_app = Starlette(
        routes=[Route("/", index, methods=["GET"]), Route("/{path:path}", asset, methods=["GET"])]
    )
    trace_app = Starlette(routes=[Route("/", traces, methods=["GET"])])
    return Contribution(
        pillar="playground",
        mounts=[("/playground", page_app), ("/traces", trace_app)],
        routes=["/playground", "/traces"],
    )
