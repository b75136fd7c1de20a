"""The micro-batcher of /predict: merged batches, and a failure that stays with its request."""

from __future__ import annotations

import asyncio
import threading

import pytest

from {{ cookiecutter.package_name }}.serving._batcher import ItemsFailedError, MicroBatcher, OverloadedError


class Scorer:
    """Doubles numbers; fails on a negative one (as a model fails on a poisoned row)."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.gate = threading.Event()

    def __call__(self, items: list[int]) -> list[int]:
        self.gate.wait(5)
        self.calls.append(list(items))
        if any(item < 0 for item in items):
            raise ValueError("negative input")
        return [2 * item for item in items]


async def _submit_all(batcher: MicroBatcher[int, int], requests: list[list[int]]) -> list[object]:
    tasks = [asyncio.ensure_future(batcher.submit(items)) for items in requests]
    await asyncio.sleep(0.05)
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def test_concurrent_requests_are_merged_and_answered_in_order() -> None:
    scorer = Scorer()
    scorer.gate.set()
    batcher = MicroBatcher(scorer, max_batch_size=64, max_wait_s=5)
    answers = asyncio.run(_submit_all(batcher, [[1], [2, 3], [4]]))
    assert answers == [[2], [4, 6], [8]]
    assert sum(len(call) for call in scorer.calls) == 4
    assert len(scorer.calls) < 3


def test_a_failing_request_does_not_fail_the_others_in_its_batch() -> None:
    scorer = Scorer()
    batcher = MicroBatcher(scorer, max_batch_size=64, max_wait_s=5)

    async def run() -> list[object]:
        first = asyncio.ensure_future(batcher.submit([0]))  # holds the worker at the gate
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher.submit(items)) for items in ([1], [-1], [2, 3])]
        await asyncio.sleep(0.05)
        scorer.gate.set()
        return list(await asyncio.gather(first, *rest, return_exceptions=True))

    answers = asyncio.run(run())
    assert answers[0] == [0]
    assert answers[1] == [2]
    assert isinstance(answers[2], ItemsFailedError)
    assert isinstance(answers[2].__cause__, ValueError)
    assert answers[3] == [4, 6]
    assert [1, -1, 2, 3] in scorer.calls  # the merged batch was tried first


def test_batches_respect_the_size_limit() -> None:
    scorer = Scorer()
    scorer.gate.set()
    batcher = MicroBatcher(scorer, max_batch_size=2, max_wait_s=5)
    answers = asyncio.run(_submit_all(batcher, [[1], [2], [3], [4, 5, 6]]))
    assert answers == [[2], [4], [6], [8, 10, 12]]
    assert all(len(call) <= 2 or len(call) == 3 for call in scorer.calls)
    assert [4, 5, 6] in scorer.calls  # one request larger than the limit is scored whole


def test_a_request_that_waited_too_long_is_shed() -> None:
    scorer = Scorer()
    batcher = MicroBatcher(scorer, max_batch_size=1, max_wait_s=0.01)

    async def run() -> list[object]:
        first = asyncio.ensure_future(batcher.submit([1]))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(batcher.submit([2]))
        await asyncio.sleep(0.1)
        scorer.gate.set()
        return list(await asyncio.gather(first, second, return_exceptions=True))

    first, second = asyncio.run(run())
    assert first == [2]
    assert isinstance(second, OverloadedError)


@pytest.mark.parametrize("size", [1, 7])
def test_results_keep_the_request_order(size: int) -> None:
    scorer = Scorer()
    scorer.gate.set()
    batcher = MicroBatcher(scorer, max_batch_size=size, max_wait_s=5)
    requests = [[n, n + 100] for n in range(10)]
    answers = asyncio.run(_submit_all(batcher, requests))
    assert answers == [[2 * n, 2 * n + 200] for n in range(10)]
