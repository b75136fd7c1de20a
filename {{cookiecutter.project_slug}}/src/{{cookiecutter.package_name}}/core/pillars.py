"""Discover which pillars this project has.

A pillar is a sub-package of the project package. It plugs into core by convention, so core never
imports a pillar by name and removing a pillar folder removes the pillar and nothing else:

* ``<pillar>/settings.py`` defines ``SETTINGS``: the pydantic model of its settings section;
* ``<pillar>/cli.py`` defines ``app`` (a Typer group registered as ``<cli> <pillar> ...``) and
  ``demo()``, the pillar's step in ``make demo``.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from types import ModuleType

# Every pillar the template knows, in dependency order (a pillar may use those before it).
PILLAR_NAMES: tuple[str, ...] = ("ml", "llm", "rag", "agents", "serving")

ROOT_PACKAGE = __name__.split(".", maxsplit=1)[0]


def installed_pillars() -> list[str]:
    """Names of the pillars present in this project, in :data:`PILLAR_NAMES` order."""
    return list(_present_pillars())


@cache
def _present_pillars() -> tuple[str, ...]:
    # Pillar folders do not come and go while a process runs: look them up once.
    present = (name for name in PILLAR_NAMES if importlib.util.find_spec(f"{ROOT_PACKAGE}.{name}"))
    return tuple(present)


def pillar_module(pillar: str, module: str) -> ModuleType | None:
    """Import ``<package>.<pillar>.<module>``; ``None`` when the pillar or module is absent."""
    if pillar not in _present_pillars():
        return None
    qualified = f"{ROOT_PACKAGE}.{pillar}.{module}"
    if importlib.util.find_spec(qualified) is None:
        return None
    return importlib.import_module(qualified)
