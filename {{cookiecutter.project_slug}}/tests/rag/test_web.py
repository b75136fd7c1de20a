"""Web and JSON API loaders against a real local HTTP server: guards, robots.txt, pagination."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.rag._apis import load_api
from {{ cookiecutter.package_name }}.rag._web import (
    BlockedURLError,
    Fetcher,
    FetchError,
    check_public,
    fetch_page,
    load_web_pages,
)
from {{ cookiecutter.package_name }}.rag.settings import ApiSource, RAGSettings

from .conftest import LocalServer

PAGE = """<html><head><title>Status page</title></head><body>
<header>Site header</header><main><h1>Service status</h1><h2>Payments</h2>
<p>Payments are degraded since 09:00.</p></main><footer>Footer</footer></body></html>"""
ALLOW_LOCAL = RAGSettings(allow_private_urls=True)


def test_page_is_fetched_and_reduced_to_its_main_content(http_server: LocalServer) -> None:
    url = http_server.route("/status", PAGE)
    http_server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")

    [document] = load_web_pages(Fetcher(ALLOW_LOCAL), [url])

    assert (document.id, document.source, document.kind) == (url, url, "web")
    assert document.title == "Status page"
    assert document.text == "# Service status\n\n## Payments\n\nPayments are degraded since 09:00."
    assert document.metadata == {"content_type": "text/html"}
    agents = {headers.get("User-Agent") for _, headers in http_server.requests}
    assert agents == {ALLOW_LOCAL.user_agent}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/admin",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "file:///etc/passwd",
        "ftp://example.com/file",
    ],
)
def test_ssrf_guard_refuses_internal_addresses_and_other_schemes(url: str) -> None:
    with pytest.raises(BlockedURLError, match="refusing"):
        check_public(url)


def test_guard_is_on_by_default_and_no_request_is_made(http_server: LocalServer) -> None:
    url = http_server.route("/status", PAGE)

    with pytest.raises(BlockedURLError, match="allow_private_urls"):
        fetch_page(Fetcher(RAGSettings()), url)

    assert http_server.requests == []
    check_public("http://93.184.216.34/")  # a public address literal passes (no DNS needed)


def test_redirects_are_checked_hop_by_hop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://127.0.0.1/admin"})

    fetcher = Fetcher(RAGSettings(), transport=httpx.MockTransport(handler))

    with pytest.raises(BlockedURLError, match=r"127\.0\.0\.1"):
        fetcher.get("http://93.184.216.34/start")


def test_robots_txt_is_respected(http_server: LocalServer) -> None:
    robots = "User-agent: *\nDisallow: /private\n"
    http_server.route("/robots.txt", robots, content_type="text/plain")
    public = http_server.route("/public", PAGE)
    private = http_server.route("/private/report", PAGE)
    fetcher = Fetcher(ALLOW_LOCAL)

    assert fetch_page(fetcher, public) is not None
    with pytest.raises(BlockedURLError, match=r"robots\.txt disallows"):
        fetch_page(fetcher, private)
    assert "/private/report" not in [path for path, _ in http_server.requests]
    ignoring = Fetcher(RAGSettings(allow_private_urls=True, respect_robots=False))
    assert fetch_page(ignoring, private) is not None


def test_unreachable_robots_txt_disallows_and_missing_one_allows(
    http_server: LocalServer,
) -> None:
    url = http_server.route("/page", PAGE)
    assert fetch_page(Fetcher(ALLOW_LOCAL), url) is not None  # robots.txt is a 404

    http_server.route("/robots.txt", "oops", status=503)
    with pytest.raises(BlockedURLError, match=r"robots\.txt"):
        fetch_page(Fetcher(ALLOW_LOCAL), url)


def test_size_limit_and_http_errors(http_server: LocalServer) -> None:
    big = http_server.route("/big", "x" * 5000, content_type="text/plain")
    small_limit = Fetcher(RAGSettings(allow_private_urls=True, fetch_max_bytes=1024))

    with pytest.raises(FetchError, match="larger than fetch_max_bytes=1024"):
        small_limit.get(big)
    with pytest.raises(FetchError, match="HTTP 404"):
        Fetcher(ALLOW_LOCAL).get(http_server.base_url + "/missing")


def test_api_pages_are_walked_with_auth_and_mapped(http_server: LocalServer) -> None:
    outage = {"id": 1, "name": "Outage", "body": "EU region down.", "ts": "2030-01-02T03:04:05Z"}
    first = {"data": {"items": [outage]}, "links": {"next": "/tickets?page=2"}}
    empty = {"id": 2, "name": "Fixed", "body": "", "extra": "ignored"}
    second = {"data": {"items": [empty, {"id": 3, "body": "Back to normal."}]}, "links": {}}
    url = http_server.route("/tickets", json.dumps(first), content_type="application/json")
    http_server.route("/tickets?page=2", json.dumps(second), content_type="application/json")
    source = ApiSource(
        name="tickets",
        url=url,
        items_path="data.items",
        next_path="links.next",
        title_field="name",
        text_fields=["body"],
        updated_field="ts",
        auth_token=SecretStr("Bearer s3cret"),
    )

    documents = load_api(Fetcher(ALLOW_LOCAL), source)

    assert [d.id for d in documents] == ["api:tickets/1", "api:tickets/3"]
    assert documents[0].title == "Outage"
    assert documents[0].text == "# Outage\n\nEU region down."
    assert documents[0].kind == "api"
    assert documents[0].fetched_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert documents[1].title == "tickets 3"
    assert [h.get("Authorization") for _, h in http_server.requests] == ["Bearer s3cret"] * 2


def test_api_that_does_not_answer_json_fails_clearly(http_server: LocalServer) -> None:
    url = http_server.route("/api", "<html>login</html>")
    with pytest.raises(FetchError, match="did not return JSON"):
        load_api(Fetcher(ALLOW_LOCAL), ApiSource(name="x", url=url))
    url = http_server.route("/api2", json.dumps({"results": []}), content_type="application/json")
    with pytest.raises(FetchError, match="no list at items_path 'items'"):
        load_api(Fetcher(ALLOW_LOCAL), ApiSource(name="x", url=url))
