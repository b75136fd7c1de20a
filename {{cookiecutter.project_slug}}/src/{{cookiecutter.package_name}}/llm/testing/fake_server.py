"""A local OpenAI-protocol server with deterministic answers, streaming and scripted failures.

Use it for development and tests without a provider account or a GPU: point the client at it
(``MY_AI_SERVICE_LLM__BASE_URL=http://127.0.0.1:<port>/v1``) or start it in-process::

    with FakeOpenAIServer() as server:
        client = LLMClient(LLMSettings(model="fake-echo", base_url=server.base_url))

Requests travel as real HTTP through the OpenAI SDK, so the wire path (serialisation, tool calls,
streaming, usage, errors, retries) is exercised. Routes: ``POST /v1/chat/completions`` (answers
follow the rules of :mod:`.fake_replies`; ``stream: true`` answers server-sent events),
``POST /v1/embeddings`` and ``GET /v1/models``.

:meth:`FakeOpenAIServer.script` queues :class:`Scripted` steps that the next chat requests take in
order: an HTTP error (``429`` with ``Retry-After``, ``500``...), a delay (to trigger timeouts) or
a fixed answer (text or tool calls). When the queue is empty the rules answer.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from .fake_replies import JSON, completion, embeddings, fill_schema, reply, stream_chunks, tool_call

__all__ = ["FakeOpenAIServer", "Scripted", "fill_schema", "reply", "tool_call"]


@dataclass(frozen=True)
class Scripted:
    """One scripted answer to the next chat request.

    Args:
        status: an HTTP error status to answer with (``None``: answer normally).
        retry_after: seconds sent as ``Retry-After`` with the error.
        code: the error's ``code`` (e.g. ``context_length_exceeded``), with ``status``.
        delay: seconds to wait before answering (longer than the client timeout: a timeout).
        content: a fixed text answer.
        tool_calls: fixed ``(name, arguments)`` tool calls to answer with.
    """

    status: int | None = None
    retry_after: float | None = None
    code: str | None = None
    delay: float = 0.0
    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def message(self) -> JSON | None:
        """The assistant message of this step, or ``None`` to use the rules."""
        if self.tool_calls:
            calls = [tool_call(n, a, f"call_s{i}") for i, (n, a) in enumerate(self.tool_calls)]
            return {"role": "assistant", "content": None, "tool_calls": calls}
        if self.content is not None:
            return {"role": "assistant", "content": self.content}
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # until the client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.server.model, "object": "model", "owned_by": "fake"}
            self._send(HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}")

    def do_POST(self) -> None:
        route = self.path.rstrip("/")
        length = int(self.headers.get("Content-Length", "0"))
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}")
            return
        if route.endswith("/embeddings"):
            self._send(HTTPStatus.OK, embeddings(request))
        elif route.endswith("/chat/completions"):
            self.server.requests.append(request)
            self._chat(request)
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}")

    def _chat(self, request: JSON) -> None:
        step = self.server.next_step()
        if step.delay:
            time.sleep(step.delay)
        if step.status is not None:
            headers = {} if step.retry_after is None else {"Retry-After": f"{step.retry_after:g}"}
            kind = "rate_limit_error" if step.status == HTTPStatus.TOO_MANY_REQUESTS else "error"
            self._error(
                HTTPStatus(step.status), f"scripted {step.status}", kind, headers, step.code
            )
            return
        message = step.message() or reply(request)
        if request.get("stream"):
            self._stream(stream_chunks(request, self.server.model, message))
        else:
            self._send(HTTPStatus.OK, completion(request, self.server.model, message))

    def _stream(self, chunks: list[JSON]) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True

    def _error(
        self,
        status: HTTPStatus,
        message: str,
        kind: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        said: JSON = {"message": message, "type": kind}
        if code is not None:
            said["code"] = code
        self._send(status, {"error": said}, headers)

    def _send(self, status: HTTPStatus, body: JSON, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test and demo output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: str) -> None:
        super().__init__(address, _Handler)
        self.model = model
        self.requests: list[JSON] = []
        self.steps: deque[Scripted] = deque()
        self.lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout test) is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def next_step(self) -> Scripted:
        with self.lock:
            return self.steps.popleft() if self.steps else Scripted()


class FakeOpenAIServer:
    """Serve the fake OpenAI protocol on ``host`` (port 0 picks a free one) in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, model: str = "fake-echo") -> None:
        self._address = (host, port)
        self._model = model
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI ``base_url`` of the running server, ending in ``/v1``."""
        host, port = self._running().server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[JSON]:
        """Every chat-completions request body received, in order."""
        return self._running().requests

    def script(self, *steps: Scripted) -> Self:
        """Queue ``steps`` for the next chat requests (one step per request, in order)."""
        server = self._running()
        with server.lock:
            server.steps.extend(steps)
        return self

    def start(self) -> Self:
        """Bind the socket and serve in the background; returns ``self``."""
        if self._server is None:
            self._server = _Server(self._address, self._model)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
                name="fake-openai",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the fake server is not running: call start() first")
        return self._server

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
