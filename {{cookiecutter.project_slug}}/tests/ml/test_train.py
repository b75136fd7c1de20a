from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.ml import data, train
from {{ cookiecutter.package_name }}.ml.features import baseline_model, xgboost_model
from {{ cookiecutter.package_name }}.ml.settings import MLSettings
from tests.ml.conftest import SAMPLE_PATH


@dataclass(frozen=True)
class Trained:
    roles: data.ColumnRoles
    split: train.Split
    quarantined: pd.DataFrame
    model: Pipeline
    baseline: Pipeline


@pytest.fixture(scope="module")
def trained() -> Trained:
    settings = MLSettings()
    frame = data.load_table(SAMPLE_PATH)
    roles = data.infer_roles(frame, settings.target)
    clean, quarantined = data.quarantine(frame, settings.target, roles.features)
    split = train.split_data(clean, roles, settings.target, settings.test_size, 7)
    return Trained(
        roles=roles,
        split=split,
        quarantined=quarantined,
        model=train.fit_pipeline(split, roles, xgboost_model(settings)),
        baseline=train.fit_pipeline(split, roles, baseline_model(settings)),
    )


def test_split_is_stratified_and_disjoint(trained: Trained) -> None:
    split = trained.split
    assert len(split.x_test) == pytest.approx(0.2 * (len(split.x_train) + len(split.x_test)), abs=1)
    assert not set(split.x_train.index) & set(split.x_test.index)
    assert split.y_train.mean() == pytest.approx(split.y_test.mean(), abs=0.02)
    assert list(split.x_train.columns) == trained.roles.features


def test_models_learn_the_signal(trained: Trained) -> None:
    split = trained.split
    metrics = train.evaluate(trained.model, split.x_test, split.y_test)
    baseline = train.evaluate(trained.baseline, split.x_test, split.y_test)
    assert metrics.roc_auc > 0.75
    assert baseline.roc_auc > 0.75
    assert metrics.pr_auc > split.y_test.mean()
    assert 0.5 < metrics.f1 <= 1.0


def test_evaluate_scores_a_perfect_ranking_as_one(trained: Trained) -> None:
    split = trained.split
    scores = trained.model.predict_proba(split.x_test)[:, 1]
    y_ranked = pd.Series((scores >= pd.Series(scores).median()).astype(int))
    assert train.evaluate(trained.model, split.x_test, y_ranked).roc_auc == pytest.approx(1.0)


def test_artifacts_round_trip(trained: Trained, tmp_path: Path) -> None:
    paths = train.ArtifactPaths.for_version(tmp_path, "v1")
    report = {"version": "v1", "note": "test"}
    train.save_artifacts(paths, trained.model, trained.quarantined, report)

    assert paths.model == tmp_path / "ml" / "model-v1.joblib"
    loaded = train.load_model(paths.model)
    x = trained.split.x_test
    assert (loaded.predict_proba(x) == trained.model.predict_proba(x)).all()
    assert json.loads(paths.metrics.read_text(encoding="utf-8")) == report
    saved = pd.read_csv(paths.quarantine)
    assert len(saved) == len(trained.quarantined)
    assert data.REASON_COLUMN in saved.columns


def test_latest_model_is_the_newest_version(trained: Trained, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no trained model"):
        train.latest_model_path(tmp_path)
    for version in ("20250101T000000Z-aaaa", "20250301T000000Z-bbbb"):
        paths = train.ArtifactPaths.for_version(tmp_path, version)
        train.save_artifacts(paths, trained.baseline, trained.quarantined, {})
    assert train.latest_model_path(tmp_path).name == "model-20250301T000000Z-bbbb.joblib"


def test_version_is_time_plus_data_hash(tmp_path: Path) -> None:
    file = tmp_path / "d.csv"
    file.write_text("a,b\n1,2\n", encoding="utf-8")
    digest = train.data_hash(file)
    assert len(digest) == 8
    assert train.data_hash(file) == digest
    file.write_text("a,b\n1,3\n", encoding="utf-8")
    assert train.data_hash(file) != digest
    when = datetime(2025, 1, 31, 12, 0, 5, tzinfo=UTC)
    assert train.model_version("abcd1234", when) == "20250131T120005Z-abcd1234"
