from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.llm import LLMClient, LLMSettings
from {{ cookiecutter.package_name }}.llm._evals import load_datasets, run_all, run_dataset
from {{ cookiecutter.package_name }}.llm._evaluators import EvalContext, evaluate, schema_errors
from {{ cookiecutter.package_name }}.llm._grounding import GroundedAnswer
from {{ cookiecutter.package_name }}.llm.testing.replay import load_recording, replay_model, save_recording

from .conftest import PROJECT_ROOT

EVALS = PROJECT_ROOT / "evals"


def test_replay_evals_pass_their_gate() -> None:
    """The CI gate: the shipped datasets on the recorded answers meet their thresholds."""
    lines, passed, report = run_all(EVALS, LLMSettings(), replay=True)
    assert passed, "\n".join(lines)
    assert report.exists()
    assert "| few-shot-ticket-billing | FAIL |" in report.with_suffix(".md").read_text()


def test_a_degraded_model_fails_the_gate(tmp_path: Path) -> None:
    recording = load_recording(EVALS / "replay.yaml")
    for entry in recording.values():
        if "output" in entry and "sentiment" in entry["output"]:
            entry["output"]["sentiment"] = "neutral"
    (tmp_path / "datasets").mkdir()
    for dataset in (EVALS / "datasets").glob("*.yaml"):
        (tmp_path / "datasets" / dataset.name).write_text(dataset.read_text())
    save_recording(tmp_path / "replay.yaml", recording)
    lines, passed, _ = run_all(tmp_path, LLMSettings(), replay=True)
    assert not passed
    assert any(line.startswith("FAIL prompting-styles") for line in lines)


def test_unrecorded_prompts_fail_with_the_fix() -> None:
    dataset = next(d for d in load_datasets(EVALS) if d.name == "prompting-styles")
    result = run_dataset(dataset, LLMClient(model=replay_model({})))
    assert not result.gate_passed
    assert all(case.error and "make eval-record" in case.error for case in result.cases)


@pytest.mark.parametrize(
    ("spec", "output", "passed"),
    [
        ({"type": "exact", "field": "a", "value": 1}, {"a": 1}, True),
        ({"type": "exact", "value": "x"}, "y", False),
        ({"type": "contains", "value": "PARIS"}, "It is Paris.", True),
        ({"type": "json_schema", "schema": {"type": "object", "required": ["a"]}}, {}, False),
        ({"type": "json_schema", "schema": {"type": "integer"}}, True, False),
    ],
)
def test_simple_evaluators(spec: dict[str, Any], output: Any, passed: bool) -> None:
    assert evaluate(output, spec, EvalContext({})).passed is passed


def test_schema_errors_point_at_the_field() -> None:
    schema = {"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["a"]}}}}
    assert schema_errors({"tags": ["a", "b"]}, schema) == ["$.tags[1]: 'b' not in ['a']"]


def test_citation_evaluator_checks_ids_expectations_and_abstention() -> None:
    ctx = EvalContext({"passages": [{"id": "p1", "text": "t"}]})
    good = GroundedAnswer(answer="a", citations=["p1"])
    assert evaluate(good, {"type": "citations", "expected": ["p1"]}, ctx).passed
    bad = evaluate(good, {"type": "citations", "abstain": True}, ctx)
    assert not bad.passed
    assert "abstained=False" in bad.reason


def test_similarity_evaluator_scores_by_embedding() -> None:
    ctx = EvalContext({}, embedder=WordLlamaEmbedder(64))
    spec = {"type": "similarity", "reference": "the cat sat on the mat", "min": 0.6}
    assert evaluate("a cat was sitting on a mat", spec, ctx).passed
    assert not evaluate("quarterly revenue grew in europe", spec, ctx).passed


def test_unknown_evaluator_is_named() -> None:
    with pytest.raises(ValueError, match="unknown evaluator 'bleu'"):
        evaluate("x", {"type": "bleu"}, EvalContext({}))
