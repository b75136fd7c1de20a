"""Fixtures of the browser tests: a real ``bentoml serve`` with the playground on, and Chromium.

The browser is Debian's ``chromium`` driven by Playwright's Python package (``executable_path``:
Playwright downloads nothing). Without a Chromium binary these tests skip and say how to get one.
Every page records the requests it makes; a test fails if one leaves the service's origin.
Screenshots go to ``build/test-artifacts/playground/``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from tests.conftest import PROJECT_ROOT

from ..conftest import API_KEY, _server_environment, free_port, serve

SCREENSHOTS = PROJECT_ROOT / "build" / "test-artifacts" / "playground"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
NARROW = {"width": 400, "height": 900}
WIDE = {"width": 1100, "height": 900}


@dataclass
class Served:
    """The service under test: its URL and the artifacts folder it reads."""

    url: str
    artifacts: Path


@dataclass
class Visit:
    """One page of the playground with the requests it made."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        """Requests to any other origin than the service's (``data:`` URLs load nothing)."""
        return [
            url
            for url in self.requests
            if not url.startswith("data:")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]

    def enter_key(self, key: str = API_KEY) -> None:
        """Type the API key into the page's key field."""
        self.page.fill("#api-key", key)

    def open_tab(self, name: str) -> None:
        """Click the tab called ``name``."""
        self.page.get_by_role("tab", name=name).click()

    def screenshot(self, name: str) -> Path:
        """Save the open tab's panel (``<name>.png``: it names no other tab, so the docs of a
        project without some pillar can show it) and the whole page (``<name>-page.png``) to the
        test artifacts; return the panel's path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-page.png"), full_page=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.locator("[role=tabpanel]:not([hidden])").screenshot(path=str(path))
        return path


def chromium_path() -> str | None:
    """The system Chromium (``PLAYWRIGHT_CHROMIUM`` overrides), or ``None``."""
    override = os.environ.get("PLAYWRIGHT_CHROMIUM")
    if override:
        return override
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def playground_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """``bentoml serve`` with the playground on (auth on, ENVIRONMENT=test), one per session."""
    if chromium_path() is None:
        pytest.skip("no Chromium to drive: install Debian's `chromium` (make system-deps)")
    root = tmp_path_factory.mktemp("playground-server")
    port = free_port()
    env = _server_environment(request, root, port)
    env[f"{ENV_PREFIX}SERVING__PLAYGROUND_ENABLED"] = "true"
    # Only the key named "tests" may decide agent approvals (ignored without the agents pillar).
    env[f"{ENV_PREFIX}AGENTS__APPROVER_KEYS"] = json.dumps(["tests"])
    env[f"{ENV_PREFIX}AGENTS__APPROVAL"] = "queue"
    with serve(env, root, port) as base:
        yield Served(url=base, artifacts=root / "artifacts")


# Module scope: Playwright's sync API runs an event loop in the test thread while it is open, so
# a later test of the same worker could not call asyncio.run().
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver (a local process; it downloads nothing), one per test module."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playground_server: Served, playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless system Chromium."""
    executable = chromium_path()
    assert executable is not None  # playground_server skipped otherwise
    launched = playwright_driver.chromium.launch(
        executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
    )
    yield launched
    launched.close()


def open_playground(browser: Browser, served: Served, viewport: dict[str, int]) -> Visit:
    """A fresh browser context on ``/playground``, recording every request."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(30_000)
    visit = Visit(page=page, origin=served.url)
    page.on("request", lambda sent: visit.requests.append(sent.url))
    page.goto(f"{served.url}/playground")
    page.wait_for_selector("[role=tab]")
    return visit


@pytest.fixture
def visit(browser: Browser, playground_server: Served) -> Iterator[Visit]:
    """The playground at a desktop width; fails the test if a request left the origin."""
    opened = open_playground(browser, playground_server, WIDE)
    yield opened
    opened.page.context.close()
    assert opened.foreign_requests() == []


@pytest.fixture
def narrow_visit(browser: Browser, playground_server: Served) -> Iterator[Visit]:
    """The playground at 400 px width (a phone)."""
    opened = open_playground(browser, playground_server, NARROW)
    yield opened
    opened.page.context.close()
    assert opened.foreign_requests() == []
