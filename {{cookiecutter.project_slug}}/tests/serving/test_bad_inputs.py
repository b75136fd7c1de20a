"""A corpus of malformed requests: every one answers 4xx, never 5xx, never a stack trace.

Wrong types, missing and unknown fields, invalid JSON, wrong content types, oversized bodies and
unicode edge cases, against every route of the pillars present in this project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.pillars import installed_pillars
from {{ cookiecutter.package_name }}.serving.schemas import MAX_TEXT_CHARS
from {{ cookiecutter.package_name }}.serving.service import asgi_app

from .conftest import AUTH

JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Case:
    """One malformed request."""

    name: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    method: str = "POST"


def as_json(value: object) -> bytes:
    return json.dumps(value).encode()


# Bodies that are not (valid, UTF-8, single) JSON documents: the same for every JSON route.
RAW_BODIES: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"   ",
    "unclosed-object": b'{"text": "a"',
    "unclosed-string": b'{"text": "a}',
    "trailing-comma": b'{"text": "a",}',
    "single-quotes": b"{'text': 'a'}",
    "two-documents": b'{"text": "a"}{"text": "b"}',
    "bare-word": b"hello",
    "nan-literal": b'{"text": NaN}',
    "invalid-utf8": b'{"text": "\xc3\x28"}',
    "overlong-utf8": b'{"text": "\xc0\xaf"}',
    "latin1-bytes": b'{"text": "caf\xe9"}',
    "utf16-body": '{"text": "a"}'.encode("utf-16"),
    "null-byte-outside-string": b'{"text": "a"}\x00',
    "deep-nesting": b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "json-array": b"[]",
    "json-null": b"null",
    "json-number": b"42",
    "json-string": b'"text"',
    "infinity-literal": b'{"text": "a", "top_k": Infinity}',
    "raw-control-char": b'{"text": "a\x01b"}',
    "bad-escape": b'{"text": "\\x41"}',
    "unterminated-escape": b'{"text": "\\"}',
}

ECHO_FIELDS: dict[str, object] = {
    "missing-text": {},
    "misspelt-field": {"txt": "a"},
    "unknown-field": {"text": "a", "admin": True},
    "text-null": {"text": None},
    "text-number": {"text": 1},
    "text-list": {"text": ["a"]},
    "text-object": {"text": {"a": 1}},
    "text-empty": {"text": ""},
    "text-too-long": {"text": "x" * (MAX_TEXT_CHARS + 1)},
    "lone-surrogate": {"text": "\ud800"},
    "top-k-word": {"text": "a", "top_k": "three"},
    "top-k-float": {"text": "a", "top_k": 2.5},
    "top-k-negative": {"text": "a", "top_k": -1},
    "top-k-zero": {"text": "a", "top_k": 0},
    "top-k-huge": {"text": "a", "top_k": 10**30},
    "top-k-null": {"text": "a", "top_k": None},
    "top-k-list": {"text": "a", "top_k": [3]},
    "text-bool": {"text": True},
    "wrapped-body": {"request": {"text": "a"}},
}


def echo_cases() -> list[Case]:
    cases = [Case(f"echo/{name}", "/v1/echo", body) for name, body in RAW_BODIES.items()]
    cases += [Case(f"echo/{name}", "/v1/echo", as_json(v)) for name, v in ECHO_FIELDS.items()]
    valid = as_json({"text": "a"})
    cases += [
        Case("echo/oversized", "/v1/echo", b'{"text": "' + b"x" * 2_000_000 + b'"}'),
        Case(
            "echo/form-encoded",
            "/v1/echo",
            b"text=a",
            {"content-type": "application/x-www-form-urlencoded"},
        ),
        Case("echo/xml", "/v1/echo", b"<text>a</text>", {"content-type": "application/xml"}),
        Case("echo/get", "/v1/echo", b"", {}, method="GET"),
        Case("echo/put", "/v1/echo", valid, method="PUT"),
        Case("info/get", "/info", b"", {}, method="GET"),
        Case("unknown-route", "/v1/nothing-here", valid),
        Case("path-traversal", "/v1/../../etc/passwd", valid),
        Case("bad-key", "/v1/echo", valid, {**JSON, "authorization": "Bearer " + "k" * 5000}),
    ]
    return cases


def pillar_cases() -> list[Case]:
    pillars = set(installed_pillars())
    cases: list[Case] = []
    if "ml" in pillars:
        bodies: dict[str, object] = {
            "no-records": {},
            "records-null": {"records": None},
            "records-string": {"records": "age=3"},
            "records-numbers": {"records": [1, 2]},
            "records-nested-list": {"records": [[{"age": 1}]]},
            "record-nested-object": {"records": [{"age": {"value": 1}}]},
        }
        cases += [Case(f"predict/{n}", "/predict", as_json(b)) for n, b in bodies.items()]
        cases += [Case(f"predict/{n}", "/predict", b) for n, b in list(RAW_BODIES.items())[:8]]
    if "llm" in pillars:
        chat: dict[str, object] = {
            "no-messages": {"model": "fake-echo"},
            "messages-string": {"model": "fake-echo", "messages": "hi"},
            "content-number": {"model": "fake-echo", "messages": [{"role": "user", "content": 1}]},
            "image-part": {
                "model": "fake-echo",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "stream-word": {
                "model": "fake-echo",
                "messages": [{"role": "user", "content": "a"}],
                "stream": "maybe",
            },
            "max-tokens-zero": {
                "model": "fake-echo",
                "messages": [{"role": "user", "content": "a"}],
                "max_tokens": 0,
            },
        }
        path = "/v1/chat/completions"
        cases += [Case(f"chat/{n}", path, as_json(b)) for n, b in chat.items()]
        cases += [Case(f"chat/{n}", path, b) for n, b in list(RAW_BODIES.items())[:8]]
    if "rag" in pillars:
        search: dict[str, object] = {
            "query-number": {"query": 5},
            "k-word": {"query": "a", "k": "many"},
            "filters-list": {"query": "a", "filters": ["x"]},
            "filter-nested": {"query": "a", "filters": {"source": {"x": 1}}},
            "query-too-long": {"query": "q" * 5000},
        }
        cases += [Case(f"search/{n}", "/search", as_json(b)) for n, b in search.items()]
        cases += [Case("ask/empty", "/ask", as_json({"question": ""}))]
        cases += [Case(f"ask/{n}", "/ask", b) for n, b in list(RAW_BODIES.items())[:6]]
    if "agents" in pillars:
        runs: dict[str, object] = {
            "no-task": {},
            "task-list": {"task": ["a"]},
            "task-huge": {"task": "t" * 5000},
        }
        cases += [Case(f"agent/{n}", "/agent/runs", as_json(b)) for n, b in runs.items()]
        cases += [Case(f"agent/{n}", "/agent/runs", b) for n, b in list(RAW_BODIES.items())[:6]]
    return cases


CASES = echo_cases() + pillar_cases()


@pytest.fixture(scope="module")
def corpus_client() -> Iterator[TestClient]:
    """One app start for the whole corpus (settings are still read per request)."""
    with TestClient(asgi_app(), raise_server_exceptions=False, headers=AUTH) as client:
        yield client


def test_the_corpus_is_large() -> None:
    assert len(echo_cases()) >= 50


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_malformed_request_answers_4xx(corpus_client: TestClient, case: Case) -> None:
    response = corpus_client.request(
        case.method, case.path, content=case.body, headers=case.headers
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
