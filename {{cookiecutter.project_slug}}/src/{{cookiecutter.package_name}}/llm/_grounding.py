"""Grounded answers: the model must cite the context passages it used, and code checks it.

The contract: the answer lists the ids of the passages it relies on. The output type is built per
call so that ``citations`` may only hold the ids of the given passages (the schema tells the model,
validation enforces it); an answer that cites nothing is rejected too. Rejections go back to the
model as retries (``OUTPUT_RETRIES``); when it still fails, the answer *abstains* with "not enough
information" and the reason. Two optional checks follow: self-consistency
(``SELF_CONSISTENCY_SAMPLES`` samples must cite the same passages) and an LLM judge
(``JUDGE_ENABLED``) that must find the answer faithful to the passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from ..monitoring.metrics import counter
from ._client import LLMClient, StructuredOutputError
from ._tasks import default_registry
from .settings import LLMSettings

NOT_ENOUGH_INFORMATION = "Not enough information in the provided context to answer."
NO_CONTEXT = "no context passages were retrieved for this question"


class Passage(BaseModel):
    """A context passage the answer may cite by ``id``."""

    id: str
    text: str
    source: str = ""


class GroundedAnswer(BaseModel):
    """An answer with the ids of the passages it used, or an abstention and its reason."""

    answer: str
    citations: list[str] = Field(default_factory=list)
    abstained: bool = False
    reason: str | None = None


class Verdict(BaseModel):
    """The judge's opinion of one answer."""

    faithful: bool = Field(description="Every claim of the answer is stated in the passages.")
    reason: str = Field(description="One sentence.")


class _Draft(BaseModel):
    answer: str = Field(description="The answer, or what is missing when abstaining.")
    citations: list[str] = Field(default_factory=list, description="Ids of the passages used.")
    abstain: bool = Field(default=False, description="True when the passages lack the answer.")

    @model_validator(mode="after")
    def _cites_something(self) -> _Draft:
        if not self.abstain and not self.citations:
            raise ValueError("cite the ids of the passages that support the answer, or abstain")
        return self


def draft_type(passage_ids: Sequence[str]) -> type[_Draft]:
    """The output type of one call: ``citations`` restricted to ``passage_ids``."""
    allowed: Any = Literal[tuple(passage_ids)]
    return create_model(
        "GroundedDraft",
        __base__=_Draft,
        citations=(list[allowed], Field(default_factory=list, description="Passage ids used.")),
    )


def check_citations(answer: GroundedAnswer, passages: Sequence[Passage]) -> list[str]:
    """Problems with ``answer``'s citations (empty when they hold): unknown ids, none at all."""
    known = {p.id for p in passages}
    problems = [f"unknown passage id {c!r}" for c in answer.citations if c not in known]
    if not answer.abstained and not answer.citations:
        problems.append("the answer cites no passage")
    return problems


def abstain(reason: str) -> GroundedAnswer:
    """The answer given when the contract cannot be met."""
    return GroundedAnswer(answer=NOT_ENOUGH_INFORMATION, abstained=True, reason=reason)


def _count(model: str, answer: GroundedAnswer, kind: str | None) -> GroundedAnswer:
    """Count one grounded answer and, when it abstains, why (``llm_abstentions_total``)."""
    counter("llm_grounded_answers_total", "Grounded answers given", ["model"]).labels(model).inc()
    if answer.abstained:
        counter(
            "llm_abstentions_total", "Grounded answers that abstained", ["model", "reason"]
        ).labels(model, kind or "other").inc()
    return answer


def _sample(
    client: LLMClient, question: str, passages: Sequence[Passage]
) -> tuple[GroundedAnswer, str | None]:
    prompt = default_registry().render(
        "grounded_answer", question=question, passages=[p.model_dump() for p in passages]
    )
    try:
        draft = client.run_sync(prompt, draft_type([p.id for p in passages])).output
    except StructuredOutputError as exc:
        return abstain(f"the model's answer failed the citation check: {exc}"), "citation_check"
    if draft.abstain:
        reason = f"the model found the context insufficient: {draft.answer}"
        return abstain(reason), "insufficient_context"
    cited = list(dict.fromkeys(draft.citations))
    return GroundedAnswer(answer=draft.answer, citations=cited), None


def judge(
    client: LLMClient, question: str, answer: GroundedAnswer, passages: Sequence[Passage]
) -> Verdict:
    """Ask the (judge) model whether ``answer`` is faithful to the passages it cites."""
    cited = [p.model_dump() for p in passages if p.id in answer.citations] or [
        p.model_dump() for p in passages
    ]
    prompt = default_registry().render(
        "judge_faithfulness", question=question, answer=answer.answer, passages=cited
    )
    return client.run_sync(prompt, Verdict).output


def grounded_answer(
    question: str,
    passages: list[Passage],
    *,
    client: LLMClient | None = None,
    judge_client: LLMClient | None = None,
) -> GroundedAnswer:
    """Answer ``question`` from ``passages`` under the citation contract (see the module doc).

    Every answer counts in ``llm_grounded_answers_total{model}``, every abstention in
    ``llm_abstentions_total{model,reason}`` (reason: no_context, citation_check,
    insufficient_context, unstable, unfaithful).
    """
    if not passages:
        model = client.resolved_model.model_name if client is not None else "none"
        return _count(model, abstain(NO_CONTEXT), "no_context")
    client = client or LLMClient()
    answer, kind = _grounded(client, question, passages, judge_client)
    return _count(client.resolved_model.model_name, answer, kind)


def _grounded(
    client: LLMClient,
    question: str,
    passages: list[Passage],
    judge_client: LLMClient | None,
) -> tuple[GroundedAnswer, str | None]:
    settings: LLMSettings = client.settings
    first, kind = _sample(client, question, passages)
    samples = [first]
    while len(samples) < settings.self_consistency_samples and not first.abstained:
        samples.append(_sample(client, question, passages)[0])
    if first.abstained:
        return first, kind
    disagreeing = [
        s for s in samples[1:] if s.abstained or set(s.citations) != set(first.citations)
    ]
    if disagreeing:
        reason = (
            f"{len(disagreeing)} of {len(samples)} samples disagree with the first "
            "(different citations or an abstention): the answer is not stable"
        )
        return abstain(reason), "unstable"
    if settings.judge_enabled:
        if judge_client is None:
            judge_settings = settings.model_copy(update={"model": settings.judge_model})
            judge_client = client if not settings.judge_model else LLMClient(judge_settings)
        verdict = judge(judge_client, question, first, passages)
        if not verdict.faithful:
            return abstain(f"the judge found the answer unfaithful: {verdict.reason}"), "unfaithful"
    return first, None
