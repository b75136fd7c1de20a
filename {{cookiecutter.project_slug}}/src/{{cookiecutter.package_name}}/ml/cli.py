"""Commands of the ml pillar (``<cli> ml train|evaluate|predict|schema|models|sample|deploy``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core.plugins import PluginError

if TYPE_CHECKING:
    from ._train import TrainResult

app = typer.Typer(help="Train, evaluate and use the classical ML model.", no_args_is_help=True)
console = Console()

# Without PREFECT_API_URL a run starts a temporary Prefect server; Prefect's 20 s default
# start-up limit is too short on a busy laptop or CI runner. An explicit setting wins.
_EPHEMERAL_TIMEOUT = ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
DEMO_TRIALS, DEMO_TIMEOUT_S = 5, 5.0


def _prefect_env() -> None:
    """Environment Prefect and BentoML read once, at import: set it before importing them."""
    os.environ.setdefault(*_EPHEMERAL_TIMEOUT)
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")


@contextmanager
def _running(description: str) -> Iterator[None]:
    """A spinner while a flow runs."""
    with Progress(
        SpinnerColumn(), TextColumn(description), TimeElapsedColumn(), console=console
    ) as progress:
        progress.add_task(description, total=None)
        yield


def _train(
    data_path: Path | None = None,
    artifacts_dir: Path | None = None,
    trials: int | None = None,
    timeout_s: float | None = None,
) -> TrainResult:
    _prefect_env()
    from ._flows import run_training  # noqa: PLC0415  (prefect, pandas and sklearn load slowly)

    with _running("training"):
        return run_training(data_path, artifacts_dir, trials, timeout_s)


def _print_summary(result: TrainResult) -> None:
    table = Table(title=f"ml model {result.model_tag}")
    table.add_column("holdout metric")
    table.add_column(result.estimator, justify="right")
    table.add_column("baseline (logistic)", justify="right")
    for name in ("roc_auc", "pr_auc", "f1", "threshold"):
        table.add_row(
            name,
            f"{getattr(result.metrics, name):.3f}",
            f"{getattr(result.baseline_metrics, name):.3f}",
        )
    table.add_row("cv roc_auc", f"{result.cv_roc_auc:.3f}", f"{result.baseline_cv_roc_auc:.3f}")
    console.print(table)
    console.print(
        f"rows: {result.rows_total} read, {result.rows_duplicates} duplicates, "
        f"{result.rows_quarantined} quarantined ({result.quarantine_path.name}), "
        f"{result.rows_train} train, {result.rows_test} holdout; "
        f"tuning: {result.tuning_trials} trials ({result.tuning_pruned} pruned)"
    )
    verdict = "promoted to production" if result.promoted else "kept as challenger"
    console.print(f"{verdict}: {result.decision}")
    console.print(f"report: {result.report_path}", soft_wrap=True)


@app.command()
def train(
    data_path: Annotated[
        Path | None, typer.Option(help="Training CSV/Parquet (default: the ml settings).")
    ] = None,
    artifacts_dir: Annotated[
        Path | None, typer.Option(help="Output root (default: the artifacts_dir setting).")
    ] = None,
    trials: Annotated[
        int | None, typer.Option(help="Optuna trials (default: the tuning_trials setting).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Optuna budget in seconds (default: tuning_timeout_s).")
    ] = None,
) -> None:
    """Run the training flow: validate, tune, train, evaluate, register, maybe promote."""
    try:
        result = _train(data_path, artifacts_dir, trials, timeout)
    except PluginError as exc:  # ML__ESTIMATOR names code that gives no classifier
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _print_summary(result)


@app.command()
def evaluate(
    data_path: Annotated[
        Path | None, typer.Option(help="Labelled CSV/Parquet (default: the training data).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Model tag (default: production).")] = None,
) -> None:
    """Score a labelled file with a registered model and print its metrics."""
    from ._batch import evaluate_registered  # noqa: PLC0415

    result = evaluate_registered(data_path, tag)
    console.print_json(json.dumps(result))


@app.command()
def predict(
    file: Annotated[Path, typer.Argument(help="CSV/Parquet file of rows to score.")],
    out: Annotated[
        Path | None, typer.Option(help="Output CSV (default: <file>.predictions.csv).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Model tag (default: production).")] = None,
) -> None:
    """Score a file with the production model (batch inference flow)."""
    _prefect_env()
    from ._flows import predict_flow  # noqa: PLC0415

    with _running("scoring"):
        written = predict_flow(file, out, tag)
    console.print(f"predictions: {written}", soft_wrap=True)


@app.command()
def schema(
    data_path: Annotated[Path | None, typer.Option(help="Data file (default: settings).")] = None,
    infer: Annotated[bool, typer.Option("--infer", help="(Re)infer and write the schema.")] = False,
) -> None:
    """Show the frozen data schema, or infer it from the data (``--infer``) for review."""
    from ._batch import show_or_infer_schema  # noqa: PLC0415

    path, document = show_or_infer_schema(data_path, infer=infer)
    table = Table(title=f"schema v{document['version']} ({document['status']}): {path}")
    for column in ("column", "kind", "nullable", "allowed"):
        table.add_column(column)
    for name, spec in document["columns"].items():
        allowed = spec.get("categories") or f"[{spec.get('min')}, {spec.get('max')}]"
        table.add_row(name, spec["kind"], str(spec["nullable"]), str(allowed))
    table.add_row(document["target"], "target", "False", str(document["classes"]))
    console.print(table)


@app.command()
def models() -> None:
    """List the registered model versions; the production one is marked."""
    from ._batch import model_rows  # noqa: PLC0415

    table = Table(title="model store")
    for column in ("tag", "roc_auc", "data_hash", "production"):
        table.add_column(column)
    for row in model_rows():
        table.add_row(*row)
    console.print(table)


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Where to write the table (.csv or .parquet).")],
    rows: Annotated[int, typer.Option(help="Rows before duplicates are added.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Write the seeded, deliberately messy churn sample (or a bigger one)."""
    from ._sample import write_sample  # noqa: PLC0415

    console.print(f"wrote {write_sample(out, rows, seed)}", soft_wrap=True)


@app.command()
def drift(
    tag: str | None = typer.Option(None, help="Model tag (default: the production model)."),
    serve: bool = typer.Option(False, help="Serve the check on a schedule (blocks)."),
    cron: str = typer.Option("0 * * * *", help="Schedule of --serve (default: hourly)."),
) -> None:
    """Drift check: recent predictions vs the training reference (report in artifacts/drift)."""
    from ._drift import main as drift_main  # noqa: PLC0415  (prefect, pandas and scipy load slowly)

    drift_main([*(["--tag", tag] if tag else []), *(["--serve", "--cron", cron] if serve else [])])


@app.command()
def deploy() -> None:
    """Serve the training (on ``ml.retrain_cron``) and batch-scoring deployments (blocks)."""
    _prefect_env()
    from ._deploy import serve_deployments  # noqa: PLC0415

    serve_deployments()


def demo() -> None:
    """Train on the shipped churn sample, print the metrics and score three rows (offline).

    A small tuning budget (5 trials, 5 s) keeps the demo short; ``ml train`` uses the settings.
    """
    result = _train(trials=DEMO_TRIALS, timeout_s=DEMO_TIMEOUT_S)
    _print_summary(result)
    from ._inference import Predictor  # noqa: PLC0415

    predictor = Predictor.load(result.model_tag)
    rows = predictor.predict(
        [
            {"contract": "Month-to-month", "tenure_months": 2, "support_calls": 4},
            {"contract": "Two year", "tenure_months": 60, "support_calls": 0},
            {},
        ]
    )
    for row in rows:
        console.print(f"predicted {row.label} (p={row.probability:.2f})")
    verdict = "beats" if result.beats_baseline else "does not beat"
    console.print(f"XGBoost {verdict} the logistic baseline on holdout ROC AUC.")
