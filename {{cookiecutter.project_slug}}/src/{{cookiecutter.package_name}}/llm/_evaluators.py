"""Evaluators for non-deterministic outputs; each returns a score in [0, 1] and a reason.

Listed in a dataset case as ``{type: <name>, ...options}``:

* ``exact``: ``field`` (or the whole output) equals ``value``;
* ``contains``: ``value`` appears (case-insensitive) in ``field`` (or the output as text);
* ``json_schema``: the output satisfies ``schema`` (type, required, properties, enum, items);
* ``citations``: a grounded answer cites only known passages (and ``expected`` ones, and
  abstains when ``abstain: true``);
* ``similarity``: embedding cosine to ``reference`` (wordllama offline) at least ``min``;
* ``judge``: an LLM judge says the output meets ``rubric``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from ..embeddings import Embedder, cosine
from ._client import LLMClient
from ._grounding import GroundedAnswer, Passage, check_citations
from ._tasks import default_registry

_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


@dataclass(frozen=True)
class Score:
    """One evaluator's result on one case."""

    evaluator: str
    score: float
    passed: bool
    reason: str


@dataclass
class EvalContext:
    """What evaluators may need beyond the output: the case inputs, an embedder, a judge."""

    inputs: Mapping[str, Any]
    embedder: Embedder | None = None
    judge: LLMClient | None = None


class RubricVerdict(BaseModel):
    """The judge's decision on a rubric."""

    passed: bool = Field(description="The output meets the rubric.")
    reason: str = Field(description="One sentence.")


def _as_data(output: Any) -> Any:
    return output.model_dump(mode="json") if isinstance(output, BaseModel) else output


def _field(output: Any, name: str | None) -> Any:
    data = _as_data(output)
    return data.get(name) if name and isinstance(data, dict) else data


def _score(name: str, passed: bool, reason: str, score: float | None = None) -> Score:
    return Score(name, float(passed) if score is None else score, passed, reason)


def exact(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """``field`` (or the output) equals ``value``."""
    actual = _field(output, spec.get("field"))
    return _score("exact", actual == spec["value"], f"got {actual!r}, want {spec['value']!r}")


def contains(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """``value`` appears in ``field`` (or the output as text), ignoring case."""
    text = str(_field(output, spec.get("field")))
    found = str(spec["value"]).lower() in text.lower()
    return _score("contains", found, f"{spec['value']!r} {'in' if found else 'not in'} output")


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (a subset of JSON Schema: see the module doc)."""
    errors: list[str] = []
    kind = schema.get("type")
    expected = _TYPES.get(kind) if isinstance(kind, str) else None
    if expected is not None and (
        not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))
    ):
        return [f"{path}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        errors += [f"{path}.{k}: missing" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += schema_errors(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{index}]")
    return errors


def json_schema(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """The output satisfies ``schema``."""
    errors = schema_errors(_as_data(output), spec["schema"])
    return _score("json_schema", not errors, "; ".join(errors) or "valid")


def citations(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """Citations are known ids; ``expected`` ids are cited; ``abstain`` matches."""
    answer = GroundedAnswer.model_validate(_as_data(output))
    passages = [Passage.model_validate(p) for p in ctx.inputs.get("passages", [])]
    problems = check_citations(answer, passages)
    missing = set(spec.get("expected", [])) - set(answer.citations)
    problems += [f"expected citation {c!r} missing" for c in sorted(missing)]
    if "abstain" in spec and answer.abstained != spec["abstain"]:
        problems.append(f"abstained={answer.abstained}, want {spec['abstain']}")
    return _score("citations", not problems, "; ".join(problems) or "citations valid")


def similarity(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """Embedding cosine between the output (``field``) and ``reference`` is at least ``min``."""
    if ctx.embedder is None:
        raise ValueError("the similarity evaluator needs an embedder")
    text = str(_field(output, spec.get("field")))
    value = cosine([text], [str(spec["reference"])], ctx.embedder)[0]
    minimum = float(spec.get("min", 0.7))
    return _score("similarity", value >= minimum, f"cosine {value:.3f} (min {minimum})", value)


def judge(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """An LLM judge decides whether the output meets ``rubric``."""
    if ctx.judge is None:
        raise ValueError("the judge evaluator needs a judge client")
    prompt = default_registry().render(
        "judge_rubric", rubric=spec["rubric"], inputs=dict(ctx.inputs), output=_as_data(output)
    )
    verdict = ctx.judge.run_sync(prompt, RubricVerdict).output
    return _score("judge", verdict.passed, verdict.reason)


EVALUATORS: dict[str, Callable[[Any, Mapping[str, Any], EvalContext], Score]] = {
    "exact": exact,
    "contains": contains,
    "json_schema": json_schema,
    "citations": citations,
    "similarity": similarity,
    "judge": judge,
}


def evaluate(output: Any, spec: Mapping[str, Any], ctx: EvalContext) -> Score:
    """Run the evaluator named by ``spec["type"]``."""
    try:
        evaluator = EVALUATORS[spec["type"]]
    except KeyError:
        known = sorted(EVALUATORS)
        raise ValueError(f"unknown evaluator {spec.get('type')!r}; known: {known}") from None
    return evaluator(output, spec, ctx)
