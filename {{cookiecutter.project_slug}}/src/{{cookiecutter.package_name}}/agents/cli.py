"""``<cli> agents``: run tasks through the planner/researcher/executor/critic workflow.

``run TASK`` streams each step as it completes, ``resume RUN_ID`` continues a stopped run from its
last completed step, ``show RUN_ID`` prints a run (``--json``: the full transcript), ``list`` the
latest runs, and ``ask TASK`` runs the single tool-using agent without the workflow.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ..core.plugins import PluginError
from ..core.settings import get_settings
from .settings import AgentsSettings

if TYPE_CHECKING:
    from ._runner import AgentRunner
    from ._schemas import RunRecord, StepRecord

app = typer.Typer(help="Run the agents workflow and inspect its runs.", no_args_is_help=True)
# Registered by core under the pillar name and these aliases: `<cli> agent run "task"`.
CLI_ALIASES = ("agent",)

DEMO_TASK = (
    "What is (17 + 25) * 3, what is the date today, and what do my notes say about deployment?"
)
ScriptedOption = Annotated[
    bool, typer.Option("--scripted", help="Offline scripted roles instead of the LLM settings.")
]
ApproveOption = Annotated[
    bool, typer.Option("--approve", help="Approve every side-effect tool call (else: settings).")
]


@app.callback()
def _group() -> None:
    """Agents: model from the LLM settings, limits and storage from the agents settings."""


def _runner(scripted: bool, approve: bool) -> AgentRunner:
    # pydantic-ai is slow to import: only commands that run agents pay for it.
    from ._guard import allow_all  # noqa: PLC0415
    from ._runner import AgentRunner  # noqa: PLC0415

    settings = get_settings().section("agents", AgentsSettings)
    if scripted:
        settings = settings.model_copy(update={"scripted": True})
    try:
        return AgentRunner(settings, approver=allow_all if approve else None)
    except PluginError as exc:  # AGENTS__TOOLS names something that is not a usable tool
        _fail_clearly(exc)


def print_step(step: StepRecord) -> None:
    """One line per step, one more per tool call."""
    what = step.output.get("failure") or step.output
    typer.echo(f"[{step.seq}] {step.phase:<8} {step.role:<10} {json.dumps(what)[:160]}")
    for call in step.tool_calls:
        typer.echo(f"      tool {call.tool}({json.dumps(call.args)}) [{call.outcome}]")


def print_run(run: RunRecord) -> None:
    """The outcome of a run and what it spent."""
    usage = run.usage
    typer.echo(f"run {run.run_id}: {run.status} after {run.steps} steps")
    if run.answer is not None:
        typer.echo(f"answer: {run.answer}")
    if run.failure is not None:
        typer.echo(f"failure: {run.failure.kind}: {run.failure.message}")
    typer.echo(
        f"[{usage.requests} model requests, {usage.tool_calls} tool calls, "
        f"{usage.total_tokens} tokens, ${usage.cost_usd:.4f}, {usage.seconds:.2f} s]"
    )


def _finish(run: RunRecord) -> None:
    print_run(run)
    if run.status != "succeeded":
        raise typer.Exit(1)


def _fail_clearly(exc: Exception) -> NoReturn:
    from ..llm import MissingProviderKeyError  # noqa: PLC0415  (pydantic-ai is slow to import)

    typer.echo(f"error: {exc}", err=True)
    if isinstance(exc, MissingProviderKeyError):
        typer.echo(
            "hint: `--scripted` runs the same workflow offline with scripted roles", err=True
        )
    raise typer.Exit(2) from exc


@app.command()
def run(
    task: Annotated[str, typer.Argument(help="What the agents should do.")],
    scripted: ScriptedOption = False,
    approve: ApproveOption = False,
) -> None:
    """Run TASK through plan -> steps -> critique -> answer, printing each step as it ends."""
    from pydantic_ai.exceptions import UserError  # noqa: PLC0415

    try:
        runner = _runner(scripted, approve)
        record = asyncio.run(runner.arun(task, on_step=print_step))
    except UserError as exc:  # e.g. no API key for the configured model
        _fail_clearly(exc)
    _finish(record)


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="The id printed by `run`.")],
    scripted: ScriptedOption = False,
    approve: ApproveOption = False,
) -> None:
    """Continue RUN_ID from its last completed step (no completed step is repeated)."""
    from ._store import RunNotFoundError  # noqa: PLC0415

    runner = _runner(scripted, approve)
    try:
        record = asyncio.run(runner.aresume(run_id, on_step=print_step))
    except RunNotFoundError as exc:
        _fail_clearly(exc)
    _finish(record)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="The run to show.")],
    as_json: Annotated[bool, typer.Option("--json", help="The full transcript as JSON.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON transcript here.")
    ] = None,
) -> None:
    """Show RUN_ID: its steps and outcome, or its full JSON transcript."""
    from ._runner import agents_settings, default_store  # noqa: PLC0415
    from ._store import RunNotFoundError  # noqa: PLC0415

    store = default_store(agents_settings())
    try:
        if as_json or output is not None:
            text = json.dumps(store.transcript(run_id), indent=2)
            if output is None:
                typer.echo(text)
            else:
                output.write_text(text + "\n", encoding="utf-8")
                typer.echo(f"transcript written to {output}")
            return
        for step in store.steps(run_id):
            print_step(step)
        print_run(store.get_run(run_id))
    except RunNotFoundError as exc:
        _fail_clearly(exc)


@app.command("list")
def list_runs(limit: Annotated[int, typer.Option(help="How many runs.")] = 20) -> None:
    """The latest runs, newest first."""
    from ._runner import agents_settings, default_store  # noqa: PLC0415

    for run_id, status, updated, task in default_store(agents_settings()).list_runs(limit):
        typer.echo(f"{run_id}  {status:<11} {updated}  {task[:60]}")


@app.command("approvals")
def list_approvals(run_id: Annotated[str, typer.Argument(help="The run.")]) -> None:
    """Side-effect tool calls of RUN_ID waiting for a decision (`AGENTS__APPROVAL=queue`)."""
    from ._runner import agents_settings, default_store  # noqa: PLC0415

    for item in default_store(agents_settings()).approvals(run_id, "pending"):
        typer.echo(f"{item.approval_id}  [{item.role}] {item.tool}({json.dumps(item.args)})")


@app.command()
def approve(
    approval_id: Annotated[int, typer.Argument(help="The id shown by `approvals`.")],
    deny: Annotated[bool, typer.Option("--deny", help="Refuse the call instead.")] = False,
) -> None:
    """Approve (or `--deny`) a queued side-effect tool call; the waiting run continues."""
    from ._runner import agents_settings, default_store  # noqa: PLC0415

    try:
        decided = default_store(agents_settings()).decide(
            approval_id, "denied" if deny else "approved"
        )
    except LookupError as exc:
        _fail_clearly(exc)
    typer.echo(f"{decided.approval_id}: {decided.status}")


@app.command()
def ask(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    scripted: ScriptedOption = False,
) -> None:
    """Run TASK with the single tool-using agent (no plan, no critic) and show its tool calls."""
    from pydantic_ai.exceptions import UserError  # noqa: PLC0415

    from ..llm import explain_model_error  # noqa: PLC0415
    from ._agent import AgentLimitExceededError, build_agent, run_agent  # noqa: PLC0415
    from .testing.scripted import scripted_model  # noqa: PLC0415

    settings = get_settings().section("agents", AgentsSettings)
    try:
        agent = build_agent(scripted_model() if scripted else None, settings)
        result = run_agent(task, agent=agent, settings=settings)
    except (UserError, AgentLimitExceededError) as exc:  # no API key, or a limit hit
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except Exception as exc:  # the provider failed: one line and a hint, not a traceback
        failure = explain_model_error(exc)
        if failure is None:
            raise
        typer.echo(failure.for_terminal(), err=True)
        raise typer.Exit(1) from exc
    for number, call in enumerate(result.tool_calls, start=1):
        status = "ok" if call.ok else "retry"
        typer.echo(f"  tool {number}: {call.tool}({call.args}) [{status}] -> {call.result}")
    typer.echo(f"answer: {result.answer}")
    typer.echo(
        f"[{result.steps} model steps, {len(result.tool_calls)} tool calls, "
        f"{result.usage.summary()}]"
    )


def demo() -> None:
    """Offline: scripted roles drive the real workflow, tools, limits and run store."""
    typer.echo(f"agents: task -> {DEMO_TASK}")
    runner = _runner(scripted=True, approve=False)
    record = asyncio.run(runner.arun(DEMO_TASK, on_step=print_step))
    print_run(record)
    typer.echo(f"(stored in {runner.store.path}; `agents show {record.run_id} --json`)")
