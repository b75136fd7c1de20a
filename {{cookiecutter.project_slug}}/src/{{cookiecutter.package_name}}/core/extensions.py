"""Typed extension points: how one pillar offers a seam and a bridge between two pillars fills it.

A pillar that can do more when another pillar is present declares an :class:`ExtensionPoint`
typed by what it needs (a function signature, a protocol) and reads it with :meth:`~ExtensionPoint.
get` or :meth:`~ExtensionPoint.all`. The code that needs both pillars lives in a *bridge module*,
``<package>/bridges/<pillar>_<partner>.py``: the template keeps it only when both pillars are
chosen, it imports both pillars' public ``__init__`` statically (so mypy and import-linter see the
real link) and fills the point with ``@POINT.provide``.

Bridges are imported on the first read of any extension point (never at import of this module), so
a pillar used as a library gets the same behaviour as the CLI and the service.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from typing import Generic, TypeVar

from .pillars import ROOT_PACKAGE

T = TypeVar("T")

BRIDGES_PACKAGE = f"{ROOT_PACKAGE}.bridges"

_load_lock = threading.RLock()
_loaded: list[str] = []
_loaded_once = threading.Event()
_loading = threading.local()


class ExtensionPoint(Generic[T]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    """A named, typed seam: bridges provide values, the declaring pillar reads them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._values: list[T] = []

    def provide(self, value: T) -> T:
        """Add ``value`` (usable as a decorator); providing the same object twice is a no-op."""
        if not any(value is known for known in self._values):
            self._values.append(value)
        return value

    def get(self) -> T | None:
        """The first value provided, or ``None`` when no bridge fills this point."""
        load_bridges()
        return self._values[0] if self._values else None

    def all(self) -> list[T]:
        """Every value provided, in the order the bridges were loaded."""
        load_bridges()
        return list(self._values)

    def __repr__(self) -> str:
        return f"ExtensionPoint({self.name!r}, {len(self._values)} provided)"


def load_bridges() -> list[str]:
    """Import every bridge module of this project once; return their qualified names."""
    if _loaded_once.is_set():
        return list(_loaded)
    with _load_lock:
        # A bridge that reads an extension point while it is imported sees what is loaded so far.
        if not _loaded_once.is_set() and not getattr(_loading, "active", False):
            _loading.active = True
            try:
                _loaded.extend(_import_bridges())
            finally:
                _loading.active = False
            _loaded_once.set()
    return list(_loaded)


def _import_bridges() -> list[str]:
    if importlib.util.find_spec(BRIDGES_PACKAGE) is None:
        return []
    package = importlib.import_module(BRIDGES_PACKAGE)
    names = sorted(
        f"{BRIDGES_PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )
    for name in names:
        importlib.import_module(name)
    return names
