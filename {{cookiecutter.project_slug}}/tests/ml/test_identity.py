"""A dataset identity on every model; the better candidate ships; failed runs leave nothing.

Real Prefect flow runs (the session's temporary server), the real BentoML store and MLflow.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import _publish as publish
from {{ cookiecutter.package_name }}.ml import _registry as registry
from {{ cookiecutter.package_name }}.ml import _schema as schema
from {{ cookiecutter.package_name }}.ml._flows import run_training
from {{ cookiecutter.package_name }}.ml._inference import Predictor
from {{ cookiecutter.package_name }}.ml._schema import REASON_COLUMN
from tests.ml.conftest import SAMPLE_PATH, TrainedRun

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _linear_csv(path: Path, rows: int = 400, seed: int = 11) -> Path:
    """A data set where a straight line separates the classes: the logistic baseline's home."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    score = 1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.5 * x[:, 2] + rng.normal(0, 1.0, rows)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).round(4)
    frame["label"] = np.where(score > 0, "yes", "no")
    frame.to_csv(path, sep=";", index=False)
    return path


def _environment(monkeypatch: pytest.MonkeyPatch, home: Path, artifacts: Path, **ml: str) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__BENTOML_HOME", str(home))
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(artifacts))
    for name, value in ml.items():
        monkeypatch.setenv(f"{ENV_PREFIX}ML__{name.upper()}", value)
    get_settings.cache_clear()


def test_another_data_set_is_not_promoted_and_the_winner_ships(
    trained_run: TrainedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "bentoml"
    shutil.copytree(trained_run.home, home)
    champion = registry.alias("tabular-classifier", home)
    data = _linear_csv(tmp_path / "linear.csv")
    artifacts = tmp_path / "artifacts"
    _environment(monkeypatch, home, artifacts, target="label", tracking_enabled="true")

    result = run_training(data, tuning_trials=2)

    assert not result.promoted
    assert f"differs from production {champion}" in result.decision
    assert "new columns ['a', 'b', 'c', 'd']" in result.decision
    assert "ML__MODEL_NAME" in result.decision
    assert registry.alias("tabular-classifier", home) == champion, "the alias did not move"
    # The candidate with the better holdout ROC AUC is the one registered, and the report says so.
    main, base = result.metrics.roc_auc, result.baseline_metrics.roc_auc
    assert result.shipped == ("baseline" if base > main else "xgboost")
    assert result.shipped == "baseline", "a straight line is the logistic baseline's case"
    assert result.selection.startswith("baseline (logistic) ships")
    record = registry.get(result.model_tag, home)
    assert record.labels["shipped"] == "baseline"
    assert record.labels["roc_auc"] == f"{base:.4f}"
    assert record.metadata["contract"]["hash"] == result.contract_hash
    assert record.labels["contract_hash"] == result.contract_hash
    assert "baseline (logistic) ships" in result.report_path.read_text(encoding="utf-8")
    # metrics.json carries the MLflow run id; the inferred schema was saved after success.
    metrics = json.loads((result.run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["mlflow_run_id"] == result.mlflow_run_id is not None
    assert result.schema_path.parent == artifacts / "ml" / "schemas"
    assert result.schema_path.is_file()
    assert not data.with_suffix(".schema.json").exists()
    # The champion refuses this data set's rows, listing what it lacks.
    with pytest.raises(errors.MissingColumnsError, match=r"'contract'"):
        Predictor.load().check_columns(pd.read_csv(data, sep=";").columns)


def test_a_failed_run_persists_nothing_but_the_quarantine_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "customers.csv"
    shutil.copyfile(SAMPLE_PATH, data)  # without its reviewed schema: this run would infer one
    home, artifacts = tmp_path / "bentoml", tmp_path / "artifacts"
    _environment(monkeypatch, home, artifacts, data_path=str(data), max_quarantine_fraction="0")

    with pytest.raises(errors.DataError, match="above max_quarantine_fraction") as caught:
        run_training(tuning_trials=1)

    quarantine = list((artifacts / "ml" / "quarantine").glob("customers-*.csv"))
    assert len(quarantine) == 1
    assert str(quarantine[0]) in caught.value.hint
    reasons = pd.read_csv(quarantine[0])[REASON_COLUMN]
    assert reasons.str.contains("churned: not one of").any()
    assert not (artifacts / "ml" / "schemas").exists(), "no schema frozen by a failed run"
    assert not (artifacts / "ml" / "runs").exists()
    assert registry.list_versions("tabular-classifier", home) == []
    assert registry.alias("tabular-classifier", home) is None


def test_a_failed_run_prints_its_reason_once_without_tracebacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "customers.csv"
    shutil.copyfile(SAMPLE_PATH, data)
    _environment(
        monkeypatch, tmp_path / "bentoml", tmp_path / "artifacts", max_quarantine_fraction="0"
    )

    result = CliRunner().invoke(build_app(), ["ml", "train", "--data-path", str(data)])

    assert result.exit_code == 2, result.output
    assert "error: " in result.output
    assert "above max_quarantine_fraction" in result.output
    # Prefect logs the failed task and flow runs with their tracebacks: rendered without them.
    assert "Traceback" not in result.output, result.output


def test_contract_change_names_what_differs(trained_run: TrainedRun) -> None:
    champion = registry.alias("tabular-classifier", trained_run.home)
    assert champion is not None
    own = schema.load(registry.get(champion, trained_run.home).path / registry.SCHEMA_FILE)
    assert own is not None
    assert publish.contract_change(champion, trained_run.home, own) == ""
    numeric = [c for c in own.roles.numeric if c != "age"]
    retyped = schema.FrozenSchema(
        version=1,
        target=own.target,
        classes=own.classes,
        roles=type(own.roles)(numeric, [*own.roles.categorical, "age"]),
        columns=own.columns,
    )
    assert retyped.contract_hash() != own.contract_hash()
    assert publish.contract_change(champion, trained_run.home, retyped) == "retyped columns ['age']"


def test_io_tasks_retry_io_errors_but_not_the_pillars_own() -> None:
    """A missing file stays missing: no retries (and no three tracebacks) for it."""
    from prefect.states import Failed  # noqa: PLC0415

    from {{ cookiecutter.package_name }}.ml._flows import retry_unless_ours  # noqa: PLC0415

    missing = errors.DataSourceError("data file not found: x.csv")
    assert not retry_unless_ours(None, None, Failed(data=missing))
    assert retry_unless_ours(None, None, Failed(data=OSError("disk hiccup")))
