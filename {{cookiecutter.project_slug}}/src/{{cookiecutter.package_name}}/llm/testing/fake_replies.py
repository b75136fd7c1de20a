"""The deterministic answers of :class:`~.fake_server.FakeOpenAIServer`, as plain functions.

Rules, in this order:

1. the last user message contains ``call:<tool> {json args}`` and a function tool of that name is
   offered, and no tool result came back yet: call it with those arguments;
2. an output tool is offered (pydantic-ai's ``final_result*`` tools for structured output): call it
   with arguments built from its JSON schema (see :func:`fill_schema`);
3. a ``json_schema`` response format is requested: answer JSON built from that schema;
4. the last message is a tool result: answer ``Tool results: ...`` with the results;
5. otherwise: echo the last user message as ``echo: <text>``.

Token counts are whitespace-separated words.
"""

from __future__ import annotations

import json
import re
from typing import Any

JSON = dict[str, Any]

OUTPUT_TOOL_PREFIX = "final_result"
MAX_STRING = 200
TOOL_DIRECTIVE = re.compile(r"call:(?P<name>[A-Za-z_][\w-]*)\s*")


def text_of(content: Any) -> str:
    """The text of a message ``content`` (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _last(messages: list[JSON], role: str) -> str:
    for message in reversed(messages):
        if message.get("role") == role:
            return text_of(message.get("content"))
    return ""


def fill_schema(schema: JSON, text: str, defs: JSON | None = None) -> Any:  # noqa: PLR0911
    """Build a value that validates against ``schema``, deterministically, from ``text``.

    Defaults win; then strings get ``text`` (cut to 200 characters), enums the first option named
    in ``text`` (else the first option), integers the word count of ``text``, numbers 1.0,
    booleans ``True``, arrays one item, objects every property.
    """
    defs = {**(defs or {}), **schema.get("$defs", {})}
    if "$ref" in schema:
        return fill_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], text, defs)
    if "default" in schema:
        return schema["default"]
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


def _functions(tools: list[JSON]) -> dict[str, JSON]:
    functions = (tool.get("function", {}) for tool in tools)
    return {str(f.get("name", "")): f for f in functions}


def tool_call(name: str, arguments: Any, call_id: str) -> JSON:
    """One OpenAI ``tool_calls`` item."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def _directive(prompt: str, functions: dict[str, JSON]) -> tuple[str, str] | None:
    decoder = json.JSONDecoder()
    for match in TOOL_DIRECTIVE.finditer(prompt):
        if match["name"] not in functions:
            continue
        try:
            arguments, _ = decoder.raw_decode(prompt, match.end())
        except json.JSONDecodeError:
            arguments = {}
        return match["name"], json.dumps(arguments)
    return None


def reply(request: JSON) -> JSON:
    """The assistant message answering a chat-completions ``request`` (rules: module doc)."""
    messages: list[JSON] = request.get("messages", [])
    prompt = _last(messages, "user")
    functions = _functions(request.get("tools") or [])
    after_tool = bool(messages) and messages[-1].get("role") == "tool"
    call_id = f"call_{len(messages)}"
    directive = None if after_tool else _directive(prompt, functions)
    if directive is not None:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call(*directive, call_id)],
        }
    output = next((f for n, f in functions.items() if n.startswith(OUTPUT_TOOL_PREFIX)), None)
    if output is not None:
        arguments = fill_schema(output.get("parameters", {}), prompt)
        call = tool_call(output["name"], arguments, call_id)
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    response_format: JSON = request.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema", {})
        return {"role": "assistant", "content": json.dumps(fill_schema(schema, prompt))}
    if after_tool:
        results = [text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
        return {"role": "assistant", "content": "Tool results: " + "; ".join(results)}
    return {"role": "assistant", "content": f"echo: {prompt}"}


def usage_of(request: JSON, message: JSON) -> JSON:
    """Word-count usage of answering ``request`` with ``message``."""
    prompt_tokens = sum(len(text_of(m.get("content")).split()) for m in request.get("messages", []))
    calls = message.get("tool_calls") or []
    answer = message.get("content") or " ".join(c["function"]["arguments"] for c in calls)
    completion_tokens = len(answer.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(request: JSON, model: str, message: JSON | None = None) -> JSON:
    """A full chat-completions response body for ``request`` (``message`` or :func:`reply`)."""
    message = message or reply(request)
    usage = usage_of(request, message)
    calls = message.get("tool_calls")
    return {
        "id": f"chatcmpl-fake-{usage['prompt_tokens']}-{usage['completion_tokens']}",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", model),
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
        ],
        "usage": usage,
    }


def stream_chunks(request: JSON, model: str, message: JSON | None = None) -> list[JSON]:
    """The ``chat.completion.chunk`` events streaming the same answer as :func:`completion`."""
    message = message or reply(request)
    base = {"id": "chatcmpl-fake-stream", "object": "chat.completion.chunk", "created": 0}
    base["model"] = request.get("model", model)

    def chunk(delta: JSON, finish: str | None = None) -> JSON:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    calls = message.get("tool_calls") or []
    for index, call in enumerate(calls):
        chunks.append(chunk({"tool_calls": [{"index": index, **call}]}))
    words = (message.get("content") or "").split(" ")
    chunks.extend(chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words) if w)
    chunks.append(chunk({}, "tool_calls" if calls else "stop"))
    if (request.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": usage_of(request, message)})
    return chunks


def embeddings(request: JSON, dim: int = 16) -> JSON:
    """A deterministic ``/embeddings`` response: letter counts folded into ``dim`` numbers."""
    inputs = request.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    data = []
    for index, text in enumerate(texts):
        vector = [0.0] * dim
        for char in str(text).lower():
            if char.isalnum():
                vector[ord(char) % dim] += 1.0
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(len(str(t).split()) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": request.get("model", "fake"), "usage": usage}
