"""A corpus of malformed requests: every one answers 4xx, never 5xx, never a stack trace.

Wrong types, missing and unknown fields, invalid JSON, wrong content types, oversized bodies and
unicode edge cases, against the service's own routes and the ``HOSTILE_CASES`` each pillar's route
tests define (``tests/serving/routes/test_<pillar>.py``, built from the pieces in :mod:`.hostile`).
"""

from __future__ import annotations

import importlib
import pkgutil
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving._schemas import MAX_TEXT_CHARS
from {{ cookiecutter.package_name }}.serving.service import asgi_app

from . import routes
from .conftest import AUTH
from .hostile import JSON, RAW_BODIES, Case, as_json, assert_answers_4xx

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


def route_cases() -> list[Case]:
    """The malformed requests of every route test module present in this project."""
    cases: list[Case] = []
    for info in pkgutil.iter_modules(routes.__path__):
        if info.name.startswith("test_"):
            module = importlib.import_module(f"{routes.__name__}.{info.name}")
            cases += getattr(module, "HOSTILE_CASES", [])
    return cases


CASES = echo_cases() + route_cases()


@pytest.fixture(scope="module")
def corpus_client() -> Iterator[TestClient]:
    """One app start for the whole corpus (settings are still read per request)."""
    with TestClient(asgi_app(), raise_server_exceptions=False, headers=AUTH) as client:
        yield client


def test_the_corpus_is_large() -> None:
    assert len(echo_cases()) >= 50
    assert len({case.name for case in CASES}) == len(CASES)


def _answer_problem(response: httpx.Response) -> str | None:
    """What is wrong with the answer to a malformed request (``None``: a proper 4xx)."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    if not response.headers.get("x-request-id"):
        return "no x-request-id header"
    try:
        response.json()
    except ValueError:
        return f"body is not JSON: {response.text[:80]!r}"
    if "Traceback" in response.text or 'File "' in response.text:
        return "a stack trace in the body"
    return None


@pytest.mark.slow
def test_the_live_server_answers_every_malformed_request_with_a_json_4xx(live_server: str) -> None:
    """The whole corpus against the real `bentoml serve`: no 5xx, JSON bodies, request ids."""
    problems: dict[str, str] = {}
    with httpx.Client(base_url=live_server, headers=AUTH, timeout=30) as client:
        for case in CASES:
            response = client.request(
                case.method, case.path, content=case.body, headers=case.headers
            )
            if (problem := _answer_problem(response)) is not None:
                problems[case.name] = problem
    assert problems == {}
    if set(routes_present()) == ALL_ROUTE_MODULES:  # every pillar with endpoints is present
        assert len(CASES) >= 200


ALL_ROUTE_MODULES = {"test_agents", "test_llm", "test_ml", "test_rag"}


def routes_present() -> list[str]:
    """The route test modules of this project (one per pillar with endpoints)."""
    return [
        info.name for info in pkgutil.iter_modules(routes.__path__) if info.name.startswith("test_")
    ]


@pytest.mark.slow
def test_a_body_shorter_than_its_content_length_gets_a_fast_408(live_server: str) -> None:
    """A client that declares more bytes than it sends is answered at once, not after 5 s."""
    host, port = live_server.removeprefix("http://").split(":")
    head = (
        "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: {AUTH['Authorization']}\r\nContent-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head.encode() + b'{"text": "a')
        answer = sock.recv(65536).decode("latin-1")
    elapsed = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 408"), answer[:200]
    assert "x-request-id" in answer.lower()
    assert elapsed < 4.5  # the body timeout (3 s), well before the 5 s endpoint timeouts


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_malformed_request_answers_4xx(corpus_client: TestClient, case: Case) -> None:
    assert_answers_4xx(corpus_client, case)
