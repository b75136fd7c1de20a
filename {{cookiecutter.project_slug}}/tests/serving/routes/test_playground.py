"""``/playground`` and ``/traces`` in process: off by default, public page, protected traces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.pillars import installed_pillars
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.monitoring.context import bind_request_id, clear_context
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import get_tracer, setup_tracing, shutdown_tracing
from {{ cookiecutter.package_name }}.serving.routes import playground

from ..hostile import Case


@pytest.fixture
def enabled(anonymous: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The playground on, once the app has started (its start-up keeps tracing off)."""
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PLAYGROUND_ENABLED", "true")
    get_settings.cache_clear()


@pytest.fixture
def store(anonymous: TestClient) -> Iterator[None]:
    """A span store fed by a (non-global) tracer provider, as the service sets it up.

    Enabled after the app started (``anonymous``), so the service's own start-up does not install
    a process-wide provider that later tests would see.
    """
    shutdown_tracing()
    setup_tracing(MonitoringSettings(), set_global=False, keep_spans=100)
    yield
    shutdown_tracing()


def test_it_is_off_outside_dev_by_default(client: TestClient) -> None:
    assert client.get("/playground/").status_code == 404
    assert client.get("/playground/playground.js").status_code == 404
    assert client.get("/traces/").status_code == 404


def test_it_is_on_in_dev(monkeypatch: pytest.MonkeyPatch, anonymous: TestClient) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ENVIRONMENT", "dev")
    get_settings.cache_clear()
    assert anonymous.get("/playground/").status_code == 200


def test_the_page_is_public_and_loads_only_from_its_origin(
    enabled: None, anonymous: TestClient
) -> None:
    page = anonymous.get("/playground/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert "http" not in page.text.replace("http-equiv", "")  # no absolute URL to any host
    assert (
        anonymous.get("/playground/playground.css").headers["content-type"].startswith("text/css")
    )


def test_one_tab_script_per_pillar_present(enabled: None, anonymous: TestClient) -> None:
    page = anonymous.get("/playground/").text
    with_routes = [p for p in installed_pillars() if p in {"ml", "llm", "rag", "agents"}]
    assert playground.tabs() == with_routes
    for pillar in ("ml", "llm", "rag", "agents"):
        script = f'src="/playground/tabs/{pillar}.js"'
        assert (script in page) == (pillar in with_routes)
        status = anonymous.get(f"/playground/tabs/{pillar}.js").status_code
        assert status == (200 if pillar in with_routes else 404)


@pytest.mark.parametrize(
    "path",
    [
        "/playground/../serving/settings.py",
        "/playground/index.html",
        "/playground/tabs/",
        "/playground/%2e%2e/routes/playground.py",
        "/playground/nothing.js",
    ],
)
def test_only_shipped_scripts_and_styles_are_served(
    enabled: None, anonymous: TestClient, path: str
) -> None:
    assert anonymous.get(path).status_code in {401, 404}


def test_traces_need_a_key(enabled: None, store: None, anonymous: TestClient) -> None:
    assert anonymous.get("/traces/").status_code == 401


def test_traces_of_a_request_id(enabled: None, store: None, client: TestClient) -> None:
    bind_request_id("req-1")
    tracer = get_tracer("test")
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner") as inner:
        inner.set_attribute("rag.hit_ids", ["a", "b"])
    clear_context()
    with get_tracer("test").start_as_current_span("unrelated"):
        pass
    found = client.get("/traces/", params={"request_id": "req-1"}).json()["spans"]
    assert [span["name"] for span in found] == ["outer", "inner"]
    assert found[1]["attributes"]["rag.hit_ids"] == ["a", "b"]
    assert found[1]["parent_id"] == found[0]["span_id"]
    recent = client.get("/traces/").json()["traces"]
    assert [trace["name"] for trace in recent] == ["unrelated", "outer"]
    assert client.get("/traces/", params={"request_id": "nope"}).json()["spans"] == []


def test_settings_are_read_from_the_serving_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PLAYGROUND_TRACE_SPANS", "250")
    get_settings.cache_clear()
    assert playground.settings().trace_spans == 250


HOSTILE_CASES = [
    Case("traces/post", "/traces/", b"{}"),
    Case("playground/post", "/playground/", b"{}"),
    Case("playground/traversal", "/playground/../../etc/passwd", b"", {}, method="GET"),
]
