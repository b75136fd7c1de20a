"""A local OpenAI-protocol chat-completions server with deterministic answers.

Use it for development and tests without a provider account or a GPU: point the client at it
(``MY_AI_SERVICE_LLM__BASE_URL=http://127.0.0.1:<port>/v1``) or start it in-process::

    with FakeOpenAIServer() as server:
        client = LLMClient(LLMSettings(model="fake-echo", base_url=server.base_url))

Requests travel as real HTTP through the OpenAI SDK, so the wire path (serialisation, tool calls,
usage, errors) is exercised. Answers follow fixed rules, in this order:

1. an output tool is offered (pydantic-ai's ``final_result*`` tools for structured output): call it
   with arguments built from its JSON schema (see :func:`fill_schema`);
2. a ``json_schema`` response format is requested: answer JSON built from that schema;
3. the last message is a tool result: answer ``Tool results: ...`` with the results;
4. otherwise: echo the last user message as ``echo: <text>``.

Token counts are whitespace-separated words. Streaming (``stream: true``) is not supported.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

JSON = dict[str, Any]

OUTPUT_TOOL_PREFIX = "final_result"
MAX_STRING = 200


def _text(content: Any) -> str:
    """The text of a message ``content`` (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _last(messages: list[JSON], role: str) -> str:
    for message in reversed(messages):
        if message.get("role") == role:
            return _text(message.get("content"))
    return ""


def fill_schema(schema: JSON, text: str, defs: JSON | None = None) -> Any:  # noqa: PLR0911
    """Build a value that validates against ``schema``, deterministically, from ``text``.

    Strings get ``text`` (cut to 200 characters), enums the first option named in ``text`` (else
    the first option), integers the word count of ``text``, numbers 1.0, booleans ``True``, arrays
    one item, objects every property.
    """
    defs = {**(defs or {}), **schema.get("$defs", {})}
    if "$ref" in schema:
        return fill_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], text, defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        named = [option for option in schema["enum"] if str(option).lower() in text.lower()]
        return (named or schema["enum"])[0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fill_schema(options[0], text, defs)
    kind = schema.get("type", "object")
    if kind == "object":
        properties: JSON = schema.get("properties", {})
        return {name: fill_schema(sub, text, defs) for name, sub in properties.items()}
    if kind == "array":
        return [fill_schema(schema.get("items", {}), text, defs)]
    simple: JSON = {
        "string": text[:MAX_STRING],
        "integer": len(text.split()),
        "number": 1.0,
        "boolean": True,
        "null": None,
    }
    return simple.get(kind, text[:MAX_STRING])


def _output_tool(tools: list[JSON]) -> JSON | None:
    for tool in tools:
        function: JSON = tool.get("function", {})
        if str(function.get("name", "")).startswith(OUTPUT_TOOL_PREFIX):
            return function
    return None


def reply(request: JSON) -> JSON:
    """The assistant message answering a chat-completions ``request`` (rules: module doc)."""
    messages: list[JSON] = request.get("messages", [])
    prompt = _last(messages, "user")
    tool = _output_tool(request.get("tools") or [])
    if tool is not None:
        arguments = fill_schema(tool.get("parameters", {}), prompt)
        call = {"name": tool["name"], "arguments": json.dumps(arguments)}
        call_id = f"call_{len(messages)}"
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": call}],
        }
    response_format: JSON = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema", {})
        return {"role": "assistant", "content": json.dumps(fill_schema(schema, prompt))}
    if messages and messages[-1].get("role") == "tool":
        results = [_text(m.get("content")) for m in messages if m.get("role") == "tool"]
        return {"role": "assistant", "content": "Tool results: " + "; ".join(results)}
    return {"role": "assistant", "content": f"echo: {prompt}"}


def completion(request: JSON, model: str) -> JSON:
    """A full chat-completions response body for ``request``, usage included."""
    message = reply(request)
    prompt_tokens = sum(len(_text(m.get("content")).split()) for m in request.get("messages", []))
    calls = message.get("tool_calls", [])
    answer = message["content"] or " ".join(c["function"]["arguments"] for c in calls)
    completion_tokens = len(answer.split())
    return {
        "id": f"chatcmpl-fake-{prompt_tokens}-{completion_tokens}",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", model),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.server.model, "object": "model", "owned_by": "fake"}
            self._send(HTTPStatus.OK, {"object": "list", "data": [model]})
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}")

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(HTTPStatus.NOT_FOUND, f"no route {self.path}")
            return
        length = int(self.headers.get("Content-Length", "0"))
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}")
            return
        self.server.requests.append(request)
        if request.get("stream"):
            self._error(HTTPStatus.BAD_REQUEST, "the fake server does not stream")
            return
        self._send(HTTPStatus.OK, completion(request, self.server.model))

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def _send(self, status: HTTPStatus, body: JSON) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
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


class FakeOpenAIServer:
    """Serve :func:`reply` over HTTP on ``host`` (port 0 picks a free one) in a daemon thread."""

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

    def start(self) -> Self:
        """Bind the socket and serve in the background; returns ``self``."""
        if self._server is None:
            self._server = _Server(self._address, self._model)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="fake-openai", daemon=True
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
