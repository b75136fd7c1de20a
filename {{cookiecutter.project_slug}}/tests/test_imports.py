"""Every module of the package imports: no dangling import of a pillar that is not installed."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import {{ cookiecutter.package_name }} as package

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports(module: str) -> None:
    importlib.import_module(module)
