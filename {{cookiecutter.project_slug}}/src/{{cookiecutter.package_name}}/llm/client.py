"""A small client over pydantic-ai: plain-text and structured answers, with token accounting.

:func:`build_model` turns :class:`~.settings.LLMSettings` into a pydantic-ai model, so the rest of
the project (the agents pillar included) never hard-codes a provider. :class:`LLMClient` asks one
question per call and returns an :class:`LLMResult` carrying the answer and its :class:`TokenUsage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic_ai import Agent
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage

from ..core.settings import get_settings
from .settings import LLMSettings

OutputT = TypeVar("OutputT")


def build_model(settings: LLMSettings) -> Model:
    """Build the pydantic-ai model named by ``settings``.

    With ``base_url`` the model is reached through the OpenAI protocol (vLLM, Ollama, LiteLLM, the
    local :class:`~.fake_server.FakeOpenAIServer`); ``model`` is then the id that server knows, with
    or without an ``openai:`` prefix. Without it, ``model`` is a pydantic-ai ``provider:model`` name
    and the provider reads its usual environment variable unless ``api_key`` is set (OpenAI only).
    """
    api_key = settings.api_key.get_secret_value() or None
    if settings.base_url:
        name = settings.model.removeprefix("openai:")
        provider = OpenAIProvider(base_url=settings.base_url, api_key=api_key)
        return OpenAIChatModel(name, provider=provider)
    if api_key and settings.model.startswith("openai:"):
        name = settings.model.removeprefix("openai:")
        return OpenAIChatModel(name, provider=OpenAIProvider(api_key=api_key))
    return infer_model(settings.model)


def model_settings(settings: LLMSettings) -> ModelSettings:
    """Per-request settings (timeout, SDK retries, temperature, max tokens) from ``settings``."""
    return ModelSettings(
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )


@dataclass(frozen=True)
class TokenUsage:
    """Tokens and requests spent on one answer (or, summed with ``+``, on many)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @classmethod
    def from_run(cls, usage: RunUsage) -> TokenUsage:
        """Convert pydantic-ai's usage of one agent run."""
        return cls(
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )

    def summary(self) -> str:
        """One human line, e.g. ``1 request, 12 in + 5 out tokens``."""
        plural = "" if self.requests == 1 else "s"
        return (
            f"{self.requests} request{plural}, "
            f"{self.input_tokens} in + {self.output_tokens} out tokens"
        )


@dataclass(frozen=True)
class LLMResult(Generic[OutputT]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    """An answer (text or a validated pydantic object) and what it cost."""

    output: OutputT
    usage: TokenUsage
    model_name: str


@dataclass
class LLMClient:
    """Ask a model questions; every answer comes back with its token usage.

    The model and the pydantic-ai agent are built once per client; each question only passes its
    prompt, output type and instructions.

    Args:
        settings: the LLM settings section; defaults to the project's settings.
        model: a ready model (``TestModel``, ``FunctionModel``, a ``FallbackModel``...) that
            replaces the one built from ``settings``.
    """

    settings: LLMSettings = field(
        default_factory=lambda: get_settings().section("llm", LLMSettings)
    )
    model: Model | None = None
    total_usage: TokenUsage = field(default_factory=TokenUsage, init=False)
    agent: Agent[None, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.model is None:
            self.model = build_model(self.settings)
        self.agent = Agent(
            self.model,
            model_settings=self.model_settings,
            retries=self.settings.output_retries,
            defer_model_check=True,
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

    async def acomplete(self, prompt: str, *, instructions: str | None = None) -> LLMResult[str]:
        """Answer ``prompt`` with text (async)."""
        return await self.astructured(prompt, str, instructions=instructions)

    async def astructured(
        self, prompt: str, output_type: type[OutputT], *, instructions: str | None = None
    ) -> LLMResult[OutputT]:
        """Answer ``prompt`` with an ``output_type`` instance validated by pydantic (async)."""
        run = await self.agent.run(prompt, output_type=output_type, instructions=instructions)
        return self._record(run.output, run.usage)

    def complete(self, prompt: str, *, instructions: str | None = None) -> LLMResult[str]:
        """Answer ``prompt`` with text."""
        return self.structured(prompt, str, instructions=instructions)

    def structured(
        self, prompt: str, output_type: type[OutputT], *, instructions: str | None = None
    ) -> LLMResult[OutputT]:
        """Answer ``prompt`` with an ``output_type`` instance validated by pydantic.

        Raises:
            pydantic_ai.exceptions.UnexpectedModelBehavior: the model kept answering with data
                that does not validate, more than ``output_retries`` times.
        """
        run = self.agent.run_sync(prompt, output_type=output_type, instructions=instructions)
        return self._record(run.output, run.usage)

    def _record(self, output: OutputT, usage: RunUsage) -> LLMResult[OutputT]:
        spent = TokenUsage.from_run(usage)
        self.total_usage = self.total_usage + spent
        return LLMResult(output=output, usage=spent, model_name=self.resolved_model.model_name)
