"""wordllama: static token embeddings whose weights and tokenizer ship in the wheel (offline).

A wordllama vector is the mean of the embedding-matrix rows of a text's tokens (no special
tokens), L2-normalised. That is all this module runs: it reads the wheel's two files itself (the
safetensors weights memory-mapped, the tokenizer with ``tokenizers``) instead of importing the
``wordllama`` package, whose import pulls its training and clustering code and sets up root
logging, and whose ``embed`` pads every batch to its longest text. The vectors are the ones
``WordLlama.load(...).embed(texts)`` returns (``tests/embeddings/test_wordllama.py`` compares).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._base import TokenizerCounter, Vectors, empty, normalise

CONFIG = "l2_supercat"
MAX_DIMENSION = 256
VOCABULARY = f"wordllama-{CONFIG}"
WEIGHTS_FILE = f"weights/{CONFIG}_{MAX_DIMENSION}.safetensors"
TOKENIZER_FILE = f"tokenizers/{CONFIG}_tokenizer_config.json"
TENSOR = "embedding.weight"
_DTYPES = {"F16": np.float16, "F32": np.float32}
CONVERT_TOKENS = 1 << 16  # beyond this many tokens per call, pool from a float32 copy


def _package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")  # finds the folder without running the package
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordllama is not installed: `uv sync`")
    return Path(next(iter(spec.submodule_search_locations)))


def read_safetensor(path: Path, name: str) -> npt.NDArray[Any]:
    """One tensor of a ``.safetensors`` file, memory-mapped (read-only, nothing copied).

    The format: an 8-byte little-endian header length, a JSON header giving each tensor's dtype,
    shape and byte range, then the raw data.
    """
    with path.open("rb") as file:
        length = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(length))
    entry = header[name]
    start, _ = entry["data_offsets"]
    return np.memmap(
        path,
        dtype=_DTYPES[entry["dtype"]],
        mode="r",
        offset=8 + length + start,
        shape=tuple(entry["shape"]),
    )


@cache
def _weights() -> npt.NDArray[Any]:
    """The embedding matrix (vocabulary x 256, float16), mapped once per process."""
    return read_safetensor(_package_dir() / WEIGHTS_FILE, TENSOR)


@cache
def _tokenizer() -> Any:
    """Wordllama's tokenizer, loaded once per process: no padding, no truncation."""
    from tokenizers import Tokenizer  # noqa: PLC0415 - wordllama's tokenizer library

    tokenizer = Tokenizer.from_file(str(_package_dir() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@cache
def _float_weights(dimension: int) -> npt.NDArray[np.float32]:
    """The first ``dimension`` columns as one float32 block (large batches convert it once)."""
    return np.ascontiguousarray(_weights()[:, :dimension], dtype=np.float32)


def pool(token_ids: Sequence[Sequence[int] | npt.NDArray[np.int32]], dimension: int) -> Vectors:
    """Mean of the first ``dimension`` columns of the rows of each text's tokens (not normalised).

    A text without tokens pools to zeros. Token ids past the vocabulary are clipped to its last
    row, as wordllama does. Below ``CONVERT_TOKENS`` tokens in all (queries), the float16 rows are
    converted as they are gathered; above, the whole matrix is converted once per process.
    """
    weights = _weights()
    total = sum(len(ids) for ids in token_ids)
    matrix = _float_weights(dimension) if total > CONVERT_TOKENS else weights
    last = weights.shape[0] - 1
    out = np.zeros((len(token_ids), dimension), dtype=np.float32)
    for row, ids in enumerate(token_ids):
        if len(ids):
            picked = np.clip(np.asarray(ids, dtype=np.intp), 0, last)
            rows = matrix[picked, :dimension]
            out[row] = rows.sum(axis=0, dtype=np.float32) / len(ids)
    return out


class WordLlamaEmbedder:
    """wordllama's bundled "supercat" model, the offline default.

    The weights are mapped on first use and shared by the whole process. ``dimension`` below 256
    uses the model's Matryoshka truncation (64, 128 and 256 are the trained sizes). Texts are
    tokenised ``batch_size`` at a time; an empty text embeds to a zero vector.
    """

    CONFIG = CONFIG
    vocabulary = VOCABULARY

    def __init__(self, dimension: int = MAX_DIMENSION, batch_size: int = 32) -> None:
        if not 0 < dimension <= MAX_DIMENSION:
            raise ValueError(f"wordllama embeds into 1 to {MAX_DIMENSION} dimensions: {dimension}")
        self._dimension = dimension
        self._batch_size = max(batch_size, 1)

    @property
    def name(self) -> str:
        """``wordllama-l2_supercat-<dimension>``."""
        return f"wordllama-{self.CONFIG}-{self._dimension}"

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``: mean token vectors, L2-normalised."""
        if not texts:
            return empty(self._dimension)
        tokenizer = _tokenizer()
        ids: list[list[int]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = tokenizer.encode_batch(
                list(texts[start : start + self._batch_size]), add_special_tokens=False
            )
            ids += (encoding.ids for encoding in batch)
        return self.embed_token_ids(ids)

    def embed_token_ids(
        self, token_ids: Sequence[Sequence[int] | npt.NDArray[np.int32]]
    ) -> Vectors:
        """Embed texts already tokenised by this model's tokenizer (e.g. while chunking)."""
        if not token_ids:
            return empty(self._dimension)
        return normalise(pool(token_ids, self._dimension))


class WordLlamaTokenCounter(TokenizerCounter):
    """Token counts from wordllama's tokenizer (offline), one text or a batch at a time.

    ``line_break_id``: the tokenizer (Llama-2 BPE, no pre-tokenizer) has no token and no merge
    holding a line break, which is always this one byte token; so a line is tokenised the same
    whatever text comes before or after it (``tests/embeddings/test_wordllama.py`` checks the
    vocabulary).
    """

    vocabulary = VOCABULARY

    def __init__(self) -> None:
        super().__init__(_tokenizer())
        self.line_break_id: int | None = self.tokenizer.token_to_id("<0x0A>")


@cache
def wordllama_token_counter() -> WordLlamaTokenCounter:
    """The process-wide counter of wordllama's tokenizer (e.g. to bound chunk sizes)."""
    return WordLlamaTokenCounter()
