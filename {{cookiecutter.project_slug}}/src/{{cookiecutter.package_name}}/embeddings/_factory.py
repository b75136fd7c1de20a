"""One typed factory: a backend name and its options in, an :class:`Embedder` out."""

from __future__ import annotations

from typing import Literal, get_args

from ._base import Embedder
from ._hashing import HashingEmbedder
from ._minilm import MiniLMEmbedder
from ._openai import DEFAULT_MODEL as DEFAULT_OPENAI_MODEL
from ._openai import OpenAIEmbedder
from ._sentence_transformers import DEFAULT_MODEL as DEFAULT_ST_MODEL
from ._sentence_transformers import SentenceTransformerEmbedder
from ._wordllama import WordLlamaEmbedder

EmbedderName = Literal["wordllama", "minilm", "openai", "sentence-transformers", "hashing"]
EMBEDDER_NAMES: tuple[str, ...] = get_args(EmbedderName)


def build_embedder(
    backend: EmbedderName = "wordllama",
    *,
    dimension: int = 256,
    model: str = "",
    base_url: str | None = None,
    api_key: str = "",
    batch_size: int = 32,
    timeout_seconds: float = 60.0,
    max_retries: int = 2,
) -> Embedder:
    """The embedder of ``backend``; options a backend does not use are ignored.

    Args:
        backend: ``wordllama`` (offline default), ``minilm`` (offline, its extra), ``openai``
            (any OpenAI-protocol endpoint), ``sentence-transformers`` (its extra) or ``hashing``
            (no model at all).
        dimension: Vector size of ``wordllama`` (64, 128 or 256) and ``hashing``.
        model: Model id of ``openai`` and ``sentence-transformers``; empty = their default.
        base_url: The ``openai`` endpoint; ``None`` = OpenAI's API.
        api_key: The ``openai`` endpoint's key.
        batch_size: Texts per model call or request.
        timeout_seconds: ``openai`` request timeout.
        max_retries: ``openai`` retries of rate limits and server errors.

    Raises:
        ValueError: ``backend`` is not one of :data:`EMBEDDER_NAMES`.
        EmbedderNotInstalledError: ``minilm`` or ``sentence-transformers`` without its extra (the
            message says how to add it).
    """
    if backend == "wordllama":
        return WordLlamaEmbedder(dimension, batch_size)
    if backend == "minilm":
        return MiniLMEmbedder(batch_size)
    if backend == "openai":
        return OpenAIEmbedder(
            model or DEFAULT_OPENAI_MODEL,
            base_url=base_url,
            api_key=api_key,
            batch_size=batch_size,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
        )
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model or DEFAULT_ST_MODEL, batch_size)
    if backend == "hashing":
        return HashingEmbedder(dimension)
    raise ValueError(f"unknown embedder {backend!r}; known: {', '.join(EMBEDDER_NAMES)}")
