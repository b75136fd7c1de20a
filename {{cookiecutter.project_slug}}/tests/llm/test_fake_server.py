from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, LLMClient, LLMSettings
from {{ cookiecutter.package_name }}.llm.fake_server import fill_schema, reply


class Ticket(BaseModel):
    priority: Literal["low", "high"]
    title: str
    tags: list[str]


def _client(server: FakeOpenAIServer, **fields: Any) -> LLMClient:
    return LLMClient(LLMSettings(model="fake-echo", base_url=server.base_url, **fields))


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_text_answer_travels_over_http(fake_server: FakeOpenAIServer) -> None:
    result = _client(fake_server).complete("hello there", instructions="Be kind.")
    assert result.output == "echo: hello there"
    assert result.usage.requests == 1
    assert result.usage.input_tokens == 4  # "Be kind." + "hello there"
    assert result.usage.output_tokens == 3
    sent = fake_server.requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": "Be kind."}
    assert sent["temperature"] == 0.0


def test_structured_answer_uses_the_output_tool(fake_server: FakeOpenAIServer) -> None:
    result = _client(fake_server).structured("a high priority crash on login", Ticket)
    assert result.output == Ticket(
        priority="high",
        title="a high priority crash on login",
        tags=["a high priority crash on login"],
    )
    assert fake_server.requests[-1]["tools"][0]["function"]["name"].startswith("final_result")


def test_settings_limits_are_sent(fake_server: FakeOpenAIServer) -> None:
    _client(fake_server, max_tokens=16, temperature=0.5).complete("hi")
    sent = fake_server.requests[-1]
    assert sent["temperature"] == 0.5
    assert 16 in (sent.get("max_tokens"), sent.get("max_completion_tokens"))


def test_unknown_route_and_streaming_are_rejected(fake_server: FakeOpenAIServer) -> None:
    root = fake_server.base_url
    assert _post(f"{root}/embeddings", {})[0] == 404
    status, body = _post(f"{root}/chat/completions", {"messages": [], "stream": True})
    assert status == 400
    assert "stream" in body["error"]["message"]


def test_models_route_lists_the_fake_model(fake_server: FakeOpenAIServer) -> None:
    with urllib.request.urlopen(f"{fake_server.base_url}/models", timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["data"][0]["id"] == "fake-echo"


def test_stopped_server_has_no_url() -> None:
    server = FakeOpenAIServer().start()
    assert server.base_url.startswith("http://127.0.0.1:")
    server.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def test_tool_results_are_summarised() -> None:
    messages = [
        {"role": "user", "content": "add"},
        {"role": "assistant", "tool_calls": []},
        {"role": "tool", "content": "4"},
    ]
    assert reply({"messages": messages})["content"] == "Tool results: 4"


def test_json_schema_response_format_is_honoured() -> None:
    schema = Ticket.model_json_schema()
    request = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "low"}]}],
        "response_format": {"type": "json_schema", "json_schema": {"schema": schema}},
    }
    assert Ticket.model_validate_json(reply(request)["content"]).priority == "low"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, 3),
        ({"type": "number"}, 1.0),
        ({"type": "boolean"}, True),
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
