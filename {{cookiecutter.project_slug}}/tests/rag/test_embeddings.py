"""The ``rag`` settings pick and configure the shared embedder (tests/embeddings tests them)."""

from __future__ import annotations

from pydantic import SecretStr

from {{ cookiecutter.package_name }}.embeddings import OpenAIEmbedder, WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag._chunking import count_words, token_counter
from {{ cookiecutter.package_name }}.rag._retrieval import make_embedder
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings


def test_wordllama_is_the_default_and_its_name_is_what_indexes_record() -> None:
    embedder = make_embedder(RAGSettings(embedding_dim=64))
    assert isinstance(embedder, WordLlamaEmbedder)
    assert embedder.name == "wordllama-l2_supercat-64"


def test_openai_settings_reach_the_openai_embedder() -> None:
    settings = RAGSettings(
        embedder="openai",
        embedding_model="nomic-embed",
        embedding_base_url="http://embeddings.internal/v1/",
        embedding_api_key=SecretStr("k3y"),
        embed_batch_size=2,
    )
    embedder = make_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai-nomic-embed"


def test_chunks_are_counted_in_the_embedders_tokens() -> None:
    wordllama = token_counter(RAGSettings())
    assert wordllama("zebrafish") > count_words("zebrafish")
    assert token_counter(RAGSettings(embedder="openai")) is count_words
