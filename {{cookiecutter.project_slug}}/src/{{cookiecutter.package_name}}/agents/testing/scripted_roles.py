"""Deterministic offline models for the four roles (demo, ``AGENTS__SCRIPTED=true``, tests).

They follow fixed rules (see :func:`.scripted.plan`): the planner gives arithmetic to the executor
and clock or notes questions to the researcher; workers call the matching tools, then report what
the tools returned; the critic accepts a non-empty result backed by evidence. No network and no
API key, yet the real workflow, guard, store and limits run.
"""

from __future__ import annotations

import re

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from .scripted import plan as tool_plan

_TAG = re.compile(r"<(?P<tag>task|step-results|result)>\n(?P<body>.*?)\n</(?P=tag)>", re.S)
_STEP = re.compile(r"^Step \d+ of \d+: (?P<goal>.*)$", re.M)


def _prompt(messages: list[ModelMessage]) -> str:
    for message in messages:
        for part in message.parts:
            if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                return part.content
    return ""


def _tag(prompt: str, tag: str) -> str:
    found = {m.group("tag"): m.group("body") for m in _TAG.finditer(prompt)}
    return found.get(tag, "")


def _final(info: AgentInfo, args: dict[str, object]) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])


def planner(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Plan: one executor step for arithmetic, one researcher step for time or notes."""
    task = _tag(_prompt(messages), "task")
    calls = tool_plan(task)
    steps: list[dict[str, str]] = []
    compute = [c for c in calls if c.tool_name == "calculate"]
    if compute:
        expression = compute[0].args_as_dict()["expression"]
        steps.append(
            {
                "goal": f"Compute {expression}",
                "role": "executor",
                "expected_output": "the exact value",
            }
        )
    lookup = [c for c in calls if c.tool_name != "calculate"]
    if lookup or not steps:
        topic = " ".join(str(v) for c in lookup for v in c.args_as_dict().values())
        wanted = (
            " and ".join(
                {"current_time": "the current date and time", "search_notes": "the notes"}[
                    c.tool_name
                ]
                for c in lookup
            )
            or "facts about the task"
        )
        goal = f"Look up {wanted}" + (f" about {topic}" if topic.strip() else "")
        steps.append({"goal": goal, "role": "researcher", "expected_output": "facts with sources"})
    return _final(info, {"steps": steps, "rationale": "one step per kind of tool needed"})


def _tool_results(messages: list[ModelMessage]) -> list[str]:
    return [
        part.model_response_str()
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]


def worker(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Call the tools the step's goal asks for, then report their results as evidence."""
    prompt = _prompt(messages)
    if "Write the final answer" in prompt:
        body = _tag(prompt, "step-results")
        lines = [line.split("] ", 1)[-1] for line in body.splitlines() if line.startswith("[")]
        return _final(info, {"output": " ".join(lines) or body, "evidence": lines})
    goal = (m.group("goal") if (m := _STEP.search(prompt)) else "") or _tag(prompt, "task")
    available = {tool.name for tool in info.function_tools}
    if not any(isinstance(message, ModelResponse) for message in messages):
        calls = [call for call in tool_plan(goal) if call.tool_name in available]
        if calls:
            return ModelResponse(parts=list(calls))
    results = [
        re.sub(r"</?tool-output[^>]*>", "", text).strip() for text in _tool_results(messages)
    ]
    output = f"{goal}: " + ("; ".join(results) or "no tool could help")
    return _final(info, {"output": output, "evidence": results})


def critic(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Accept a non-empty result; otherwise ask for one."""
    result = _tag(_prompt(messages), "result")
    if result.strip() and not result.startswith("(missing)"):
        return _final(info, {"verdict": "accept"})
    return _final(
        info, {"verdict": "revise", "issues": ["empty result"], "revision": "state the result"}
    )


def scripted_roles() -> dict[str, FunctionModel]:
    """One scripted model per role name."""
    return {
        "planner": FunctionModel(planner, model_name="scripted-planner"),
        "researcher": FunctionModel(worker, model_name="scripted-researcher"),
        "executor": FunctionModel(worker, model_name="scripted-executor"),
        "critic": FunctionModel(critic, model_name="scripted-critic"),
    }
