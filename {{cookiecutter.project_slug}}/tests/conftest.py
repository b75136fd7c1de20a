"""Shared fixtures: every test runs offline, with settings read from a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Isolate each test from the developer's environment.

    Drops the project's variables, runs in ``tmp_path`` (so a local ``.env`` is not read), points
    ``DATA_DIR`` at the shipped samples and ``ARTIFACTS_DIR`` at ``tmp_path``, resets the cache.
    """
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv(f"{ENV_PREFIX}ENVIRONMENT", "test")
    monkeypatch.setenv(f"{ENV_PREFIX}DATA_DIR", str(PROJECT_ROOT / "data"))
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
