"""ML pillar: training flow wall time and peak memory, holdout quality, scoring throughput.

Renders an ml-only project (or uses ``--project DIR``, already synced with uv), then measures
inside it (``--inner``, run with the project's interpreter) and writes the ``ml`` section of
docs/performance.md:

* The default training flow on the shipped sample (1 020 messy rows; 15 Optuna trials x 5 folds,
  20 s budget): first run (includes the temporary Prefect server start) and a second run on the
  warm server; peak RSS of the flow process; holdout ROC AUC, quarantined rows.
* The same flow on a generated 20 000-row sample (``--rows``).
* Scoring: rows/s of ``Predictor.predict_frame`` on the big sample, and p50 latency of
  ``Predictor.predict`` on one record.

    uv run python benchmarks/ml_train.py [--rows 20000] [--project DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _train(data_path: Path | None) -> dict[str, Any]:
    from my_ai_service.core.settings import get_settings
    from my_ai_service.ml.flows import train_flow

    get_settings.cache_clear()
    start = time.perf_counter()
    result = train_flow(data_path=data_path)
    return {
        "seconds": time.perf_counter() - start,
        "roc_auc": result.metrics.roc_auc,
        "baseline_roc_auc": result.baseline_metrics.roc_auc,
        "rows": result.rows_total,
        "quarantined": result.rows_quarantined,
        "duplicates": result.rows_duplicates,
        "trials": result.tuning_trials,
        "pruned": result.tuning_pruned,
        "tag": result.model_tag,
    }


def inner(rows: int) -> dict[str, Any]:
    """Run inside the generated project; print the measurements as JSON."""
    work = Path(tempfile.mkdtemp(prefix="ml-bench-"))
    os.environ.update(
        {
            "PREFECT_HOME": str(work / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
            "BENTOML_DO_NOT_TRACK": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MY_AI_SERVICE_ARTIFACTS_DIR": str(work / "artifacts"),
            "MY_AI_SERVICE_ML__BENTOML_HOME": str(work / "bentoml"),
        }
    )
    from my_ai_service.ml.inference import Predictor
    from my_ai_service.ml.sample import write_sample

    first = _train(None)
    second = _train(None)
    peak_sample = _peak_rss_mb()
    big = write_sample(work / "big.csv", rows=rows, seed=11)
    large = _train(big)
    predictor = Predictor.load(large["tag"])
    import pandas as pd

    frame = pd.read_csv(big)
    start = time.perf_counter()
    predictor.predict_frame(frame)
    rows_per_s = len(frame) / (time.perf_counter() - start)
    record = frame.iloc[0].to_dict()
    latencies = []
    for _ in range(50):
        start = time.perf_counter()
        predictor.predict([record])
        latencies.append(time.perf_counter() - start)
    return {
        "first": first,
        "second": second,
        "large": large,
        "peak_rss_mb_sample": peak_sample,
        "peak_rss_mb_total": _peak_rss_mb(),
        "score_rows_per_s": rows_per_s,
        "predict_one_p50_ms": statistics.median(latencies) * 1000,
    }


def _project(path: str | None, work: Path) -> Path:
    if path:
        return Path(path)
    sys.path.insert(0, str(REPO_ROOT))
    from tests import helpers

    answers = {name: name == "use_ml" for name in helpers.PILLAR_ANSWERS}
    project = helpers.render_cookiecutter(work / "ml", **answers)
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project


def write(numbers: dict[str, Any], rows: int) -> None:
    """Write the ``ml`` section of docs/performance.md."""
    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks import report

    first, second, large = numbers["first"], numbers["second"], numbers["large"]
    lines = [
        "## ML: training flow",
        "",
        f"Measured by `benchmarks/ml_train.py` on {report.machine()}, default settings "
        "(15 Optuna trials x 5 stratified folds, 20 s budget; MLflow on SQLite; BentoML store).",
        "",
        "| run | rows | seconds | holdout ROC AUC (xgboost / baseline) | quarantined |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, run in (
        ("sample, first run (incl. temporary Prefect server start)", first),
        ("sample, second run (warm server)", second),
        (f"generated {rows} rows", large),
    ):
        lines.append(
            f"| {name} | {run['rows']} | {run['seconds']:.1f} | "
            f"{run['roc_auc']:.3f} / {run['baseline_roc_auc']:.3f} | {run['quarantined']} |"
        )
    lines += [
        "",
        f"Peak RSS of the flow process: {numbers['peak_rss_mb_sample']:.0f} MB on the sample, "
        f"{numbers['peak_rss_mb_total']:.0f} MB after the {rows}-row run (the temporary Prefect "
        "server runs in its own process). Scoring: "
        f"{numbers['score_rows_per_s']:.0f} rows/s in batch, "
        f"{numbers['predict_one_p50_ms']:.1f} ms p50 for one record. Target: default flow < 60 s.",
    ]
    report.write_section("ml", "\n".join(lines))


def main() -> None:
    """Measure in a generated project and write the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--project")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--inner", action="store_true")
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args.rows)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(args.project, Path(tmp))
        out = subprocess.run(
            [
                "uv",
                "run",
                "--no-sync",
                "python",
                str(Path(__file__).resolve()),
                "--inner",
                "--rows",
                str(args.rows),
            ],
            cwd=project,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    numbers = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(numbers, indent=2))
    if not args.no_write:
        write(numbers, args.rows)


if __name__ == "__main__":
    main()
