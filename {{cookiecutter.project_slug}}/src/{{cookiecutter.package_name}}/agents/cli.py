"""``<cli> agents``: run the tool-using agent on a task, under the configured limits."""

from __future__ import annotations

from typing import Annotated

import typer

from ..core.settings import get_settings
from .settings import AgentsSettings

app = typer.Typer(help="Run the tool-using agent.", no_args_is_help=True)


DEMO_TASK = (
    "What is (17 + 25) * 3, what is the date today, and what do my notes say about deployment?"
)


@app.callback()
def _group() -> None:
    """Run the tool-using agent (model from the LLM settings, limits from the agents settings)."""


def _print_result(task: str, scripted: bool) -> None:
    # pydantic-ai is slow to import: only commands that run an agent pay for it.
    from pydantic_ai.exceptions import UserError  # noqa: PLC0415

    from .agent import AgentLimitExceededError, build_agent, run_agent  # noqa: PLC0415
    from .scripted import scripted_model  # noqa: PLC0415

    settings = get_settings().section("agents", AgentsSettings)
    try:
        agent = build_agent(scripted_model() if scripted else None, settings)
        result = run_agent(task, agent=agent, settings=settings)
    except (UserError, AgentLimitExceededError) as exc:  # no API key, or a limit hit
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for number, call in enumerate(result.tool_calls, start=1):
        status = "ok" if call.ok else "retry"
        typer.echo(f"  tool {number}: {call.tool}({call.args}) [{status}] -> {call.result}")
    typer.echo(f"answer: {result.answer}")
    typer.echo(
        f"[{result.steps} model steps, {len(result.tool_calls)} tool calls, "
        f"{result.usage.summary()}]"
    )


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    scripted: Annotated[
        bool,
        typer.Option("--scripted", help="Use the offline scripted planner, not the LLM settings."),
    ] = False,
) -> None:
    """Run TASK with the model from the LLM settings (or the scripted planner) and show steps."""
    _print_result(task, scripted)


def demo() -> None:
    """Offline: the scripted planner drives the real agent loop, tools and limits."""
    typer.echo(f"agents: task -> {DEMO_TASK}")
    _print_result(DEMO_TASK, scripted=True)
