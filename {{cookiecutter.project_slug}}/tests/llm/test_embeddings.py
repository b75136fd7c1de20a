"""The ``llm`` settings pick and configure the shared embedder (tests/embeddings tests them)."""

from __future__ import annotations

import sys

import pytest

from {{ cookiecutter.package_name }}.embeddings import OpenAIEmbedder, WordLlamaEmbedder
from {{ cookiecutter.package_name }}.llm import LLMSettings, get_embedder


def test_wordllama_is_the_offline_default_at_the_configured_size() -> None:
    embedder = get_embedder(LLMSettings(embedding_dim=128))
    assert isinstance(embedder, WordLlamaEmbedder)
    assert (embedder.name, embedder.dimension) == ("wordllama-l2_supercat-128", 128)


def test_the_project_settings_are_read_when_none_are_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("{{ cookiecutter.package_name | upper }}_LLM__EMBEDDING_DIM", "64")
    assert get_embedder().dimension == 64


def test_openai_embeddings_use_the_model_endpoint() -> None:
    settings = LLMSettings(
        embedder="openai", embedding_model="nomic-embed", base_url="http://localhost:1/v1"
    )
    embedder = get_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai-nomic-embed"


def test_sentence_transformers_without_the_extra_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    with pytest.raises(ImportError, match="uv sync --extra sentence-transformers"):
        get_embedder(LLMSettings(embedder="sentence-transformers"))
