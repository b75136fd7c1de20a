"""Scale-out on a real (small, in-process) Dask cluster: Prefect task runner and xgboost.dask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import registry
from {{ cookiecutter.package_name }}.ml.flows import run_training
from {{ cookiecutter.package_name }}.ml.scale import task_runner
from {{ cookiecutter.package_name }}.ml.settings import MLSettings


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from dask.distributed import LocalCluster  # noqa: PLC0415

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        yield local


def test_runner_uses_the_configured_scheduler() -> None:
    assert task_runner(MLSettings(dask_address="tcp://sched:8786")).address == "tcp://sched:8786"
    local = task_runner(MLSettings(), {"n_workers": 2})
    assert local.address is None
    assert local.cluster_kwargs == {"dashboard_address": None, "n_workers": 2}


@pytest.mark.usefixtures("prefect_harness")
def test_training_flow_runs_on_dask(
    cluster: Any, monkeypatch: pytest.MonkeyPatch, ml_env: Path
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TASK_RUNNER", "dask")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__DASK_ADDRESS", cluster.scheduler_address)
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TUNING_TRIALS", "2")
    get_settings.cache_clear()

    result = run_training()

    assert result.metrics.roc_auc > 0.75
    record = registry.get(result.model_tag, ml_env)
    assert (record.path / registry.PIPELINE_FILE).is_file()
    from {{ cookiecutter.package_name }}.ml.inference import Predictor  # noqa: PLC0415

    predictions = Predictor.load().predict([{"contract": "one year"}])
    assert predictions[0].model_version == result.version
