"""Prefect deployments of the ml flows: scheduled retraining and on-demand batch scoring.

Two ways to run them:

* ``<cli> ml deploy`` serves both from this process (``prefect.serve``): no work pool needed;
  keep it running (a container, a systemd unit) and the retraining runs on ``ml.retrain_cron``.
* ``prefect.yaml`` at the project root declares the same deployments for a work pool:
  ``prefect deploy --all`` then ``prefect worker start --pool default``.
"""

from __future__ import annotations

from typing import Any

from ..core.settings import get_settings
from .settings import MLSettings

RETRAIN = "ml-retrain"
BATCH_PREDICT = "ml-batch-predict"


def deployments(settings: MLSettings) -> list[Any]:
    """The retraining deployment (cron ``settings.retrain_cron``) and the batch-scoring one."""
    from ._flows import predict_flow, train_flow  # noqa: PLC0415

    retrain = train_flow.to_deployment(
        name=RETRAIN,
        cron=settings.retrain_cron,
        tags=["ml"],
        description="Retrain on the configured data; promote only if it beats production.",
    )
    batch = predict_flow.to_deployment(
        name=BATCH_PREDICT,
        tags=["ml"],
        description="Score a file with the production model (pass input_path).",
    )
    return [retrain, batch]


def serve_deployments() -> None:
    """Serve :func:`deployments` until interrupted (``prefect.serve``)."""
    from prefect import serve  # noqa: PLC0415

    serve(*deployments(get_settings().section("ml", MLSettings)))
