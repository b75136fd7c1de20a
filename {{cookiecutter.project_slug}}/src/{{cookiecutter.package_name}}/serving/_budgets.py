"""Per-key daily budgets (tokens and USD) checked *before* a model call, in memory or in Redis.

One budget per API key and UTC day, shared by every endpoint that spends model tokens
(``/v1/chat/completions``, ``/ask``, ``/agent/runs``). A request first reserves what it may spend
at most; a reservation that does not fit is refused (the endpoint answers 429 naming the budget
and when it resets), and nothing is taken. After the call :meth:`DailyBudgets.settle` replaces
the reservation with what the call really spent.

The guarantee: counters change only by atomic additions (``INCRBY`` in Redis), and a reservation
that takes a counter past its limit is taken back at once, so the reservations outstanding plus
the spend settled never exceed the limit, however many requests (or replicas) reserve at the same
time. A key can end its day over the limit only by what single requests spent beyond their own
reservation (an estimate that was too low), never by concurrency. While a refused reservation
is being taken back, another request may be refused although it would have fit a moment later:
the error is always on the side of refusing. The Redis backend keeps one counter per key, day
and kind (expiring after two days), so every replica shares it. Costs are counted in
micro-dollars (whole numbers).
"""

from __future__ import annotations

import asyncio
import math
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, Protocol

from redis.asyncio import Redis

from ..core.settings import get_settings
from ..monitoring.context import current_context
from .settings import ServingSettings

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

    @classmethod
    def of(cls, tokens: int, cost_usd: float | None) -> Spend:
        """``tokens`` and a cost in USD (``None``: unknown, counted as 0)."""
        return cls(tokens=tokens, micro_usd=round((cost_usd or 0.0) * MICRO))


class Counter(Protocol):
    """Add to a counter per (key, day, kind)."""

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


BudgetKind = Literal["daily_tokens", "daily_cost_usd"]


class BudgetRefusedError(RuntimeError):
    """The request would take its key past a daily budget: which one, and when it resets."""

    def __init__(self, message: str, budget: BudgetKind, resets_at: datetime) -> None:
        super().__init__(message)
        self.budget: BudgetKind = budget
        self.resets_at = resets_at

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the budget resets (at least 1)."""
        return max(1, math.ceil((self.resets_at - datetime.now(UTC)).total_seconds()))

    def details(self) -> dict[str, Any]:
        """``budget``, ``resets_at`` (ISO 8601, UTC) and the ``request_id`` of the refusal."""
        return {
            "budget": self.budget,
            "resets_at": self.resets_at.isoformat().replace("+00:00", "Z"),
            "request_id": current_context().get("request_id"),
        }

    def headers(self) -> dict[str, str]:
        """``Retry-After``: seconds until the budget resets."""
        return {"retry-after": str(self.retry_after_s)}


@dataclass(frozen=True)
class Reservation:
    """What a request took from its key's budget of one UTC day."""

    key: str
    day: str
    spend: Spend


def _today() -> tuple[str, datetime]:
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return now.strftime("%Y-%m-%d"), midnight


class DailyBudgets:
    """Daily token and cost limits per key name (``None``: no limit)."""

    def __init__(
        self, counters: Counter, max_tokens: int | None, max_cost_usd: float | None
    ) -> None:
        self.counters = counters
        self.max_tokens = max_tokens
        self.max_micro_usd = None if max_cost_usd is None else round(max_cost_usd * MICRO)

    @staticmethod
    def _names(key: str, day: str) -> tuple[str, str]:
        return f"budget:{day}:{key}:tokens", f"budget:{day}:{key}:micro_usd"

    async def reserve(self, key: str, spend: Spend, at_least: Spend | None = None) -> Reservation:
        """Take up to ``spend`` from ``key``'s budget of today, at least ``at_least``.

        Without ``at_least`` it is all of ``spend`` or nothing; with it, as much of ``spend``
        as is left (an agent run's limits are then capped at what was granted).

        Raises:
            BudgetRefusedError: less than ``at_least`` (or ``spend``) is left (nothing is taken).
        """
        day, resets_at = _today()
        need = spend if at_least is None else at_least
        tokens, cost = self._names(key, day)
        granted_tokens = await self._take(tokens, spend.tokens, need.tokens, self.max_tokens)
        if granted_tokens is None:
            raise BudgetRefusedError(
                f"daily token budget of this API key: this request needs up to {need.tokens} "
                f"tokens, fewer of the {self.max_tokens} a day are left; it resets at 00:00 UTC",
                "daily_tokens",
                resets_at,
            )
        granted_cost = await self._take(cost, spend.micro_usd, need.micro_usd, self.max_micro_usd)
        if granted_cost is None:
            if self.max_tokens is not None:
                await self.counters.add(tokens, -granted_tokens)
            limit = (self.max_micro_usd or 0) / MICRO
            raise BudgetRefusedError(
                f"daily cost budget of this API key: this request may cost up to "
                f"${need.micro_usd / MICRO:.4f}, less of the ${limit:.4f} a day is left; it "
                "resets at 00:00 UTC",
                "daily_cost_usd",
                resets_at,
            )
        return Reservation(key, day, Spend(granted_tokens, granted_cost))

    async def _take(self, name: str, want: int, need: int, limit: int | None) -> int | None:
        """Add ``want`` to counter ``name``, keep what fits under ``limit`` (None: too little)."""
        if limit is None:
            return want
        total = await self.counters.add(name, want)
        over = max(0, total - limit)
        granted = want - min(want, over)
        if granted < need:
            await self.counters.add(name, -want)
            return None
        if granted < want:
            await self.counters.add(name, granted - want)
        return granted

    async def settle(self, reservation: Reservation, actual: Spend) -> None:
        """Replace a reservation by what the call really spent (on the reservation's day)."""
        tokens, cost = self._names(reservation.key, reservation.day)
        reserved = reservation.spend
        if self.max_tokens is not None and actual.tokens != reserved.tokens:
            await self.counters.add(tokens, actual.tokens - reserved.tokens)
        if self.max_micro_usd is not None and actual.micro_usd != reserved.micro_usd:
            await self.counters.add(cost, actual.micro_usd - reserved.micro_usd)


@lru_cache(maxsize=4)
def _budgets(redis_url: str | None, tokens: int | None, cost_usd: float | None) -> DailyBudgets:
    counters = MemoryCounters() if redis_url is None else RedisCounters(redis_url)
    return DailyBudgets(counters, tokens, cost_usd)


def daily_budgets() -> DailyBudgets | None:
    """The per-key daily budgets in force (serving settings), or ``None`` when none is set."""
    serving = get_settings().section("serving", ServingSettings)
    if serving.daily_tokens_per_key is None and serving.daily_cost_usd_per_key is None:
        return None
    url = serving.redis_url.get_secret_value() if serving.rate_limit_backend == "redis" else None
    return _budgets(url, serving.daily_tokens_per_key, serving.daily_cost_usd_per_key)


def key_name(state: object) -> str:
    """The API key name of a request (``request.state``); ``anonymous`` without auth."""
    return str(getattr(state, "api_key_name", None) or "anonymous")


@dataclass(frozen=True)
class ModelPricing:
    """What calls to the served model may cost, and a meter of what they did cost.

    Provided by the LLM route (:func:`provide_pricing`) when the llm pillar is part of the
    project; without it no endpoint calls a model and nothing is budgeted.
    """

    max_output_tokens: int
    price: Callable[[int, int], float | None]
    grounded_calls: int
    meter: Callable[[], AbstractContextManager[Callable[[], Spend]]]

    def worst_case(self, prompt_tokens: int, calls: int = 1) -> Spend:
        """``calls`` model calls with a ``prompt_tokens`` prompt, each generating its most."""
        tokens = calls * (prompt_tokens + self.max_output_tokens)
        cost = self.price(calls * prompt_tokens, calls * self.max_output_tokens)
        return Spend.of(tokens, cost)


_pricing: list[Callable[[], ModelPricing]] = []


def provide_pricing(source: Callable[[], ModelPricing]) -> None:
    """Set where the model's pricing comes from (the LLM route, when the service is built)."""
    _pricing[:] = [source]


def model_pricing() -> ModelPricing | None:
    """The served model's pricing in force, or ``None`` when the project calls no model."""
    return _pricing[0]() if _pricing else None
