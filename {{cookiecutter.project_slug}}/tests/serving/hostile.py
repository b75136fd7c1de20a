"""Malformed requests shared by the serving tests (tests/serving/test_bad_inputs.py for the
service's own routes, tests/serving/routes/test_<pillar>.py for each pillar's routes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from starlette.testclient import TestClient

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
    "lone-surrogate-escape": b'{"text": "\\ud800"}',
    "lone-low-surrogate": b'{"text": "\\udc00x"}',
    "float-overflow": b'{"text": "a", "top_k": 1e999}',
    "huge-integer": b'{"text": "a", "top_k": ' + b"9" * 401 + b"}",
    "deep-object": b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    "duplicate-keys": b'{"text": "a", "text": 5}',
}


def assert_answers_4xx(client: TestClient, case: Case) -> None:
    """``case`` answers 4xx with no stack trace in the body."""
    response = client.request(case.method, case.path, content=case.body, headers=case.headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
