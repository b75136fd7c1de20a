"""What a role turn cost: the provider's price list first, then configured prices.

Order: pydantic-ai's cost (``genai-prices`` knows the model), else the LLM pillar's
``INPUT_PRICE_PER_MTOK`` / ``OUTPUT_PRICE_PER_MTOK`` when set, else the agents pillar's fallback
prices (so a cost budget holds even for a model nobody priced).
"""

from __future__ import annotations

from pydantic_ai.usage import RunUsage

from ..core.settings import get_settings
from ..llm import LLMSettings, price
from ._schemas import Usage
from .settings import AgentsSettings

MILLION = 1_000_000


def _llm_price(input_tokens: int, output_tokens: int) -> float | None:
    llm = get_settings().section("llm", LLMSettings)
    value = price(llm, input_tokens, output_tokens)
    return None if value is None else float(value)


def turn_usage(run: RunUsage, settings: AgentsSettings) -> Usage:
    """Tokens, requests and USD of one role turn."""
    cost = getattr(run, "cost", None)
    if cost is None:
        cost = _llm_price(run.input_tokens, run.output_tokens)
    if cost is None:
        cost = (
            run.input_tokens * settings.input_cost_per_mtok
            + run.output_tokens * settings.output_cost_per_mtok
        ) / MILLION
    return Usage(
        requests=run.requests,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        cost_usd=float(cost),
    )
