"""Experiment tracking with MLflow: params, metrics, plots, data fingerprint and git commit.

The default tracking store is a SQLite file under the artifacts folder
(``sqlite:///<artifacts_dir>/ml/mlflow.db``; browse it with
``mlflow ui --backend-store-uri sqlite:///artifacts/ml/mlflow.db``). Set ``ml.tracking_uri`` to a
tracking server URL to share runs. The model itself lives in the BentoML store (see
:mod:`._registry`); MLflow records the run and links to it by tag.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def default_uri(artifacts_dir: Path) -> str:
    """``sqlite:///<artifacts_dir>/ml/mlflow.db`` (absolute, the folder created)."""
    folder = (artifacts_dir / "ml").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def log_run(
    uri: str,
    experiment: str,
    *,
    run_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    artifacts: list[Path],
    artifact_root: Path | None = None,
) -> str:
    """Log one training run; returns the MLflow run id.

    ``artifact_root``: where a new experiment stores files (default: the server's choice, which
    for a local SQLite store would be ``./mlruns`` in the working directory).
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow  # noqa: PLC0415  (a few seconds to import; only when a run is logged)
    from mlflow.entities import Metric, Param  # noqa: PLC0415

    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        location = artifact_root.resolve().as_uri() if artifact_root else None
        experiment_id = client.create_experiment(experiment, artifact_location=location)
    run = client.create_run(experiment_id, tags=dict(tags), run_name=run_name)
    run_id: str = run.info.run_id
    # One batch: each log_param/log_metric call is its own store transaction.
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(key, float(value), now, 0) for key, value in metrics.items()],
        params=[Param(key, str(value)) for key, value in params.items()],
    )
    for path in artifacts:
        if path.is_file():
            client.log_artifact(run_id, str(path))
    client.set_terminated(run_id)
    return run_id
