"""Commands of the ml pillar (``<cli> ml train``) and its ``demo`` step."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from .train import TrainResult

app = typer.Typer(help="Train and evaluate the classical ML model.", no_args_is_help=True)

# Without PREFECT_API_URL a run starts a temporary Prefect server; Prefect's 20 s default
# start-up limit is too short on a busy laptop or CI runner. An explicit setting wins.
_EPHEMERAL_TIMEOUT = ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _run(data_path: Path | None = None, artifacts_dir: Path | None = None) -> TrainResult:
    os.environ.setdefault(*_EPHEMERAL_TIMEOUT)  # read once, when prefect is first imported
    from .flows import train_flow  # noqa: PLC0415  (prefect, pandas and sklearn load slowly)

    return train_flow(data_path=data_path, artifacts_dir=artifacts_dir)


def _print_summary(result: TrainResult) -> None:
    table = Table(title=f"ml model {result.version}")
    table.add_column("metric")
    table.add_column("xgboost", justify="right")
    table.add_column("baseline (logistic)", justify="right")
    for name in ("roc_auc", "pr_auc", "f1"):
        table.add_row(
            name,
            f"{getattr(result.metrics, name):.3f}",
            f"{getattr(result.baseline_metrics, name):.3f}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"rows: {result.rows_total} read, {result.rows_quarantined} quarantined, "
        f"{result.rows_train} train, {result.rows_test} holdout"
    )
    console.print(f"model: {result.model_path}", soft_wrap=True)


@app.command()
def train(
    data_path: Annotated[
        Path | None, typer.Option(help="Training CSV (default: the ml.data_path setting).")
    ] = None,
    artifacts_dir: Annotated[
        Path | None, typer.Option(help="Output root (default: the artifacts_dir setting).")
    ] = None,
) -> None:
    """Run the training flow and print the holdout metrics."""
    _print_summary(_run(data_path, artifacts_dir))


def demo() -> None:
    """Train on the shipped customer-churn sample and print the metrics (offline)."""
    result = _run()
    _print_summary(result)
    verdict = "beats" if result.beats_baseline else "does not beat"
    Console().print(f"XGBoost {verdict} the logistic baseline on holdout ROC AUC.")
