"""Commands of the ml pillar (``<cli> ml train|evaluate|predict|schema|models|sample|deploy``)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core import quiet_tracebacks
from ..core.plugins import PluginError
from ..core.prefect_defaults import set_prefect_defaults
from ._errors import MLError, PrefectUnavailableError

if TYPE_CHECKING:
    from ._train import TrainResult

app = typer.Typer(help="Train, evaluate and use the classical ML model.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True, highlight=False, soft_wrap=True)
_P = ParamSpec("_P")
_R = TypeVar("_R")
_DEBUG = {"on": False}
PREFECT_UP = "make prefect-up"


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails.")
    ] = False,
) -> None:
    """Train, evaluate and use the classical ML model."""
    _DEBUG["on"] = debug
    if not debug:  # a failed flow's errors are printed once, below, as error: and hint:
        quiet_tracebacks(MLError, PluginError)


def fail(message: str, hint: str = "", code: int = 2) -> typer.Exit:
    """Print ``error: ...`` (and ``hint: ...``) on stderr; return the exit to raise."""
    errors.print(f"error: {message}", markup=False)
    if hint:
        errors.print(f"hint: {hint}", markup=False)
    return typer.Exit(code)


def boundary(command: Callable[_P, _R]) -> Callable[_P, _R]:  # noqa: UP047  (3.11)
    """The CLI boundary: the pillar's errors become one or two lines and a non-zero exit.

    Anything else is reported in one line too; ``ml --debug <command>`` re-raises for the
    traceback.
    """

    @wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except MLError as error:
            if _DEBUG["on"]:
                raise
            raise fail(error.message, error.hint, error.exit_code) from error
        except PluginError as error:  # ML__ESTIMATOR names code that gives no classifier
            if _DEBUG["on"]:
                raise
            raise fail(str(error), "fix ML__ESTIMATOR") from error
        except Exception as error:
            if _DEBUG["on"]:
                raise
            first = (str(error).strip().splitlines() or [""])[0][:300]
            raise fail(
                f"{type(error).__name__}: {first}",
                "rerun with `ml --debug ...` for the traceback",
                code=1,
            ) from error

    return run


DEMO_TRIALS, DEMO_TIMEOUT_S = 5, 120.0


def _prefect_env() -> None:
    """Environment Prefect and BentoML read once, at import: set it before importing them."""
    set_prefect_defaults()
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
    from ._batch import check_source  # noqa: PLC0415

    checked = check_source(data_path)
    console.print(
        f"source: {checked.source}: {checked.rows} rows, {checked.columns} columns, "
        f"target classes {checked.classes}",
        soft_wrap=True,
        markup=False,
    )
    _prefect_env()
    check_prefect_server()
    from ._flows import run_training  # noqa: PLC0415  (prefect, pandas and sklearn load slowly)

    with _running("training"):
        return run_training(data_path, artifacts_dir, trials, timeout_s)


def check_prefect_server(timeout_s: float = 3.0) -> str | None:
    """The configured Prefect API URL after checking it answers; ``None`` when none is set.

    Without one a temporary server starts (15 s on a quiet laptop, minutes on a loaded one):
    say how to keep one running instead.

    Raises:
        PrefectUnavailableError: ``PREFECT_API_URL`` is set but nothing answers there.
    """
    url = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not url:
        errors.print(
            f"note: no PREFECT_API_URL: starting a temporary Prefect server first. To reuse one, "
            f"run `{PREFECT_UP}` in another terminal and export "
            f"PREFECT_API_URL=http://127.0.0.1:4200/api",
            markup=False,
        )
        return None
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s):  # noqa: S310
            return url
    except (urllib.error.URLError, OSError) as error:
        raise PrefectUnavailableError(
            f"no Prefect server answers at PREFECT_API_URL={url} ({error})",
            f"start it with `{PREFECT_UP}`, or unset PREFECT_API_URL to use a temporary one",
        ) from error


def _print_summary(result: TrainResult) -> None:
    table = Table(title=f"ml model {result.model_tag} ({result.shipped})")
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
        f"tuning: {result.tuning_trials} of {result.tuning_requested} trials "
        f"({result.tuning_pruned} pruned)",
        markup=False,
    )
    if result.tuning_cut_short:
        errors.print(
            "warning: the tuning safety cap (ML__TUNING_TIMEOUT_S) cut the search short: the "
            "model depends on machine speed; raise the cap or lower ML__TUNING_TRIALS",
            markup=False,
        )
    console.print(f"shipped: {result.selection}", markup=False)
    verdict = "promoted to production" if result.promoted else "kept as challenger"
    console.print(f"{verdict}: {result.decision}", markup=False)
    console.print(f"report: {result.report_path}", soft_wrap=True)


@app.command()
@boundary
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
        float | None,
        typer.Option(help="Safety cap on tuning, in seconds (default: tuning_timeout_s)."),
    ] = None,
) -> None:
    """Run the training flow: validate, tune, train, evaluate, register, maybe promote.

    The source is checked first (in seconds); the flow runs on the Prefect server named by
    PREFECT_API_URL, else on a temporary one.
    """
    _print_summary(_train(data_path, artifacts_dir, trials, timeout))


@app.command()
@boundary
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
@boundary
def predict(
    file: Annotated[Path, typer.Argument(help="CSV/Parquet file of rows to score.")],
    out: Annotated[
        Path | None, typer.Option(help="Output CSV (default: <file>.predictions.csv).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Model tag (default: production).")] = None,
) -> None:
    """Score a file with the production model (no Prefect server; rows go to the prediction log)."""
    from ._batch import score_file  # noqa: PLC0415

    written, rows = score_file(file, out, tag)
    console.print(f"predictions: {rows} rows in {written}", soft_wrap=True, markup=False)


@app.command()
@boundary
def schema(
    data_path: Annotated[Path | None, typer.Option(help="Data file (default: settings).")] = None,
    infer: Annotated[bool, typer.Option("--infer", help="(Re)infer and write the schema.")] = False,
) -> None:
    """Show the frozen data schema, or infer it from the data (`--infer`) for review."""
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
@boundary
def models() -> None:
    """List the registered model versions; the production one is marked."""
    from ._batch import model_rows  # noqa: PLC0415

    table = Table(title="model store")
    for column in ("tag", "roc_auc", "contract", "data_hash", "production"):
        table.add_column(column)
    for row in model_rows():
        table.add_row(*row)
    console.print(table)


@app.command()
@boundary
def sample(
    out: Annotated[Path, typer.Option(help="Where to write the table (.csv or .parquet).")],
    rows: Annotated[int, typer.Option(help="Rows before duplicates are added.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Write the seeded, deliberately messy churn sample (or a bigger one)."""
    from ._sample import write_sample  # noqa: PLC0415

    console.print(f"wrote {write_sample(out, rows, seed)}", soft_wrap=True)


@app.command()
@boundary
def drift(
    tag: str | None = typer.Option(None, help="Model tag (default: the production model)."),
    serve: bool = typer.Option(False, help="Serve the check on a schedule (blocks)."),
    cron: str = typer.Option("0 * * * *", help="Schedule of --serve (default: hourly)."),
) -> None:
    """Drift check: recent predictions vs the training reference (report in artifacts/drift)."""
    from ._inference import resolve  # noqa: PLC0415

    if not serve:  # no model to compare with: say so before a Prefect server starts
        resolve(tag)
    from ._drift import main as drift_main  # noqa: PLC0415  (prefect, pandas and scipy load slowly)

    drift_main([*(["--tag", tag] if tag else []), *(["--serve", "--cron", cron] if serve else [])])


@app.command()
@boundary
def deploy() -> None:
    """Serve the training (on `ML__RETRAIN_CRON`) and batch-scoring deployments (blocks)."""
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
