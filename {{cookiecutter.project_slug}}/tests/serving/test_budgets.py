"""Per-key daily budgets (tokens, USD) in memory and in a real Redis, reserved before a call."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from {{ cookiecutter.package_name }}.serving._budgets import (
    BudgetRefusedError,
    DailyBudgets,
    MemoryCounters,
    RedisCounters,
    Spend,
    estimate_tokens,
)


def _key(name: str) -> str:
    """A key name of its own (the Redis server is shared by the whole session)."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def _exhaust(budgets: DailyBudgets) -> list[str]:
    ci, other = _key("ci"), _key("other")

    async def run() -> list[str]:
        outcomes = []
        first = None
        for _ in range(4):
            try:
                reservation = await budgets.reserve(ci, Spend(tokens=400))
                first = first or reservation
                outcomes.append("ok")
            except BudgetRefusedError as refused:
                outcomes.append(str(refused))
        assert first is not None
        await budgets.settle(first, Spend(tokens=100))
        await budgets.reserve(ci, Spend(tokens=400))  # the settled 300 tokens are free again
        await budgets.reserve(other, Spend(tokens=1000))  # each key has its own budget
        return outcomes

    return asyncio.run(run())


def test_a_key_cannot_reserve_past_its_daily_tokens_in_memory() -> None:
    outcomes = _exhaust(DailyBudgets(MemoryCounters(), max_tokens=1000, max_cost_usd=None))
    assert outcomes[:2] == ["ok", "ok"]
    assert "daily token budget" in outcomes[2]
    assert "needs up to 400 tokens" in outcomes[2]


def test_the_redis_budget_is_shared_and_enforced(redis_url: str) -> None:
    counters = RedisCounters(redis_url)
    budgets = DailyBudgets(counters, max_tokens=1000, max_cost_usd=None)
    outcomes = _exhaust(budgets)
    assert outcomes[:2] == ["ok", "ok"]
    assert "daily token budget" in outcomes[2]
    # A second replica (another client on the same Redis) sees the same spend.
    key = _key("shared")
    asyncio.run(budgets.reserve(key, Spend(tokens=600)))
    other_replica = DailyBudgets(RedisCounters(redis_url), max_tokens=1000, max_cost_usd=None)
    with pytest.raises(BudgetRefusedError):
        asyncio.run(other_replica.reserve(key, Spend(tokens=500)))


def test_a_cost_budget_refuses_and_returns_the_tokens() -> None:
    budgets = DailyBudgets(MemoryCounters(), max_tokens=10_000, max_cost_usd=0.01)
    asyncio.run(budgets.reserve("ci", Spend(tokens=10, micro_usd=9_000)))
    with pytest.raises(BudgetRefusedError, match="daily cost budget") as refused:
        asyncio.run(budgets.reserve("ci", Spend(tokens=10, micro_usd=2_000)))
    assert refused.value.budget == "daily_cost_usd"
    asyncio.run(budgets.reserve("ci", Spend(tokens=9_990, micro_usd=0)))  # tokens were returned


def test_a_refusal_names_the_budget_and_when_it_resets() -> None:
    budgets = DailyBudgets(MemoryCounters(), max_tokens=100, max_cost_usd=None)
    with pytest.raises(BudgetRefusedError) as refused:
        asyncio.run(budgets.reserve("ci", Spend(tokens=101)))
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    details = refused.value.details()
    assert details["budget"] == "daily_tokens"
    assert details["resets_at"] == midnight.isoformat().replace("+00:00", "Z")
    assert 0 < int(refused.value.headers()["retry-after"]) <= 86_400


def test_a_partial_reservation_grants_what_is_left_but_not_less_than_asked() -> None:
    budgets = DailyBudgets(MemoryCounters(), max_tokens=1000, max_cost_usd=1.0)

    async def run() -> tuple[Spend, Spend]:
        first = await budgets.reserve("ci", Spend(700, 600_000), at_least=Spend(100, 1))
        second = await budgets.reserve("ci", Spend(700, 600_000), at_least=Spend(100, 1))
        with pytest.raises(BudgetRefusedError):  # 0 tokens left: less than the least it needs
            await budgets.reserve("ci", Spend(700, 600_000), at_least=Spend(1, 0))
        return first.spend, second.spend

    first, second = asyncio.run(run())
    assert first == Spend(700, 600_000)
    assert second == Spend(300, 400_000)  # the rest of each budget


def _race(budgets: DailyBudgets, key: str, requests: int, each: int) -> int:
    """``requests`` reservations of ``each`` tokens at once; how many were granted."""

    async def one() -> bool:
        try:
            await budgets.reserve(key, Spend(tokens=each))
        except BudgetRefusedError:
            return False
        return True

    async def run() -> int:
        return sum(await asyncio.gather(*(one() for _ in range(requests))))

    return asyncio.run(run())


def test_concurrent_reservations_never_take_more_than_the_budget_in_redis(redis_url: str) -> None:
    """The guarantee: reserved (not yet settled) spend never exceeds the limit, however many
    requests reserve at once, and no request that fits alone is lost once others settle."""
    limit = 1000
    budgets = DailyBudgets(RedisCounters(redis_url), max_tokens=limit, max_cost_usd=None)
    key = _key("racer")
    granted = _race(budgets, key, requests=60, each=90)
    assert granted == limit // 90  # 11: exactly what fits, no more
    # What is left (1000 - 990 = 10 tokens) is still there: the refused ones took nothing.
    asyncio.run(budgets.reserve(key, Spend(tokens=10)))
    with pytest.raises(BudgetRefusedError):
        asyncio.run(budgets.reserve(key, Spend(tokens=1)))


def test_concurrent_reservations_never_take_more_than_the_budget_in_memory() -> None:
    budgets = DailyBudgets(MemoryCounters(), max_tokens=1000, max_cost_usd=None)
    assert _race(budgets, "racer", requests=60, each=90) == 11


def test_a_reservation_is_settled_on_the_day_it_was_made() -> None:
    counters = MemoryCounters()
    budgets = DailyBudgets(counters, max_tokens=1000, max_cost_usd=None)
    reservation = asyncio.run(budgets.reserve("ci", Spend(tokens=500)))
    yesterday = reservation.__class__(reservation.key, "2000-01-01", reservation.spend)
    asyncio.run(budgets.settle(yesterday, Spend(tokens=100)))
    assert counters._values["budget:2000-01-01:ci:tokens"] == -400  # that day's counter only
    with pytest.raises(BudgetRefusedError):  # today's 500 are still reserved
        asyncio.run(budgets.reserve("ci", Spend(tokens=501)))


def test_the_prompt_estimate_leans_high() -> None:
    assert estimate_tokens(4_000) >= 1_000
