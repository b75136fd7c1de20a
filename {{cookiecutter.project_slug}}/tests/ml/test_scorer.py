"""The scoring form of a model (``scorer.json``): the pipeline's answers without scikit-learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX
from {{ cookiecutter.package_name }}.ml import _registry as registry
from {{ cookiecutter.package_name }}.ml import _scorer as scorer
from {{ cookiecutter.package_name }}.ml import _train as train
from {{ cookiecutter.package_name }}.ml._data import ColumnRoles
from {{ cookiecutter.package_name }}.ml._features import baseline_model, xgboost_model
from {{ cookiecutter.package_name }}.ml._inference import Predictor, load_reference
from tests.conftest import PROJECT_ROOT
from tests.ml.conftest import SAMPLE_PATH, TrainedRun

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROLES = ColumnRoles(numeric=["age", "tenure_months"], categorical=["contract", "region"])


def _hostile(columns: list[str], numeric: list[str]) -> pd.DataFrame:
    """Blanks of every kind, unseen categories, spelling variants, numbers as text."""
    frame = pd.DataFrame({c: [None, np.nan, "", " Two Year ", "never seen", 3] for c in columns})
    for column in numeric:
        frame[column] = [None, np.nan, "", "1,234", "x", -5]
    return frame


def _training_rows(rows: int = 300, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows).astype(float),
            "tenure_months": rng.integers(0, 72, rows).astype(float),
            "contract": rng.choice(["month_to_month", "one_year", "two_year"], rows),
            "region": rng.choice(["north", "south", np.nan], rows).astype(object),
        }
    )
    y = pd.Series(((x["tenure_months"] < 20) ^ (rng.random(rows) < 0.2)).astype(int))
    return x, y


def _split(x: pd.DataFrame, y: pd.Series) -> train.Split:
    return train.Split(x_train=x, x_test=x, y_train=y, y_test=y)


def test_the_trained_model_scores_without_scikit_learn(use_trained: TrainedRun) -> None:
    """The registered version carries scorer.json, and the Predictor answers from it."""
    predictor = Predictor.load()
    assert (predictor.record.path / registry.SCORER_FILE).is_file()
    assert predictor.scorer is not None
    rows = pd.concat(
        [load_reference(), _hostile(predictor.feature_names, predictor.contract.roles.numeric)],
        ignore_index=True,
    )
    expected = predictor.pipeline.predict_proba(rows)[:, 1]
    assert np.abs(predictor.scorer.predict_proba(rows) - expected).max() <= scorer.TOLERANCE


@pytest.mark.parametrize("model", ["xgboost", "logistic"])
def test_the_scorer_gives_the_pipelines_answers(model: str) -> None:
    x, y = _training_rows()
    estimator = xgboost_model({"n_estimators": 30, "max_depth": 3}, 0)
    if model == "logistic":
        estimator = baseline_model(0)
    pipeline = train.fit_pipeline(_split(x, y), ROLES, estimator)
    document = scorer.verified_document(pipeline, x)
    assert document["model"]["kind"] == model
    rows = pd.concat([x, _hostile(list(x.columns), ROLES.numeric)], ignore_index=True)
    got = scorer.Scorer(json.loads(json.dumps(document))).predict_proba(rows)
    assert np.abs(got - pipeline.predict_proba(rows)[:, 1]).max() <= scorer.TOLERANCE


def test_infinity_is_refused_as_the_pipeline_refuses_it() -> None:
    x, y = _training_rows()
    pipeline = train.fit_pipeline(_split(x, y), ROLES, baseline_model(0))
    rows = x.head(2).assign(age=["inf", 30])
    with pytest.raises(ValueError, match="infinity"):
        pipeline.predict_proba(rows)
    with pytest.raises(ValueError, match="infinity"):
        scorer.Scorer(scorer.compile_pipeline(pipeline)).predict_proba(rows)


def test_a_model_it_cannot_express_keeps_the_pickle(tmp_path: Path) -> None:
    """Your own ML__ESTIMATOR: no scorer.json is written and the pipeline serves."""
    x, y = _training_rows()
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    pipeline = train.fit_pipeline(_split(x, y), ROLES, forest)
    with pytest.raises(scorer.NotCompilable, match="RandomForestClassifier"):
        scorer.compile_pipeline(pipeline)
    contract = train.prepare(
        x.assign(churned=y), "churned", tmp_path / "schema.json", id_columns=None
    ).contract
    files = train.write_model_files(tmp_path / "run", pipeline, contract, x, seed=0)
    assert registry.SCORER_FILE not in files
    assert not (tmp_path / "run" / registry.SCORER_FILE).exists()


def test_predict_in_a_fresh_process_imports_neither_scikit_learn_nor_xgboost(
    use_trained: TrainedRun, tmp_path: Path
) -> None:
    """`ml predict` loads the scoring form; the prediction log is still written."""
    rows = tmp_path / "rows.csv"
    pd.read_csv(SAMPLE_PATH).head(6).drop(columns="churned").to_csv(rows, index=False)
    package = "{{ cookiecutter.package_name }}"
    script = (
        "import sys\n"
        f"from {package}.cli import main\n"
        f"sys.argv = ['{package}', 'ml', 'predict', {str(rows)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'xgboost', 'scipy'})\n"
        "print('heavy:', heavy)\n"
    )
    env = {
        **os.environ,
        f"{ENV_PREFIX}ML__BENTOML_HOME": str(use_trained.home),
        f"{ENV_PREFIX}ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout
    assert "predictions: 6 rows" in done.stdout
    assert list((tmp_path / "artifacts" / "predictions").glob("*.jsonl"))


def test_xgboost_trees_send_missing_values_where_xgboost_does() -> None:
    """The tree walk follows each split's default branch for NaN, as the booster does."""
    x, y = _training_rows()
    pipeline = train.fit_pipeline(_split(x, y), ROLES, xgboost_model({"n_estimators": 20}, 0))
    forest = scorer.Scorer(scorer.compile_pipeline(pipeline))
    matrix = forest.transform(x)
    matrix[::3, 0] = np.nan
    matrix[1::4, 1] = np.nan
    booster = pipeline.named_steps["model"].get_booster()
    expected = booster.inplace_predict(matrix)
    assert np.abs(forest._trees.predict(matrix) - expected).max() <= scorer.TOLERANCE


def test_large_batches_go_to_the_pipeline(use_trained: TrainedRun) -> None:
    """Past SCORER_MAX_ROWS the pipeline (faster per row once imported) answers, the same."""
    from {{ cookiecutter.package_name }}.ml import _inference  # noqa: PLC0415

    predictor = Predictor.load()
    rows = load_reference()
    assert predictor._pipeline is None
    small = predictor.predict_proba(rows)
    assert predictor._pipeline is None, "a small batch needs no pickle"
    rows_many = pd.concat([rows] * (_inference.SCORER_MAX_ROWS // len(rows) + 1))
    many = predictor.predict_proba(rows_many)
    assert predictor._pipeline is not None
    assert np.abs(many[: len(rows)] - small).max() <= scorer.TOLERANCE
