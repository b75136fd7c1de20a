"""Long-term episodic memory: every finished run stored with an embedding, similar ones recalled.

The planner is offered the runs most similar to a new task (cosine similarity of embeddings), with
their outcome, so it can reuse what worked and avoid what failed. Embeddings come from the shared
:mod:`..embeddings` package: the embedder the LLM pillar's settings name (``auto``), or
:class:`~..embeddings.HashingEmbedder`, a deterministic offline bag-of-words embedding
(``hashing``). Vectors are kept in memory as one normalised matrix; a query is one matrix-vector
product (about a millisecond for 10k episodes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import structlog

from ..embeddings import Embedder, HashingEmbedder, Vectors, normalise
from ..llm import get_embedder
from ._store import RunStore

log = structlog.get_logger(__name__)


def default_embedder(kind: str = "auto") -> Embedder:
    """The embedder of the LLM pillar's settings (``auto``), else :class:`HashingEmbedder`."""
    if kind == "auto":
        return get_embedder()
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
        self._matrix: Vectors = np.zeros((0, embedder.dimension), dtype=np.float32)

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

    def _embed(self, texts: list[str]) -> Vectors:
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
