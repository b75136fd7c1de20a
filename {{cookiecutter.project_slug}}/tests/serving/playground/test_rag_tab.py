"""The Ask and Search tabs in a real browser, over an index of the shipped corpus."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag._pipeline import index_sources

from .conftest import Served, Visit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(playground_server: Served) -> None:
    """Index the shipped corpus where the served process looks for its index."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(playground_server.artifacts))
        get_settings.cache_clear()
        assert index_sources()
    get_settings.cache_clear()


def test_ask_answers_with_citations_that_open_to_the_chunk(indexed: None, visit: Visit) -> None:
    page = visit.page
    visit.enter_key()
    visit.open_tab("Ask")
    page.fill("#ask-question", "How are incidents escalated?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.locator("#ask-status.ok").wait_for()
    assert page.inner_text("#ask-answer").strip()
    citation = page.locator("#ask-citations details").first
    citation.locator("summary").click()
    assert citation.get_attribute("open") is not None
    assert "Source: " in citation.inner_text()
    assert citation.locator(".out").inner_text().strip() not in {"", "(chunk text not returned)"}
    visit.screenshot("ask")


def test_search_shows_scores_filters_and_mode(indexed: None, visit: Visit) -> None:
    page = visit.page
    visit.enter_key()
    visit.open_tab("Search")
    page.fill("#search-query", "on-call rota")
    page.select_option("#search-mode", "text")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("#search-status.ok").wait_for()
    assert "mode text" in page.inner_text("#search-status")
    scores = [float(s) for s in page.locator("#search-hits tr td:nth-child(2)").all_inner_texts()]
    assert scores
    assert scores == sorted(scores, reverse=True)
    source = (
        page.locator("#search-hits tr td:nth-child(3) .meta").first.inner_text().split(" § ")[0]
    )
    page.fill("#search-source", source)
    page.select_option("#search-mode", "hybrid")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("#search-status.ok").filter(has_text="mode hybrid").wait_for()
    sources = page.locator("#search-hits tr td:nth-child(3) .meta").all_inner_texts()
    assert sources
    assert all(s.startswith(source + " § ") for s in sources)
    visit.screenshot("search")
    page.locator("#search-status").get_by_role("button", name="Show trace").click()
    page.locator("#trace-timeline li[data-span='rag.search']").first.wait_for()
    assert "rag.hit_ids=" in page.inner_text("#trace-timeline")
