"""One factory for every backend; the model-free hashing embedder."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.embeddings import (
    EMBEDDER_NAMES,
    EmbedderNotInstalledError,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
)


def test_every_backend_has_a_name_the_factory_knows() -> None:
    assert set(EMBEDDER_NAMES) == {
        "wordllama",
        "openai",
        "sentence-transformers",
        "hashing",
        "minilm",
    }


def test_an_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown embedder 'word2vec'; known: wordllama"):
        build_embedder("word2vec")  # type: ignore[arg-type]


def test_sentence_transformers_without_the_extra_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    with pytest.raises(EmbedderNotInstalledError, match="uv sync --extra sentence-transformers"):
        SentenceTransformerEmbedder()
    with pytest.raises(ImportError, match="uv sync --extra sentence-transformers"):
        build_embedder("sentence-transformers")


def test_hashing_is_deterministic_normalised_and_sized() -> None:
    embedder = build_embedder("hashing", dimension=64)
    assert embedder == HashingEmbedder(dimension=64)
    assert (embedder.name, embedder.dimension) == ("hashing-64", 64)
    first, again = embedder.embed(["deploy with helm"]), embedder.embed(["deploy with helm"])
    assert first.shape == (1, 64)
    assert np.array_equal(first, again)
    assert np.linalg.norm(first[0]) == pytest.approx(1.0)


def test_hashing_ranks_shared_words_higher() -> None:
    vectors = HashingEmbedder().embed(["deploy the helm chart", "deploy with helm", "revenue"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
