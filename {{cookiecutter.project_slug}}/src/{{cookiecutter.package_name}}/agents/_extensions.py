"""What other pillars lend the agents: tools, filled by bridge modules.

``bridges/agents_rag.py`` adds ``rag_search`` and ``bridges/agents_ml.py`` adds ``ml_predict``
when those pillars are part of the project. A tool is a plain typed function whose docstring is
its schema (the toolbox wraps it in a pydantic-ai ``Tool``); this module stays import-light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.extensions import ExtensionPoint

PILLAR_TOOLS: ExtensionPoint[Callable[..., Any]] = ExtensionPoint("agents.pillar_tools")
"""Functions other pillars offer as agent tools (read-only: no approval asked)."""
