"""Per-key daily budgets (tokens and USD) checked *before* a model call, in memory or in Redis.

A request first reserves what it may spend (its estimated prompt tokens plus the most it may
generate); a reservation that would take the key past its daily limit is refused, and the
caller answers 429 with the reason. After the call, :meth:`DailyBudgets.settle` replaces the
reservation with what the call really spent. Days are UTC days. The Redis backend keeps one
counter per key and day (``INCRBY``, expiring after two days), so every replica shares it.
Costs are counted in micro-dollars (whole numbers).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

CHARS_PER_TOKEN = 3  # conservative (English averages ~4): refuse early rather than late
MICRO = 1_000_000


def estimate_tokens(text_chars: int) -> int:
    """An upper-leaning estimate of the tokens of a prompt of ``text_chars`` characters."""
    return math.ceil(text_chars / CHARS_PER_TOKEN) + 8


@dataclass(frozen=True)
class Spend:
    """Tokens and micro-dollars."""

    tokens: int
    micro_usd: int = 0


class Counter(Protocol):
    """Add to and read a counter per (key, day)."""

    async def add(self, name: str, amount: int) -> int:
        """Add ``amount`` to counter ``name``; the new total."""


class MemoryCounters:
    """Counters of this process."""

    def __init__(self) -> None:
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    async def add(self, name: str, amount: int) -> int:
        """Add ``amount``; the new total."""
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount
            return self._values[name]


class RedisCounters:
    """Counters in Redis, shared by every replica (each expires two days after first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = (
            weakref.WeakKeyDictionary()
        )

    async def add(self, name: str, amount: int) -> int:
        """``INCRBY`` (atomic across replicas); the new total."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)  # a connection pool belongs to one event loop
        if client is None:
            client = self._clients[loop] = Redis.from_url(self.url)
        async with client.pipeline(transaction=True) as pipe:
            pipe.incrby(name, amount)
            pipe.expire(name, 2 * 86_400, nx=True)
            total, _ = await pipe.execute()
        return int(total)


class BudgetRefusedError(RuntimeError):
    """The request would take its key past a daily budget (the message says which)."""


class DailyBudgets:
    """Daily token and cost limits per key name (``None``: no limit)."""

    def __init__(
        self, counters: Counter, max_tokens: int | None, max_cost_usd: float | None
    ) -> None:
        self.counters = counters
        self.max_tokens = max_tokens
        self.max_micro_usd = None if max_cost_usd is None else round(max_cost_usd * MICRO)

    @staticmethod
    def _names(key: str) -> tuple[str, str]:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        return f"budget:{day}:{key}:tokens", f"budget:{day}:{key}:micro_usd"

    async def reserve(self, key: str, spend: Spend) -> None:
        """Take ``spend`` from ``key``'s budget of today.

        Raises:
            BudgetRefusedError: it would exceed a limit (nothing is taken).
        """
        tokens, cost = self._names(key)
        if self.max_tokens is not None:
            total = await self.counters.add(tokens, spend.tokens)
            if total > self.max_tokens:
                await self.counters.add(tokens, -spend.tokens)
                left = max(0, self.max_tokens - (total - spend.tokens))
                raise BudgetRefusedError(
                    f"daily token budget of this API key: this request may use {spend.tokens} "
                    f"tokens, {left} of {self.max_tokens} are left today (UTC)"
                )
        if self.max_micro_usd is not None:
            total = await self.counters.add(cost, spend.micro_usd)
            if total > self.max_micro_usd:
                await self.counters.add(cost, -spend.micro_usd)
                if self.max_tokens is not None:
                    await self.counters.add(tokens, -spend.tokens)
                raise BudgetRefusedError(
                    f"daily cost budget of this API key: this request may cost "
                    f"${spend.micro_usd / MICRO:.4f}, the limit is "
                    f"${self.max_micro_usd / MICRO:.4f} a day (UTC)"
                )

    async def settle(self, key: str, reserved: Spend, actual: Spend) -> None:
        """Replace a reservation by what the call really spent."""
        tokens, cost = self._names(key)
        if self.max_tokens is not None and actual.tokens != reserved.tokens:
            await self.counters.add(tokens, actual.tokens - reserved.tokens)
        if self.max_micro_usd is not None and actual.micro_usd != reserved.micro_usd:
            await self.counters.add(cost, actual.micro_usd - reserved.micro_usd)
