"""LLM pillar: a provider-agnostic pydantic-ai client, prompts, tools, grounding, embeddings, evals.

Public interface (the serving, RAG and agents pillars use it): :class:`LLMClient` (``run``,
``run_sync``, ``stream``) returning :class:`LLMResult` with :class:`TokenUsage`; :func:`metered`
(what the calls made in one context spent, e.g. one service request);
:func:`grounded_answer` with :class:`Passage` and :class:`GroundedAnswer`; :class:`PromptRegistry`;
:class:`ToolRegistry`; :func:`get_embedder` (the shared embeddings, configured by the ``llm``
settings); :class:`FakeOpenAIServer`; :class:`MissingProviderKeyError` (no key for the configured
provider: the message names the variable to set); :func:`explain_model_error` (a failed model
request as one line and a hint, for commands and run records). Names are imported on first use:
pydantic-ai takes seconds to import and CLI commands that call no model should not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports
from .settings import LLMSettings
from .testing import FakeOpenAIServer, Scripted

if TYPE_CHECKING:
    from ._arithmetic import safe_eval
    from ._client import (
        BudgetExceededError,
        LLMClient,
        LLMResult,
        StructuredOutputError,
        TokenUsage,
        build_model,
        model_settings,
    )
    from ._failures import ModelFailure, explain_model_error
    from ._grounding import GroundedAnswer, Passage, grounded_answer
    from ._models import MissingProviderKeyError, ProviderNotInstalledError, get_embedder
    from ._prompts import PromptRegistry, RenderedPrompt
    from ._tools import ToolRegistry, default_tools
    from ._usage import metered, price

_LAZY = {
    "BudgetExceededError": "._client",
    "LLMClient": "._client",
    "LLMResult": "._client",
    "StructuredOutputError": "._client",
    "TokenUsage": "._client",
    "build_model": "._client",
    "model_settings": "._client",
    "get_embedder": "._models",
    "ModelFailure": "._failures",
    "explain_model_error": "._failures",
    "MissingProviderKeyError": "._models",
    "ProviderNotInstalledError": "._models",
    "GroundedAnswer": "._grounding",
    "Passage": "._grounding",
    "grounded_answer": "._grounding",
    "PromptRegistry": "._prompts",
    "RenderedPrompt": "._prompts",
    "ToolRegistry": "._tools",
    "default_tools": "._tools",
    "metered": "._usage",
    "price": "._usage",
    "safe_eval": "._arithmetic",
}

__all__ = [
    "BudgetExceededError",
    "FakeOpenAIServer",
    "GroundedAnswer",
    "LLMClient",
    "LLMResult",
    "LLMSettings",
    "MissingProviderKeyError",
    "ModelFailure",
    "Passage",
    "PromptRegistry",
    "ProviderNotInstalledError",
    "RenderedPrompt",
    "Scripted",
    "StructuredOutputError",
    "TokenUsage",
    "ToolRegistry",
    "build_model",
    "default_tools",
    "explain_model_error",
    "get_embedder",
    "grounded_answer",
    "metered",
    "model_settings",
    "price",
    "safe_eval",
]


__getattr__ = lazy_exports(__name__, _LAZY)
