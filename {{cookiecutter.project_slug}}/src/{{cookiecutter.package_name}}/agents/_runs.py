"""Runs in the background, for services: start one, follow its steps, read its record.

The serving pillar exposes these over HTTP. :func:`start_run` stores the run and returns its id at
once; the process-wide :class:`~.runner.AgentRunner` (built on first use from the settings) drives
it on one background event loop shared by every run of the process (the runner's model clients
are bound to the loop they first ran on, so runs on loops of their own broke each other).
Steps are read back from the run store, so :func:`iter_steps` and
:func:`get_run` also work for runs started by another process sharing the store, and for runs
finished long ago. Side-effect tools follow the ``approval`` setting (default: denied); with
``approval=queue`` each such call waits in the store until :func:`decide` is called (the HTTP
approval endpoint) or ``approval_timeout_s`` passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import cast

from ._runner import AgentRunner
from ._schemas import TERMINAL, Approval, RunLimits, RunRecord, StepRecord

POLL_SECONDS = 0.1
_runs: dict[str, Future[object]] = {}
_runs_lock = threading.Lock()
_loop_lock = threading.Lock()
_loop: list[asyncio.AbstractEventLoop] = []
# The task of every run going on the background loop (read and written on that loop only).
_tasks: dict[str, asyncio.Task[None]] = {}


def _background_loop() -> asyncio.AbstractEventLoop:
    """The event loop every background run of this process runs on (started on first use)."""
    with _loop_lock:
        if not _loop or _loop[0].is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="agent-runs", daemon=True).start()
            _loop[:] = [loop]
        return _loop[0]


_runner_lock = threading.Lock()
_runner: list[AgentRunner] = []


def get_runner() -> AgentRunner:
    """The process-wide runner (roles, tools and store from the settings).

    Made once even when the first requests arrive together (each would otherwise build its own
    runner and open its own store connection).
    """
    with _runner_lock:
        if not _runner:
            _runner.append(AgentRunner())
        return _runner[0]


def reset_runner() -> None:
    """Forget the process-wide runner (tests that change settings).

    The next :func:`get_runner` builds one from the settings as they are then.
    """
    with _runner_lock:
        _runner.clear()


async def _drive(runner: AgentRunner, run_id: str) -> None:
    task = asyncio.current_task()
    if task is not None:
        _tasks[run_id] = task
    try:
        await runner.aresume(run_id)
    except Exception:  # stored in the run record by the runner
        return
    finally:
        _tasks.pop(run_id, None)


async def _stop_all() -> list[str]:
    going = dict(_tasks)
    for task in going.values():
        task.cancel()
    await asyncio.gather(*going.values(), return_exceptions=True)
    return list(going)


def stop_runs(timeout: float = 10.0) -> list[str]:
    """Stop every run still going in this process (a server shutting down); their ids.

    Each is cancelled and, once its last saved step is kept, ends ``interrupted`` with its usage
    so far (waiting at most ``timeout`` seconds for all of them).
    """
    with _loop_lock:
        loop = _loop[0] if _loop and not _loop[0].is_closed() else None
    if loop is None:
        return []
    return asyncio.run_coroutine_threadsafe(_stop_all(), loop).result(timeout)


def start_run(task: str, runner: AgentRunner | None = None, limits: RunLimits | None = None) -> str:
    """Store a run of ``task``, start it in the background and return its id.

    ``limits`` are tighter than the settings' for this run only (kept when it resumes), e.g.
    what the caller's API key may still spend today.
    """
    runner = runner or get_runner()
    state = runner.create(task, limits)
    future = asyncio.run_coroutine_threadsafe(_drive(runner, state.run_id), _background_loop())
    with _runs_lock:  # request threads start runs at the same time
        for finished in [key for key, run in _runs.items() if run.done()]:
            del _runs[finished]
        _runs[state.run_id] = cast("Future[object]", future)
    return state.run_id


async def ended(run_id: str, runner: AgentRunner | None = None) -> RunRecord:
    """Wait on the caller's event loop until the background run ends; its record then."""
    run = _runs.get(run_id)
    if run is not None:  # a stopped run's future is cancelled: wait, do not raise
        await asyncio.wait([asyncio.wrap_future(run)])
    return get_run(run_id, runner)


def get_run(run_id: str, runner: AgentRunner | None = None) -> RunRecord:
    """The run's current record (status, answer or failure, usage, plan).

    Raises:
        RunNotFoundError: no such run.
    """
    return (runner or get_runner()).store.get_run(run_id)


def iter_steps(
    run_id: str, runner: AgentRunner | None = None, timeout: float | None = None
) -> Iterator[StepRecord]:
    """Yield the run's steps in order, waiting for new ones until the run ends (or ``timeout``)."""
    store = (runner or get_runner()).store
    deadline = None if timeout is None else time.monotonic() + timeout
    seen = 0
    while True:
        status = store.get_run(run_id).status
        for record in store.steps(run_id, after=seen):
            seen = record.seq
            yield record
        stopped = status in TERMINAL or (status == "interrupted" and not _alive(_runs.get(run_id)))
        if stopped and not store.steps(run_id, after=seen):
            return
        if deadline is not None and time.monotonic() > deadline:
            return
        time.sleep(POLL_SECONDS)


def _alive(run: Future[object] | None) -> bool:
    return run is not None and not run.done()


def wait(run_id: str, runner: AgentRunner | None = None, timeout: float = 60.0) -> RunRecord:
    """Block until the run ends (or ``timeout``) and return its record."""
    run = _runs.get(run_id)
    if run is not None:
        with contextlib.suppress(FuturesTimeout):
            run.result(timeout)
    return get_run(run_id, runner)


def approvals(
    run_id: str, runner: AgentRunner | None = None, status: str | None = "pending"
) -> list[Approval]:
    """The run's approvals (default: those still waiting for a decision)."""
    return (runner or get_runner()).store.approvals(run_id, status)


def decide(approval_id: int, approved: bool, runner: AgentRunner | None = None) -> Approval:
    """Approve or deny a pending side-effect call; the waiting run continues at once.

    Raises:
        LookupError: no pending approval with this id.
    """
    status = "approved" if approved else "denied"
    return (runner or get_runner()).store.decide(approval_id, status)
