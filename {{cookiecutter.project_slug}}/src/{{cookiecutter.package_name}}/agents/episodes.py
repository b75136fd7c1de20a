"""Long-term episodic memory: every finished run stored with an embedding, similar ones recalled.

The planner is offered the runs most similar to a new task (cosine similarity of embeddings), with
their outcome, so it can reuse what worked and avoid what failed. Embeddings come from the LLM
pillar's embedder when it has one (``llm/embeddings.py``), else from :class:`HashingEmbedder`, a
deterministic offline bag-of-words embedding. Vectors are kept in memory as one normalised matrix;
a query is one matrix-vector product (about a millisecond for 10k episodes).
"""

from __future__ import annotations

import itertools
import re
import threading
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import structlog

from ..core.pillars import pillar_module
from .store import RunStore

log = structlog.get_logger(__name__)
_WORD = re.compile(r"[a-z0-9]+")
Matrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Anything that turns texts into one vector each (the LLM pillar's interface)."""

    @property
    def name(self) -> str:
        """Identifies the embedding space (vectors of different names never mix)."""
        ...

    @property
    def dim(self) -> int:
        """Vector length."""
        ...

    def embed(self, texts: list[str]) -> Any:
        """One row per text."""
        ...


@dataclass(frozen=True)
class HashingEmbedder:
    """Words and word pairs hashed into ``dim`` signed buckets: offline, fast, deterministic."""

    dim: int = 256

    @property
    def name(self) -> str:
        """Identifies the embedding space."""
        return f"hashing-{self.dim}"

    def embed(self, texts: list[str]) -> Matrix:
        """L2-normalised rows, one per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feature in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                code = zlib.crc32(feature.encode())
                out[row, code % self.dim] += 1.0 if code & 0x80000000 else -1.0
        return normalise(out)


def normalise(matrix: Matrix) -> Matrix:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def default_embedder(kind: str = "auto") -> Embedder:
    """The LLM pillar's embedder (``auto``, when it has one), else :class:`HashingEmbedder`."""
    module = pillar_module("llm", "embeddings") if kind == "auto" else None
    factory = getattr(module, "get_embedder", None)
    if callable(factory):
        embedder: Embedder = factory()
        return embedder
    return HashingEmbedder()


@dataclass(frozen=True)
class Episode:
    """A past run recalled for a new task."""

    text: str
    outcome: str
    score: float


class EpisodicMemory:
    """Episodes in the run store, searchable by similarity to a query."""

    def __init__(self, store: RunStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._last_id = 0
        self._lock = threading.Lock()  # background runs share one memory
        self._texts: list[tuple[str, str]] = []
        self._matrix: Matrix = np.zeros((0, embedder.dim), dtype=np.float32)

    def add(self, run_id: str, text: str, outcome: str) -> None:
        """Remember one finished run."""
        vector = self._embed([text])[0]
        self.store.add_episode(run_id, text, outcome, self.embedder.name, vector.tobytes())

    def add_many(self, episodes: list[tuple[str, str, str]]) -> None:
        """Remember many ``(run_id, text, outcome)`` at once (one embedding batch)."""
        vectors = self._embed([text for _, text, _ in episodes])
        for (run_id, text, outcome), vector in zip(episodes, vectors, strict=True):
            self.store.add_episode(run_id, text, outcome, self.embedder.name, vector.tobytes())

    def recall(self, query: str, k: int = 3) -> list[Episode]:
        """:meth:`search` that logs and returns nothing when the embedder fails.

        A remote embedder that is down costs the planner its memories, never the run.
        """
        try:
            return self.search(query, k)
        except Exception as exc:  # logged; the run goes on without memories
            log.warning("agent.memory.unavailable", error=f"{type(exc).__name__}: {exc}")
            return []

    def remember(self, run_id: str, text: str, outcome: str) -> None:
        """:meth:`add`, logging instead of raising when the embedder fails."""
        try:
            self.add(run_id, text, outcome)
        except Exception as exc:  # logged; the run itself is already stored
            log.warning(
                "agent.memory.not_saved", run_id=run_id, error=f"{type(exc).__name__}: {exc}"
            )

    def search(self, query: str, k: int = 3) -> list[Episode]:
        """The ``k`` most similar episodes, best first."""
        self._refresh()
        if k <= 0 or not self._texts:
            return []
        scores = self._matrix @ self._embed([query])[0]
        top = np.argpartition(-scores, min(k, len(scores)) - 1)[:k]
        best = sorted(top.tolist(), key=lambda i: -float(scores[i]))
        found = [(self._texts[i], float(scores[i])) for i in best]
        return [
            Episode(text=text, outcome=outcome, score=score) for (text, outcome), score in found
        ]

    def _embed(self, texts: list[str]) -> Matrix:
        return normalise(np.asarray(self.embedder.embed(texts), dtype=np.float32))

    def _refresh(self) -> None:
        with self._lock:
            rows = self.store.episodes(self.embedder.name, after_id=self._last_id)
            if not rows:
                return
            vectors = np.stack([np.frombuffer(blob, dtype=np.float32) for *_, blob in rows])
            # texts first: a concurrent search may pair an older matrix with newer texts, never
            # the reverse
            self._texts += [(text, outcome) for _, text, outcome, _ in rows]
            self._matrix = np.vstack([self._matrix, vectors])
            self._last_id = rows[-1][0]
