from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag.index import EmbedderMismatchError, IndexNotFoundError
from {{ cookiecutter.package_name }}.rag.search import Retriever


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
    retriever: Retriever, query: str, source: str, section: str
) -> None:
    hits = retriever.search(query, top_k=3)

    assert hits[0].source == source
    assert hits[0].section[-1].startswith(section)
    assert hits[0].citation.startswith(f"{source} § ")
    assert hits[0].chunk_id in hits[0].citation or hits[0].chunk_id[:8] in hits[0].citation
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_vector_and_text_modes_rank_by_their_own_scores(retriever: Retriever) -> None:
    vector_hits = retriever.search("deleting personal data on request", top_k=3, mode="vector")
    text_hits = retriever.search("legal hold", top_k=3, mode="text")

    assert vector_hits[0].source == "data-retention.md"
    assert all(-1.0 <= hit.score <= 1.0 for hit in vector_hits)
    assert text_hits[0].section[-1] == "Legal hold"
    assert len(retriever.search("rollback", top_k=2)) == 2


def test_blank_query_is_rejected(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="empty"):
        retriever.search("   ")


def test_other_embedder_is_refused_with_a_clear_error(shipped_index: Path) -> None:
    smaller = WordLlamaEmbedder(dimension=64)

    with pytest.raises(EmbedderMismatchError) as caught:
        Retriever(shipped_index, smaller)

    message = str(caught.value)
    assert "wordllama-l2_supercat-256" in message
    assert "wordllama-l2_supercat-64" in message
    assert "rebuild" in message


def test_missing_index_says_how_to_build_it(tmp_path: Path, embedder: WordLlamaEmbedder) -> None:
    with pytest.raises(IndexNotFoundError, match="rag-index"):
        Retriever(tmp_path / "none", embedder)
