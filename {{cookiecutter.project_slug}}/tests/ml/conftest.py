"""ml test fixtures: throwaway Prefect/BentoML homes, small budgets, one shared trained run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml import _train as train
from tests.conftest import PROJECT_ROOT

# Before any test module imports prefect/bentoml/mlflow: no writes to ~, no analytics.
_SCRATCH = tempfile.mkdtemp(prefix="ml-tests-")
os.environ["PREFECT_HOME"] = str(Path(_SCRATCH) / "prefect")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["BENTOML_HOME"] = str(Path(_SCRATCH) / "bentoml-default")
os.environ["BENTOML_DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

SAMPLE_PATH = PROJECT_ROOT / "data" / "ml" / "customers.csv"
SCHEMA_PATH = PROJECT_ROOT / "data" / "ml" / "customers.schema.json"
ML = f"{ENV_PREFIX}ML__"
# Small budgets keep every flow run to a few seconds.
FAST = {
    "TUNING_TRIALS": "3",
    "TUNING_TIMEOUT_S": "60",
    "CV_FOLDS": "3",
    "TRACKING_ENABLED": "false",
}


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SCRATCH, ignore_errors=True)


@pytest.fixture(autouse=True)
def ml_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Each test gets its own model store and small training budgets; returns the store home."""
    home = tmp_path / "bentoml"
    monkeypatch.setenv(f"{ML}BENTOML_HOME", str(home))
    for name, value in FAST.items():
        monkeypatch.setenv(f"{ML}{name}", value)
    get_settings.cache_clear()
    return home


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server and database shared by the flow tests (~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    with prefect_test_harness(server_startup_timeout=120):
        yield


@dataclass(frozen=True)
class TrainedRun:
    """The one full training flow run shared by the flow, registry and inference tests."""

    result: train.TrainResult
    home: Path
    artifacts: Path


@pytest.fixture(scope="session")
def trained_run(prefect_harness: None) -> Iterator[TrainedRun]:
    """Run ``train_flow`` once on the shipped sample, with MLflow tracking on."""
    from {{ cookiecutter.package_name }}.ml._flows import train_flow  # noqa: PLC0415

    scratch = Path(tempfile.mkdtemp(prefix="ml-trained-"))
    env = {
        f"{ENV_PREFIX}DATA_DIR": str(PROJECT_ROOT / "data"),
        f"{ENV_PREFIX}ARTIFACTS_DIR": str(scratch / "artifacts"),
        f"{ML}BENTOML_HOME": str(scratch / "bentoml"),
        **{f"{ML}{k}": v for k, v in FAST.items()},
        f"{ML}TRACKING_ENABLED": "true",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        result = train_flow()
    get_settings.cache_clear()
    yield TrainedRun(result, scratch / "bentoml", scratch / "artifacts")
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def use_trained(trained_run: TrainedRun, monkeypatch: pytest.MonkeyPatch) -> TrainedRun:
    """Point this test's settings at the shared run's model store."""
    monkeypatch.setenv(f"{ML}BENTOML_HOME", str(trained_run.home))
    get_settings.cache_clear()
    return trained_run


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE_PATH


@pytest.fixture
def sample() -> pd.DataFrame:
    return ingest.load_table(SAMPLE_PATH)
