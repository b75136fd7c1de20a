"""``/agent/runs``: start an agent run, follow its steps (SSE), fetch its record.

Present only when both the agents and serving pillars are (the template's manifest lists it as
an integration). Uses the agents pillar's :mod:`.runs` only: runs execute in the background, so
``POST /agent/runs`` answers 202 at once with the run id.

* ``POST /agent/runs`` ``{"task": "..."}`` -> 202 ``{"run_id", "status_url", "steps_url"}``
* ``GET /agent/runs/{run_id}`` -> the run record (status, answer or failure, usage)
* ``GET /agent/runs/{run_id}/steps`` -> ``text/event-stream``: one ``data: <step JSON>`` per step,
  then ``data: [DONE]`` when the run ends
* ``GET /agent/runs/{run_id}/approvals[?status=pending|approved|denied|expired|all]`` -> the run's
  side-effect calls waiting for (or given) a decision (``approval=queue``)
* ``POST /agent/runs/{run_id}/approvals/{approval_id}`` ``{"approved": true|false}`` -> the
  decided approval; the waiting run continues at once. Only API keys named in the agents setting
  ``approver_keys`` may decide (403 otherwise).
* ``GET /agent/approver`` -> ``{"may_decide": bool}``: whether the calling key may decide.

Runs call the model, so with a daily budget per API key (``SERVING__DAILY_TOKENS_PER_KEY`` /
``SERVING__DAILY_COST_USD_PER_KEY``, shared with chat and ``/ask``) ``POST /agent/runs`` reserves
the run's limits (agents settings ``max_total_tokens`` / ``max_cost_usd``), or as much of them as
the key has left, and caps the run at what it got: the run stops with ``token_budget`` or
``cost_budget`` there. When not even one model call fits it answers 429 with the budget and its
reset time. When the run ends, the key keeps only what the run really spent; a service that shuts
down stops its runs first and charges each key what they had spent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ... import agents
from ...core.logging import get_logger
from ...core.settings import get_settings
from .._adapters import Contribution
from .._budgets import (
    MICRO,
    BudgetRefusedError,
    DailyBudgets,
    Reservation,
    Spend,
    daily_budgets,
    estimate_tokens,
    key_name,
    model_pricing,
)

STEP_STREAM_TIMEOUT_S = 600.0
# Tokens of a role's prompt besides the task (instructions, tool and output schemas).
PROMPT_OVERHEAD_TOKENS = 1_500
# Settlements of runs still going (kept referenced until they finish).
_settling: set[asyncio.Task[None]] = set()
# How long a shutdown waits for the stopped runs' keys to be charged.
SHUTDOWN_SETTLE_S = 10.0
_log = get_logger("serving.agents")


class StartRun(BaseModel):
    """Body of ``POST /agent/runs``."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=4_000, description="What the agent should do.")


async def start(request: Request) -> Response:
    """Start a run in the background."""
    try:
        body = StartRun.model_validate_json(await request.body())
    except ValidationError as invalid:
        detail = invalid.errors(include_url=False, include_context=False, include_input=False)
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)
    budgets = daily_budgets()
    if budgets is None:
        run_id = await run_in_threadpool(agents.start_run, body.task)
    else:
        try:
            reservation = await budgets.reserve(key_name(request.state), *_run_spend(body.task))
        except BudgetRefusedError as refused:
            answer = {"error": str(refused), **refused.details()}
            return JSONResponse(answer, status_code=429, headers=refused.headers())
        limits = _capped(reservation.spend, budgets)
        try:
            run_id = await run_in_threadpool(agents.start_run, body.task, None, limits)
        except BaseException:  # no run: nothing was spent
            await budgets.settle(reservation, Spend(0))
            raise
        settling = asyncio.create_task(_settle_when_ended(run_id, budgets, reservation))
        _settling.add(settling)
        settling.add_done_callback(_settling.discard)
    base = f"/agent/runs/{run_id}"
    return JSONResponse(
        {"run_id": run_id, "status_url": base, "steps_url": f"{base}/steps"}, status_code=202
    )


def _run_spend(task: str) -> tuple[Spend, Spend]:
    """What a run may spend (its limits), and the least it needs: one model call."""
    settings = get_settings().section("agents", agents.AgentsSettings)
    most = Spend.of(settings.max_total_tokens, settings.max_cost_usd)
    pricing = model_pricing()
    if pricing is None:
        return most, Spend(min(most.tokens, 1), 0)
    first = pricing.worst_case(estimate_tokens(len(task)) + PROMPT_OVERHEAD_TOKENS)
    return most, Spend(min(most.tokens, first.tokens), min(most.micro_usd, first.micro_usd))


def _capped(granted: Spend, budgets: DailyBudgets) -> agents.RunLimits:
    """The run's limits: what its key's reservation granted (for the budgets that are set)."""
    return agents.RunLimits(
        max_total_tokens=granted.tokens if budgets.max_tokens is not None else None,
        max_cost_usd=granted.micro_usd / MICRO if budgets.max_micro_usd is not None else None,
    )


async def _settle_when_ended(run_id: str, budgets: DailyBudgets, reservation: Reservation) -> None:
    """Once the run ends (or is stopped), charge the key what it spent, not its reservation."""
    record = await agents.ended(run_id)
    usage = record.usage
    await budgets.settle(reservation, Spend.of(usage.total_tokens, usage.cost_usd))


async def get(request: Request) -> Response:
    """The run's current record."""
    try:
        record = await run_in_threadpool(agents.get_run, request.path_params["run_id"])
    except agents.RunNotFoundError:
        return JSONResponse({"error": "no such run"}, status_code=404)
    return JSONResponse(record.model_dump(mode="json"))


async def steps(request: Request) -> Response:
    """The run's steps as server-sent events, until it ends."""
    run_id = request.path_params["run_id"]
    try:
        await run_in_threadpool(agents.get_run, run_id)
    except agents.RunNotFoundError:
        return JSONResponse({"error": "no such run"}, status_code=404)

    async def events() -> AsyncIterator[str]:
        found = agents.iter_steps(run_id, timeout=STEP_STREAM_TIMEOUT_S)
        async for step in iterate_in_threadpool(found):
            yield f"data: {json.dumps(step.model_dump(mode='json'))}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


APPROVAL_STATUSES = ("pending", "approved", "denied", "expired", "all")


class Decision(BaseModel):
    """Body of ``POST /agent/runs/{run_id}/approvals/{approval_id}``."""

    model_config = ConfigDict(extra="forbid")

    # Strict: only JSON true/false ("yes", 1 or "false" would be read as a decision otherwise).
    approved: StrictBool = Field(description="Let the tool call run (true) or refuse it (false).")


async def list_approvals(request: Request) -> Response:
    """The run's approvals with a status (default: pending)."""
    run_id = request.path_params["run_id"]
    status = request.query_params.get("status", "pending")
    if status not in APPROVAL_STATUSES:
        allowed = ", ".join(APPROVAL_STATUSES)
        return JSONResponse({"error": f"status must be one of {allowed}"}, status_code=422)
    try:
        await run_in_threadpool(agents.get_run, run_id)
    except agents.RunNotFoundError:
        return JSONResponse({"error": "no such run"}, status_code=404)
    wanted = None if status == "all" else status
    found = await run_in_threadpool(agents.approvals, run_id, None, wanted)
    return JSONResponse({"approvals": [approval.model_dump(mode="json") for approval in found]})


def _may_decide(request: Request) -> bool:
    key = getattr(request.state, "api_key_name", None)
    allowed = get_settings().section("agents", agents.AgentsSettings).approver_keys
    return key is not None and ("*" in allowed or key in allowed)


async def approver(request: Request) -> Response:
    """Whether the calling API key may decide approvals (the playground shows its buttons)."""
    return JSONResponse({"may_decide": _may_decide(request)})


async def decide(request: Request) -> Response:
    """Approve or deny one pending approval of the run."""
    if not _may_decide(request):
        return JSONResponse(
            {"error": "this API key may not decide approvals (agents setting approver_keys)"},
            status_code=403,
        )
    try:
        body = Decision.model_validate_json(await request.body())
    except ValidationError as invalid:
        detail = invalid.errors(include_url=False, include_context=False, include_input=False)
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)
    run_id, approval_id = request.path_params["run_id"], request.path_params["approval_id"]
    missing = JSONResponse({"error": "no pending approval with this id in this run"}, 404)
    pending = await run_in_threadpool(agents.approvals, run_id)
    if approval_id not in {approval.approval_id for approval in pending}:
        return missing
    try:
        decided = await run_in_threadpool(agents.decide, approval_id, body.approved)
    except LookupError:  # decided (or expired) in the meantime
        return missing
    return JSONResponse(decided.model_dump(mode="json"))


def app() -> Starlette:
    """The agent routes, to mount under ``/agent``."""
    return Starlette(
        routes=[
            Route("/runs", start, methods=["POST"]),
            Route("/approver", approver, methods=["GET"]),
            Route("/runs/{run_id:str}", get, methods=["GET"]),
            Route("/runs/{run_id:str}/steps", steps, methods=["GET"]),
            Route("/runs/{run_id:str}/approvals", list_approvals, methods=["GET"]),
            Route("/runs/{run_id:str}/approvals/{approval_id:int}", decide, methods=["POST"]),
        ]
    )


async def stop() -> None:
    """At shutdown: stop the runs still going and charge their keys what they spent so far.

    Otherwise a stopped server (every rolling deploy) left each run's whole reservation on its
    key's day: with Redis budgets, until midnight UTC.
    """
    stopped = await run_in_threadpool(agents.stop_runs)
    if _settling:
        await asyncio.wait(set(_settling), timeout=SHUTDOWN_SETTLE_S)
    if stopped:
        _log.warning("agent runs stopped by the shutdown", runs=stopped)


def contribute() -> Contribution:
    """The agent run API for the service (see :mod:`..serving.adapters`)."""
    return Contribution(
        pillar="agents",
        mounts=[("/agent", app())],
        routes=[
            "/agent/runs",
            "/agent/approver",
            "/agent/runs/{run_id}",
            "/agent/runs/{run_id}/steps",
            "/agent/runs/{run_id}/approvals",
            "/agent/runs/{run_id}/approvals/{approval_id}",
        ],
        shutdown=[stop],
    )
