"""``import lancedb`` without loading the REST client of ``lance_namespace`` up front.

``lancedb`` imports ``lance_namespace``, which imports the models of its generated REST client,
``lance_namespace_urllib3_client``, whose package ``__init__`` also imports every REST API module:
about a second of the 1.6-2.1 s ``import lancedb`` takes here, for a client that an on-disk index
never calls. :func:`import_lancedb` registers that package with its ``__init__`` deferred: its
``models`` subpackage still loads (lance_namespace needs it), and the first time anything reads
another name of the package the real ``__init__`` runs, so a REST namespace still works.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

REST_CLIENT = "lance_namespace_urllib3_client"
_lock = threading.Lock()


def _deferred_package(name: str) -> None:
    """Put ``name`` in ``sys.modules`` as a package whose ``__init__`` runs on first use."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return  # not installed as expected: the plain import will do
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load_on_first_use(attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attribute)

    module.__dict__["__getattr__"] = load_on_first_use
    sys.modules[name] = module


def import_lancedb() -> ModuleType:
    """The ``lancedb`` module, imported once with the REST client's ``__init__`` deferred."""
    with _lock:
        if "lancedb" not in sys.modules and REST_CLIENT not in sys.modules:
            _deferred_package(REST_CLIENT)
        return importlib.import_module("lancedb")
