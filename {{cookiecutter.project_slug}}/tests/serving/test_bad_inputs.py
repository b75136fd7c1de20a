"""A corpus of malformed requests: every one answers 4xx, never 5xx, never a stack trace.

Wrong types, missing and unknown fields, invalid JSON, wrong content types, oversized bodies and
unicode edge cases, against the service's own routes and the ``HOSTILE_CASES`` each pillar's route
tests define (``tests/serving/routes/test_<pillar>.py``, built from the pieces in :mod:`.hostile`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

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


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_malformed_request_answers_4xx(corpus_client: TestClient, case: Case) -> None:
    assert_answers_4xx(corpus_client, case)
