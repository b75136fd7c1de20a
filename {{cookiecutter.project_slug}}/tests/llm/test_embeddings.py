from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.llm import LLMSettings, get_embedder
from {{ cookiecutter.package_name }}.llm.embeddings import SentenceTransformerEmbedder, WordLlamaEmbedder, cosine


def test_wordllama_is_the_offline_default() -> None:
    embedder = get_embedder(LLMSettings(embedding_dim=128))
    assert isinstance(embedder, WordLlamaEmbedder)
    assert (embedder.name, embedder.dim, embedder.dimension) == ("wordllama-128", 128, 128)
    vectors = embedder.embed(
        ["refund my invoice", "billing refund request", "the weather is sunny"]
    )
    assert vectors.shape == (3, 128)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.embed([]).shape == (0, 128)


def test_cosine_is_pairwise() -> None:
    scores = cosine(["same words"], ["same words"], WordLlamaEmbedder(64))
    assert scores[0] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="the sentence-transformers extra is installed",
)
def test_sentence_transformers_without_the_extra_names_the_fix() -> None:
    with pytest.raises(RuntimeError, match="uv sync --extra sentence-transformers"):
        SentenceTransformerEmbedder()
