"""Merge concurrent requests into one call, without letting one request break the others.

:class:`MicroBatcher` queues each request's items; while the worker scores a batch, new requests
wait, and the next batch takes every waiting request (up to ``max_batch_size`` items), so a quiet
service answers at once and a busy one scores in bulk. If the merged call fails, each request of
the batch is scored again on its own: only the request whose items fail gets the error, the
others get their answers. A request that waited longer than ``max_wait_s`` for its batch to start
is shed with :class:`OverloadedError` (the service answers 503).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


class OverloadedError(RuntimeError):
    """The request waited longer than the batcher's ``max_wait_s``."""


class ItemsFailedError(ValueError):
    """The request's own items failed when scored on their own (``__cause__`` says why)."""


@dataclass
class _Pending(Generic[ItemT, ResultT]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    items: Sequence[ItemT]
    future: asyncio.Future[list[ResultT]]
    queued_at: float = field(default_factory=time.monotonic)


class MicroBatcher(Generic[ItemT, ResultT]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    """Run ``work`` over the items of concurrent :meth:`submit` calls, in a worker thread."""

    def __init__(
        self,
        work: Callable[[list[ItemT]], list[ResultT]],
        max_batch_size: int,
        max_wait_s: float,
    ) -> None:
        self.work = work
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self._queue: list[_Pending[ItemT, ResultT]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, items: Sequence[ItemT]) -> list[ResultT]:
        """The results of ``items`` (in order), scored together with other waiting requests.

        Raises:
            ItemsFailedError: these items fail on their own (other requests are not affected).
            OverloadedError: the request waited longer than ``max_wait_s``.
        """
        future: asyncio.Future[list[ResultT]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(items, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())
        return await future

    def _next_batch(self) -> list[_Pending[ItemT, ResultT]]:
        batch: list[_Pending[ItemT, ResultT]] = []
        size = 0
        now = time.monotonic()
        while self._queue:
            pending = self._queue[0]
            if pending.future.done():  # the client went away
                self._queue.pop(0)
                continue
            if now - pending.queued_at > self.max_wait_s:
                self._queue.pop(0)
                pending.future.set_exception(OverloadedError("the /predict queue is full; retry"))
                continue
            if batch and size + len(pending.items) > self.max_batch_size:
                break
            batch.append(self._queue.pop(0))
            size += len(pending.items)
        return batch

    async def _drain(self) -> None:
        while batch := self._next_batch():
            merged = [item for pending in batch for item in pending.items]
            try:
                results = await asyncio.to_thread(self.work, merged)
            except Exception:
                await self._one_by_one(batch)
                continue
            start = 0
            for pending in batch:
                end = start + len(pending.items)
                _resolve(pending, results[start:end])
                start = end

    async def _one_by_one(self, batch: list[_Pending[ItemT, ResultT]]) -> None:
        """Score each request of a failed batch alone: only the failing ones get the error."""
        for pending in batch:
            try:
                results = await asyncio.to_thread(self.work, list(pending.items))
            except Exception as error:
                if not pending.future.done():
                    failed = ItemsFailedError("these records could not be scored")
                    failed.__cause__ = error
                    pending.future.set_exception(failed)
                continue
            _resolve(pending, results)


def _resolve(  # noqa: UP047, RUF100 (PEP 695: 3.12+)
    pending: _Pending[ItemT, ResultT], results: list[ResultT]
) -> None:
    if not pending.future.done():
        pending.future.set_result(results)
