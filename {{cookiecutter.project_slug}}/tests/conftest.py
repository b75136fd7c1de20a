"""Shared fixtures: every test runs offline, with settings read from a clean environment.

Fixture plugins: each ``tests/**/fixtures_<name>.py`` (a part that exists only with some pillars,
e.g. ``tests/serving/routes/fixtures_ml.py``) is loaded for the whole session, so its fixtures
and hook implementations are seen by every test without a conftest naming a pillar.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

pytest_plugins = sorted(
    ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    for path in TESTS.rglob("fixtures_*.py")
)


class ServiceEnvironmentSpec:
    """Hooks the fixture plugins implement (see :func:`pytest_addhooks`)."""

    @pytest.hookspec
    def pytest_service_environment(
        self, request: pytest.FixtureRequest, live: bool
    ) -> dict[str, str] | None:
        """Variables (without the project prefix) one part needs in the service under test.

        ``live`` is true for a real ``bentoml serve`` process (start what it needs, e.g. a trained
        model or a fake model server, through ``request.getfixturevalue``), false for the
        in-process app (offline values only).
        """


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register :class:`ServiceEnvironmentSpec`."""
    pluginmanager.add_hookspecs(ServiceEnvironmentSpec)


def service_environment(request: pytest.FixtureRequest, *, live: bool) -> dict[str, str]:
    """Every part's :meth:`~ServiceEnvironmentSpec.pytest_service_environment`, prefixed, merged."""
    merged: dict[str, str] = {}
    results: list[dict[str, str] | None] = request.config.hook.pytest_service_environment(
        request=request, live=live
    )
    for result in results:
        merged.update({f"{ENV_PREFIX}{name}": value for name, value in (result or {}).items()})
    return merged


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
