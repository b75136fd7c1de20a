"""Core: settings, logging, pillar discovery and the command-line interface.

Pillars import from here; nothing here imports a pillar except through :mod:`.pillars`.
"""

from .caching import cache_key
from .logging import configure_logging, get_logger
from .pillars import PILLAR_NAMES, installed_pillars, pillar_module
from .settings import CoreSettings, Environment, get_settings

__all__ = [
    "PILLAR_NAMES",
    "CoreSettings",
    "Environment",
    "cache_key",
    "configure_logging",
    "get_logger",
    "get_settings",
    "installed_pillars",
    "pillar_module",
]
