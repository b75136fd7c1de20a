"""What to tell a person when a model request fails: one line and what to do, never a traceback.

pydantic-ai sorts provider failures into categories (:class:`~pydantic_ai.exceptions.ModelAPIError`
subclasses). :func:`explain_model_error` turns one into a :class:`ModelFailure` whose text holds
only the category, the model and the HTTP status: provider error bodies can echo a request or
part of a key, so they stay in the exception (and the log), not in messages or stored records.
The CLI commands print it; the agents pillar stores it as a run's failure.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_ai.exceptions import (
    FallbackExceptionGroup,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
)

from ..core.settings import ENV_PREFIX

_LLM = f"{ENV_PREFIX}LLM__"
# Most specific first: the first matching category explains the error.
_CATEGORIES: tuple[tuple[type[ModelAPIError], str, str], ...] = (
    (
        ModelAuthenticationError,
        "the model provider refused the API key",
        f"check the provider's key variable (e.g. OPENAI_API_KEY) or {_LLM}API_KEY",
    ),
    (
        ModelNotFoundError,
        "the model provider does not know this model",
        f"check {_LLM}MODEL (or {_LLM}PROVIDER)",
    ),
    (
        ModelContextWindowExceededError,
        "the request is longer than the model's context window",
        "send less text (fewer or smaller passages), or use a model with a larger window",
    ),
    (
        ModelTimeoutError,
        "the model provider did not answer in time",
        f"retry, or raise {_LLM}TIMEOUT_SECONDS",
    ),
    (
        ModelConnectionError,
        "the model provider could not be reached",
        f"check the network (a proxy?) and {_LLM}BASE_URL",
    ),
    (
        ModelQuotaExceededError,
        "the provider account's quota or credit is used up",
        "check the provider account's billing and limits",
    ),
    (
        ModelRateLimitError,
        "the model provider is rate limiting this key",
        f"retry later (requests were already retried), or set {_LLM}FALLBACK_MODELS",
    ),
    (
        ModelUnavailableError,
        "the model is unavailable or overloaded",
        f"retry later, or set {_LLM}FALLBACK_MODELS",
    ),
    (
        ModelServerError,
        "the model provider failed with a server error",
        f"retry later, or set {_LLM}FALLBACK_MODELS",
    ),
)


# The failures the same request may get past later: the provider is busy, slow, down or not
# reachable now (a service answers them with 503 and Retry-After).
_RETRYABLE = frozenset(
    kind.__name__
    for kind in (
        ModelRateLimitError,
        ModelUnavailableError,
        ModelServerError,
        ModelTimeoutError,
        ModelConnectionError,
    )
)


@dataclass(frozen=True)
class ModelFailure:
    """A failed model request, said safely: ``message`` (what) and ``hint`` (what to do).

    ``category``: the pydantic-ai exception's class name (e.g. ``ModelRateLimitError``).
    """

    message: str
    hint: str
    category: str

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (rate limit, overload, 5xx, timeout...)."""
        return self.category in _RETRYABLE

    @property
    def too_long(self) -> bool:
        """Whether the request was longer than the model's context window."""
        return self.category == ModelContextWindowExceededError.__name__

    def for_terminal(self) -> str:
        """The two lines a command prints on stderr: ``error: ...`` and ``hint: ...``."""
        return f"error: {self.message}\nhint: {self.hint}"


def explain_model_error(exc: BaseException) -> ModelFailure | None:
    """The :class:`ModelFailure` for a provider failure; ``None`` for any other exception.

    With fallback models, every model failed: the first one's failure is explained.
    """
    if isinstance(exc, FallbackExceptionGroup):
        first = next((e for e in exc.exceptions if isinstance(e, ModelAPIError)), None)
        if first is None:
            return None
        explained = explain_model_error(first)
        if explained is None:
            return None
        return ModelFailure(
            f"every model failed, the first: {explained.message}",
            explained.hint,
            explained.category,
        )
    if not isinstance(exc, ModelAPIError):
        return None
    status = f", HTTP {exc.status_code}" if isinstance(exc, ModelHTTPError) else ""
    where = f" ({exc.model_name}{status})"
    for kind, message, hint in _CATEGORIES:
        if isinstance(exc, kind):
            return ModelFailure(message + where, hint, kind.__name__)
    return ModelFailure(
        f"the model request failed: {type(exc).__name__}{where}",
        "rerun with the log level at DEBUG for the provider's answer",
        type(exc).__name__,
    )
