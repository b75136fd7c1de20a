"""CV, tuning, evaluation and the run folder, on the sample, without Prefect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.ml import _evaluation as evaluation
from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml import _schema as schema
from {{ cookiecutter.package_name }}.ml import _train as train
from {{ cookiecutter.package_name }}.ml import _tuning as tuning
from {{ cookiecutter.package_name }}.ml._features import baseline_model, xgboost_model
from {{ cookiecutter.package_name }}.ml._registry import PIPELINE_FILE, REFERENCE_FILE
from tests.ml.conftest import SAMPLE_PATH, SCHEMA_PATH

DEFAULTS = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}


@dataclass(frozen=True)
class Fitted:
    prepared: train.Prepared
    split: train.Split
    model: Pipeline
    baseline: Pipeline


@pytest.fixture(scope="module")
def fitted() -> Fitted:
    prepared = train.prepare(ingest.load_table(SAMPLE_PATH), "churned", SCHEMA_PATH)
    roles = prepared.contract.roles
    split = train.split_data(prepared.frame, roles, "churned", 0.2, 7)
    return Fitted(
        prepared=prepared,
        split=split,
        model=train.fit_pipeline(split, roles, xgboost_model(DEFAULTS, 7)),
        baseline=train.fit_pipeline(split, roles, baseline_model(7)),
    )


def test_split_is_stratified_and_disjoint(fitted: Fitted) -> None:
    split = fitted.split
    assert len(split.x_test) == pytest.approx(0.2 * (len(split.x_train) + len(split.x_test)), abs=1)
    assert not set(split.x_train.index) & set(split.x_test.index)
    assert split.y_train.mean() == pytest.approx(split.y_test.mean(), abs=0.02)
    assert list(split.x_train.columns) == fitted.prepared.contract.roles.features


def test_models_learn_the_signal(fitted: Fitted) -> None:
    split = fitted.split
    model = evaluation.evaluate(fitted.model, split.x_test, split.y_test, importance_repeats=0)
    baseline = evaluation.evaluate(
        fitted.baseline, split.x_test, split.y_test, importance_repeats=0
    )
    assert model.metrics.roc_auc > 0.75
    assert baseline.metrics.roc_auc > 0.7
    assert model.metrics.pr_auc > split.y_test.mean()


def test_evaluation_has_every_view(fitted: Fitted, tmp_path: Path) -> None:
    split = fitted.split
    result = evaluation.evaluate(
        fitted.model, split.x_test, split.y_test, 0.4, importance_repeats=2
    )
    assert sum(map(sum, result.confusion)) == len(split.x_test)
    assert result.metrics.threshold == 0.4
    assert set(result.importance) == set(split.x_test.columns)
    assert max(result.importance, key=result.importance.__getitem__) in {
        "contract",
        "tenure_months",
        "support_calls",
        "monthly_charges",
    }
    assert len(result.calibration["predicted"]) == len(result.calibration["observed"]) > 3
    png = evaluation.plot(fitted.model, split.x_test, split.y_test, result, tmp_path / "e.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    text = evaluation.markdown("v1", result, result, {"rows": 3})
    assert "| roc_auc |" in text
    assert "- rows: 3" in text


def test_best_threshold_maximises_f1() -> None:
    y = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.35, 0.9])
    assert evaluation.best_threshold(y, scores) == pytest.approx(0.35)


def test_cross_validation_scores_every_row_out_of_fold(fitted: Fitted) -> None:
    split, roles = fitted.split, fitted.prepared.contract.roles
    cv = tuning.cross_validate_baseline(split.x_train, split.y_train, roles, folds=3, seed=1)
    assert len(cv.fold_auc) == 3
    assert not np.isnan(cv.oof).any()
    assert 0.7 < cv.mean < 1.0


def test_tuning_is_seeded_and_starts_from_the_defaults(fitted: Fitted) -> None:
    split, roles = fitted.split, fitted.prepared.contract.roles

    def search() -> tuning.TuningResult:
        return tuning.tune_xgboost(
            split.x_train,
            split.y_train,
            roles,
            defaults=DEFAULTS,
            trials=3,
            timeout_s=120,
            folds=2,
            seed=5,
        )

    first, second = search(), search()
    assert first.params == second.params
    assert first.cv.fold_auc == second.cv.fold_auc
    assert first.trials == 3
    untuned = tuning.tune_xgboost(
        split.x_train,
        split.y_train,
        roles,
        defaults=DEFAULTS,
        trials=0,
        timeout_s=1,
        folds=2,
        seed=5,
    )
    assert untuned.params == DEFAULTS
    assert first.cv.mean >= untuned.cv.mean, "the defaults are the first trial"
    assert not first.cut_short
    assert first.requested == 3


def test_the_time_cap_is_a_safety_net_that_warns(
    fitted: Fitted, caplog: pytest.LogCaptureFixture
) -> None:
    """A cap that stops the search early is flagged and logged, never silent."""
    split, roles = fitted.split, fitted.prepared.contract.roles
    with caplog.at_level("WARNING", logger=tuning.__name__):
        capped = tuning.tune_xgboost(
            split.x_train,
            split.y_train,
            roles,
            defaults=DEFAULTS,
            trials=50,
            timeout_s=0.01,
            folds=2,
            seed=5,
        )
    assert capped.cut_short
    assert capped.trials < capped.requested == 50
    assert "safety cap" in caplog.text
    assert "1 of 50 trials" in caplog.text


def test_model_files_hold_pipeline_schema_and_reference(fitted: Fitted, tmp_path: Path) -> None:
    files = train.write_model_files(
        tmp_path, fitted.model, fitted.prepared.contract, fitted.split.x_train, seed=1
    )
    loaded = train.load_pipeline(files[PIPELINE_FILE])
    x = fitted.split.x_test
    assert (loaded.predict_proba(x) == fitted.model.predict_proba(x)).all()
    reference = ingest.read_parquet(files[REFERENCE_FILE])
    assert list(reference.columns) == list(fitted.split.x_train.columns)
    assert len(reference) == len(fitted.split.x_train)
    scores = json.loads((tmp_path / "reference_scores.json").read_text(encoding="utf-8"))
    assert len(scores) == len(reference)
    assert schema.load(tmp_path / "schema.json") is not None


def test_version_is_time_plus_data_hash() -> None:
    when = datetime(2025, 1, 31, 12, 0, 5, tzinfo=UTC)
    assert train.model_version("abcd1234", when) == "20250131t120005z-abcd1234"


def test_git_commit_outside_a_repository(tmp_path: Path) -> None:
    assert train.git_commit(tmp_path) == "unknown"


def test_quarantined_rows_are_kept_apart(fitted: Fitted) -> None:
    quarantined = fitted.prepared.quarantined
    assert len(quarantined) > 0
    assert not set(quarantined.index) & set(fitted.prepared.frame.index)
    assert isinstance(quarantined, pd.DataFrame)
