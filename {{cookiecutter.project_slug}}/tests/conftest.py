"""Shared fixtures: every test runs offline, with settings read from a clean environment.

The expensive real components are started once per session here and shared by every pillar's
tests: a temporary Prefect server (:func:`prefect_harness`) and one model trained by the ml
pillar's flow (:func:`trained_model`). Fixtures here name no pillar module statically: what a
pillar provides is looked up through :mod:`.core.pillars`, so a project without it skips them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.core.pillars import pillar_module
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Before any test module imports prefect/bentoml/mlflow: no writes to ~, no analytics.
_SCRATCH = Path(tempfile.mkdtemp(prefix="tests-"))
os.environ["PREFECT_HOME"] = str(_SCRATCH / "prefect")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["BENTOML_DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

# Tests that use one of these session resources run on the same pytest-xdist worker
# (`--dist loadgroup`), so a parallel run still starts one Prefect server and one `bentoml serve`.
SHARED_SESSION_FIXTURES = frozenset({"prefect_harness", "trained_model", "live_server"})
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


# ml training kept small: a few tuning trials and folds; MLflow tracking on (its tests read it).
FAST_TRAINING = {
    "ML__TUNING_TRIALS": "3",
    "ML__TUNING_TIMEOUT_S": "60",
    "ML__CV_FOLDS": "3",
}


@dataclass(frozen=True)
class TrainedModel:
    """The one run of the ml pillar's training flow, shared by the ml and serving tests.

    Attributes:
        root: Folder holding the run's model store (``bentoml/``) and artifacts (``artifacts/``).
        result: What the flow returned (the ml pillar's ``TrainResult``).
    """

    root: Path
    result: object

    def environment(self) -> dict[str, str]:
        """Variables pointing settings (or a server process) at this run's model store."""
        return {
            f"{ENV_PREFIX}ENVIRONMENT": "test",
            f"{ENV_PREFIX}DATA_DIR": str(PROJECT_ROOT / "data"),
            f"{ENV_PREFIX}ML__BENTOML_HOME": str(self.root / "bentoml"),
        }


@pytest.fixture(scope="session")
def trained_model(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """Train, register and promote one model with the ml pillar's flow on the shipped sample.

    Once per session; read by every test that needs a trained model (the ml pillar's demo adds a
    challenger version to this store but leaves the production alias where it is).
    """
    flows = pillar_module("ml", "flows")
    if flows is None:
        pytest.skip("the ml pillar is not part of this project")
    root = tmp_path_factory.mktemp("ml-model")
    with pytest.MonkeyPatch.context() as patch:
        environment = TrainedModel(root, None).environment()
        environment[f"{ENV_PREFIX}ARTIFACTS_DIR"] = str(root / "artifacts")
        environment.update({f"{ENV_PREFIX}{k}": v for k, v in FAST_TRAINING.items()})
        environment[f"{ENV_PREFIX}ML__TRACKING_ENABLED"] = "true"
        for name, value in environment.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        result = flows.run_training()
    get_settings.cache_clear()
    assert result.promoted, result.decision
    return TrainedModel(root, result)
