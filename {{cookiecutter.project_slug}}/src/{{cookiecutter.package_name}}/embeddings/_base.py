"""The embedder protocol and the vector helpers every backend and caller shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size, L2-normalised float32 vectors (a dot product is a cosine)."""

    @property
    def name(self) -> str:
        """Model and configuration; two embedders share a name only if their vectors are comparable.

        Stores record it next to the vectors (the RAG index, the agents' episodes) and refuse or
        skip vectors of another name.
        """
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``: an array of shape ``(len(texts), dimension)``."""
        ...


@runtime_checkable
class TokenIdEmbedder(Embedder, Protocol):
    """An embedder that can embed texts its tokenizer (named by ``vocabulary``) already split.

    The RAG chunker tokenises every section to bound chunk sizes; with such an embedder it keeps
    the token ids, and embedding skips the second tokenisation.
    """

    vocabulary: str

    def embed_token_ids(
        self, token_ids: Sequence[Sequence[int] | npt.NDArray[np.int32]]
    ) -> Vectors:
        """Embed the texts whose token ids (no special tokens) are ``token_ids``."""
        ...


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return (array / np.where(norms == 0, 1, norms)).astype(np.float32)


def empty(dimension: int) -> Vectors:
    """No vectors: shape ``(0, dimension)``."""
    return np.zeros((0, dimension), dtype=np.float32)


def cosine(a: Sequence[str], b: Sequence[str], embedder: Embedder) -> list[float]:
    """Pairwise cosine similarity of ``a[i]`` and ``b[i]``."""
    left, right = embedder.embed(a), embedder.embed(b)
    return [float(x) for x in np.sum(left * right, axis=1)]


class TokenizerCounter:
    """Token counts and offsets from a ``tokenizers.Tokenizer``.

    No special tokens, no padding, no truncation: the chunker's measure for the embedders whose
    tokenizer it is.
    """

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> int:
        """Tokens in ``text`` (no special tokens)."""
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def batch(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``; the tokenizer encodes the batch on all cores."""
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encoded]

    def spans_batch(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Character offsets of every token of each of ``texts`` (one batch encode)."""
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [list(encoding.offsets) for encoding in encoded]

    def encode_batch(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Token ids and character offsets of each of ``texts`` (one batch encode)."""
        return [(encoding.ids, encoding.offsets) for encoding in self.encodings(texts)]

    def encodings(self, texts: Sequence[str]) -> list[Any]:
        """The tokenizer's ``Encoding`` of each of ``texts`` (one batch encode).

        Its ``ids`` and ``offsets`` become Python lists only when read: a caller that needs the
        offsets of a few texts only reads only those.
        """
        return list(self.tokenizer.encode_batch(list(texts), add_special_tokens=False))
