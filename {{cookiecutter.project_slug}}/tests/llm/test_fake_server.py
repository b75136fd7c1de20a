from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.llm.testing.fake_replies import completion, embeddings, stream_chunks
from {{ cookiecutter.package_name }}.llm.testing.fake_server import FakeOpenAIServer, Scripted, fill_schema, reply


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_scripted_errors_then_rules(fake_server: FakeOpenAIServer) -> None:
    url = f"{fake_server.base_url}/chat/completions"
    fake_server.script(Scripted(status=429, retry_after=2), Scripted(content="fixed"))
    body = {"messages": [{"role": "user", "content": "hi"}]}
    status, error, headers = _post(url, body)
    assert (status, error["error"]["type"], headers["Retry-After"]) == (
        429,
        "rate_limit_error",
        "2",
    )
    assert _post(url, body)[1]["choices"][0]["message"]["content"] == "fixed"
    assert _post(url, body)[1]["choices"][0]["message"]["content"] == "echo: hi"


def test_unknown_route_is_404(fake_server: FakeOpenAIServer) -> None:
    assert _post(f"{fake_server.base_url}/nothing", {})[0] == 404


def test_models_route_lists_the_fake_model(fake_server: FakeOpenAIServer) -> None:
    with urllib.request.urlopen(f"{fake_server.base_url}/models", timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["data"][0]["id"] == "fake-echo"


def test_stopped_server_has_no_url() -> None:
    server = FakeOpenAIServer().start()
    assert server.base_url.startswith("http://127.0.0.1:")
    server.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_tool_directive_calls_an_offered_tool() -> None:
    tools = [{"type": "function", "function": {"name": "calculate", "parameters": {}}}]
    request = {
        "messages": [{"role": "user", "content": 'sum call:calculate {"expression": "1+1"} now'}],
        "tools": tools,
    }
    call = reply(request)["tool_calls"][0]["function"]
    assert (call["name"], json.loads(call["arguments"])) == ("calculate", {"expression": "1+1"})
    assert completion(request, "m")["choices"][0]["finish_reason"] == "tool_calls"


def test_directive_for_a_tool_not_offered_is_echoed() -> None:
    request = {"messages": [{"role": "user", "content": "call:missing {}"}]}
    assert reply(request)["content"] == "echo: call:missing {}"


def test_tool_results_are_summarised() -> None:
    messages = [
        {"role": "user", "content": "add"},
        {"role": "assistant", "tool_calls": []},
        {"role": "tool", "content": "4"},
    ]
    assert reply({"messages": messages})["content"] == "Tool results: 4"


def test_stream_chunks_carry_the_text_and_usage() -> None:
    request = {
        "messages": [{"role": "user", "content": "a b"}],
        "stream_options": {"include_usage": True},
    }
    chunks = stream_chunks(request, "m")
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "echo: a b"
    assert chunks[-1]["usage"]["completion_tokens"] == 3


def test_embeddings_are_deterministic() -> None:
    first = embeddings({"input": ["same text"]})["data"][0]["embedding"]
    assert first == embeddings({"input": "same text"})["data"][0]["embedding"]


def test_json_schema_response_format_is_honoured() -> None:
    schema = {"properties": {"level": {"enum": ["low", "high"]}}, "type": "object"}
    request = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "high"}]}],
        "response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
    }
    assert json.loads(reply(request)["content"]) == {"level": "high"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, 3),
        ({"type": "number"}, 1.0),
        ({"type": "boolean"}, True),
        ({"type": "boolean", "default": False}, False),
        ({"enum": ["a", "two"]}, "two"),
        ({"const": "x"}, "x"),
        ({"anyOf": [{"type": "null"}, {"type": "string"}]}, "one two three"),
        ({"type": "array", "items": {"type": "integer"}}, [3]),
        (
            {"$defs": {"N": {"type": "integer"}}, "properties": {"n": {"$ref": "#/$defs/N"}}},
            {"n": 3},
        ),
    ],
)
def test_fill_schema_is_deterministic(schema: dict[str, Any], expected: object) -> None:
    assert fill_schema(schema, "one two three") == expected
