"""``/agent/runs``: start an agent run, follow its steps (SSE), fetch its record.

Present only when both the agents and serving pillars are (the template's manifest lists it as
an integration). Uses the agents pillar's :mod:`.runs` only: runs execute in the background, so
``POST /agent/runs`` answers 202 at once with the run id.

* ``POST /agent/runs`` ``{"task": "..."}`` -> 202 ``{"run_id", "status_url", "steps_url"}``
* ``GET /agent/runs/{run_id}`` -> the run record (status, answer or failure, usage)
* ``GET /agent/runs/{run_id}/steps`` -> ``text/event-stream``: one ``data: <step JSON>`` per step,
  then ``data: [DONE]`` when the run ends
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..serving.adapters import Contribution
from . import runs
from .store import RunNotFoundError

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
    run_id = await run_in_threadpool(runs.start_run, body.task)
    base = f"/agent/runs/{run_id}"
    return JSONResponse(
        {"run_id": run_id, "status_url": base, "steps_url": f"{base}/steps"}, status_code=202
    )


async def get(request: Request) -> Response:
    """The run's current record."""
    try:
        record = await run_in_threadpool(runs.get_run, request.path_params["run_id"])
    except RunNotFoundError:
        return JSONResponse({"error": "no such run"}, status_code=404)
    return JSONResponse(record.model_dump(mode="json"))


async def steps(request: Request) -> Response:
    """The run's steps as server-sent events, until it ends."""
    run_id = request.path_params["run_id"]
    try:
        await run_in_threadpool(runs.get_run, run_id)
    except RunNotFoundError:
        return JSONResponse({"error": "no such run"}, status_code=404)

    async def events() -> AsyncIterator[str]:
        found = runs.iter_steps(run_id, timeout=STEP_STREAM_TIMEOUT_S)
        async for step in iterate_in_threadpool(found):
            yield f"data: {json.dumps(step.model_dump(mode='json'))}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def app() -> Starlette:
    """The agent routes, to mount under ``/agent``."""
    return Starlette(
        routes=[
            Route("/runs", start, methods=["POST"]),
            Route("/runs/{run_id:str}", get, methods=["GET"]),
            Route("/runs/{run_id:str}/steps", steps, methods=["GET"]),
        ]
    )


def contribute() -> Contribution:
    """The agent run API for the service (see :mod:`..serving.adapters`)."""
    return Contribution(
        pillar="agents",
        mounts=[("/agent", app())],
        routes=["/agent/runs", "/agent/runs/{run_id}", "/agent/runs/{run_id}/steps"],
    )
