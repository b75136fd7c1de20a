"""The offline default: wordllama's real weights, shipped in its wheel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wordllama

from {{ cookiecutter.package_name }}.embeddings import (
    Embedder,
    TokenIdEmbedder,
    WordLlamaEmbedder,
    build_embedder,
    cosine,
    wordllama_token_counter,
)


def test_wordllama_is_the_default_backend() -> None:
    embedder = build_embedder()
    assert isinstance(embedder, WordLlamaEmbedder)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dimension) == ("wordllama-l2_supercat-256", 256)


def test_vectors_are_normalised_float32_rows_that_rank_meaning() -> None:
    embedder = WordLlamaEmbedder(dimension=128)
    vectors = embedder.embed(["refund my invoice", "billing refund request", "the sun is out"])
    assert vectors.shape == (3, 128)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_no_texts_give_no_rows_and_an_empty_text_a_zero_row() -> None:
    embedder = WordLlamaEmbedder(dimension=64)
    assert embedder.embed([]).shape == (0, 64)
    vectors = embedder.embed(["", "a real sentence"])
    assert not np.isnan(vectors).any()
    assert np.linalg.norm(vectors[0]) == 0.0


def test_batch_size_does_not_change_the_vectors() -> None:
    texts = [f"sentence number {i} about topic {i % 3}" for i in range(10)]
    one_batch = WordLlamaEmbedder(batch_size=32).embed(texts)
    many_batches = WordLlamaEmbedder(batch_size=3).embed(texts)
    assert np.allclose(one_batch, many_batches, atol=1e-6)


def test_smaller_sizes_have_their_own_name() -> None:
    names = {WordLlamaEmbedder(dimension=size).name for size in (64, 128, 256)}
    assert len(names) == 3


@pytest.mark.parametrize("dimension", [0, 512])
def test_a_size_wordllama_cannot_give_is_refused(dimension: int) -> None:
    with pytest.raises(ValueError, match="1 to 256"):
        WordLlamaEmbedder(dimension=dimension)


def test_cosine_is_pairwise() -> None:
    scores = cosine(["same words", "refund"], ["same words", "sunny weather"], WordLlamaEmbedder())
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert scores[1] < scores[0]


def test_token_counter_counts_one_text_or_a_batch_alike() -> None:
    counter = wordllama_token_counter()
    texts = ["On-call engineers rotate weekly.", "", "tokens"]
    assert counter.batch(texts) == [counter(text) for text in texts]
    assert counter("") == 0
    assert counter(texts[0]) > len(texts[0].split()) // 2
    assert wordllama_token_counter() is counter


TEXTS = [
    "refund my invoice",
    "",
    "# Paging\n\nPage the primary.\n\n```bash\npage --primary\n```",
    "naïve café 日本 " * 40,
    "x",
]


@pytest.mark.parametrize("dimension", [64, 256])
def test_vectors_are_the_ones_the_wordllama_package_computes(dimension: int) -> None:
    """The wheel's files read directly give wordllama's own vectors (normalised)."""
    model = wordllama.WordLlama.load(
        config="l2_supercat",
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
        trunc_dim=dimension,
    )
    theirs = model.embed(TEXTS * 30, norm=False)  # many tokens: the float32-matrix path
    norms = np.linalg.norm(theirs, axis=1, keepdims=True)
    theirs = theirs / np.where(norms == 0, 1, norms)
    embedder = WordLlamaEmbedder(dimension=dimension)

    assert np.allclose(embedder.embed(TEXTS * 30), theirs, atol=1e-6)
    assert np.allclose(embedder.embed(TEXTS), theirs[: len(TEXTS)], atol=1e-6)


def test_token_ids_embed_like_the_texts() -> None:
    embedder = WordLlamaEmbedder(dimension=128)
    counter = wordllama_token_counter()
    assert isinstance(embedder, TokenIdEmbedder)
    assert embedder.vocabulary == counter.vocabulary
    ids = [token_ids for token_ids, _ in counter.encode_batch(TEXTS)]

    assert np.allclose(embedder.embed_token_ids(ids), embedder.embed(TEXTS), atol=1e-6)
    assert embedder.embed_token_ids([]).shape == (0, 128)


def test_no_token_or_merge_of_the_tokenizer_holds_a_line_break() -> None:
    """What lets the chunker reuse a section's token ids after a chunk's first line break."""
    folder = Path(wordllama.__file__).parent
    config = json.loads((folder / "tokenizers/l2_supercat_tokenizer_config.json").read_text())
    model = config["model"]
    assert config["pre_tokenizer"] is None
    assert model["type"] == "BPE"
    line_break = model["vocab"]["<0x0A>"]
    assert not [token for token in model["vocab"] if "\n" in token]
    merges = [" ".join(m) if isinstance(m, list) else m for m in model["merges"]]
    assert not [m for m in merges if "<0x0A>" in m or "\n" in m]
    assert wordllama_token_counter().encode_batch(["a\nb"])[0][0][1] == line_break
    assert wordllama_token_counter().line_break_id == line_break
