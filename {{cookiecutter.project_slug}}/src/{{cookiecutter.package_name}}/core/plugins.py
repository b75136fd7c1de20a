"""Your own code, named by a setting as an import path: ``package.module:function``.

A few settings take a function of yours instead of a value (``ML__ESTIMATOR``: a classifier
factory; ``AGENTS__TOOLS``: agent tools). Keep that code in a module of your own, e.g. a
``custom/`` package next to this one: the template never writes there, so ``copier update``
merges cleanly, and it is installed, linted, type-checked and tested with the rest.

Settings check the *form* of a path when they are read (:func:`check_import_path`); the code is
imported only when the setting is used (:func:`load_object`), never at import or settings time.
Every failure is a :class:`PluginError` naming the variable, the path and what to fix.
"""

from __future__ import annotations

import importlib
import re
from typing import Annotated

from pydantic import AfterValidator

IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
EXAMPLE = "my_service.custom.models:forest"


class PluginError(ValueError):
    """A setting names code that cannot be imported, or that is not what the setting needs."""


def check_import_path(value: str) -> str:
    """``value`` if it reads ``package.module:attribute``; else a ``ValueError`` saying so."""
    if not IMPORT_PATH.match(value):
        raise ValueError(
            f"{value!r} is not an import path: write `package.module:function`, e.g. `{EXAMPLE}`"
        )
    return value


ImportPath = Annotated[str, AfterValidator(check_import_path)]
"""A settings field holding ``package.module:attribute`` (its form checked, nothing imported)."""


def load_object(path: str, *, setting: str) -> object:
    """Import the object at ``path`` (``package.module:attribute``) named by ``setting``.

    Args:
        path: the import path, as the setting holds it.
        setting: the environment variable that named it, quoted in every error.

    Raises:
        PluginError: the path is malformed, its module fails to import, or lacks the attribute.
    """
    try:
        check_import_path(path)
    except ValueError as exc:
        raise PluginError(f"{setting}: {exc}") from exc
    module_name, _, attribute = path.partition(":")
    try:
        found: object = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise PluginError(
            f"{setting}={path}: no module {exc.name!r}; put your module inside src/ (or install "
            "it) and check the spelling"
        ) from exc
    except Exception as exc:  # the module exists but raises while it is imported
        raise PluginError(
            f"{setting}={path}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    for name in attribute.split("."):
        try:
            found = getattr(found, name)
        except AttributeError as exc:
            raise PluginError(f"{setting}={path}: {module_name!r} has no {attribute!r}") from exc
    return found
