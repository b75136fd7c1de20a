"""Public names a package imports on first use (PEP 562), so importing the package stays cheap.

A pillar's ``__init__`` lists the names that need heavy libraries (pydantic-ai, pandas, BentoML)
under ``TYPE_CHECKING`` for type checkers and IDEs, and hands the same names to
:func:`lazy_exports` for the run time: ``__getattr__ = lazy_exports(__name__, {"LLMClient":
"._client"})``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` importing ``names[name]`` (relative to ``package``) on first use."""

    def lookup(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return lookup
