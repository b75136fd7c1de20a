"""The RAG x LLM bridge: grounded answers and query rewriting through the LLM pillar's client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic_ai import models

from {{ cookiecutter.package_name }} import llm, rag
from {{ cookiecutter.package_name }}.bridges import rag_llm
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.rag._answer import answer_from_context
from {{ cookiecutter.package_name }}.rag._live import model_rewriter

QUESTION = "How quickly must the on-call engineer acknowledge a page?"
HITS = [
    rag.Hit(
        chunk_id="c1" * 8,
        doc_id="on-call",
        text="The on-call engineer acknowledges a page within 15 minutes.",
        source="on-call-policy.md",
        title="On-call policy",
        section="Paging",
        score=0.9,
    ),
    rag.Hit(
        chunk_id="c2" * 8,
        doc_id="expenses",
        text="Hotels in London are capped at 250 GBP a night.",
        source="expense-rules.md",
        title="Expense rules",
        section="Travel",
        score=0.4,
    ),
]
CONTEXT = rag.Context(text="", hits=HITS, tokens=0)


class NoEmbedder:
    """Grounded answers need no embedder; a call would mean the extractive path ran."""

    name = "none"
    dimension = 1

    def embed(self, texts: list[str]) -> object:
        raise AssertionError("the extractive path ran")


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[llm.FakeOpenAIServer]:
    """The LLM pillar's fake OpenAI server on 127.0.0.1; model requests allowed for this test."""
    monkeypatch.setattr(models, "ALLOW_MODEL_REQUESTS", True)
    with llm.FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def on_fake_model(fake_server: llm.FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The LLM pillar's settings point at the local fake OpenAI server."""
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MODEL", "fake-echo")
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__BASE_URL", fake_server.base_url)
    get_settings.cache_clear()


def test_the_bridge_fills_the_rag_extension_points() -> None:
    assert rag.GROUNDER.get() is rag_llm.ground_with_llm
    assert rag.COMPLETER.get() is rag_llm.llm_completer


def test_grounded_answer_cites_the_passages_the_model_cited(
    on_fake_model: None, fake_server: llm.FakeOpenAIServer
) -> None:
    draft = {"answer": "Within 15 minutes [1].", "citations": ["1"], "abstain": False}
    fake_server.script(llm.Scripted(tool_calls=[("final_result", draft)]))

    result = answer_from_context(QUESTION, CONTEXT, NoEmbedder(), "grounded")  # type: ignore[arg-type]

    assert result.mode == "grounded"
    assert result.answer == "Within 15 minutes [1]."
    assert [citation.chunk_id for citation in result.citations] == [HITS[0].chunk_id]
    prompt = str(fake_server.requests[0]["messages"])
    assert "15 minutes" in prompt
    assert "on-call-policy.md" in prompt


def test_the_model_abstaining_is_an_abstention(
    on_fake_model: None, fake_server: llm.FakeOpenAIServer
) -> None:
    draft = {"answer": "The passages do not say.", "citations": [], "abstain": True}
    fake_server.script(llm.Scripted(tool_calls=[("final_result", draft)]))

    draft_answer = rag_llm.ground_with_llm("What is the VPN address?", CONTEXT)

    assert draft_answer.abstained
    assert draft_answer.refs == []


def test_query_rewriting_asks_the_model_for_two_phrasings(
    on_fake_model: None, fake_server: llm.FakeOpenAIServer
) -> None:
    fake_server.script(llm.Scripted(content="- page response time\n- acknowledge alert\n- extra"))
    rewrite = model_rewriter()
    assert rewrite is not None

    assert rewrite("on-call acknowledgement") == ["page response time", "acknowledge alert"]
    sent = fake_server.requests[0]["messages"]
    assert "two alternative phrasings" in str(sent)


def test_a_failing_model_rewrites_nothing(
    on_fake_model: None, fake_server: llm.FakeOpenAIServer
) -> None:
    fake_server.script(*[llm.Scripted(status=500)] * 5)
    rewrite = model_rewriter()
    assert rewrite is not None
    assert rewrite("on-call acknowledgement") == []


def test_a_failing_model_is_a_grounding_error_that_says_only_what_failed(
    on_fake_model: None, fake_server: llm.FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__MAX_RETRIES", "0")
    get_settings.cache_clear()
    fake_server.script(llm.Scripted(status=429), llm.Scripted(status=401))

    with pytest.raises(rag.GroundingError) as busy:
        rag_llm.ground_with_llm(QUESTION, CONTEXT)
    with pytest.raises(rag.GroundingError) as refused:
        rag_llm.ground_with_llm(QUESTION, CONTEXT)

    assert str(busy.value) == "the model provider is rate limiting this key (fake-echo, HTTP 429)"
    assert busy.value.retryable  # a service answers 503 with Retry-After
    assert str(refused.value) == "the model provider refused the API key (fake-echo, HTTP 401)"
    assert not refused.value.retryable
    assert "scripted 401" in str(refused.value.__cause__)  # the provider's words, for the log


def test_a_model_that_cannot_be_built_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}LLM__PROVIDER", "openai")
    monkeypatch.delenv(f"{ENV_PREFIX}LLM__BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()

    with pytest.raises(rag.GroundingError) as unconfigured:
        rag_llm.ground_with_llm(QUESTION, CONTEXT)

    assert unconfigured.value.unconfigured
    assert not unconfigured.value.retryable
    assert "set OPENAI_API_KEY" in str(unconfigured.value)  # for the CLI's `error:` line
