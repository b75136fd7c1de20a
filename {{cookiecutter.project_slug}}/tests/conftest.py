"""Shared fixtures: every test runs offline, with settings read from a clean environment.

The expensive real components are started once per session and shared by every pillar's tests:
a temporary Prefect server (:func:`prefect_harness`, here) and what a pillar's own fixture plugin
provides (e.g. one model trained by the ml pillar's flow, ``tests/ml/fixtures_ml.py``).

Fixture plugins: each ``tests/**/fixtures_<name>.py`` (a part that exists only with some pillars)
is loaded for the whole session, so its fixtures and hook implementations are seen by every test
without a conftest naming a pillar.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings, load_settings

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
        self, request: pytest.FixtureRequest, live: bool, model: bool
    ) -> dict[str, str] | None:
        """Variables (without the project prefix) one part needs in the service under test.

        ``live`` is true for a real ``bentoml serve`` process (start what it needs, e.g. a trained
        model or a fake model server, through ``request.getfixturevalue``), false for the
        in-process app (offline values only). ``model`` is false for a live service whose tests
        never score: it starts without the session's trained model (which another pytest-xdist
        worker would have to train again).
        """


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register :class:`ServiceEnvironmentSpec`."""
    pluginmanager.add_hookspecs(ServiceEnvironmentSpec)


def service_environment(
    request: pytest.FixtureRequest, *, live: bool, model: bool = True
) -> dict[str, str]:
    """Every part's :meth:`~ServiceEnvironmentSpec.pytest_service_environment`, prefixed, merged."""
    merged: dict[str, str] = {}
    results: list[dict[str, str] | None] = request.config.hook.pytest_service_environment(
        request=request, live=live, model=model
    )
    for result in results:
        merged.update({f"{ENV_PREFIX}{name}": value for name, value in (result or {}).items()})
    return merged


# Before any test module imports prefect/bentoml/mlflow: no writes to ~, no analytics.
_SCRATCH = Path(tempfile.mkdtemp(prefix="tests-"))
os.environ["PREFECT_HOME"] = str(_SCRATCH / "prefect")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["BENTOML_DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

# Tests that use one of these session resources run on the same pytest-xdist worker
# (`--dist loadgroup`), so a parallel run still starts one Prefect server and one `bentoml serve`.
SHARED_SESSION_FIXTURES = frozenset(
    {"prefect_harness", "trained_model", "live_server", "playground_server"}
)
SESSION_GROUP = "session-servers"

# Third-party modules whose body is one literal of thousands of lines. CPython 3.12 runs such a
# body in quadratic time under any trace function (python/cpython#127953): under coverage,
# pydantic-ai's price table took ~17 s to import instead of ~2 s, pypdf's glyph list ~12 s instead
# of 0.3 s. They are imported once here with coverage paused; none of them is this project's code.
UNTRACED_IMPORTS = ("genai_prices.data", "pypdf", "hpack.huffman_table")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SCRATCH, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist: group the tests of the session servers and queue them first.

    Their chain (Prefect server, training, `bentoml serve`) is the longest one a worker runs, so
    it starts at once while the other workers take the rest. In one process nothing changes.
    """
    if not hasattr(config, "workerinput"):  # not an xdist worker
        return
    shared = [i for i in items if SHARED_SESSION_FIXTURES & set(getattr(i, "fixturenames", ()))]
    for item in shared:
        item.add_marker(pytest.mark.xdist_group(SESSION_GROUP))
    grouped = set(shared)
    items[:] = shared + [item for item in items if item not in grouped]


@pytest.fixture(scope="session", autouse=True)
def untraced_imports() -> None:
    """Import the installed :data:`UNTRACED_IMPORTS` once, with coverage (when it runs) paused.

    Every running ``Coverage`` is stopped, latest first: a pytest-xdist worker runs two.
    """
    paused: list[Any] = []
    if _installed("coverage"):
        coverage = importlib.import_module("coverage").Coverage
        while (running := coverage.current()) is not None:
            running.stop()
            paused.append(running)
    try:
        for name in UNTRACED_IMPORTS:
            if _installed(name):
                importlib.import_module(name)
    finally:
        for running in reversed(paused):
            running.start()


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


@pytest.fixture(scope="session", autouse=True)
def test_logging() -> None:
    """Logs rendered as the CLI and the service configure them in a test environment.

    Without it, a test that logs an exception before anything configured logging (which depends
    on the order pytest-xdist gives the tests) got structlog's default: a rich traceback with
    syntax-highlighted source and locals, about 6 s of CPU for each one.
    """
    configure_logging(load_settings(environment="test"))


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


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for every flow test of the session (~15 s)."""
    if not _installed("prefect"):
        pytest.skip("prefect is not installed (the ml and rag pillars bring it)")
    # Imported by name: prefect is installed only with the ml or rag pillar.
    harness = importlib.import_module("prefect.testing.utilities").prefect_test_harness
    with harness(server_startup_timeout=120):
        yield
