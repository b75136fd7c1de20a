"""The Chat tab in a real browser: models from /v1/models, a streamed answer, its trace."""

from __future__ import annotations

import pytest

from .conftest import Visit

pytestmark = pytest.mark.slow


def test_chat_streams_an_answer_from_the_picked_model(visit: Visit) -> None:
    page = visit.page
    visit.enter_key()
    visit.open_tab("Chat")
    page.locator("#chat-model option").first.wait_for(state="attached")
    models = page.locator("#chat-model option").all_inner_texts()
    assert models
    page.fill("#chat-input", "Say hello to the playground.")
    page.get_by_role("button", name="Send").click()
    page.locator("#chat-status.ok").wait_for()
    answer = page.locator("#chat-log li[data-role=assistant] .out").last.inner_text()
    assert answer.strip()
    visit.screenshot("chat")
    page.locator("#chat-status").get_by_role("button", name="Show trace").click()
    page.locator("#trace-timeline li[data-span^='llm.']").first.wait_for()
    assert " tokens; cost $" in page.locator("#trace-status.ok").inner_text()
    visit.screenshot("trace-chat")


def test_chat_without_a_key_says_so(visit: Visit) -> None:
    page = visit.page
    visit.open_tab("Chat")
    page.locator("#chat-status.error").wait_for()
    assert "401" in page.inner_text("#chat-status")
