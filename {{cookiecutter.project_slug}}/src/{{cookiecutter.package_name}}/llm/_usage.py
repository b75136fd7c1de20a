"""Token and cost accounting, and the budgets that stop a call or a process from overspending.

The cost of a call comes from pydantic-ai's price list (``genai-prices``) when it knows the model;
otherwise from the ``INPUT_PRICE_PER_MTOK`` / ``OUTPUT_PRICE_PER_MTOK`` settings (local models, a
private deployment); otherwise it is unknown (``None``), never a made-up zero.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from pydantic_ai.usage import RunUsage, UsageLimits

from .settings import LLMSettings

MILLION = 1_000_000


class BudgetExceededError(RuntimeError):
    """A call would exceed (or has exceeded) a token or cost budget."""


@dataclass(frozen=True)
class TokenUsage:
    """Tokens, requests and cost (USD, ``None`` = unknown) of one answer, or with ``+`` of many."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @classmethod
    def from_run(cls, usage: RunUsage, settings: LLMSettings | None = None) -> TokenUsage:
        """Convert pydantic-ai's usage of one run, pricing it with ``settings`` when needed."""
        cost = float(usage.cost) if usage.cost is not None else None
        if cost is None and settings is not None:
            cost = price(settings, usage.input_tokens, usage.output_tokens)
        return cls(
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=cost,
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        costs = [c for c in (self.cost_usd, other.cost_usd) if c is not None]
        return TokenUsage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=sum(costs) if costs else None,
        )

    def summary(self) -> str:
        """One human line, e.g. ``1 request, 12 in + 5 out tokens, $0.000012``."""
        plural = "" if self.requests == 1 else "s"
        cost = "" if self.cost_usd is None else f", ${self.cost_usd:.6f}"
        return (
            f"{self.requests} request{plural}, "
            f"{self.input_tokens} in + {self.output_tokens} out tokens{cost}"
        )


def price(settings: LLMSettings, input_tokens: int, output_tokens: int) -> float | None:
    """Cost in USD from the settings' prices per million tokens; ``None`` when none are set."""
    if settings.input_price_per_mtok is None and settings.output_price_per_mtok is None:
        return None
    per_in = settings.input_price_per_mtok or 0.0
    per_out = settings.output_price_per_mtok or 0.0
    return (input_tokens * per_in + output_tokens * per_out) / MILLION


def call_limits(settings: LLMSettings) -> UsageLimits:
    """pydantic-ai limits of one call: its tokens (all requests, retries included) and cost."""
    cost = settings.max_cost_per_call_usd
    return UsageLimits(
        request_limit=settings.output_retries + 4,
        total_tokens_limit=settings.max_tokens_per_call,
        cost_limit=None if cost is None else Decimal(str(cost)),
    )


class Budget:
    """What a process may still spend; shared by every client of the process (thread-safe).

    :meth:`check` runs before a call (refusing it once the budget is gone) and :meth:`charge`
    after it, with what the call really cost.
    """

    def __init__(self, max_tokens: int | None = None, max_cost_usd: float | None = None) -> None:
        self.max_tokens = max_tokens
        self.max_cost_usd = max_cost_usd
        self.spent = TokenUsage()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> Budget:
        """The process budget named by ``MAX_TOTAL_TOKENS`` and ``MAX_TOTAL_COST_USD``."""
        return cls(settings.max_total_tokens, settings.max_total_cost_usd)

    def check(self) -> None:
        """Raise :class:`BudgetExceededError` when nothing is left to spend."""
        with self._lock:
            spent = self.spent
        if self.max_tokens is not None and spent.total_tokens >= self.max_tokens:
            raise BudgetExceededError(
                f"process token budget spent: {spent.total_tokens} of {self.max_tokens} tokens "
                "(raise MAX_TOTAL_TOKENS or start a new process)"
            )
        cost = spent.cost_usd or 0.0
        if self.max_cost_usd is not None and cost >= self.max_cost_usd:
            raise BudgetExceededError(
                f"process cost budget spent: ${cost:.4f} of ${self.max_cost_usd:.4f} "
                "(raise MAX_TOTAL_COST_USD or start a new process)"
            )

    def charge(self, usage: TokenUsage) -> None:
        """Add what a call spent."""
        with self._lock:
            self.spent = self.spent + usage


# The meters open in this context (see :func:`metered`); each is the list of usages it saw.
_METERS: ContextVar[tuple[list[TokenUsage], ...]] = ContextVar("llm_usage_meters", default=())


@contextmanager
def metered() -> Iterator[Callable[[], TokenUsage]]:
    """Count what every model call made inside the ``with`` block spends.

    Yields a function returning the sum so far. Calls in threads and tasks started inside the
    block count too (they inherit the context), so a service can charge one request's calls to
    its caller while other requests run beside it.
    """
    seen: list[TokenUsage] = []
    token = _METERS.set((*_METERS.get(), seen))
    try:
        yield lambda: sum(list(seen), TokenUsage())
    finally:
        _METERS.reset(token)


def meter(usage: TokenUsage) -> None:
    """Add ``usage`` to every meter open in this context (the client calls it per charge)."""
    for seen in _METERS.get():
        seen.append(usage)


_PROCESS_BUDGETS: dict[tuple[int | None, float | None], Budget] = {}
_BUDGETS_LOCK = threading.Lock()


def process_budget(settings: LLMSettings) -> Budget:
    """The process-wide budget for these limits (one per distinct pair of limits)."""
    key = (settings.max_total_tokens, settings.max_total_cost_usd)
    with _BUDGETS_LOCK:
        if key not in _PROCESS_BUDGETS:
            _PROCESS_BUDGETS[key] = Budget.from_settings(settings)
        return _PROCESS_BUDGETS[key]
