"""Retrieval evaluation: recall@k, MRR and nDCG@k of hybrid retrieval against a naive baseline.

The labelled set is JSON Lines, one question per line::

    {"question": "...", "relevant": [{"source": "on-call-policy.md", "section": "Response times"}]}

A hit is relevant when its source matches and (when given) the section is a part of its heading
path. Each labelled target counts once (the first hit matching it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ._retrieval import Hit


class Target(BaseModel):
    """A relevant source, optionally narrowed to a section."""

    source: str
    section: str | None = None

    def matches(self, hit: Hit) -> bool:
        """Whether ``hit`` belongs to this target."""
        if hit.source != self.source:
            return False
        return self.section is None or self.section.lower() in hit.section.lower()


class Question(BaseModel):
    """One labelled question."""

    question: str
    relevant: list[Target]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Mean metrics over a question set."""

    recall: float
    mrr: float
    ndcg: float
    questions: int


def load_questions(path: Path) -> list[Question]:
    """Read the labelled set.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    if not path.is_file():
        raise FileNotFoundError(f"labelled eval set {path} does not exist")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Question.model_validate(json.loads(line)) for line in lines if line.strip()]


def _gains(hits: Sequence[Hit], targets: Sequence[Target]) -> list[int]:
    found: set[int] = set()
    gains = []
    for hit in hits:
        match = next((i for i, t in enumerate(targets) if i not in found and t.matches(hit)), None)
        if match is not None:
            found.add(match)
        gains.append(0 if match is None else 1)
    return gains


def score(hits: Sequence[Hit], targets: Sequence[Target], k: int) -> tuple[float, float, float]:
    """``(recall@k, reciprocal rank, nDCG@k)`` of one ranked list."""
    gains = _gains(hits[:k], targets)
    recall = sum(gains) / len(targets) if targets else 0.0
    rank = next((i for i, gain in enumerate(gains, start=1) if gain), None)
    dcg = sum(gain / math.log2(i + 1) for i, gain in enumerate(gains, start=1))
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(k, len(targets)) + 1))
    return recall, (1 / rank if rank else 0.0), (dcg / ideal if ideal else 0.0)


def evaluate(
    questions: Sequence[Question], search: Callable[[str, int], Sequence[Hit]], k: int
) -> Metrics:
    """Mean recall@k, MRR and nDCG@k of ``search`` over ``questions``.

    Raises:
        ValueError: ``questions`` is empty.
    """
    if not questions:
        raise ValueError("the labelled eval set is empty")
    rows = [score(search(q.question, k), q.relevant, k) for q in questions]
    n = len(rows)
    return Metrics(
        recall=sum(r[0] for r in rows) / n,
        mrr=sum(r[1] for r in rows) / n,
        ndcg=sum(r[2] for r in rows) / n,
        questions=n,
    )
