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
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ... import agents
from ...core.settings import get_settings
from .._adapters import Contribution

STEP_STREAM_TIMEOUT_S = 600.0


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
    run_id = await run_in_threadpool(agents.start_run, body.task)
    base = f"/agent/runs/{run_id}"
    return JSONResponse(
        {"run_id": run_id, "status_url": base, "steps_url": f"{base}/steps"}, status_code=202
    )


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
    )
