"""Per-key daily budgets (tokens, USD) in memory and in a real Redis, reserved before a call."""

from __future__ import annotations

import asyncio

import pytest

from {{ cookiecutter.package_name }}.serving._budgets import (
    BudgetRefusedError,
    DailyBudgets,
    MemoryCounters,
    RedisCounters,
    Spend,
    estimate_tokens,
)


def _exhaust(budgets: DailyBudgets) -> list[str]:
    async def run() -> list[str]:
        outcomes = []
        for _ in range(4):
            try:
                await budgets.reserve("ci", Spend(tokens=400))
                outcomes.append("ok")
            except BudgetRefusedError as refused:
                outcomes.append(str(refused))
        await budgets.settle("ci", Spend(tokens=400), Spend(tokens=100))
        await budgets.reserve("ci", Spend(tokens=400))  # the settled 300 tokens are free again
        await budgets.reserve("other", Spend(tokens=1000))  # each key has its own budget
        return outcomes

    return asyncio.run(run())


def test_a_key_cannot_reserve_past_its_daily_tokens_in_memory() -> None:
    outcomes = _exhaust(DailyBudgets(MemoryCounters(), max_tokens=1000, max_cost_usd=None))
    assert outcomes[:2] == ["ok", "ok"]
    assert "daily token budget" in outcomes[2]
    assert "200 of 1000" in outcomes[2]


def test_the_redis_budget_is_shared_and_enforced(redis_url: str) -> None:
    counters = RedisCounters(redis_url)
    outcomes = _exhaust(DailyBudgets(counters, max_tokens=1000, max_cost_usd=None))
    assert outcomes[:2] == ["ok", "ok"]
    assert "daily token budget" in outcomes[2]
    # A second replica (another client on the same Redis) sees the same spend.
    other_replica = DailyBudgets(RedisCounters(redis_url), max_tokens=1000, max_cost_usd=None)
    with pytest.raises(BudgetRefusedError):
        asyncio.run(other_replica.reserve("ci", Spend(tokens=500)))


def test_a_cost_budget_refuses_and_returns_the_tokens() -> None:
    budgets = DailyBudgets(MemoryCounters(), max_tokens=10_000, max_cost_usd=0.01)
    asyncio.run(budgets.reserve("ci", Spend(tokens=10, micro_usd=9_000)))
    with pytest.raises(BudgetRefusedError, match="daily cost budget"):
        asyncio.run(budgets.reserve("ci", Spend(tokens=10, micro_usd=2_000)))
    asyncio.run(budgets.reserve("ci", Spend(tokens=9_990, micro_usd=0)))  # tokens were returned


def test_the_prompt_estimate_leans_high() -> None:
    assert estimate_tokens(4_000) >= 1_000
