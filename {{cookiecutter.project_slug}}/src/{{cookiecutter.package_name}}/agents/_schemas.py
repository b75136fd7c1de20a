"""Typed messages between the roles, and the records a run leaves behind.

Each role answers with one of these pydantic models (pydantic-ai validates the model's output and
sends validation errors back to it): the planner a :class:`Plan`, the researcher and the executor a
:class:`StepResult`, the critic a :class:`Critique`. :class:`RunState` is the whole state of a run,
saved after every step, so a run resumes from its last completed step.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

WorkerRole = Literal["researcher", "executor"]
Phase = Literal["plan", "execute", "critique", "answer", "review", "done"]
RunStatus = Literal["pending", "running", "succeeded", "failed", "interrupted"]
FailureKind = Literal[
    "step_budget",
    "request_budget",
    "tool_budget",
    "token_budget",
    "cost_budget",
    "timeout",
    "loop",
    "critic_rejected",
    "invalid_output",
    "model_error",
    "error",
]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed"})


class PlanStep(BaseModel):
    """One step of a plan: what to achieve, who does it and what it should produce."""

    goal: str = Field(min_length=1, description="What this step must achieve.")
    role: WorkerRole = Field(description="researcher gathers facts; executor acts with tools.")
    expected_output: str = Field(default="", description="What a good result looks like.")


class Plan(BaseModel):
    """The planner's output: ordered steps towards the task."""

    steps: list[PlanStep] = Field(description="Ordered steps, at least one.")
    rationale: str = Field(default="", description="Why this plan, in one or two sentences.")


class StepResult(BaseModel):
    """A researcher's or executor's result for one step (or the final answer)."""

    output: str = Field(description="The result of the step, or the final answer.")
    evidence: list[str] = Field(
        default_factory=list, description="Facts from tools this result relies on."
    )


class Critique(BaseModel):
    """The critic's verdict on a result: accept it, or send it back with concrete revisions."""

    verdict: Literal["accept", "revise"]
    issues: list[str] = Field(default_factory=list, description="What is wrong, if anything.")
    revision: str = Field(default="", description="What to change, when the verdict is revise.")


class Failure(BaseModel):
    """Why a run stopped without an accepted answer."""

    kind: FailureKind
    message: str


class Usage(BaseModel):
    """What a run has spent so far (summed over steps, kept across resumes)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    tool_calls: int = 0
    seconds: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


class RunLimits(BaseModel):
    """Tighter limits for one run than the settings' (e.g. what its caller may still spend)."""

    max_total_tokens: int | None = Field(default=None, ge=0)
    max_cost_usd: float | None = Field(default=None, ge=0)


class ToolCall(BaseModel):
    """One tool call as the guard saw it."""

    tool: str
    args: dict[str, Any]
    outcome: Literal["ok", "error", "denied", "refused", "loop"]
    result: str = ""


class RunState(BaseModel):
    """Everything needed to continue a run; persisted after every step."""

    run_id: str
    task: str
    status: RunStatus = "pending"
    phase: Phase = "plan"
    plan: Plan | None = None
    step_index: int = 0
    attempt: int = 0
    results: list[StepResult] = Field(default_factory=list)
    pending: StepResult | None = None
    feedback: str = ""
    answer: str | None = None
    seq: int = 0
    usage: Usage = Field(default_factory=Usage)
    scratchpad: dict[str, str] = Field(default_factory=dict)
    failure: Failure | None = None
    limits: RunLimits = Field(default_factory=RunLimits)


class StepRecord(BaseModel):
    """One completed workflow step: the role turn, its typed output and its tool calls."""

    run_id: str
    seq: int
    phase: Phase
    role: str
    step_index: int
    attempt: int
    output: dict[str, Any]
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    started_at: str
    duration_ms: float
    messages: list[dict[str, Any]] = Field(default_factory=list)


class Approval(BaseModel):
    """A side-effect tool call waiting for (or given) a human decision through the queue."""

    approval_id: int
    run_id: str
    role: str
    tool: str
    args: dict[str, Any]
    status: Literal["pending", "approved", "denied", "expired"]
    created_at: str
    decided_at: str | None = None


class RunRecord(BaseModel):
    """A run as stored: its task, status, answer or failure, spend and plan."""

    run_id: str
    task: str
    status: RunStatus
    phase: Phase
    answer: str | None
    failure: Failure | None
    usage: Usage
    steps: int
    plan: Plan | None
    created_at: str
    updated_at: str
