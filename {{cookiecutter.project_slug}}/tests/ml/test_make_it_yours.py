"""README "Make it yours", ml rows: your own classifier (``ML__ESTIMATOR``) trained by ``ml train``.

The CSV row is tests/ml/test_any_data.py (another CSV and target set by environment variables).
Your function lives in a module of your own; here a module written to ``tmp_path``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import MLSettings, Predictor

runner = CliRunner()
SETTING = f"{ENV_PREFIX}ML__ESTIMATOR"
MY_MODELS = '''
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression


def forest() -> RandomForestClassifier:
    """A small random forest."""
    return RandomForestClassifier(n_estimators=25, max_depth=4)


def regressor() -> LinearRegression:
    """Not a classifier: it has no predict_proba."""
    return LinearRegression()
'''


@pytest.fixture
def my_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable module ``my_models`` of classifier factories, as you would write one."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "my_models.py").write_text(MY_MODELS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    yield "my_models"
    sys.modules.pop("my_models", None)


def _use(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    monkeypatch.setenv(SETTING, path)
    get_settings.cache_clear()


@pytest.mark.usefixtures("prefect_harness")
def test_ml_train_fits_your_estimator_in_place_of_xgboost(
    my_models: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, f"{my_models}:forest")

    result = runner.invoke(build_app(), ["ml", "train"])

    assert result.exit_code == 0, result.output
    assert "RandomForestClassifier" in result.output
    (report,) = (tmp_path / "artifacts" / "ml" / "runs").glob("*/report.md")
    assert (
        "| metric (holdout) | RandomForestClassifier | baseline (logistic) |" in report.read_text()
    )
    metrics = json.loads(report.with_name("metrics.json").read_text())
    assert metrics["estimator"] == "RandomForestClassifier"
    assert metrics["params"]["estimator"] == "my_models:forest"
    assert metrics["params"]["random_state"] == MLSettings().random_seed  # seeded by the run
    assert metrics["metrics"]["roc_auc"] > 0.6
    prediction = Predictor.load().predict([{"contract": "Month-to-month", "tenure_months": 2}])
    assert 0.0 <= prediction[0].probability <= 1.0


@pytest.mark.parametrize(
    ("function", "message"),
    [
        ("regressor", "returned LinearRegression, which has no predict_proba"),
        ("nothing_here", "'my_models' has no 'nothing_here'"),
    ],
)
def test_ml_train_names_the_setting_when_your_estimator_is_wrong(
    my_models: str, monkeypatch: pytest.MonkeyPatch, function: str, message: str
) -> None:
    _use(monkeypatch, f"{my_models}:{function}")

    result = runner.invoke(build_app(), ["ml", "train"])

    assert result.exit_code == 2
    assert f"{SETTING}=my_models:{function}" in result.stderr
    assert message in result.stderr


def test_ml_train_names_the_setting_when_your_module_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(monkeypatch, "not_written_yet.models:forest")

    result = runner.invoke(build_app(), ["ml", "train"])

    assert result.exit_code == 2
    assert "no module 'not_written_yet'" in result.stderr


def test_an_estimator_that_is_not_an_import_path_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"estimator\n.*not an import path"):
        MLSettings(estimator="RandomForestClassifier()")
