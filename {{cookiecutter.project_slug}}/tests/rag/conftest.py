"""Fixtures of the rag tests: the shipped corpus, one embedder, one index built per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag.chunking import Chunk, chunk_documents
from {{ cookiecutter.package_name }}.rag.documents import load_documents
from {{ cookiecutter.package_name }}.rag.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag.index import build_index
from {{ cookiecutter.package_name }}.rag.search import Retriever
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings

SHIPPED_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
MAX_TOKENS = RAGSettings().chunk_max_tokens
OVERLAP = RAGSettings().chunk_overlap_tokens


def corpus_chunks(directory: Path = SHIPPED_CORPUS) -> list[Chunk]:
    """Chunks of a corpus directory with the default chunking settings."""
    return chunk_documents(load_documents(directory), MAX_TOKENS, OVERLAP)


@pytest.fixture(scope="session")
def embedder() -> WordLlamaEmbedder:
    """The default offline embedder (loaded once)."""
    return WordLlamaEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus."""
    return Path(shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus"))


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory, embedder: WordLlamaEmbedder) -> Path:
    """An index of the shipped corpus, built once and only read by the tests using it."""
    index_dir = tmp_path_factory.mktemp("rag") / "index"
    build_index(corpus_chunks(), embedder, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def retriever(shipped_index: Path, embedder: WordLlamaEmbedder) -> Retriever:
    """A retriever over :func:`shipped_index`."""
    return Retriever(shipped_index, embedder)
