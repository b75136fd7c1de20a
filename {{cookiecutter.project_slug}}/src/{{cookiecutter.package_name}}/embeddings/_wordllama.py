"""wordllama: static token embeddings whose weights and tokenizer ship in the wheel (offline)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ._base import TokenizerCounter, Vectors, empty, normalise

CONFIG = "l2_supercat"
MAX_DIMENSION = 256


@cache
def _model(config: str, dimension: int) -> Any:
    """Load a wordllama model once per process (every embedder of that size shares it).

    ``cache_dir`` is the package folder, where the wheel ships the weights and the tokenizer, and
    downloads are off: a plain ``WordLlama.load()`` would fetch the tokenizer from the network.
    """
    import wordllama  # noqa: PLC0415 - loads weights: only when embedding

    return wordllama.WordLlama.load(
        config=config,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
        trunc_dim=dimension,
    )


class WordLlamaEmbedder:
    """wordllama's bundled "supercat" model, the offline default.

    The model is loaded on first use and shared by the whole process. ``dimension`` below 256 uses
    the model's Matryoshka truncation (64, 128 and 256 are the trained sizes). Texts are embedded
    ``batch_size`` at a time (8-32 is fastest on a CPU); an empty text embeds to a zero vector.
    """

    CONFIG = CONFIG

    def __init__(self, dimension: int = MAX_DIMENSION, batch_size: int = 32) -> None:
        if not 0 < dimension <= MAX_DIMENSION:
            raise ValueError(f"wordllama embeds into 1 to {MAX_DIMENSION} dimensions: {dimension}")
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
        """Embed ``texts`` in batches of ``batch_size``, L2-normalised."""
        if not texts:
            return empty(self._dimension)
        model = _model(self.CONFIG, self._dimension)
        # Normalised here rather than by wordllama, which turns an empty text into NaNs.
        return normalise(model.embed(list(texts), norm=False, batch_size=self._batch_size))


class WordLlamaTokenCounter(TokenizerCounter):
    """Token counts from wordllama's tokenizer (offline), one text or a batch at a time."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer  # noqa: PLC0415 - wordllama's tokenizer library

        # A copy without the model's batch padding (the embedder pads batches to one length).
        shared = _model(CONFIG, MAX_DIMENSION).tokenizer
        super().__init__(Tokenizer.from_str(shared.to_str()))


@cache
def wordllama_token_counter() -> WordLlamaTokenCounter:
    """The process-wide counter of wordllama's tokenizer (e.g. to bound chunk sizes)."""
    return WordLlamaTokenCounter()
