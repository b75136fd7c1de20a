"""Turn :class:`~.settings.LLMSettings` into a pydantic-ai model, so no code names a provider.

* ``provider`` ``ollama`` / ``openai-compatible``, or any ``base_url``: the OpenAI protocol against
  that endpoint (vLLM, Ollama, LiteLLM, the local :class:`~.fake_server.FakeOpenAIServer`).
* ``openai`` / ``anthropic`` / ``google``: pydantic-ai's provider, reading its usual key variable
  unless ``api_key`` is set. A ``model`` written ``provider:model`` (pydantic-ai naming, e.g.
  ``groq:llama-3.3-70b-versatile``) is used as is, whatever ``provider`` says.
* ``fallback_models``: a :class:`~pydantic_ai.models.fallback.FallbackModel` tries them in order
  when a request fails (after the SDK's own retries on 429/5xx, which honour ``Retry-After``).

:func:`get_embedder` does the same for the ``embedder`` settings, through the shared
:mod:`..embeddings` package (``openai`` reaches the same endpoint, key and limits as the model).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_ai.exceptions import UserError
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers import Provider, infer_provider_class
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from ..core.settings import external_variable, get_settings
from ..embeddings import Embedder, build_embedder
from .settings import LLMSettings, missing_key_message

# pydantic-ai's prefix of each provider with no endpoint of its own.
PREFIXES = {"openai": "openai", "anthropic": "anthropic", "google": "google-gla"}
# The extra that brings each provider's SDK (OpenAI's comes with the pillar).
EXTRAS = {"anthropic": "anthropic", "google-gla": "google", "google-vertex": "google"}
PROTOCOL_PREFIX = "openai:"
# How pydantic-ai names the variable a provider reads its key from, in its "no key" error.
_KEY_VARIABLE = re.compile(r"`([A-Z][A-Z0-9_]*_API_KEY)`")


class ProviderNotInstalledError(UserError):
    """The provider's SDK is an optional extra that is not installed."""


class MissingProviderKeyError(UserError):
    """The configured provider needs an API key and none is set (the message says where)."""

    def __init__(self, provider: str, variable: str) -> None:
        self.provider = provider
        self.variable = variable
        super().__init__(missing_key_message(provider, variable))


def qualified_name(settings: LLMSettings, model: str | None = None) -> str:
    """``provider:model`` for ``model`` (default: the settings' model or the provider preset)."""
    name = model or settings.model_id
    if ":" in name and name.split(":", 1)[0] in {*PREFIXES.values(), *EXTRAS, "groq", "mistral"}:
        return name
    if settings.endpoint:
        return PROTOCOL_PREFIX + name.removeprefix(PROTOCOL_PREFIX)
    return f"{PREFIXES.get(settings.provider, 'openai')}:{name}"


def endpoint_api_key(settings: LLMSettings) -> str:
    """The key sent to an explicit endpoint (``base_url`` or a provider preset's).

    ``api_key``; else ``OPENAI_API_KEY`` when the provider is ``openai`` (OpenAI behind a proxy or
    gateway); else a placeholder. An OpenAI key is never sent to another provider's endpoint
    (ollama, openai-compatible) unless it is set as ``api_key``.
    """
    key = settings.api_key.get_secret_value()
    if not key and settings.provider == "openai":
        key = external_variable("OPENAI_API_KEY")
    return key or "not-needed"


def _with_key(api_key: str) -> Any:
    def factory(provider_name: str) -> Provider[Any]:
        return infer_provider_class(provider_name)(api_key=api_key)  # type: ignore[call-arg]

    return factory


def _single_model(settings: LLMSettings, model: str | None = None) -> Model:
    api_key = settings.api_key.get_secret_value() or None
    name = model or settings.model_id
    endpoint = settings.endpoint
    prefixed = qualified_name(settings, name)
    if endpoint and prefixed.startswith(PROTOCOL_PREFIX):
        provider = OpenAIProvider(base_url=endpoint, api_key=endpoint_api_key(settings))
        return OpenAIChatModel(prefixed.removeprefix(PROTOCOL_PREFIX), provider=provider)
    prefix = prefixed.split(":", 1)[0]
    try:
        if api_key is None:
            return _model_from_environment(prefixed)
        return infer_model(prefixed, provider_factory=_with_key(api_key))
    except ImportError as exc:
        extra = EXTRAS.get(prefix, prefix)
        raise ProviderNotInstalledError(
            f"the {prefix!r} provider needs its SDK: install the `{extra}` extra: "
            f"`uv sync --extra {extra}`"
        ) from exc


def _model_from_environment(prefixed: str) -> Model:
    """pydantic-ai's model for ``provider:model``, its key read from the provider's variable.

    The SDK reads the variable from the process environment only; when it is not there, the
    same variable in ``.env`` is used, else the error names the variable to set.
    """
    try:
        return infer_model(prefixed)
    except UserError as exc:
        named = _KEY_VARIABLE.search(str(exc))
        if named is None or isinstance(exc, ProviderNotInstalledError):
            raise
        variable = named.group(1)
        if key := external_variable(variable):
            return infer_model(prefixed, provider_factory=_with_key(key))
        # pydantic-ai tells a programmer to pass ``api_key=`` to a provider class; the person
        # at the terminal needs the variable (and this project's own setting) instead.
        raise MissingProviderKeyError(prefixed.split(":", 1)[0], variable) from exc


def build_model(settings: LLMSettings) -> Model:
    """The model named by ``settings``, behind a fallback chain when ``fallback_models`` is set.

    Raises:
        MissingProviderKeyError: the provider reads its key from a variable that is not set.
        pydantic_ai.exceptions.UserError: the model is unknown.
        ProviderNotInstalledError: the provider's extra is not installed (the message says which).
    """
    primary = _single_model(settings)
    if not settings.fallback_models:
        return primary
    fallbacks = [_single_model(settings, name) for name in settings.fallback_models]
    return FallbackModel(primary, *fallbacks)


def model_settings(settings: LLMSettings) -> ModelSettings:
    """Per-request settings (timeout, SDK retries, temperature, max tokens) from ``settings``."""
    return ModelSettings(
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )


def get_embedder(settings: LLMSettings | None = None) -> Embedder:
    """The embedder ``settings.embedder`` names (default: the project's ``llm`` settings).

    Raises:
        EmbedderNotInstalledError: ``sentence-transformers`` without its extra (the message says
            how to add it).
    """
    if settings is None:
        settings = get_settings().section("llm", LLMSettings)
    return build_embedder(
        settings.embedder,
        dimension=settings.embedding_dim,
        model=settings.embedding_model,
        base_url=settings.endpoint,
        api_key=endpoint_api_key(settings)
        if settings.endpoint
        else settings.api_key.get_secret_value(),
        timeout_seconds=settings.timeout_seconds,
        max_retries=settings.max_retries,
    )
