"""In-memory dense search: sign-bit candidates, then exact cosine rescoring.

LanceDB plans every query (about 10 ms on 2 cores whatever the size), scans every row when the
table has no vector index (about 150 ms at 100k chunks of 256 dimensions) and takes minutes to
train its HNSW index at that size. Below a row limit the LanceDB store therefore keeps the live
build's vectors in memory and searches them here: every row is ranked by the Hamming distance
between its sign bits and the query's (32 bytes per 256-dimension vector, a few milliseconds for
100k rows), the best ``rescore`` rows (``k`` if more) are scored exactly by cosine similarity,
and the top ``k`` of those are returned. Indexes of at most that many rows are searched exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..embeddings import Vectors

Positions = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]


def sign_bits(vectors: Vectors) -> npt.NDArray[np.uint64]:
    """The sign bit of every component, packed into 64-bit words (one row per vector)."""
    packed = np.packbits(np.asarray(vectors) > 0, axis=-1)
    padding = (-packed.shape[-1]) % 8
    if padding:
        widths = [(0, 0)] * (packed.ndim - 1) + [(0, padding)]
        packed = np.pad(packed, widths)
    return np.ascontiguousarray(packed).view(np.uint64)


class MemoryVectorIndex:
    """Cosine top-k over unit-length vectors held in memory (see the module docstring)."""

    def __init__(self, vectors: Vectors, rescore: int = 1000) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.rescore = rescore
        # One row per 64-bit word: each query step then streams a contiguous column of words.
        self._words = np.ascontiguousarray(sign_bits(self.vectors).T)

    def __len__(self) -> int:
        return len(self.vectors)

    def _hamming(self, query: Vectors) -> npt.NDArray[np.uint16]:
        distances = np.zeros(len(self), dtype=np.uint16)
        for words, word in zip(self._words, sign_bits(query), strict=True):
            distances += np.bitwise_count(words ^ word)
        return distances

    def search(
        self, query: Vectors, k: int, mask: Mask | None = None
    ) -> tuple[Positions, npt.NDArray[np.float32]]:
        """Row positions of the ``k`` most similar vectors (allowed by ``mask``), best first.

        Returns:
            The positions and their cosine similarities.
        """
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        allowed = len(self) if mask is None else int(mask.sum())
        rescore = max(self.rescore, k)
        if allowed <= rescore:
            candidates = np.arange(len(self)) if mask is None else np.flatnonzero(mask)
        else:
            distances = self._hamming(query)
            if mask is not None:
                distances[~mask] = np.iinfo(np.uint16).max
            candidates = np.argpartition(distances, rescore - 1)[:rescore]
            if mask is not None:
                candidates = candidates[mask[candidates]]
        top = min(k, len(candidates))
        if top <= 0:
            return np.zeros(0, np.intp), np.zeros(0, np.float32)
        scores = self.vectors[candidates] @ query
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return candidates[best].astype(np.intp), scores[best].astype(np.float32)
