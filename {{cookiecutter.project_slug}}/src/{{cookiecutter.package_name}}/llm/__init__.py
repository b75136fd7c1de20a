"""LLM pillar: a provider-agnostic pydantic-ai client, prompts, tools, grounding, embeddings, evals.

Public interface (the serving, RAG and agents pillars use it): :class:`LLMClient` (``run``,
``run_sync``, ``stream``) returning :class:`LLMResult` with :class:`TokenUsage`; :func:`metered`
(what the calls made in one context spent, e.g. one service request);
:func:`grounded_answer` with :class:`Passage` and :class:`GroundedAnswer`; :class:`PromptRegistry`;
:class:`ToolRegistry`; :func:`get_embedder` (the shared embeddings, configured by the ``llm``
settings); :class:`FakeOpenAIServer`. Names are imported on first use: pydantic-ai takes seconds to
import and CLI commands that call no model should not pay for it.
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
    from ._grounding import GroundedAnswer, Passage, grounded_answer
    from ._models import get_embedder
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
    "Passage",
    "PromptRegistry",
    "RenderedPrompt",
    "Scripted",
    "StructuredOutputError",
    "TokenUsage",
    "ToolRegistry",
    "build_model",
    "default_tools",
    "get_embedder",
    "grounded_answer",
    "metered",
    "model_settings",
    "price",
    "safe_eval",
]


__getattr__ = lazy_exports(__name__, _LAZY)
