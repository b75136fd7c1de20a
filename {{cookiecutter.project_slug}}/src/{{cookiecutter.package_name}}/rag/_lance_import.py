"""``import lancedb`` with less of what an on-disk index never uses.

``lancedb`` imports ``lance_namespace``, which imports the models of its generated REST client,
``lance_namespace_urllib3_client``, whose package ``__init__`` also imports every REST API module:
about a second of the 1.6-2.1 s ``import lancedb`` took here, for a client that an on-disk index
never calls. :func:`import_lancedb` registers that package with its ``__init__`` deferred: its
``models`` subpackage still loads (lance_namespace needs it), and the first time anything reads
another name of the package the real ``__init__`` runs, so a REST namespace still works.

Those models are about 220 pydantic classes: while LanceDB is imported, pydantic defers their
validation schemas to their first use (``defer_build``), which a local index never makes
(measured: 50 ms less). A process that never hands pandas objects to pyarrow (the ``rag``
commands) can also leave pandas out: pyarrow imports it when it first looks at a Python value
(0.17 s), only to recognise pandas objects among the values it converts.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


@contextmanager
def _model_schemas_deferred() -> Iterator[None]:
    """Pydantic models defined in the block build their validation schema at first use."""
    from pydantic import BaseModel  # noqa: PLC0415 - already imported by the settings

    config: dict[str, Any] = BaseModel.model_config  # type: ignore[assignment]
    if "defer_build" in config:
        yield
        return
    config["defer_build"] = True
    try:
        yield
    finally:
        del config["defer_build"]


class _LeftOut(importlib.abc.MetaPathFinder):
    """Imports of ``package`` (and its modules) from one thread fail as if it were absent."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.thread = threading.get_ident()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """Refuse ``package`` in the importing thread, let every other import through."""
        del path, target
        if threading.get_ident() == self.thread and fullname.partition(".")[0] == self.package:
            raise ModuleNotFoundError(f"{fullname} is left out of this import", name=fullname)
        return None


@contextmanager
def _left_out(package: str) -> Iterator[None]:
    if package in sys.modules:
        yield
        return
    finder = _LeftOut(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def import_lancedb(*, pandas: bool = True) -> ModuleType:
    """The ``lancedb`` module, imported once with the REST client's ``__init__`` deferred.

    With ``pandas=False`` (for processes that never give pyarrow a pandas object), pyarrow,
    imported with it, takes pandas for absent: a conversion that asks for pandas explicitly
    (``to_pandas``, ``Table.from_pandas``) still imports it then.
    """
    with _lock:
        if "lancedb" in sys.modules:
            return sys.modules["lancedb"]
        if REST_CLIENT not in sys.modules:
            _deferred_package(REST_CLIENT)
        if not pandas:  # pyarrow checks for pandas once, the first time it looks at a value
            with _left_out("pandas"):
                importlib.import_module("pyarrow.dataset")  # which LanceDB imports first
        with _model_schemas_deferred():
            return importlib.import_module("lancedb")
