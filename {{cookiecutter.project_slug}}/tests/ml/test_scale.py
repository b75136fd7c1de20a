"""Scale-out settings; the training flow on a real Dask cluster is in test_any_data.py."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.ml._scale import task_runner
from {{ cookiecutter.package_name }}.ml.settings import MLSettings


def test_runner_uses_the_configured_scheduler() -> None:
    assert task_runner(MLSettings(dask_address="tcp://sched:8786")).address == "tcp://sched:8786"
    local = task_runner(MLSettings(), {"n_workers": 2})
    assert local.address is None
    assert local.cluster_kwargs == {"dashboard_address": None, "n_workers": 2}
