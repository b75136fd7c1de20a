"""The workflow as an explicit state machine over :class:`~.schemas.RunState`.

::

    plan --> execute(i) --> critique(i) --accept--> execute(i+1) ... --> answer --> review --> done
                 ^              |                                          ^          |
                 +---revise-----+                                          +--revise--+

:func:`next_turn` says which role acts in the current phase and what it is told; :func:`advance`
applies that role's typed output and moves to the next phase. Both are pure functions of the
state (no I/O), so the workflow is inspectable and testable without a model, and a run stored
after any step continues from exactly there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ._episodes import Episode
from ._memory import ShortTermMemory
from ._schemas import Critique, Failure, Plan, RunState, StepResult
from .settings import AgentsSettings


@dataclass(frozen=True)
class Turn:
    """Who acts next and the prompt they get."""

    role: str
    prompt: str


def _quote(label: str, text: str) -> str:
    return f"<{label}>\n{text}\n</{label}>"


def _context(state: RunState, settings: AgentsSettings) -> str:
    memory = ShortTermMemory(settings.short_term_tokens)
    steps = state.plan.steps if state.plan else []
    for index, result in enumerate(state.results):
        goal = steps[index].goal if index < len(steps) else "step"
        memory.add(f"step {index + 1}: {goal}", result.output)
    return memory.render() or "(no earlier steps)"


def _scratchpad(state: RunState) -> str:
    return json.dumps(state.scratchpad) if state.scratchpad else "(empty)"


def acting_role(state: RunState) -> str:
    """The role that acts in ``state.phase``."""
    if state.phase in {"critique", "review"}:
        return "critic"
    if state.phase == "execute" and state.plan is not None:
        return state.plan.steps[state.step_index].role
    return {"plan": "planner", "answer": "executor"}.get(state.phase, "runner")


def next_turn(state: RunState, settings: AgentsSettings, episodes: list[Episode]) -> Turn:
    """The role acting in ``state.phase`` and its prompt (tool data always quoted, never obeyed)."""
    task = _quote("task", state.task)
    if state.phase == "plan":
        past = "\n".join(f"- ({e.outcome}) {e.text}" for e in episodes) or "(none)"
        return Turn("planner", f"{task}\n\nSimilar past runs:\n{_quote('past-runs', past)}")
    if state.phase in {"execute", "critique"}:
        if state.plan is None:
            raise ValueError(f"phase {state.phase} without a plan")
        step = state.plan.steps[state.step_index]
        header = (
            f"{task}\n\nStep {state.step_index + 1} of {len(state.plan.steps)}: {step.goal}\n"
            f"Expected output: {step.expected_output or '(not specified)'}"
        )
        if state.phase == "execute":
            feedback = (
                f"\n\nThe critic asked for a revision:\n{state.feedback}" if state.feedback else ""
            )
            earlier = _quote("earlier-results", _context(state, settings))
            return Turn(
                step.role,
                f"{header}\n\n{earlier}\n\nScratchpad: {_scratchpad(state)}{feedback}",
            )
        return Turn("critic", f"{header}\n\nResult to check:\n{_pending(state)}")
    if state.phase == "answer":
        feedback = (
            f"\n\nThe critic asked for a revision:\n{state.feedback}" if state.feedback else ""
        )
        results = _quote("step-results", _context(state, settings))
        return Turn(
            "executor",
            f"{task}\n\nWrite the final answer to the task from these step results "
            f"(no new tool calls needed).\n{results}{feedback}",
        )
    if state.phase == "review":
        results = _quote("step-results", _context(state, settings))
        return Turn(
            "critic",
            f"{task}\n\nFinal answer to check against the task and the step results:\n"
            f"{_pending(state)}\n\n{results}",
        )
    raise ValueError(f"no turn in phase {state.phase}")


def _pending(state: RunState) -> str:
    pending = state.pending or StepResult(output="(missing)")
    evidence = "\n".join(f"- {item}" for item in pending.evidence) or "(none)"
    return _quote("result", f"{pending.output}\n\nEvidence:\n{evidence}")


def _fail(state: RunState, failure: Failure) -> None:
    state.status, state.failure = "failed", failure


def _after_critique(state: RunState, critique: Critique, settings: AgentsSettings) -> None:
    final = state.phase == "review"
    if critique.verdict == "accept":
        accepted = state.pending or StepResult(output="")
        state.pending, state.feedback, state.attempt = None, "", 0
        if final:
            state.answer, state.phase, state.status = accepted.output, "done", "succeeded"
            return
        state.results.append(accepted)
        state.step_index += 1
        plan_length = len(state.plan.steps) if state.plan else 0
        state.phase = "execute" if state.step_index < plan_length else "answer"
        return
    state.attempt += 1
    if state.attempt > settings.max_revisions:
        what = "final answer" if final else f"step {state.step_index + 1}"
        issues = "; ".join(critique.issues) or critique.revision or "no reason given"
        _fail(
            state,
            Failure(
                kind="critic_rejected",
                message=f"{what} rejected {state.attempt} times; last issues: {issues}",
            ),
        )
        return
    state.feedback = "\n".join([*critique.issues, critique.revision]).strip()
    state.phase = "answer" if final else "execute"


def advance(state: RunState, output: object, settings: AgentsSettings) -> None:
    """Apply the acting role's ``output`` to ``state`` and move to the next phase."""
    if state.phase == "plan" and isinstance(output, Plan):
        state.plan, state.step_index, state.phase = output, 0, "execute"
    elif state.phase in {"execute", "answer"} and isinstance(output, StepResult):
        state.pending = output
        if state.phase == "answer":
            state.phase = "review"
        elif settings.critique_steps:
            state.phase = "critique"
        else:
            _after_critique(state, Critique(verdict="accept"), settings)
    elif state.phase in {"critique", "review"} and isinstance(output, Critique):
        _after_critique(state, output, settings)
    else:
        raise TypeError(f"phase {state.phase} cannot take a {type(output).__name__}")
