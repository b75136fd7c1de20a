"""ml test fixtures: throwaway BentoML homes, small budgets, the session's trained run."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml import _train as train
from tests.conftest import PROJECT_ROOT

from .fixtures_ml import TrainedModel

# The model store used when a test does not set one (ml_env points each test at its own).
_SCRATCH = tempfile.mkdtemp(prefix="ml-tests-")
os.environ["BENTOML_HOME"] = str(Path(_SCRATCH) / "bentoml-default")

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


@dataclass(frozen=True)
class TrainedRun:
    """The one full training flow run shared by the flow, registry and inference tests."""

    result: train.TrainResult
    home: Path
    artifacts: Path


@pytest.fixture(scope="session")
def trained_run(trained_model: TrainedModel) -> TrainedRun:
    """The session's one ``train_flow`` run on the shipped sample (MLflow tracking on)."""
    assert isinstance(trained_model.result, train.TrainResult)
    root = trained_model.root
    return TrainedRun(trained_model.result, root / "bentoml", root / "artifacts")


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
