"""Ranking pieces, each a plain function: reciprocal-rank fusion, recency boost and MMR."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np

from ._store import Candidate


def rrf(
    rankings: Sequence[Sequence[Candidate]], k: int = 60, weights: Sequence[float] | None = None
) -> list[Candidate]:
    """Fuse rankings by reciprocal rank: score = sum over rankings of ``weight / (k + rank)``.

    A chunk keeps the first vector any ranking returned for it. Ties keep first-seen order.
    """
    scores: dict[str, float] = {}
    first: dict[str, Candidate] = {}
    for index, ranking in enumerate(rankings):
        weight = weights[index] if weights is not None else 1.0
        for rank, candidate in enumerate(ranking, start=1):
            gain = weight / (k + rank)
            scores[candidate.chunk_id] = scores.get(candidate.chunk_id, 0.0) + gain
            if candidate.chunk_id not in first or first[candidate.chunk_id].vector is None:
                first[candidate.chunk_id] = candidate
    fused = [replace(first[chunk_id], score=score) for chunk_id, score in scores.items()]
    return sorted(fused, key=lambda candidate: candidate.score, reverse=True)


def recency_boost(
    candidates: Sequence[Candidate],
    now: datetime,
    weight: float,
    half_life_days: float,
    kinds: Sequence[str],
) -> list[Candidate]:
    """Multiply scores of time-sensitive kinds by ``1 + weight * 0.5 ** (age / half_life)``.

    Other kinds (e.g. files, whose age says little about their truth) are left alone.
    """
    if weight <= 0:
        return list(candidates)
    boosted = []
    for candidate in candidates:
        if candidate.kind in kinds:
            age_days = max(0.0, (now - candidate.fetched_at).total_seconds() / 86_400)
            factor = 1.0 + weight * math.pow(0.5, age_days / half_life_days)
            candidate = replace(candidate, score=candidate.score * factor)  # noqa: PLW2901
        boosted.append(candidate)
    return sorted(boosted, key=lambda candidate: candidate.score, reverse=True)


def mmr(candidates: Sequence[Candidate], k: int, lambda_: float) -> list[Candidate]:
    """Maximal marginal relevance: pick ``k`` candidates balancing score and novelty.

    Relevance is the candidate's place between the pool's worst (0) and best (1) score: dividing
    by the best score instead squeezes reciprocal-rank sums (all within a factor of two or three
    of each other) so that redundancy outweighs them; redundancy is the highest cosine similarity
    to an already picked chunk. Candidates without a vector never count as redundant. The picked
    candidates are returned best score first.
    """
    pool = list(candidates)
    if lambda_ >= 1 or len(pool) <= 1:
        return pool[:k]
    scores = np.array([candidate.score for candidate in pool], dtype=np.float64)
    low, high = scores.min(), scores.max()
    relevance = (scores - low) / (high - low) if high > low else np.ones_like(scores)
    dimension = next((len(c.vector) for c in pool if c.vector is not None), 1)
    vectors = np.stack(
        [c.vector if c.vector is not None else np.zeros(dimension, np.float32) for c in pool]
    )
    picked: list[int] = []
    redundancy = np.zeros(len(pool))
    while len(picked) < min(k, len(pool)):
        value = lambda_ * relevance - (1 - lambda_) * redundancy
        value[picked] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return sorted((pool[index] for index in picked), key=lambda c: c.score, reverse=True)
