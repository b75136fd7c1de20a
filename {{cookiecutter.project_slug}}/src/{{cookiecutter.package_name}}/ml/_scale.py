"""Scale-out: run the flow's tasks on Dask and fit XGBoost with ``xgboost.dask``.

Set ``ml.task_runner=dask``: the training flow then runs on a ``LocalCluster`` (all local cores),
or on the cluster at ``ml.dask_address`` (``tcp://scheduler:8786``). The tuning and baseline
tasks run side by side on the workers, and the final XGBoost model trains with
``xgboost.dask`` over the cluster, then is stored as a plain ``XGBClassifier`` inside the same
scikit-learn pipeline, so serving does not need Dask.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import dask.array as da
from prefect_dask.task_runners import DaskTaskRunner
from sklearn.pipeline import Pipeline
from xgboost import XGBClassifier

from ._data import ColumnRoles
from ._features import build_preprocessor
from .settings import MLSettings


def task_runner(
    settings: MLSettings, cluster_kwargs: dict[str, Any] | None = None
) -> DaskTaskRunner:
    """A Prefect Dask task runner: the configured scheduler, else a new ``LocalCluster``."""
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    kwargs = {"dashboard_address": None, **(cluster_kwargs or {})}
    return DaskTaskRunner(cluster_class="dask.distributed.LocalCluster", cluster_kwargs=kwargs)


def fit_xgboost_dask(
    client: Any,
    x: Any,
    y: Any,
    roles: ColumnRoles,
    *,
    params: dict[str, Any],
    seed: int,
    winsorize_quantile: float = 0.01,
) -> Pipeline:
    """Fit preprocessing locally and XGBoost on the Dask ``client``'s workers.

    The preprocessing statistics are cheap (one pass); the boosting is the expensive part and
    runs distributed. Returns the same pipeline shape as :func:`..features.build_pipeline`.
    """
    from xgboost import dask as dxgb  # noqa: PLC0415  (imports dask.dataframe: slow)

    preprocess = build_preprocessor(roles, winsorize_quantile).fit(x, y)
    matrix = preprocess.transform(x)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    rows = max(1, -(-len(matrix) // workers))
    estimator = dxgb.DaskXGBClassifier(
        **params, random_state=seed, tree_method="hist", eval_metric="logloss"
    )
    estimator.client = client
    estimator.fit(
        da.from_array(matrix, chunks=(rows, matrix.shape[1])),  # type: ignore[no-untyped-call]
        da.from_array(y.to_numpy(), chunks=rows),  # type: ignore[no-untyped-call]
    )
    local = XGBClassifier()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "model.json"
        estimator.save_model(path)
        local.load_model(path)
    return Pipeline([("preprocess", preprocess), ("model", local)])
