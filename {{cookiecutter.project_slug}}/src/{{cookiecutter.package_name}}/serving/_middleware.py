"""Plain ASGI middleware added to the BentoML app (no web framework imported).

* :class:`BodySizeLimitMiddleware` answers 413 when a request body exceeds the configured size,
  whether or not the client declared a ``Content-Length``, and 408 when the body does not arrive
  within ``body_timeout_s`` (e.g. a ``Content-Length`` longer than the body sent).
* :class:`DirectEndpoints` answers a few (method, path) pairs with their own ASGI app before
  BentoML's router, IO descriptors and per-request context see them (hot paths).
* :class:`ValidationStatusMiddleware` turns BentoML's 400 answer to a request that failed
  pydantic validation into 422 (the status HTTP clients and FastAPI users expect), keeping the
  body, which lists each offending field under ``detail``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HTTP_400_BAD_REQUEST = 400
HTTP_408_REQUEST_TIMEOUT = 408
HTTP_413_CONTENT_TOO_LARGE = 413
HTTP_422_UNPROCESSABLE_CONTENT = 422


async def send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    """Send a complete JSON response through a raw ASGI ``send``."""
    await send_bytes(send, status, json.dumps(payload).encode("utf-8"), "application/json")


async def send_bytes(send: Send, status: int, body: bytes, content_type: str) -> None:
    """Send a complete response of ``content_type`` through a raw ASGI ``send``."""
    headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimitMiddleware:
    """Reject request bodies larger than ``max_body_bytes`` with 413 before the API sees them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout_s: float = 3.0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body up to the limit, then replay it to the wrapped app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._reject(send)
            return
        try:
            body = await asyncio.wait_for(self._read_body(receive), self.body_timeout_s)
        except TimeoutError:
            # A Content-Length longer than the body sent, or a client that stalls: answer now
            # instead of holding a worker slot until the request timeout.
            message = f"the request body did not arrive within {self.body_timeout_s:g} s"
            await send_json(send, HTTP_408_REQUEST_TIMEOUT, {"error": message})
            return
        if body is None:
            await self._reject(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` as soon as it grows past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _reject(self, send: Send) -> None:
        await send_json(
            send,
            HTTP_413_CONTENT_TOO_LARGE,
            {"error": f"request body is larger than {self.max_body_bytes} bytes"},
        )


class DirectEndpoints:
    """Send requests of the listed (method, path) pairs to their own app; others pass on."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[tuple[str, str], ASGIApp]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch on method and exact path."""
        if scope["type"] == "http":
            endpoint = self.endpoints.get((scope.get("method", ""), scope.get("path", "")))
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body (already size-checked by :class:`BodySizeLimitMiddleware`)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _is_validation_error(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and isinstance(payload.get("detail"), list)


class ValidationStatusMiddleware:
    """Answer 422 instead of 400 when BentoML reports pydantic validation errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold back 400 responses until their body shows whether they are validation errors."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held_start: Message | None = None
        held_body: list[bytes] = []

        async def send_wrapper(message: Message) -> None:
            nonlocal held_start
            if message["type"] == "http.response.start" and message["status"] == (
                HTTP_400_BAD_REQUEST
            ):
                held_start = message
                return
            if held_start is None or message["type"] != "http.response.body":
                await send(message)
                return
            held_body.append(bytes(message.get("body", b"")))
            if message.get("more_body", False):
                return
            body = b"".join(held_body)
            if _is_validation_error(body):
                held_start = {**held_start, "status": HTTP_422_UNPROCESSABLE_CONTENT}
            await send(held_start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, send_wrapper)


class JsonErrors:
    """A ``send`` that turns an error answer that is not JSON into one that is.

    Starlette's own 404/405 answers are plain text; every 4xx/5xx of the service carries a JSON
    body ``{"error": <reason>, "request_id": ...}`` instead (streams and JSON pass unchanged).
    """

    def __init__(self, send: Send, request_id: str) -> None:
        self.send = send
        self.request_id = request_id
        self.held: Message | None = None

    async def __call__(self, message: Message) -> None:
        """Pass ``message`` on, or hold and replace a non-JSON error body."""
        if message["type"] == "http.response.start" and _needs_json(message):
            self.held = message
            return
        if self.held is None or message["type"] != "http.response.body":
            await self.send(message)
            return
        if message.get("more_body", False):
            return
        status = int(self.held["status"])
        payload = {"error": _reason(status), "request_id": self.request_id}
        body = json.dumps(payload).encode("utf-8")
        headers = [
            (name, value)
            for name, value in self.held.get("headers", [])
            if name.lower() not in {b"content-type", b"content-length"}
        ]
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await self.send({**self.held, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


def _needs_json(start: Message) -> bool:
    if int(start["status"]) < HTTP_400_BAD_REQUEST:
        return False
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return not (media.endswith(b"json") or media == b"text/event-stream")
    return True


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
