"""Text embeddings behind one interface, shared with the RAG pillar.

:func:`get_embedder` returns the embedder named by the ``EMBEDDER`` setting:

* ``wordllama`` (default): static embeddings whose weights ship in the wheel, so it works offline;
* ``openai``: any OpenAI-compatible ``/embeddings`` endpoint (the LLM ``BASE_URL`` and key);
* ``sentence-transformers``: the ``sentence-transformers`` extra; downloads its model on first use.

Every embedder returns L2-normalised float32 rows, so a dot product is the cosine similarity. It
exposes ``dim`` and, for the RAG pillar's protocol, the same value as ``dimension``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .settings import LLMSettings

Vectors = npt.NDArray[np.float32]
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"
DEFAULT_ST_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size, L2-normalised float32 vectors."""

    @property
    def name(self) -> str:
        """Model and size; two embedders share a name only if their vectors are comparable."""
        ...

    @property
    def dim(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """An array of shape ``(len(texts), dim)``."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms == 0, 1, norms)).astype(np.float32)


def cosine(a: Sequence[str], b: Sequence[str], embedder: Embedder) -> list[float]:
    """Pairwise cosine similarity of ``a[i]`` and ``b[i]``."""
    left, right = embedder.embed(a), embedder.embed(b)
    return [float(x) for x in np.sum(left * right, axis=1)]


@cache
def _wordllama(dim: int) -> Any:
    import wordllama  # noqa: PLC0415 (loads weights: only when embedding)

    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True, trunc_dim=dim
    )


class WordLlamaEmbedder:
    """wordllama's bundled model, truncated to ``dim`` (64-256), loaded once per process."""

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        """``wordllama-<dim>``."""
        return f"wordllama-{self._dim}"

    @property
    def dim(self) -> int:
        """Length of every vector."""
        return self._dim

    dimension = dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return normalise(_wordllama(self._dim).embed(list(texts), norm=True))


class OpenAIEmbedder:
    """An OpenAI-compatible ``/embeddings`` endpoint through the ``openai`` SDK."""

    def __init__(self, settings: LLMSettings) -> None:
        from openai import OpenAI  # noqa: PLC0415

        self._model = settings.embedding_model or DEFAULT_OPENAI_MODEL
        key = settings.api_key.get_secret_value() or None
        self._client = OpenAI(
            base_url=settings.endpoint,
            api_key=key or ("not-needed" if settings.endpoint else None),
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )
        self._dim: int | None = None

    @property
    def name(self) -> str:
        """``openai-<model>``."""
        return f"openai-{self._model}"

    @property
    def dim(self) -> int:
        """Length of every vector (asks the endpoint once)."""
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    dimension = dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in one request."""
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        response = self._client.embeddings.create(model=self._model, input=list(texts))
        rows = [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        vectors = normalise(rows)
        self._dim = int(vectors.shape[1])
        return vectors


class SentenceTransformerEmbedder:
    """A sentence-transformers model (the ``sentence-transformers`` extra; needs a network once)."""

    def __init__(self, model: str = DEFAULT_ST_MODEL) -> None:
        try:
            from sentence_transformers import SentenceTransformer  # noqa: PLC0415
        except ImportError as exc:
            raise RuntimeError(
                "the sentence-transformers embedder needs its extra: "
                "`uv sync --extra sentence-transformers`"
            ) from exc
        self._model_name = model
        self._model = SentenceTransformer(model)

    @property
    def name(self) -> str:
        """``st-<model>``."""
        return f"st-{self._model_name}"

    @property
    def dim(self) -> int:
        """Length of every vector."""
        return int(self._model.get_sentence_embedding_dimension())

    dimension = dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``."""
        return normalise(self._model.encode(list(texts)))


def get_embedder(settings: LLMSettings | None = None) -> Embedder:
    """The embedder named by ``settings.embedder`` (default: the project's settings)."""
    if settings is None:
        from ..core.settings import get_settings  # noqa: PLC0415

        settings = get_settings().section("llm", LLMSettings)
    if settings.embedder == "openai":
        return OpenAIEmbedder(settings)
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.embedding_model or DEFAULT_ST_MODEL)
    return WordLlamaEmbedder(settings.embedding_dim)
