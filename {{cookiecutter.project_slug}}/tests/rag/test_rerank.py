"""The `rerank` extra: cross-encoder reranker and sentence-transformers embedder, offline.

Their default models download at first use, so these tests build tiny BERT models (two layers, a
WordPiece vocabulary of the shipped corpus's words, random weights) and load them from disk through
the same code paths. Without the extra only the reranker's missing-extra error is tested (the
embedder's is tested in tests/embeddings).
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.embeddings import SentenceTransformerEmbedder, WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag._chunking import count_words
from {{ cookiecutter.package_name }}.rag._documents import Document
from {{ cookiecutter.package_name }}.rag._indexer import index_documents
from {{ cookiecutter.package_name }}.rag._lance_store import LanceStore
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever, cross_encoder_reranker, make_embedder
from {{ cookiecutter.package_name }}.rag._store import Candidate, EmbedderMismatchError
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings

from .conftest import SHIPPED_CORPUS

HIDDEN = 32
QUERY = "How long are backups kept?"


@dataclass(frozen=True)
class TinyModels:
    """Folders of a cross-encoder (sigmoid scores), one returning logits, and an embedder."""

    cross_encoder: Path
    logit_cross_encoder: Path
    embedder: Path


def _bert_config(vocab_size: int) -> Any:
    from transformers import BertConfig  # noqa: PLC0415 - the `rerank` extra

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * HIDDEN,
        max_position_embeddings=256,
    )
    config.num_labels = 1  # one relevance score per pair
    return config


def _build_models(folder: Path) -> TinyModels:
    import torch  # noqa: PLC0415 - the `rerank` extra
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415
    from transformers import BertForSequenceClassification, BertModel, BertTokenizer  # noqa: PLC0415

    text = " ".join(path.read_text() for path in SHIPPED_CORPUS.glob("*.md"))
    words = {word.lower() for word in re.findall(r"\w+", text)}
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]))
    tokenizer = BertTokenizer(vocab_file=str(vocab), do_lower_case=True)
    torch.manual_seed(6)
    paths = TinyModels(folder / "ce", folder / "ce-logits", folder / "encoder")
    classifier = BertForSequenceClassification(_bert_config(len(tokenizer)))
    classifier.save_pretrained(paths.cross_encoder)
    tokenizer.save_pretrained(paths.cross_encoder)
    # Configured like cross-encoder/ms-marco-MiniLM-L-6-v2 (raw logits), here all negative.
    with torch.no_grad():
        classifier.classifier.bias.fill_(-5.0)
    classifier.config.sbert_ce_default_activation_function = "torch.nn.modules.linear.Identity"
    classifier.save_pretrained(paths.logit_cross_encoder)
    tokenizer.save_pretrained(paths.logit_cross_encoder)
    # A plain BERT folder loads as Transformer + mean pooling: saved as a sentence-transformer.
    bert = folder / "bert"
    BertModel(_bert_config(len(tokenizer))).save_pretrained(bert)
    tokenizer.save_pretrained(bert)
    SentenceTransformer(str(bert)).save(str(paths.embedder))
    return paths


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """The tiny models, built once (skips without the `rerank` extra)."""
    pytest.importorskip("sentence_transformers", reason="needs the `rerank` extra")
    return _build_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def st_store(
    tmp_path_factory: pytest.TempPathFactory, tiny: TinyModels, shipped_documents: list[Document]
) -> LanceStore:
    """A LanceDB index of the shipped corpus embedded by the tiny sentence-transformers model."""
    store = LanceStore(tmp_path_factory.mktemp("st") / "index")
    embedder = SentenceTransformerEmbedder(str(tiny.embedder))
    index_documents(
        shipped_documents, store, embedder, max_tokens=120, overlap=16, counter=count_words
    )
    return store


class Recorder:
    """Wraps a reranker and remembers what it was asked and answered."""

    def __init__(self, reranker: Any) -> None:
        self.reranker = reranker
        self.calls: list[tuple[str, list[Candidate], list[float]]] = []

    def __call__(self, query: str, candidates: Sequence[Candidate]) -> Sequence[float]:
        scores = list(self.reranker(query, candidates))
        self.calls.append((query, list(candidates), scores))
        return scores


def _pairs(query: str, candidates: Sequence[Candidate]) -> list[tuple[str, str]]:
    return [(query, f"{c.section_path}\n{c.text}") for c in candidates]


def test_reranker_scores_are_the_cross_encoders_on_heading_and_text(
    tiny: TinyModels, shipped_retriever: Retriever
) -> None:
    from sentence_transformers import CrossEncoder  # noqa: PLC0415

    candidates = shipped_retriever.store.vector_search(
        shipped_retriever.embedder.embed([QUERY])[0], 12
    )

    scores = cross_encoder_reranker(str(tiny.cross_encoder))(QUERY, candidates)

    expected = CrossEncoder(str(tiny.cross_encoder)).predict(_pairs(QUERY, candidates))
    assert len(candidates) == 12
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert len(set(np.round(scores, 6))) > 1  # the tiny model does tell the chunks apart


def test_retriever_orders_its_hits_by_the_reranker_scores(
    tiny: TinyModels, shipped_retriever: Retriever
) -> None:
    recorder = Recorder(cross_encoder_reranker(str(tiny.cross_encoder)))
    settings = RAGSettings(mmr_lambda=1.0)  # relevance only: no diversity reordering
    retriever = Retriever(shipped_retriever.store, shipped_retriever.embedder, settings, recorder)

    hits = retriever.search(QUERY, k=5)

    ((query, pool, scores),) = recorder.calls
    best = sorted(zip(scores, [c.chunk_id for c in pool], strict=True), reverse=True)[:5]
    assert query == QUERY
    assert len(pool) >= 5
    assert [hit.chunk_id for hit in hits] == [chunk_id for _, chunk_id in best]
    assert [hit.score for hit in hits] == pytest.approx([score for score, _ in best])


def test_raw_logit_cross_encoders_rerank_in_their_order(
    tiny: TinyModels, shipped_retriever: Retriever
) -> None:
    """Negative logits (what ms-marco models answer) still rank: MMR scales relevance min-max."""
    from sentence_transformers import CrossEncoder  # noqa: PLC0415

    candidates = shipped_retriever.store.vector_search(
        shipped_retriever.embedder.embed([QUERY])[0], 12
    )
    logits = CrossEncoder(str(tiny.logit_cross_encoder)).predict(_pairs(QUERY, candidates))
    recorder = Recorder(cross_encoder_reranker(str(tiny.logit_cross_encoder)))
    settings = RAGSettings(mmr_lambda=0.99)  # almost only relevance
    retriever = Retriever(shipped_retriever.store, shipped_retriever.embedder, settings, recorder)

    hits = retriever.search(QUERY, k=3)

    assert (logits < 0).all()  # the tiny model answers negative logits here
    ((_, pool, scores),) = recorder.calls
    np.testing.assert_allclose(
        scores, CrossEncoder(str(tiny.logit_cross_encoder)).predict(_pairs(QUERY, pool)), rtol=1e-5
    )
    best = sorted(zip(scores, [c.chunk_id for c in pool], strict=True), reverse=True)[:3]
    assert [hit.chunk_id for hit in hits] == [chunk_id for _, chunk_id in best]


def test_sentence_transformer_embedder_gives_unit_float32_vectors(tiny: TinyModels) -> None:
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    texts = ["How long are backups kept?", "home office budget", "on call rota"]
    embedder = SentenceTransformerEmbedder(str(tiny.embedder), batch_size=2)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated sentence-transformers API
        vectors = embedder.embed(texts)
        empty = embedder.embed([])
        dimension = embedder.dimension

    raw = SentenceTransformer(str(tiny.embedder)).encode(texts)
    assert dimension == HIDDEN
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, HIDDEN)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors, raw / np.linalg.norm(raw, axis=1, keepdims=True), rtol=1e-5)
    assert empty.shape == (0, HIDDEN)
    assert embedder.name == f"st-{tiny.embedder}"


def test_settings_pick_the_sentence_transformer_embedder(tiny: TinyModels) -> None:
    settings = RAGSettings(embedder="sentence-transformers", embedding_model=str(tiny.embedder))

    embedder = make_embedder(settings)

    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == f"st-{tiny.embedder}"


def test_sentence_transformer_index_is_searched_only_with_its_embedder(
    tiny: TinyModels, st_store: LanceStore, tmp_path: Path
) -> None:
    embedder = SentenceTransformerEmbedder(str(tiny.embedder))
    # The same weights under another name: the name alone must tell the models apart.
    renamed = SentenceTransformerEmbedder(str(shutil.copytree(tiny.embedder, tmp_path / "copy")))
    meta = st_store.meta()

    hits = Retriever(st_store, embedder).search(QUERY, k=3)

    assert meta is not None
    assert (meta.embedder, meta.dimension) == (embedder.name, HIDDEN)
    assert len(hits) == 3
    np.testing.assert_allclose(renamed.embed([QUERY]), embedder.embed([QUERY]), rtol=1e-6)
    for other in (renamed, WordLlamaEmbedder()):
        with pytest.raises(EmbedderMismatchError, match=re.escape(repr(embedder.name))):
            Retriever(st_store, other)


def test_missing_extra_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails

    with pytest.raises(RuntimeError, match=re.escape("`uv sync --extra rerank`")):
        cross_encoder_reranker("any/model")
