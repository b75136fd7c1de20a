"""Text embedders: a small protocol and an offline default (wordllama, weights in its wheel).

An index records the :attr:`Embedder.name` and :attr:`Embedder.dimension` it was built with and
refuses queries embedded by anything else. To add a model, implement :class:`Embedder` and register
a factory in :data:`EMBEDDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .settings import RAGSettings


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size float vectors."""

    @property
    def name(self) -> str:
        """Model and configuration; two embedders share a name only if their vectors match."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed ``texts``; one vector per text, in order."""
        ...


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

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed ``texts`` in batches of ``batch_size``."""
        if not texts:
            return []
        model = _wordllama_model(self.CONFIG, self._dimension)
        vectors: list[list[float]] = model.embed(
            list(texts), norm=True, batch_size=self._batch_size
        ).tolist()
        return vectors


EMBEDDERS: dict[str, Callable[[RAGSettings], Embedder]] = {
    "wordllama": lambda s: WordLlamaEmbedder(s.embedding_dim, s.embed_batch_size),
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
