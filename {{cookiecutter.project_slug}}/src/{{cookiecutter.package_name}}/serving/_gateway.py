"""The front door of every request: request id, auth, rate limit, timeout, headers, access log.

One plain ASGI middleware (no web framework) so that the order is explicit:

1. a request id (the client's ``x-request-id`` when it is sane, else a new one), bound to the log
   context and sent back;
2. API key check (401 without a key, 403 with an unknown one) unless the path is public or auth
   is off in ``dev``;
3. token bucket per key name (429 with ``Retry-After``);
4. JSON bodies only (415), and a time limit until the first response byte (504), per path;
5. security headers on every answer, and no stack trace ever: an unexpected error answers 500
   with the request id, and the traceback goes to the log;
6. an access-log line (``SERVING__ACCESS_LOG``: for every 4xx/5xx answer and every request slower
   than 1 s by default, or for every request, or none): method, path, status, duration, request
   id, key name (never the key). Every request is counted in the metrics either way.

Its state (key ring, limiter) is built from the settings in force and rebuilt when they change,
so tests that change settings get a fresh gateway.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.logging import get_logger
from ..core.settings import CoreSettings, Environment, get_settings
from ..monitoring.context import bind_request_id, clear_context
from ..monitoring.metrics import counter
from . import _telemetry as telemetry
from ._middleware import (
    ASGIApp,
    JsonErrors,
    Message,
    Receive,
    Scope,
    Send,
    send_bytes,
    send_json,
)
from ._ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from ._security import ANONYMOUS, QUERY_KEY_ERROR, KeyRing, is_public, key_in_query, presented_key
from .settings import ServingSettings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
# JSON answers never load anything: the strictest policy. (BentoML's HTML docs page needs more.)
JSON_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


# Request bodies the APIs take (add "multipart/form-data" for a file-upload API).
ACCEPTED_MEDIA_TYPES = frozenset({"application/json"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

_log = get_logger("serving.access")
SLOW_REQUEST_S = 1.0
HTTP_400_BAD_REQUEST = 400
# Routes of BentoML and of service.py; the pillars' routes are passed to the gateway.
CORE_ROUTES = ("/livez", "/readyz", "/healthz", "/metrics", "/info", "/v1/echo", "/docs", "/")


@dataclass
class GatewayState:
    """What the gateway needs from the settings in force."""

    core: CoreSettings
    serving: ServingSettings
    auth_required: bool
    keys: KeyRing
    limiter: RateLimiter | None
    series: telemetry.SeriesCap


def auth_required(core: CoreSettings, serving: ServingSettings) -> bool:
    """Auth is on unless it is switched off *and* the environment is ``dev``."""
    return serving.auth_enabled or core.environment is not Environment.DEV


def build_state(core: CoreSettings) -> GatewayState:
    """Key ring and rate limiter for ``core``'s serving section."""
    serving = core.section("serving", ServingSettings)
    limiter: RateLimiter | None = None
    if serving.rate_limit_per_minute > 0:
        if serving.rate_limit_backend == "redis":
            limiter = RedisRateLimiter(
                serving.redis_url.get_secret_value(),
                serving.rate_limit_per_minute,
                serving.rate_limit_burst,
            )
        else:
            limiter = MemoryRateLimiter(serving.rate_limit_per_minute, serving.rate_limit_burst)
    return GatewayState(
        core=core,
        serving=serving,
        auth_required=auth_required(core, serving),
        keys=KeyRing.from_settings(serving.api_keys),
        limiter=limiter,
        series=telemetry.SeriesCap(serving.metrics_max_series),
    )


def new_request_id() -> str:
    """32 random hex characters (no system call: request ids need not be unguessable)."""
    return f"{random.getrandbits(128):032x}"


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def _acceptable_body(scope: Scope) -> bool:
    """Bodies of POST/PUT/PATCH are JSON (or absent); a form or XML body gets 415."""
    if scope.get("method") not in BODY_METHODS:
        return True
    declared = _header(scope, b"content-type")
    if declared is None:
        return True
    media = declared.split(";", 1)[0].strip().lower()
    return media in ACCEPTED_MEDIA_TYPES or media.endswith("+json")


def _timeout_for(path: str, serving: ServingSettings) -> float:
    best = ""
    for prefix in serving.endpoint_timeouts_s:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return serving.endpoint_timeouts_s[best] if best else serving.request_timeout_s


def _with_headers(send: Send, request_id: str, state: GatewayState, info: dict[str, Any]) -> Send:
    """``send`` adding the request id and security headers, noting the status in ``info``."""
    extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
    if state.serving.hsts:
        extra.append(HSTS)

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            info["started"] = True
            info["status"] = message["status"]
            headers = list(message.get("headers", []))
            if any(v.startswith(b"application/json") for k, v in headers if k == b"content-type"):
                headers.append(JSON_CSP)
            message = {**message, "headers": headers + extra}
        await send(message)

    return send_with_headers


class GatewayMiddleware:
    """Request id, auth, rate limit, timeout, security headers and access log (see module)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Callable[[], CoreSettings] = get_settings,
        routes: Sequence[str] = (),
    ) -> None:
        self.app = app
        self._settings = settings
        self._state: GatewayState | None = None
        self.routes = telemetry.RouteLabels([*CORE_ROUTES, *routes])

    def state(self) -> GatewayState:
        """The state for the settings in force (rebuilt when they changed)."""
        core = self._settings()
        if self._state is None or self._state.core is not core:
            self._state = build_state(core)
        return self._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run one request through the checks, then the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state()
        clear_context()
        request_id = _header(scope, b"x-request-id") or ""
        request_id = bind_request_id(
            request_id if _REQUEST_ID.match(request_id) else new_request_id()
        )
        started = time.perf_counter()
        info: dict[str, Any] = {
            "status": 500,
            "key": ANONYMOUS,
            "started": False,
            "refused_key": False,
        }
        send_with_headers = _with_headers(send, request_id, state, info)
        route = self.routes.label(str(scope.get("path", "")))
        running = telemetry.in_progress(route)
        running.inc()
        try:
            await self._guarded(
                scope, receive, JsonErrors(send_with_headers, request_id), state, info
            )
        except Exception:
            _log.exception("unhandled error", path=scope.get("path"))
            if not info["started"]:
                await send_json(
                    send_with_headers,
                    500,
                    {"error": "internal server error", "request_id": request_id},
                )
        finally:
            running.dec()
            self._finish(scope, state, info, route, time.perf_counter() - started)

    def _finish(
        self,
        scope: Scope,
        state: GatewayState,
        info: dict[str, Any],
        route: str,
        duration_s: float,
    ) -> None:
        """Count the request (unless refused for its key) and write its access-log line.

        The line has the path without its query string (which never reaches the log).
        """
        if not info["refused_key"]:
            method = str(scope.get("method", ""))
            telemetry.record_request(state.series, route, method, info["status"], duration_s)
        mode = state.serving.access_log
        if mode == "off" or (
            mode == "errors"
            and info["status"] < HTTP_400_BAD_REQUEST
            and duration_s < SLOW_REQUEST_S
        ):
            return
        path = str(scope.get("path", ""))
        _log.info(
            "request",
            method=scope.get("method"),
            path=path,
            status=info["status"],
            duration_ms=round(duration_s * 1000, 2),
            key_name=info["key"],
            client=(scope.get("client") or ("", 0))[0],
        )

    async def _guarded(
        self, scope: Scope, receive: Receive, send: Send, state: GatewayState, info: dict[str, Any]
    ) -> None:
        path = str(scope.get("path", ""))
        if key_in_query(bytes(scope.get("query_string", b""))):
            info["refused_key"] = True
            telemetry.auth_failure("in_url")
            await send_json(send, 400, {"error": QUERY_KEY_ERROR})
            return
        if scope.get("method") != "OPTIONS" and not is_public(path, state.serving.public_paths):
            key_name = await self._authorize(scope, send, state)
            if key_name is None:
                info["refused_key"] = True
                return
            info["key"] = key_name
            # Routes that authorise by key (e.g. approving an agent's action) read it here.
            scope.setdefault("state", {})["api_key_name"] = key_name
            if not await self._admit(key_name, send, state):
                return
        if path == "/metrics" and scope.get("method") in {"GET", "HEAD"}:
            body, content_type = await asyncio.to_thread(telemetry.exposition)
            await send_bytes(send, 200, body, content_type)
            return
        if not _acceptable_body(scope):
            await send_json(send, 415, {"error": "send the body as application/json"})
            return
        await self._with_timeout(scope, receive, send, _timeout_for(path, state.serving))

    async def _authorize(self, scope: Scope, send: Send, state: GatewayState) -> str | None:
        if not state.auth_required:
            return ANONYMOUS
        presented = presented_key(scope.get("headers", []))
        if presented is None:
            telemetry.auth_failure("missing")
            await send_json(send, 401, {"error": "missing API key (Authorization: Bearer ...)"})
            return None
        name = state.keys.identify(presented)
        if name is None:
            telemetry.auth_failure("invalid")
            await send_json(send, 403, {"error": "invalid API key"})
        return name

    async def _admit(self, key_name: str, send: Send, state: GatewayState) -> bool:
        if state.limiter is None:
            return True
        decision = await state.limiter.hit(key_name)
        if decision.allowed:
            return True
        # No key name in public metrics: the access log has it.
        counter("serving_rate_limited_total", "Requests refused by the rate limit").inc()

        async def with_retry_after(message: Message) -> None:
            if message["type"] == "http.response.start":
                retry = (b"retry-after", decision.retry_after_header.encode())
                message = {**message, "headers": [*message.get("headers", []), retry]}
            await send(message)

        await send_json(with_retry_after, 429, {"error": "rate limit exceeded"})
        return False

    async def _with_timeout(
        self, scope: Scope, receive: Receive, send: Send, timeout_s: float
    ) -> None:
        """Run the app; answer 504 if it has not started answering within ``timeout_s``.

        Streaming answers (SSE) are limited only until their first byte. The app runs in this
        task under ``asyncio.timeout`` (no extra tasks per request: they cost throughput). An
        app that swallows the cancellation and answers anyway (BentoML's batching turns it into
        503 "process is overloaded") is not heard: the client gets the one 504.
        """
        started = False

        async def send_marking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if deadline.expired():
                    return
                started = True
                deadline.reschedule(None)
            elif not started:
                return
            await send(message)

        try:
            async with asyncio.timeout(timeout_s) as deadline:
                await self.app(scope, receive, send_marking)
        except Exception:  # the deadline's TimeoutError, or what the app made of the cancellation
            if started or not deadline.expired():
                raise
        if deadline.expired() and not started:
            await send_json(send, 504, {"error": f"no answer within {timeout_s:g} s"})
