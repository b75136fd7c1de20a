"""The playground page in a real browser: tabs, key handling, keyboard, accessibility, 400 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from {{ cookiecutter.package_name }}.serving.routes.playground import tabs

from .conftest import NARROW, Served, Visit, open_playground

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TAB_TITLES = {
    "ml": ["Predict"],
    "llm": ["Chat"],
    "rag": ["Ask", "Search"],
    "agents": ["Agent runs"],
}


def expected_tabs() -> list[str]:
    return [title for pillar in tabs() for title in TAB_TITLES[pillar]] + ["Traces"]


def test_it_shows_one_tab_per_pillar_present_and_the_trace_view(visit: Visit) -> None:
    titles = visit.page.get_by_role("tab").all_inner_texts()
    assert titles == expected_tabs()
    assert visit.page.get_by_role("tabpanel").count() == 1  # the others are hidden


def test_the_key_stays_in_the_tab_memory_only(visit: Visit) -> None:
    visit.enter_key("a-key-that-must-not-be-stored")
    visit.open_tab("Traces")
    visit.page.get_by_role("button", name="Recent traces").click()
    visit.page.locator("#trace-status").filter(has_text="403").wait_for()  # the key was sent
    stored = visit.page.evaluate(
        "() => [JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie]"
    )
    assert all("a-key-that-must-not-be-stored" not in value for value in stored)
    visit.page.reload()
    assert visit.page.input_value("#api-key") == ""


def test_without_a_key_the_page_says_to_enter_one(visit: Visit) -> None:
    visit.open_tab("Traces")
    visit.page.get_by_role("button", name="Recent traces").click()
    status = visit.page.locator("#trace-status")
    status.filter(has_text="401").wait_for()
    assert "enter an API key" in status.inner_text()


def test_the_page_needs_no_key_but_the_traces_do(playground_server: Served) -> None:
    page = httpx.get(f"{playground_server.url}/playground/", timeout=10)
    assert page.status_code == 200
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{playground_server.url}/traces/", timeout=10).status_code == 401


def test_the_tabs_work_with_the_keyboard(visit: Visit) -> None:
    page = visit.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "api-key"
    page.keyboard.press("Tab")
    first = expected_tabs()[0]
    assert page.evaluate("document.activeElement.textContent") == first
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.textContent") == "Traces"
    assert page.get_by_role("tab", name="Traces").get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowRight")  # wraps around
    assert page.evaluate("document.activeElement.textContent") == first
    page.keyboard.press("End")
    page.keyboard.press("Tab")  # into the panel, then its first field
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "trace-kind"


def _axe_violations(browser: Browser, served: Served, title: str) -> list[dict[str, Any]]:
    # axe is injected as an inline script, which the page's CSP forbids: bypass it for this check.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{served.url}/playground")
    page.get_by_role("tab", name=title).click()
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    context.close()
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def test_every_tab_passes_axe_wcag_aa_checks(browser: Browser, playground_server: Served) -> None:
    for title in expected_tabs():
        assert _axe_violations(browser, playground_server, title) == [], title


def test_it_is_usable_at_400_px(browser: Browser, playground_server: Served) -> None:
    visit = open_playground(browser, playground_server, NARROW)
    for title in expected_tabs():
        visit.open_tab(title)
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"], f"{title}: the page is {width} px wide"
        submit = visit.page.locator("[role=tabpanel]:not([hidden]) button[type=submit]")
        assert submit.first.is_visible()
    visit.open_tab("Traces")  # the one tab every project has
    visit.screenshot("narrow-400px")
    visit.page.context.close()
    assert visit.foreign_requests() == []
