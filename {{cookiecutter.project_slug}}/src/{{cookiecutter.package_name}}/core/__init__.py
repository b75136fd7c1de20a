"""Core: settings, logging, pillar discovery and extension points (the lowest floor).

Everything imports from here; core imports nothing of the project above it. Pillars plug in by
convention (:mod:`.pillars`) and bridges fill the pillars' typed :mod:`.extensions`; settings that
name your own code by import path load it through :mod:`.plugins`.
"""

from .caching import cache_key
from .extensions import ExtensionPoint, load_bridges
from .logging import configure_logging, get_logger, quiet_tracebacks
from .pillars import PILLAR_NAMES, installed_pillars, pillar_module
from .plugins import ImportPath, PluginError, load_object
from .settings import CoreSettings, Environment, get_settings

__all__ = [
    "PILLAR_NAMES",
    "CoreSettings",
    "Environment",
    "ExtensionPoint",
    "ImportPath",
    "PluginError",
    "cache_key",
    "configure_logging",
    "get_logger",
    "get_settings",
    "installed_pillars",
    "load_bridges",
    "load_object",
    "pillar_module",
    "quiet_tracebacks",
]
