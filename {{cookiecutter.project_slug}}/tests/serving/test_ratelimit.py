from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.serving._ratelimit import (
    Decision,
    MemoryRateLimiter,
    RedisRateLimiter,
)
from {{ cookiecutter.package_name }}.serving._security import KeyRing, is_public, presented_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_memory_bucket_allows_a_burst_then_refills() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(rate_per_minute=60, burst=3, clock=clock)

    async def hits(n: int) -> list[Decision]:
        return [await limiter.hit("k") for _ in range(n)]

    decisions = asyncio.run(hits(4))
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_s == pytest.approx(1.0)
    assert decisions[-1].retry_after_header == "1"
    clock.now += 1.0
    assert asyncio.run(hits(2))[0].allowed
    clock.now += 1000
    assert [d.allowed for d in asyncio.run(hits(4))] == [True, True, True, False]


def test_redis_bucket_is_atomic_under_concurrency(redis_url: str) -> None:
    async def scenario() -> list[bool]:
        limiters = [RedisRateLimiter(redis_url, rate_per_minute=1, burst=5) for _ in range(3)]
        try:
            assert await limiters[0].ping()
            results = await asyncio.gather(*(lim.hit("shared") for lim in limiters * 4))
            return [d.allowed for d in results]
        finally:
            for limiter in limiters:
                await limiter.close()

    allowed = asyncio.run(scenario())
    assert sum(allowed) == 5
    assert len(allowed) == 12


def test_unreachable_redis_is_reported_not_raised() -> None:
    async def scenario() -> bool:
        limiter = RedisRateLimiter("redis://127.0.0.1:1/0", rate_per_minute=1, burst=1)
        try:
            return await limiter.ping()
        finally:
            await limiter.close()

    assert asyncio.run(scenario()) is False


def test_key_ring_names_the_matching_key_only() -> None:
    ring = KeyRing.from_settings({"a": SecretStr("a" * 20), "b": SecretStr("b" * 20)})
    assert ring.identify("b" * 20) == "b"
    assert ring.identify("c" * 20) is None
    assert ring.identify("") is None
    assert ring.identify(None) is None


def test_presented_key_prefers_bearer() -> None:
    headers = [(b"x-api-key", b"from-header"), (b"Authorization", b"Bearer from-bearer")]
    assert presented_key(headers) == "from-bearer"
    assert presented_key([(b"x-api-key", b"k")]) == "k"
    assert presented_key([(b"authorization", b"Bearer ")]) is None


def test_public_path_prefixes() -> None:
    assert is_public("/metrics", ["/metrics"])
    assert not is_public("/metrics2", ["/metrics"])
    assert is_public("/docs/x", ["/docs*"])
