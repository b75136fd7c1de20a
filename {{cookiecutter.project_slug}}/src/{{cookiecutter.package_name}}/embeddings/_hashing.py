"""A dependency-free embedder: hashed words and word pairs (offline, fast, deterministic)."""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._base import Vectors, normalise

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class HashingEmbedder:
    """Words and word pairs hashed into ``dimension`` signed buckets.

    No model, no download: similar only when texts share words, which is enough to recall past
    tasks phrased alike. Use it where a model is unwanted (tests, demos, tiny machines).
    """

    dimension: int = 256

    @property
    def name(self) -> str:
        """``hashing-<dimension>``."""
        return f"hashing-{self.dimension}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised rows, one per text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feature in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                code = zlib.crc32(feature.encode())
                out[row, code % self.dimension] += 1.0 if code & 0x80000000 else -1.0
        return normalise(out)
