"""ML pillar: what the tuning defaults (trials x CV folds) cost, and what they buy on holdout AUC.

Runs, inside a generated project (``--inner``, the project's interpreter), the training steps the
``ml-train`` flow runs (prepare, split, tune XGBoost, CV the logistic baseline, fit both, score
both on the holdout, ship the better), as plain functions without the Prefect flow, for every
``--config TRIALSxFOLDS`` on every ``--dataset``. Reports, per configuration: the CPU seconds of
the search and the baseline CV (the part the configuration changes), the wall seconds, the
holdout ROC AUC of the tuned XGBoost, of the baseline, and of the model that ships. The
generated 7,000 x 20 CSV of ``benchmarks/ml_train.py`` is always included.

    uv run python benchmarks/ml_defaults.py [--project DIR] [--no-write] \\
        [--dataset NAME=PATH:TARGET[:SEP]] ... [--config 15x5 --config 8x3 ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report
from benchmarks.ml_train import _wide_csv

Result = dict[str, Any]
DEFAULT_CONFIGS = ("15x5", "10x5", "10x3", "8x3", "5x3")


def _one(package: str, path: Path, target: str, sep: str, trials: int, folds: int) -> Result:
    import importlib

    ml = {
        name: importlib.import_module(f"{package}.ml.{name}")
        for name in ("_ingest", "_train", "_tuning", "_features", "_evaluation", "settings")
    }
    settings = ml["settings"].MLSettings(target=target, csv_delimiter=sep)
    raw = ml["_ingest"].load_table(path, settings.read_options())
    with tempfile.TemporaryDirectory() as tmp:
        prepared = ml["_train"].prepare(raw, target, Path(tmp) / "schema.json")
    roles = prepared.contract.roles
    seed = settings.random_seed
    split = ml["_train"].split_data(prepared.frame, roles, target, settings.test_size, seed)
    features, tuning, evaluation = ml["_features"], ml["_tuning"], ml["_evaluation"]
    started, cpu = time.perf_counter(), time.process_time()
    tuned = tuning.tune_xgboost(
        split.x_train,
        split.y_train,
        roles,
        defaults=features.xgboost_params(settings),
        trials=trials,
        timeout_s=3600,
        folds=folds,
        seed=seed,
    )
    tuning.cross_validate_baseline(  # timed with the search: the flow runs both
        split.x_train, split.y_train, roles, folds=folds, seed=seed
    )
    search = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    model = ml["_train"].fit_pipeline(split, roles, features.xgboost_model(tuned.params, seed))
    baseline = ml["_train"].fit_pipeline(split, roles, features.baseline_model(seed))
    main_auc = evaluation.evaluate(
        model, split.x_test, split.y_test, 0.5, importance_repeats=0
    ).metrics.roc_auc
    base_auc = evaluation.evaluate(
        baseline, split.x_test, split.y_test, 0.5, importance_repeats=0
    ).metrics.roc_auc
    return {
        **search,
        "trials": tuned.trials,
        "pruned": tuned.pruned,
        "cv": tuned.cv.mean,
        "xgboost": main_auc,
        "baseline": base_auc,
        "shipped": max(main_auc, base_auc),
        "rows": len(prepared.frame),
    }


def inner(args: argparse.Namespace) -> Result:
    """Run inside the generated project; return the measurements."""
    package = next(p.parent.name for p in (Path.cwd() / "src").glob("*/cli.py"))
    work = Path(tempfile.mkdtemp(prefix="ml-defaults-"))
    datasets = [("wide 7,000 x 20", _wide_csv(work / "wide.csv"), "target", "")]
    for spec in args.dataset:
        name, rest = spec.split("=", 1)
        path, target, *sep = rest.split(":")
        datasets.append((name, Path(path), target, sep[0] if sep else ""))
    result: Result = {"load_before": os.getloadavg(), "cpus": os.cpu_count(), "runs": []}
    for name, path, target, sep in datasets:
        for config in args.config or DEFAULT_CONFIGS:
            trials, folds = (int(n) for n in config.split("x"))
            load = os.getloadavg()[0]
            run = _one(package, path, target, sep, trials, folds)
            result["runs"].append({"dataset": name, "config": config, "load": load, **run})
            print(name, config, run, file=sys.stderr, flush=True)
    result["load_after"] = os.getloadavg()
    return result


def measure(project: Path, args: argparse.Namespace) -> Result:
    extra = [arg for spec in args.dataset for arg in ("--dataset", spec)]
    extra += [arg for config in args.config for arg in ("--config", config)]
    return report.measure_inside(project, __file__, extra, stderr=None)


def section(result: Result, args: argparse.Namespace) -> str:
    """The ``ml-defaults`` section of docs/performance.md."""
    load = f"{result['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after"
    lines = [
        "### ML: what the tuning defaults cost (trials x CV folds)",
        "",
        f"Measured by `benchmarks/ml_defaults.py` on {report.machine()} (1-min load average "
        f"{load}). The training steps of the flow as plain functions (no Prefect, MLflow or "
        "BentoML); CPU and wall seconds of the XGBoost search plus the baseline's CV, the part "
        "the configuration changes. Holdout ROC AUC on the same 80/20 split (seed 42).",
        "",
        "| data set | trials x folds | search CPU s | search wall s | load | trials run "
        "(pruned) | CV AUC | holdout AUC xgboost | baseline | shipped |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['dataset']} | {run['config']} | {run['cpu']:.1f} | {run['wall']:.1f} | "
            f"{run['load']:.1f} | {run['trials']} ({run['pruned']}) | {run['cv']:.4f} | "
            f"{run['xgboost']:.4f} | {run['baseline']:.4f} | {run['shipped']:.4f} |"
        )
    by_config: dict[str, list[float]] = {}
    for run in result["runs"]:
        by_config.setdefault(run["config"], []).append(run["cpu"])
    lines += [
        "",
        "Median search CPU seconds per configuration: "
        + ", ".join(f"{c}: {statistics.median(v):.1f}" for c, v in by_config.items())
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", action="append", default=[], help="NAME=PATH:TARGET[:SEP]")
    parser.add_argument("--config", action="append", default=[], help="TRIALSxFOLDS")
    report.run_benchmark(
        "ml-defaults", parser, pillars=("ml",), inner=inner, measure=measure, section=section
    )


if __name__ == "__main__":
    main()
