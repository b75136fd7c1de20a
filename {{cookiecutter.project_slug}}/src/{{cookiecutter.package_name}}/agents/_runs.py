"""Runs in the background, for services: start one, follow its steps, read its record.

The serving pillar exposes these over HTTP. :func:`start_run` stores the run and returns its id at
once; a daemon thread drives it with the process-wide :class:`~.runner.AgentRunner` (built on first
use from the settings). Steps are read back from the run store, so :func:`iter_steps` and
:func:`get_run` also work for runs started by another process sharing the store, and for runs
finished long ago. Side-effect tools follow the ``approval`` setting (default: denied); with
``approval=queue`` each such call waits in the store until :func:`decide` is called (the HTTP
approval endpoint) or ``approval_timeout_s`` passes.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from functools import cache

from ._runner import AgentRunner
from ._schemas import TERMINAL, Approval, RunRecord, StepRecord

POLL_SECONDS = 0.1
_threads: dict[str, threading.Thread] = {}


@cache
def get_runner() -> AgentRunner:
    """The process-wide runner (roles, tools and store from the settings)."""
    return AgentRunner()


def _drive(runner: AgentRunner, run_id: str) -> None:
    try:
        asyncio.run(runner.aresume(run_id))
    except Exception:
        return


def start_run(task: str, runner: AgentRunner | None = None) -> str:
    """Store a run of ``task``, start it in the background and return its id."""
    runner = runner or get_runner()
    for finished in [key for key, thread in _threads.items() if not thread.is_alive()]:
        del _threads[finished]
    state = runner.create(task)
    thread = threading.Thread(
        target=_drive, args=(runner, state.run_id), name=f"agent-{state.run_id}", daemon=True
    )
    _threads[state.run_id] = thread
    thread.start()
    return state.run_id


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
        thread = _threads.get(run_id)
        stopped = status in TERMINAL or (status == "interrupted" and not _alive(thread))
        if stopped and not store.steps(run_id, after=seen):
            return
        if deadline is not None and time.monotonic() > deadline:
            return
        time.sleep(POLL_SECONDS)


def _alive(thread: threading.Thread | None) -> bool:
    return thread is not None and thread.is_alive()


def wait(run_id: str, runner: AgentRunner | None = None, timeout: float = 60.0) -> RunRecord:
    """Block until the run ends (or ``timeout``) and return its record."""
    thread = _threads.get(run_id)
    if thread is not None:
        thread.join(timeout)
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
