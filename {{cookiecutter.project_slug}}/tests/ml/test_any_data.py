"""Works on other data without code changes (another CSV via settings, a SQL source), and scales
out: that run uses a real, small, in-process Dask cluster (task runner + xgboost.dask).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _ingest as ingest
from {{ cookiecutter.package_name }}.ml import _registry as registry
from {{ cookiecutter.package_name }}.ml import _train as train
from {{ cookiecutter.package_name }}.ml._flows import run_training
from {{ cookiecutter.package_name }}.ml._inference import Predictor
from tests.ml.conftest import SAMPLE_PATH, SCHEMA_PATH


def _bank_csv(path: Path, rows: int = 400, seed: int = 3) -> Path:
    """A differently shaped table: spaces in names, money as text, a 0/1 target, an ID column."""
    rng = np.random.default_rng(seed)
    balance = rng.gamma(2.0, 800.0, rows)
    job = rng.choice(["Admin.", "admin", "Technician", "retired", "Student"], rows)
    calls = rng.poisson(2.0, rows)
    logit = -1.0 + 0.0008 * balance - 0.4 * calls + 1.2 * np.isin(job, ["retired", "Student"])
    frame = pd.DataFrame(
        {
            "Client ID": [f"K-{i:05d}" for i in range(rows)],
            "Balance ($)": [f"${b:,.2f}" if i % 7 else "" for i, b in enumerate(balance)],
            "Job": job,
            "Campaign Calls": calls,
            "Subscribed": (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from dask.distributed import LocalCluster  # noqa: PLC0415

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        yield local


@pytest.mark.usefixtures("prefect_harness")
def test_flow_trains_on_another_csv_set_by_environment_on_dask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ml_env: Path, cluster: Any
) -> None:
    data = _bank_csv(tmp_path / "bank.csv")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TASK_RUNNER", "dask")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__DASK_ADDRESS", cluster.scheduler_address)
    monkeypatch.setenv(f"{ENV_PREFIX}ML__DATA_PATH", str(data))
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TARGET", "Subscribed")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__MODEL_NAME", "bank")
    get_settings.cache_clear()

    result = run_training(tuning_trials=2)

    assert result.schema_written
    assert result.schema_path.parent.parts[-2:] == ("ml", "schemas")
    assert result.schema_path.name.startswith("bank-")
    assert result.schema_path.is_file(), "saved once the run succeeded"
    assert not (tmp_path / "bank.schema.json").exists(), "nothing written beside the data"
    assert result.metrics.roc_auc > 0.6
    assert registry.alias("bank", ml_env) == result.model_tag
    assert (registry.get(result.model_tag, ml_env).path / registry.PIPELINE_FILE).is_file()
    model = Predictor.load()
    assert model.feature_names == ["Balance ($)", "Campaign Calls", "Job"]
    fields = model.input_model().model_fields
    assert set(fields) == {"Balance____", "Campaign_Calls", "Job"}
    answer = model.predict([{"Balance ($)": "$5,000", "Job": "RETIRED", "Campaign Calls": 1}])
    assert answer[0].label in {0, 1}


def test_a_duckdb_query_gives_the_same_contract_as_the_file() -> None:
    query = f"SELECT * FROM read_csv('{SAMPLE_PATH}', all_varchar = true)"  # noqa: S608
    from_sql = train.prepare(ingest.load_query(query), "churned", SCHEMA_PATH)
    from_file = train.prepare(ingest.load_table(SAMPLE_PATH), "churned", SCHEMA_PATH)
    assert len(from_sql.frame) == len(from_file.frame)
    assert len(from_sql.quarantined) == len(from_file.quarantined)
    assert from_sql.duplicates == from_file.duplicates
