"""Text embedders: a small protocol, an offline default (wordllama) and two optional ones.

An index records the :attr:`Embedder.name` and :attr:`Embedder.dimension` it was built with and
refuses queries embedded by anything else. To add a model, implement :class:`Embedder` and register
a factory in :data:`EMBEDDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .settings import RAGSettings

if TYPE_CHECKING:
    import httpx

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size, L2-normalised float32 vectors."""

    @property
    def name(self) -> str:
        """Model and configuration; two embedders share a name only if their vectors match."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``: an array of shape ``(len(texts), dimension)``."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms == 0, 1, norms)).astype(np.float32)


@cache
def _wordllama_model(config: str, dimension: int) -> Any:
    """Load a wordllama model once per process (every embedder of that size shares it)."""
    import wordllama  # noqa: PLC0415 - heavy import, only when embedding

    return wordllama.WordLlama.load(
        config=config,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
        trunc_dim=dimension,
    )


class WordLlamaTokenCounter:
    """Token counts from wordllama's tokenizer (offline), one text or a batch at a time."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer  # noqa: PLC0415 - ships with wordllama

        # A copy without the model's batch padding (the embedder pads batches to one length).
        shared = _wordllama_model(WordLlamaEmbedder.CONFIG, 256).tokenizer
        self._tokenizer = Tokenizer.from_str(shared.to_str())
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()

    def __call__(self, text: str) -> int:
        """Tokens in ``text`` (no special tokens)."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def batch(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``; the tokenizer encodes the batch on all cores."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encoded]


@cache
def wordllama_token_counter() -> WordLlamaTokenCounter:
    """The process-wide counter of wordllama's tokenizer (used to bound chunk sizes)."""
    return WordLlamaTokenCounter()


class WordLlamaEmbedder:
    """Static token embeddings from `wordllama` (L2 "supercat" model), L2-normalised.

    The weights and tokenizer ship inside the wheel, so loading works offline; the model is loaded
    on first use and then shared by the whole process. ``dimension`` below 256 uses the model's
    Matryoshka truncation.
    """

    CONFIG = "l2_supercat"

    def __init__(self, dimension: int = 256, batch_size: int = 32) -> None:
        self._dimension = dimension
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """``wordllama-l2_supercat-<dimension>``."""
        return f"wordllama-{self.CONFIG}-{self._dimension}"

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches of ``batch_size``."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        model = _wordllama_model(self.CONFIG, self._dimension)
        vectors = model.embed(list(texts), norm=True, batch_size=self._batch_size)
        return np.asarray(vectors, dtype=np.float32)


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, LiteLLM...)."""

    def __init__(self, settings: RAGSettings, transport: httpx.BaseTransport | None = None) -> None:
        import httpx  # noqa: PLC0415 - only for this embedder

        self._model = settings.embedding_model
        self._url = settings.embedding_base_url.rstrip("/") + "/embeddings"
        self._batch_size = settings.embed_batch_size
        key = settings.embedding_api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(headers=headers, timeout=60, transport=transport)
        self._dimension: int | None = None

    @property
    def name(self) -> str:
        """``openai-<model>``."""
        return f"openai-{self._model}"

    @property
    def dimension(self) -> int:
        """Length of every vector (asks the endpoint once)."""
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension probe"]).shape[1])
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches, one request per batch."""
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            response = self._client.post(self._url, json={"model": self._model, "input": batch})
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows.extend(item["embedding"] for item in data)
        vectors = normalise(rows) if rows else np.zeros((0, self._dimension or 0), np.float32)
        if rows:
            self._dimension = vectors.shape[1]
        return vectors


class SentenceTransformerEmbedder:
    """A sentence-transformers model (install the `rerank` extra; downloads at first use)."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer  # noqa: PLC0415
        except ImportError as error:
            raise RuntimeError(
                "the sentence-transformers embedder needs the `rerank` extra: "
                "`uv sync --extra rerank`"
            ) from error
        self._model_name = model
        self._model = SentenceTransformer(model)
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """``st-<model>``."""
        return f"st-{self._model_name}"

    @property
    def dimension(self) -> int:
        """Length of every vector.

        Raises:
            ValueError: the model has no fixed output size.
        """
        # Renamed in sentence-transformers 6 (the old name warns and will go).
        model = self._model
        size = getattr(model, "get_embedding_dimension", None)
        dimension = (size or model.get_sentence_embedding_dimension)()
        if dimension is None:
            raise ValueError(f"{self._model_name} has no fixed embedding size")
        return int(dimension)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``, normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(self._model.encode(list(texts), batch_size=self._batch_size))


EMBEDDERS: dict[str, Callable[[RAGSettings], Embedder]] = {
    "wordllama": lambda s: WordLlamaEmbedder(s.embedding_dim, s.embed_batch_size),
    "openai": OpenAIEmbedder,
    "sentence-transformers": lambda s: SentenceTransformerEmbedder(
        s.embedding_model, s.embed_batch_size
    ),
}


def make_embedder(settings: RAGSettings) -> Embedder:
    """The embedder named by ``settings.embedder``.

    Raises:
        ValueError: no embedder of that name is registered.
    """
    try:
        factory = EMBEDDERS[settings.embedder]
    except KeyError:
        raise ValueError(
            f"unknown embedder {settings.embedder!r}; known: {', '.join(sorted(EMBEDDERS))}"
        ) from None
    return factory(settings)


def embed_batches_default(
    embedder: Embedder, progress: Callable[[int, int], None] | None = None, batch_size: int = 512
) -> Callable[[Sequence[str]], Vectors]:
    """An embed function working in batches and reporting ``progress(done, total)``."""

    def embed(texts: Sequence[str]) -> Vectors:
        parts = [np.zeros((0, embedder.dimension), dtype=np.float32)]
        for start in range(0, len(texts), batch_size):
            parts.append(embedder.embed(texts[start : start + batch_size]))
            if progress is not None:
                progress(min(start + batch_size, len(texts)), len(texts))
        return np.concatenate(parts)

    return embed


def token_counter(settings: RAGSettings) -> Callable[[str], int]:
    """How chunk sizes are counted: wordllama's tokenizer (word count for other embedders)."""
    if settings.embedder == "wordllama":
        return wordllama_token_counter()
    from .chunking import count_words  # noqa: PLC0415 - avoids an import cycle

    return count_words
