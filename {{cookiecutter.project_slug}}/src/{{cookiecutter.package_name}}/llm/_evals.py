"""Run the eval datasets of ``evals/`` against a model and gate on their thresholds.

A dataset is a YAML file: ``name``, ``thresholds`` (``pass_rate``: the fraction of cases whose
every evaluator passed; ``mean_score``: the mean evaluator score) and ``cases``, each with a
``task`` (one of :data:`TASKS`), its ``inputs`` and a list of ``evaluators``
(:mod:`._evaluators`). ``make eval`` runs them against the configured live model;
``make eval-replay`` (and the test suite, in CI) against ``evals/replay.yaml``, answers recorded
from a live model by ``make eval-record``, so quality drops fail the build offline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from ..core.settings import get_settings
from ..embeddings import Embedder
from . import _tasks as tasks
from ._client import LLMClient
from ._evaluators import EvalContext, Score, evaluate
from ._grounding import Passage, grounded_answer
from .settings import LLMSettings

REPLAY_FILE = "replay.yaml"


class Thresholds(BaseModel):
    """The gate of one dataset."""

    pass_rate: float = Field(default=1.0, ge=0, le=1)
    mean_score: float = Field(default=0.0, ge=0, le=1)


class Case(BaseModel):
    """One input, the task that answers it and the evaluators of the answer."""

    name: str
    task: str
    inputs: dict[str, Any]
    evaluators: list[dict[str, Any]]


class Dataset(BaseModel):
    """A YAML dataset file."""

    name: str
    description: str = ""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    cases: list[Case]


def _grounded(client: LLMClient, question: str, passages: list[dict[str, Any]]) -> Any:
    docs = [Passage.model_validate(p) for p in passages]
    return grounded_answer(question, docs, client=client)


TASKS: dict[str, Callable[..., Any]] = {
    "classify_sentiment": lambda c, **kw: tasks.classify_sentiment(c, **kw).output,
    "extract_ticket": lambda c, **kw: tasks.extract_ticket(c, **kw).output,
    "solve_arithmetic": lambda c, **kw: tasks.solve_arithmetic(c, **kw).output,
    "explain": lambda c, **kw: tasks.explain(c, **kw).output,
    "grounded_answer": _grounded,
}


@dataclass
class CaseResult:
    """The scores of one case (an exception is a failed case with score 0)."""

    name: str
    scores: list[Score] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Every evaluator passed and nothing raised."""
        return self.error is None and all(s.passed for s in self.scores)


@dataclass
class DatasetResult:
    """A dataset's cases and whether it meets its thresholds."""

    name: str
    thresholds: Thresholds
    cases: list[CaseResult]

    @property
    def pass_rate(self) -> float:
        """Fraction of passed cases."""
        return sum(c.passed for c in self.cases) / len(self.cases) if self.cases else 0.0

    @property
    def mean_score(self) -> float:
        """Mean evaluator score over all cases (a failed case counts 0)."""
        scores = [s.score for c in self.cases for s in c.scores] + [
            0.0 for c in self.cases if c.error
        ]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def gate_passed(self) -> bool:
        """Pass rate and mean score both reach the thresholds."""
        return (
            self.pass_rate >= self.thresholds.pass_rate
            and self.mean_score >= self.thresholds.mean_score
        )


def load_datasets(folder: Path) -> list[Dataset]:
    """Every ``*.yaml`` dataset under ``folder/datasets``."""
    paths = sorted((folder / "datasets").glob("*.yaml"))
    if not paths:
        raise FileNotFoundError(f"no eval datasets in {folder / 'datasets'}")
    return [Dataset.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in paths]


def run_case(case: Case, client: LLMClient, ctx: EvalContext) -> CaseResult:
    """Answer one case and score it."""
    result = CaseResult(case.name)
    try:
        output = TASKS[case.task](client, **case.inputs)
        result.scores = [evaluate(output, spec, ctx) for spec in case.evaluators]
    except Exception as exc:  # a failing case is a result, not a crash
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def run_dataset(
    dataset: Dataset,
    client: LLMClient,
    *,
    embedder: Embedder | None = None,
    judge: LLMClient | None = None,
) -> DatasetResult:
    """Run every case of ``dataset``."""
    results = [
        run_case(case, client, EvalContext(case.inputs, embedder, judge or client))
        for case in dataset.cases
    ]
    return DatasetResult(dataset.name, dataset.thresholds, results)


def report(results: list[DatasetResult]) -> dict[str, Any]:
    """A JSON-able report of ``results``."""
    return {
        "passed": all(r.gate_passed for r in results),
        "datasets": [
            {
                "name": r.name,
                "pass_rate": round(r.pass_rate, 4),
                "mean_score": round(r.mean_score, 4),
                "thresholds": r.thresholds.model_dump(),
                "gate_passed": r.gate_passed,
                "cases": [
                    {"name": c.name, "passed": c.passed, "error": c.error}
                    | {"scores": [asdict(s) for s in c.scores]}
                    for c in r.cases
                ],
            }
            for r in results
        ],
    }


def summary_lines(results: list[DatasetResult]) -> list[str]:
    """One line per dataset and one per failed case."""
    lines = []
    for r in results:
        verdict = "PASS" if r.gate_passed else "FAIL"
        lines.append(
            f"{verdict} {r.name}: pass rate {r.pass_rate:.2f} (min {r.thresholds.pass_rate}), "
            f"mean score {r.mean_score:.2f} (min {r.thresholds.mean_score}), {len(r.cases)} cases"
        )
        for case in r.cases:
            if not case.passed:
                why = case.error or "; ".join(s.reason for s in case.scores if not s.passed)
                lines.append(f"  - {case.name}: {why}")
    return lines


def write_report(results: list[DatasetResult], path: Path) -> Path:
    """Write the JSON report to ``path`` and a Markdown summary next to it (``.md``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report(results), indent=2), encoding="utf-8")
    rows = [
        f"| {c.name} | {'pass' if c.passed else 'FAIL'} | "
        + (c.error or "; ".join(f"{s.evaluator} {s.score:.2f}" for s in c.scores))
        + " |"
        for r in results
        for c in r.cases
    ]
    table = ["| case | result | scores |", "| --- | --- | --- |", *rows]
    markdown = ["# Eval report", "", *summary_lines(results), "", *table, ""]
    path.with_suffix(".md").write_text("\n".join(markdown), encoding="utf-8")
    return path


def run_all(
    folder: Path, settings: LLMSettings, *, replay: bool = True, record: bool = False
) -> tuple[list[str], bool, Path]:
    """Run every dataset of ``folder`` on the replay (or the live model, optionally recording).

    Returns the summary lines, whether every gate passed, and the JSON report's path.
    """
    from ._models import build_model, get_embedder  # noqa: PLC0415
    from .testing.replay import RecordingModel, load_recording, replay_model, save_recording  # noqa: PLC0415

    replay_path = folder / REPLAY_FILE
    recording = load_recording(replay_path)
    live = None if replay else build_model(settings)
    if replay:
        model: Any = replay_model(recording)
    else:
        model = live = RecordingModel(live, {} if record else None)
    client = LLMClient(settings, model=model)
    embedder = get_embedder(settings)
    results = [run_dataset(d, client, embedder=embedder) for d in load_datasets(folder)]
    if record and isinstance(live, RecordingModel):
        save_recording(replay_path, live.recording)
    mode = "replay" if replay else "live"
    path = write_report(results, get_settings().artifacts_dir / "evals" / f"report-{mode}.json")
    lines = [f"evals ({mode}, model {client.resolved_model.model_name}):", *summary_lines(results)]
    return lines, all(r.gate_passed for r in results), path
