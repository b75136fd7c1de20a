"""The four roles: pydantic-ai agents with typed deps (:class:`~.guard.RoleDeps`) and outputs.

Instructions are the versioned prompt files in ``agents/prompts/`` (loaded through the LLM
pillar's prompt registry when it offers one), each followed by the data rule. They are fixed when
the roles are built: nothing a tool returns can ever change them. Invalid outputs (a plan without
steps, an empty result) go back to the model with the error, up to ``output_retries`` times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.models import Model

from ..llm import LLMClient, PromptRegistry
from ._guard import RoleDeps
from ._history import trim_tool_returns
from ._schemas import Critique, Plan, StepResult
from .settings import AgentsSettings

ROLES = ("planner", "researcher", "executor", "critic")


PROMPTS_DIR = Path(__file__).with_name("prompts")


@cache
def _registry() -> PromptRegistry:
    return PromptRegistry([PROMPTS_DIR])


def load_prompt(name: str) -> str:
    """The newest ``agent_<name>`` prompt of ``agents/prompts/`` (via the LLM prompt registry)."""
    return str(_registry().render(f"agent_{name}").text)


def instructions(role: str) -> str:
    """A role's full instructions: its prompt, then the rule that tool output is data."""
    return f"{load_prompt(role)}\n\n{load_prompt('data_rule')}"


@dataclass(frozen=True)
class Roles:
    """One agent per role, built once and reused for every run."""

    planner: Agent[RoleDeps, Plan]
    researcher: Agent[RoleDeps, StepResult]
    executor: Agent[RoleDeps, StepResult]
    critic: Agent[RoleDeps, Critique]

    def worker(self, role: str) -> Agent[RoleDeps, StepResult]:
        """The agent doing a plan step for ``role``."""
        return self.researcher if role == "researcher" else self.executor


def _model_for(role: str, models: Model | Mapping[str, Model] | None) -> tuple[Model, Any]:
    if isinstance(models, Mapping):
        return models[role], None
    if models is not None:
        return models, None
    client = LLMClient()  # agents require the LLM pillar (manifest `requires: [llm]`)
    return client.resolved_model, client.model_settings


def build_roles(models: Model | Mapping[str, Model] | None, settings: AgentsSettings) -> Roles:
    """Build the four roles on ``models`` (one model, one per role name, or the LLM settings)."""

    def make(role: str, output_type: type[Any]) -> Agent[RoleDeps, Any]:
        model, request_settings = _model_for(role, models)
        return Agent(
            model,
            deps_type=RoleDeps,
            output_type=output_type,
            instructions=instructions(role),
            model_settings=request_settings,
            retries={"tools": settings.tool_retries, "output": settings.output_retries},
            capabilities=[ProcessHistory(trim_tool_returns(settings.turn_history_tokens))],
            name=role,
            defer_model_check=True,
        )

    planner: Agent[RoleDeps, Plan] = make("planner", Plan)
    researcher: Agent[RoleDeps, StepResult] = make("researcher", StepResult)
    executor: Agent[RoleDeps, StepResult] = make("executor", StepResult)

    @planner.output_validator
    def _check_plan(ctx: RunContext[RoleDeps], plan: Plan) -> Plan:
        if not plan.steps:
            raise ModelRetry("the plan has no steps: give at least one step")
        if len(plan.steps) > settings.max_plan_steps:
            raise ModelRetry(
                f"the plan has {len(plan.steps)} steps; use at most {settings.max_plan_steps}"
            )
        return plan

    for worker in (researcher, executor):

        @worker.output_validator
        def _check_result(ctx: RunContext[RoleDeps], result: StepResult) -> StepResult:
            if not result.output.strip():
                raise ModelRetry("the result is empty: state what the step found or did")
            return result

    return Roles(planner, researcher, executor, make("critic", Critique))
