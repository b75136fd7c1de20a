"""Fixtures of ``/predict`` (loaded for the session by ``tests/conftest.py``): one trained model."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml._flows import run_training
from tests.conftest import PROJECT_ROOT

# Training kept small and fast: no tuning, few trees, no MLflow.
FAST_TRAINING = {
    "ML__TUNING_TRIALS": "0",
    "ML__CV_FOLDS": "2",
    "ML__N_ESTIMATORS": "20",
    "ML__TRACKING_ENABLED": "false",
}


def model_environment(root: Path) -> dict[str, str]:
    """Variables pointing a process at the model trained under ``root`` (see trained_model)."""
    return {
        f"{ENV_PREFIX}ENVIRONMENT": "test",
        f"{ENV_PREFIX}DATA_DIR": str(PROJECT_ROOT / "data"),
        f"{ENV_PREFIX}ML__BENTOML_HOME": str(root / "bentoml"),
        **{f"{ENV_PREFIX}{name}": value for name, value in FAST_TRAINING.items()},
    }


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train and register one production model with the ml pillar's flow (once per session)."""
    root = tmp_path_factory.mktemp("ml-model")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in model_environment(root).items():
            patch.setenv(name, value)
        patch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(root / "artifacts"))
        patch.setenv("PREFECT_HOME", str(root / "prefect"))
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        get_settings.cache_clear()
        with prefect_test_harness(server_startup_timeout=120):
            result = run_training()
        get_settings.cache_clear()
    assert result.promoted, result.decision
    return root


def pytest_service_environment(request: pytest.FixtureRequest, live: bool) -> dict[str, str]:
    """A live service serves the session's trained model."""
    if not live:
        return {}
    prefixed = model_environment(request.getfixturevalue("trained_model"))
    return {name.removeprefix(ENV_PREFIX): value for name, value in prefixed.items()}
