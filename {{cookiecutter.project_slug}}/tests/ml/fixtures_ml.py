"""Fixtures of the ml pillar shared with other tests (loaded for the session by tests/conftest.py).

:func:`trained_model`: one run of the training flow on the shipped sample, read by the ml tests,
the ``/predict`` route tests and the live service.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml._flows import run_training
from {{ cookiecutter.package_name }}.ml._train import TrainResult
from tests.conftest import PROJECT_ROOT

# Training kept small: a few tuning trials and folds; MLflow tracking on (its tests read it).
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
        result: What the flow returned.
    """

    root: Path
    result: TrainResult | None

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
    root = tmp_path_factory.mktemp("ml-model")
    with pytest.MonkeyPatch.context() as patch:
        environment = TrainedModel(root, None).environment()
        environment[f"{ENV_PREFIX}ARTIFACTS_DIR"] = str(root / "artifacts")
        environment.update({f"{ENV_PREFIX}{k}": v for k, v in FAST_TRAINING.items()})
        environment[f"{ENV_PREFIX}ML__TRACKING_ENABLED"] = "true"
        for name, value in environment.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        result = run_training()
    get_settings.cache_clear()
    assert result.promoted, result.decision
    return TrainedModel(root, result)
