"""Ranking pieces as plain functions, then the whole retriever over the shipped corpus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from prometheus_client import REGISTRY

from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag._context import assemble_context
from {{ cookiecutter.package_name }}.rag._live import LiveApiContext
from {{ cookiecutter.package_name }}.rag._ranking import mmr, recency_boost, rrf
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever
from {{ cookiecutter.package_name }}.rag._store import Candidate
from {{ cookiecutter.package_name }}.rag._web import Fetcher
from {{ cookiecutter.package_name }}.rag.settings import ApiSource, RAGSettings

from .conftest import LocalServer

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _candidate(chunk_id: str, score: float = 1.0, **fields: object) -> Candidate:
    values: dict[str, object] = {
        "chunk_id": chunk_id,
        "document_id": chunk_id,
        "source": f"{chunk_id}.md",
        "title": chunk_id,
        "section": (chunk_id,),
        "text": f"text of {chunk_id}",
        "kind": "file",
        "fetched_at": NOW,
        "score": score,
        "vector": None,
    }
    values.update(fields)
    return Candidate(**values)  # type: ignore[arg-type]


def test_rrf_rewards_agreement_between_rankings() -> None:
    dense = [_candidate("a"), _candidate("b"), _candidate("c")]
    lexical = [_candidate("b"), _candidate("d"), _candidate("a")]

    fused = rrf([dense, lexical], k=60)
    weighted = rrf([dense, lexical], k=60, weights=[0.0, 1.0])

    assert [c.chunk_id for c in fused] == ["b", "a", "d", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert [c.chunk_id for c in weighted][:3] == ["b", "d", "a"]


def test_recency_boost_only_touches_fresh_time_sensitive_kinds() -> None:
    candidates = [
        _candidate("old-file", 1.0, fetched_at=NOW - timedelta(days=1)),
        _candidate("fresh-api", 0.9, kind="api", fetched_at=NOW),
        _candidate("stale-api", 0.95, kind="api", fetched_at=NOW - timedelta(days=3650)),
    ]

    boosted = recency_boost(candidates, NOW, weight=0.2, half_life_days=30, kinds=["api"])

    assert [c.chunk_id for c in boosted] == ["fresh-api", "old-file", "stale-api"]
    assert boosted[0].score == pytest.approx(0.9 * 1.2)
    assert recency_boost(candidates, NOW, 0.0, 30, ["api"]) == candidates


def test_mmr_skips_near_duplicates() -> None:
    same = np.array([1.0, 0.0], dtype=np.float32)
    other = np.array([0.0, 1.0], dtype=np.float32)
    candidates = [
        _candidate("a", 1.0, vector=same),
        _candidate("a-copy", 0.99, vector=same),
        _candidate("b", 0.8, vector=other),
        _candidate("weak", 0.1, vector=other),  # relevance runs from the pool's worst score
    ]

    assert [c.chunk_id for c in mmr(candidates, 2, lambda_=0.7)] == ["a", "b"]
    assert [c.chunk_id for c in mmr(candidates, 2, lambda_=1.0)] == ["a", "a-copy"]


def test_mmr_keeps_close_fused_scores_apart_and_returns_them_in_score_order() -> None:
    """RRF sums lie within a factor of two of each other: divided by the best score they all
    look equally relevant and diversity alone would order them; scaled from worst to best they
    do not. The picked hits come back best score first."""
    axes = np.eye(4, dtype=np.float32)
    near = np.array([0.9, 0.1, 0.0, 0.0], dtype=np.float32) / np.hypot(0.9, 0.1)
    candidates = [
        _candidate("first", 0.30, vector=axes[0]),
        _candidate("close-second", 0.29, vector=near),
        _candidate("third", 0.20, vector=axes[1]),
        _candidate("last", 0.15, vector=axes[2]),
    ]

    picked = mmr(candidates, 3, lambda_=0.7)

    assert [c.chunk_id for c in picked] == ["first", "close-second", "third"]
    assert [c.score for c in picked] == sorted((c.score for c in picked), reverse=True)


def test_mmr_weighs_scores_of_any_sign() -> None:
    """Raw logits of a reranker are often all negative: the best is still the most relevant."""
    axes = np.eye(3, dtype=np.float32)
    candidates = [
        _candidate("worst", -3.0, vector=axes[0]),
        _candidate("best", -1.0, vector=axes[1]),
        _candidate("middle", -2.0, vector=axes[2]),
    ]

    assert [c.chunk_id for c in mmr(candidates, 3, lambda_=0.7)] == ["best", "middle", "worst"]


@pytest.mark.parametrize(
    ("query", "source", "section"),
    [
        ("How long are audit logs kept?", "data-retention.md", "Retention periods"),
        ("canary traffic during a blue-green rollout", "deployment-process.md", "Canary"),
        ("Do I need a hardware security key for single sign-on?", "security-basics.md", "Accounts"),
        ("budget for a desk or chair at home", "remote-work.md", "Home office"),
        ("weekly allowance for being on call", "on-call-policy.md", "Compensation"),
        ("hotel price cap in London", "expense-rules.md", "Limits"),
    ],
)
def test_hybrid_search_finds_the_right_section(
    shipped_retriever: Retriever, query: str, source: str, section: str
) -> None:
    hits = shipped_retriever.search(query, k=3)

    assert hits[0].source == source
    assert hits[0].section.split(" > ")[-1].startswith(section)
    assert hits[0].citation.startswith(f"{source} § ")
    assert len(hits) == 3


def test_filters_modes_and_blank_queries(shipped_retriever: Retriever) -> None:
    only = {"source": "deployment-process.md"}
    filtered = shipped_retriever.search("approval", k=3, filters=only)
    text_only = shipped_retriever.search("legal hold", k=2, mode="text")
    naive = shipped_retriever.naive_search("legal hold", k=2)

    assert {hit.source for hit in filtered} == {"deployment-process.md"}
    assert text_only[0].section.endswith("Legal hold")
    assert len(naive) == 2
    with pytest.raises(ValueError, match="empty"):
        shipped_retriever.search("   ")
    with pytest.raises(ValueError, match="unknown filter"):
        shipped_retriever.search("x", filters={"author": "me"})


def test_reranker_and_query_rewriter_hooks(shipped_retriever: Retriever) -> None:
    seen: list[str] = []

    def prefer_security(query: str, candidates: Sequence[Candidate]) -> list[float]:
        seen.append(query)
        return [1.0 if c.source == "security-basics.md" else 0.0 for c in candidates]

    reranked = Retriever(
        shipped_retriever.store,
        shipped_retriever.embedder,
        RAGSettings(mmr_lambda=1.0),
        reranker=prefer_security,
    )
    rewritten = Retriever(
        shipped_retriever.store,
        shipped_retriever.embedder,
        RAGSettings(),
        rewriter=lambda query: ["zebra stripes", "how long are backups kept"],
    )

    assert reranked.search("laptop and passwords", k=2)[0].source == "security-basics.md"
    assert seen == ["laptop and passwords"]
    assert rewritten.search("xyzzy plugh", k=1)[0].source == "data-retention.md"


class _CountingStore:
    """The real store, counting the searches that reach it."""

    def __init__(self, store: object) -> None:
        self.store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self.store, name)
        if name in {"text_search", "vector_search"}:

            def counted(*args: object, **kwargs: object) -> object:
                self.calls.append(name)
                return attribute(*args, **kwargs)

            return counted
        return attribute


def test_warm_searches_each_retriever_once_and_records_no_search(
    shipped_retriever: Retriever,
) -> None:
    """What a server calls before it reports ready: the first real search then pays nothing."""
    store = _CountingStore(shipped_retriever.store)
    rewrites: list[str] = []

    def rewriter(query: str) -> list[str]:
        rewrites.append(query)
        return []

    retriever = Retriever(
        store,  # type: ignore[arg-type]
        shipped_retriever.embedder,
        RAGSettings(),
        rewriter=rewriter,
    )
    searches = REGISTRY.get_sample_value("rag_search_seconds_count", {"mode": "hybrid"}) or 0.0
    retriever.warm()
    retriever.warm()
    assert sorted(store.calls) == ["text_search", "vector_search"]
    assert rewrites == []
    after = REGISTRY.get_sample_value("rag_search_seconds_count", {"mode": "hybrid"}) or 0.0
    assert after == searches
    assert retriever.search("how long are backups kept", k=1)[0].source == "data-retention.md"


def test_live_api_context_is_merged_at_query_time(
    shipped_retriever: Retriever, http_server: LocalServer, embedder: WordLlamaEmbedder
) -> None:
    now = datetime.now(UTC).isoformat()
    body = "The Lyon office is closed today because of a burst water pipe."
    records = {"items": [{"id": 7, "title": "Office closure", "body": body, "updated_at": now}]}
    url = http_server.route("/news", json.dumps(records), content_type="application/json")
    settings = RAGSettings(allow_private_urls=True)
    live = LiveApiContext(
        [ApiSource(name="news", url=url, live=True)],
        Fetcher(settings),
        embedder,
        settings,
        lambda text: len(text.split()),
    )
    retriever = Retriever(shipped_retriever.store, embedder, settings, live=live)

    hits = retriever.search("Is the Lyon office closed today?", k=3)

    assert hits[0].doc_id == "api:news/7"
    assert hits[0].kind == "api"
    assert len(http_server.requests) == 1
    http_server.route("/news", "down", status=500)
    assert retriever.search("Is the Lyon office closed today?", k=3)[0].kind == "file"


def test_context_fits_the_budget_and_keeps_citations(shipped_retriever: Retriever) -> None:
    hits = shipped_retriever.search("expense approval limits", k=4)

    def words(text: str) -> int:
        return len(text.split())

    context = assemble_context(hits, max_tokens=150, count_tokens=words)
    tiny = assemble_context(hits, max_tokens=10, count_tokens=words)

    assert context.tokens <= 150
    assert context.hits
    assert context.text.startswith(f"[1] {context.hits[0].citation}\n")
    assert [hit.chunk_id for hit in context.hits] == [
        hit.chunk_id for hit in hits if hit in context.hits
    ]
    assert tiny.hits == hits[:1]
    assert words(tiny.text) <= 10


def test_search_metrics_latency_empty_results_and_index_age(shipped_retriever: Retriever) -> None:
    store: dict[str, str] = {"store": shipped_retriever.settings.vector_store}
    mode: dict[str, str] = {"mode": shipped_retriever.settings.search_mode}

    def sample(name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    searches = sample("rag_search_seconds_count", mode)
    empty = sample("rag_empty_results_total", store)
    assert shipped_retriever.search("approval", k=2)
    assert not shipped_retriever.search("approval", k=2, filters={"source": "no-such-file.md"})
    assert sample("rag_search_seconds_count", mode) == searches + 2
    assert sample("rag_empty_results_total", store) == empty + 1
    age = REGISTRY.get_sample_value("rag_index_age_seconds", store)
    assert age is not None
    assert 0 <= age < 24 * 3600  # built by the session fixture, moments ago
