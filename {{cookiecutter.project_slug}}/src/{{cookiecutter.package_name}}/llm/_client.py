"""The LLM client: text, structured and streamed answers with budgets, cache and telemetry.

:class:`LLMClient` asks one question per call and returns an :class:`LLMResult` (the answer, its
:class:`~.usage.TokenUsage` with cost, the prompt name@version used). Every call is checked against
the per-call and per-process budgets, recorded as metrics, a log line and an OpenTelemetry span,
and (temperature 0, ``CACHE_ENABLED``) answered from the disk cache when it was asked before.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast, overload

from pydantic import TypeAdapter
from pydantic_ai import Agent, TextOutput
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.exceptions import UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.settings import ModelSettings
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.usage import RunUsage

from ..core import cache_key
from ..core.settings import get_settings
from ._cache import ResponseCache
from ._messages import Prompt, PromptParts, split_prompt
from ._models import build_model, model_settings
from ._result import LLMResult, StructuredOutputError, jsonable, sync_loop
from ._telemetry import CallRecord, observe_call
from ._usage import (
    Budget,
    BudgetExceededError,
    TokenUsage,
    call_limits,
    meter,
    process_budget,
)
from .settings import LLMSettings

OutputT = TypeVar("OutputT")
OutputType = type[OutputT] | TextOutput[OutputT]

__all__ = [
    "BudgetExceededError",
    "LLMClient",
    "LLMResult",
    "StructuredOutputError",
    "TokenUsage",
    "build_model",
    "model_settings",
]


def _artifacts_dir() -> Path:
    return get_settings().artifacts_dir


@dataclass
class LLMClient:
    """Ask a model questions; every answer comes back with its usage and cost.

    Args:
        settings: the LLM settings section; defaults to the project's settings.
        model: a ready model (``TestModel``, ``FunctionModel``, a ``FallbackModel``...) that
            replaces the one built from ``settings``.
        budget: the process budget to charge; defaults to the one shared by the whole process.
    """

    settings: LLMSettings = field(
        default_factory=lambda: get_settings().section("llm", LLMSettings)
    )
    model: Model | None = None
    budget: Budget | None = None
    total_usage: TokenUsage = field(default_factory=TokenUsage, init=False)
    agent: Agent[None, str] = field(init=False, repr=False)
    cache: ResponseCache | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = build_model(self.settings)
        if self.budget is None:
            self.budget = process_budget(self.settings)
        if self.settings.cache_enabled:
            folder = _artifacts_dir() / self.settings.cache_dir
            self.cache = ResponseCache(
                folder, self.settings.cache_ttl_seconds, self.settings.cache_max_entries
            )
        instrumentation = Instrumentation(settings=InstrumentationSettings(include_content=False))
        self.agent = Agent(
            self.model,
            model_settings=self.model_settings,
            retries=self.settings.output_retries,
            defer_model_check=True,
            capabilities=[instrumentation],
        )

    @property
    def resolved_model(self) -> Model:
        """The model every request goes to."""
        if self.model is None:  # only before __post_init__ ran
            raise RuntimeError("LLMClient has no model")
        return self.model

    @property
    def model_settings(self) -> ModelSettings:
        """Per-request settings derived from :attr:`settings`."""
        return model_settings(self.settings)

    @overload
    async def run(
        self,
        prompt: Prompt,
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[str]: ...

    @overload
    async def run(
        self,
        prompt: Prompt,
        output_type: OutputType[OutputT],
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[OutputT]: ...

    async def run(
        self,
        prompt: Prompt,
        output_type: OutputType[Any] = str,
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[Any]:
        """Answer ``prompt`` (text, chat messages or a rendered prompt) with ``output_type``.

        Raises:
            BudgetExceededError: the process budget is spent, or this call went over its limit.
            StructuredOutputError: the answer never validated within ``OUTPUT_RETRIES``.
        """
        parts = split_prompt(prompt, instructions)
        key = self._cache_key(parts, output_type, toolsets)
        record = CallRecord(self.resolved_model.model_name, "run", parts.prompt_ref)
        with observe_call(record):
            if key is not None and self.cache is not None:
                hit = self.cache.get(key)
                if hit is not None:
                    record.kind = "cached"
                    adapter: TypeAdapter[Any] = TypeAdapter(cast(type[Any], output_type))
                    output = adapter.validate_python(hit["output"])
                    return self._result(output, TokenUsage(), parts.prompt_ref, cached=True)
            self._check_budget()
            try:
                run = await self.agent.run(
                    parts.user_prompt,
                    output_type=output_type,
                    instructions=parts.instructions,
                    message_history=parts.history,
                    usage_limits=call_limits(self.settings),
                    toolsets=toolsets,
                )
            except UsageLimitExceeded as exc:
                raise BudgetExceededError(f"call limit reached: {exc}") from exc
            except UnexpectedModelBehavior as exc:
                raise StructuredOutputError(
                    f"no valid {getattr(output_type, '__name__', output_type)} after "
                    f"{self.settings.output_retries} retries: {exc}"
                ) from exc
            record.usage = self._charge(run.usage)
            if key is not None and self.cache is not None:
                self.cache.set(key, {"output": jsonable(run.output)})
            return self._result(run.output, record.usage, parts.prompt_ref, run.all_messages())

    @overload
    def run_sync(
        self,
        prompt: Prompt,
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[str]: ...

    @overload
    def run_sync(
        self,
        prompt: Prompt,
        output_type: OutputType[OutputT],
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[OutputT]: ...

    def run_sync(
        self,
        prompt: Prompt,
        output_type: OutputType[Any] = str,
        *,
        instructions: str | None = None,
        toolsets: Sequence[AbstractToolset[Any]] | None = None,
    ) -> LLMResult[Any]:
        """:meth:`run` for code outside an event loop (one loop per thread, reused)."""
        loop = sync_loop()
        coroutine = self.run(prompt, output_type, instructions=instructions, toolsets=toolsets)
        return loop.run_until_complete(coroutine)

    async def stream(
        self, prompt: Prompt, *, instructions: str | None = None
    ) -> AsyncGenerator[str, None]:
        """Yield the text answer to ``prompt`` as it arrives (deltas); usage is charged last."""
        parts = split_prompt(prompt, instructions)
        record = CallRecord(self.resolved_model.model_name, "stream", parts.prompt_ref)
        with observe_call(record):
            self._check_budget()
            try:
                async with self.agent.run_stream(
                    parts.user_prompt,
                    instructions=parts.instructions,
                    message_history=parts.history,
                    usage_limits=call_limits(self.settings),
                ) as streamed:
                    async for delta in streamed.stream_text(delta=True, debounce_by=None):
                        yield delta
                    usage = streamed.usage
            except UsageLimitExceeded as exc:
                raise BudgetExceededError(f"call limit reached: {exc}") from exc
            record.usage = self._charge(usage)

    # The historical names, kept for the agents pillar and existing callers.
    async def acomplete(self, prompt: Prompt, *, instructions: str | None = None) -> LLMResult[str]:
        """Answer ``prompt`` with text (async)."""
        return await self.run(prompt, str, instructions=instructions)

    async def astructured(
        self, prompt: Prompt, output_type: type[OutputT], *, instructions: str | None = None
    ) -> LLMResult[OutputT]:
        """Answer ``prompt`` with an ``output_type`` instance validated by pydantic (async)."""
        return await self.run(prompt, output_type, instructions=instructions)

    def complete(self, prompt: Prompt, *, instructions: str | None = None) -> LLMResult[str]:
        """Answer ``prompt`` with text."""
        return self.run_sync(prompt, str, instructions=instructions)

    def structured(
        self, prompt: Prompt, output_type: type[OutputT], *, instructions: str | None = None
    ) -> LLMResult[OutputT]:
        """Answer ``prompt`` with an ``output_type`` instance validated by pydantic."""
        return self.run_sync(prompt, output_type, instructions=instructions)

    def _check_budget(self) -> None:
        if self.budget is not None:
            self.budget.check()

    def _charge(self, usage: RunUsage) -> TokenUsage:
        spent = TokenUsage.from_run(usage, self.settings)
        self.total_usage = self.total_usage + spent
        meter(spent)
        if self.budget is not None:
            self.budget.charge(spent)
        return spent

    def _cache_key(
        self, parts: PromptParts, output_type: object, toolsets: Sequence[object] | None
    ) -> str | None:
        if self.cache is None or toolsets or self.settings.temperature != 0:
            return None
        if not isinstance(output_type, type):  # an output function: its result is not data
            return None
        schema = TypeAdapter(output_type).json_schema()
        return cache_key(
            {
                "model": self.resolved_model.model_name,
                "system": self.resolved_model.system,
                "prompt": parts.user_prompt,
                "instructions": parts.instructions,
                "turns": parts.turns,
                "schema": schema,
                "settings": dict(self.model_settings),
            }
        )

    def _result(
        self,
        output: OutputT,
        usage: TokenUsage,
        prompt_ref: str | None,
        messages: list[ModelMessage] | None = None,
        *,
        cached: bool = False,
    ) -> LLMResult[OutputT]:
        return LLMResult(
            output=output,
            usage=usage,
            model_name=self.resolved_model.model_name,
            prompt=prompt_ref,
            cached=cached,
            messages=messages or [],
        )
