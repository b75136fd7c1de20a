from __future__ import annotations

import json
from collections.abc import Iterator

from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving._middleware import (
    BodySizeLimitMiddleware,
    DirectEndpoints,
    Receive,
    Scope,
    Send,
    ValidationStatusMiddleware,
    read_body,
    send_json,
)


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """A raw ASGI app answering with the number of body bytes it received."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send_json(send, 200, {"received": size})


async def bad_request(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer 400 with the body given by the ``x-body`` request header, sent in two parts."""
    body = dict(scope["headers"]).get(b"x-body", b"{}").decode()
    await send({"type": "http.response.start", "status": 400, "headers": []})
    await send({"type": "http.response.body", "body": body[:2].encode(), "more_body": True})
    await send({"type": "http.response.body", "body": body[2:].encode(), "more_body": False})


def chunks(total: int, size: int = 4) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_body_within_limit_reaches_the_app_intact() -> None:
    client = TestClient(BodySizeLimitMiddleware(echo_length, max_body_bytes=10))
    assert client.post("/", content=b"0123456789").json() == {"received": 10}
    assert client.post("/", content=chunks(10)).json() == {"received": 10}


def test_declared_length_over_limit_is_rejected() -> None:
    client = TestClient(BodySizeLimitMiddleware(echo_length, max_body_bytes=10))
    response = client.post("/", content=b"01234567890")
    assert response.status_code == 413
    assert "10 bytes" in response.json()["error"]


def test_streamed_body_over_limit_is_rejected() -> None:
    client = TestClient(BodySizeLimitMiddleware(echo_length, max_body_bytes=10))
    assert client.post("/", content=chunks(11)).status_code == 413


def test_validation_errors_become_422_and_keep_their_body() -> None:
    client = TestClient(ValidationStatusMiddleware(bad_request))
    detail = {"error": "1 validation error", "detail": [{"loc": ["text"]}]}
    response = client.get("/", headers={"x-body": json.dumps(detail)})
    assert response.status_code == 422
    assert response.json() == detail


def test_other_bad_requests_stay_400() -> None:
    client = TestClient(ValidationStatusMiddleware(bad_request))
    assert client.get("/", headers={"x-body": '{"error": "nope"}'}).status_code == 400
    assert client.get("/", headers={"x-body": "not json"}).status_code == 400


def test_successful_responses_pass_through() -> None:
    client = TestClient(ValidationStatusMiddleware(echo_length))
    assert client.post("/", content=b"abc").json() == {"received": 3}


def test_direct_endpoints_answer_their_method_and_path_only() -> None:
    async def direct(scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        await send_json(send, 200, {"direct": body.decode()})

    app = DirectEndpoints(echo_length, endpoints={("POST", "/fast"): direct})
    client = TestClient(app)
    assert client.post("/fast", content=b"abc").json() == {"direct": "abc"}
    assert client.get("/fast").json() == {"received": 0}
    assert client.post("/fast/more", content=b"abc").json() == {"received": 3}
