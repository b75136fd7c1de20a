"""Worked examples of four prompting styles, each a typed function over a versioned prompt.

* :func:`classify_sentiment`: zero-shot, structured output (``classify_sentiment`` prompt);
* :func:`extract_ticket`: few-shot, examples in the prompt's front-matter (``extract_ticket``);
* :func:`solve_arithmetic`: chain-of-thought, the final answer extracted (and retried) in code;
* :func:`explain`: role-based, a system persona (``explain_as_role``).

Each is covered by an eval in ``evals/`` and runs on any model the client is configured with.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_ai import ModelRetry, TextOutput

from ._client import LLMClient, LLMResult
from ._prompts import PromptRegistry

FINAL_ANSWER = re.compile(r"final answer\s*[:=]\s*\$?(-?[\d,]*\.?\d+)", re.IGNORECASE)


@cache
def default_registry() -> PromptRegistry:
    """The built-in prompts (plus ``PROMPT_DIRS`` from settings when the client passes them)."""
    return PromptRegistry()


class Sentiment(BaseModel):
    """The sentiment of one review."""

    sentiment: Literal["positive", "negative", "neutral"] = Field(description="Overall tone.")
    summary: str = Field(description="The review in one sentence.")

    @field_validator("summary")
    @classmethod
    def _one_sentence(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("summary must not be empty")
        return value.strip()


class Ticket(BaseModel):
    """A routed support ticket."""

    team: Literal["billing", "engineering", "sales"] = Field(description="Team that owns it.")
    priority: Literal["low", "normal", "urgent"] = Field(description="How soon it needs work.")


class Solution(BaseModel):
    """A chain-of-thought answer: the reasoning and the number extracted from its last line."""

    reasoning: str
    answer: float


def extract_final_answer(text: str) -> Solution:
    """Parse ``Final answer: <number>`` (the last one wins); :class:`ModelRetry` when absent.

    Used as a pydantic-ai text output function, so a model that forgets the line is asked again.
    """
    matches = FINAL_ANSWER.findall(text)
    if not matches:
        raise ModelRetry("End your answer with one line `Final answer: <number>`.")
    number = float(matches[-1].replace(",", ""))
    reasoning = text[: text.lower().rfind("final answer")].strip()
    return Solution(reasoning=reasoning, answer=number)


def classify_sentiment(client: LLMClient, review: str) -> LLMResult[Sentiment]:
    """Zero-shot sentiment of ``review``."""
    prompt = default_registry().render("classify_sentiment", review=review)
    return client.run_sync(prompt, Sentiment)


def extract_ticket(client: LLMClient, message: str) -> LLMResult[Ticket]:
    """Few-shot routing of a support ``message``."""
    prompt = default_registry().render("extract_ticket", message=message)
    return client.run_sync(prompt, Ticket)


def solve_arithmetic(client: LLMClient, question: str) -> LLMResult[Solution]:
    """Chain-of-thought answer to a word problem; the final number is extracted in code."""
    prompt = default_registry().render("solve_arithmetic", question=question)
    return client.run_sync(prompt, TextOutput(extract_final_answer))


def explain(
    client: LLMClient, topic: str, *, role: str = "a patient teacher", audience: str = "beginners"
) -> LLMResult[str]:
    """Role-based explanation of ``topic`` for ``audience`` by ``role``."""
    prompt = default_registry().render("explain_as_role", role=role, audience=audience, topic=topic)
    return client.run_sync(prompt)
