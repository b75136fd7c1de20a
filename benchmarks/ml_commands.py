"""ML pillar: `ml predict` and `ml train` wall and CPU seconds, against a baseline project, paired.

Runs the CLI of two installed projects (``--project``: the one measured; ``--baseline``: e.g. a
render of an earlier commit) as a user does, one fresh process per command, alternating them
round by round so both see the same machine. Both use one local Prefect server (started once,
``PREFECT_API_URL`` set), each its own model store and artifacts. Per run: wall seconds, CPU
seconds of the command's process tree (user + system, from ``wait4``; the Prefect server's own CPU
is not included) and the 1-minute load average before it. ``ml train`` on the generated
7,000 x 20 CSV is also broken down by the flow's log: start-up (process start to the flow's first
line), each task (from the previous log line to its "Finished" line), and the end (the flow's
last line to the process exit).

    <project>/.venv/bin/python benchmarks/ml_commands.py --project DIR --baseline DIR \
        [--rounds 3] [--no-write]

(run with a generated project's interpreter: the 7,000 x 20 CSV is written with NumPy/pandas).

Targets (issue #15): ``ml predict`` on 6 rows <= 3 s; ``ml train`` on 7,000 x 20 <= 30 s with a
running server.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report
from benchmarks.ml_train import _start_prefect, _wide_csv

Result = dict[str, Any]
_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \| \w+\s+\| (Task run '([a-z_]+)-\w+'|Flow run)")


def _run(command: list[str], env: dict[str, str], cwd: Path) -> Result:
    """Run ``command``: wall and CPU seconds (its reaped process tree), output, start time."""
    load, before, started_at = os.getloadavg()[0], os.times(), datetime.now()
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
        check=False,
    )
    wall, after = time.perf_counter() - started, os.times()
    cpu = after.children_user - before.children_user
    cpu += after.children_system - before.children_system
    return {
        "wall": wall,
        "cpu": cpu,
        "load": load,
        "code": done.returncode,
        "output": done.stdout,
        "started_at": started_at,
    }


def _start_server(python: str, work: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """A local Prefect server (the project's), as `make prefect-up` runs it."""
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect")}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return _start_prefect(env, work, python)


def _breakdown(result: Result) -> dict[str, float]:
    """Seconds per step of a training run, from the flow's log lines."""
    day = result["started_at"].date()
    start = result["started_at"]
    steps: dict[str, float] = {}
    previous = None
    for line in result["output"].splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        stamp = datetime.combine(day, datetime.strptime(match[1], "%H:%M:%S.%f").time())
        if previous is None:
            steps["start-up (imports, source check, flow run created)"] = (
                stamp - start
            ).total_seconds()
        elif match[3] and "Finished" in line:
            name = match[3]
            steps[name] = steps.get(name, 0.0) + (stamp - previous).total_seconds()
        previous = stamp
    if previous is not None:
        end = start.timestamp() + result["wall"]
        steps["end (flow finished to exit)"] = end - previous.timestamp()
    return steps


def _project_env(
    project: Path, work: Path, name: str, url: str
) -> tuple[dict[str, str], list[str]]:
    package = next(p.parent.name for p in (project / "src").glob("*/cli.py"))
    prefix = package.upper()
    home = work / name
    env = {
        **os.environ,
        "PREFECT_API_URL": url,
        "PREFECT_HOME": str(work / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "BENTOML_DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        f"{prefix}_ARTIFACTS_DIR": str(home / "artifacts"),
        f"{prefix}_ML__BENTOML_HOME": str(home / "bentoml"),
        f"{prefix}_LOG_FORMAT": "console",
        "PREFIX": prefix,
    }
    return env, [str(project / ".venv" / "bin" / "python"), "-m", package]


def measure(args: argparse.Namespace) -> Result:
    """Alternate the two projects, ``args.rounds`` times per command."""
    work = Path(tempfile.mkdtemp(prefix="ml-commands-"))
    projects = {"after": args.project.resolve(), "before": args.baseline.resolve()}
    python = str(projects["after"] / ".venv" / "bin" / "python")
    server, url, started = _start_server(python, work)
    result: Result = {"prefect_start": started, "load_before": os.getloadavg(), "runs": []}
    try:
        wide = _wide_csv(work / "wide.csv")
        rows = work / "rows.csv"
        sample = (projects["after"] / "data" / "ml" / "customers.csv").read_text().splitlines()
        rows.write_text("\n".join(sample[:7]) + "\n")
        setups = {name: _project_env(path, work, name, url) for name, path in projects.items()}
        for name, (env, cli) in setups.items():  # a production model for `ml predict`
            done = _run([*cli, "ml", "train"], env, projects[name])
            assert done["code"] == 0, done["output"][-3000:]
        order = list(projects)
        for round_ in range(args.rounds):
            for name in order if round_ % 2 == 0 else order[::-1]:
                env, cli = setups[name]
                for _ in range(args.predicts):
                    done = _run([*cli, "ml", "predict", str(rows)], env, projects[name])
                    assert done["code"] == 0, done["output"][-3000:]
                    result["runs"].append(_entry(name, "predict", round_, done))
        for round_ in range(args.rounds):
            for name in order if round_ % 2 == 0 else order[::-1]:
                env, cli = setups[name]
                env = {**env, f"{env['PREFIX']}_ML__TARGET": "target"}
                env[f"{env['PREFIX']}_ML__MODEL_NAME"] = "wide"
                done = _run([*cli, "ml", "train", "--data-path", str(wide)], env, projects[name])
                assert done["code"] == 0, done["output"][-3000:]
                entry = _entry(name, "train", round_, done)
                entry["steps"] = _breakdown(done)
                result["runs"].append(entry)
                print(name, "train", round(done["wall"], 1), file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["load_after"] = os.getloadavg()
    return result


def _entry(name: str, command: str, round_: int, done: Result) -> Result:
    return {
        "project": name,
        "command": command,
        "round": round_,
        "wall": done["wall"],
        "cpu": done["cpu"],
        "load": done["load"],
    }


def _median(runs: list[Result], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def section(result: Result, args: argparse.Namespace) -> str:
    """The ``ml-commands`` section of docs/performance.md."""
    load = f"{result['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after"
    lines = [
        "### ML: `ml predict` and `ml train`, paired with the code before issue #15's speed work",
        "",
        f"Measured by `benchmarks/ml_commands.py` on {report.machine()} (1-min load average "
        f"{load}), {args.rounds} rounds alternating the two ml-only projects, each command a fresh "
        "process; CPU = user + system seconds of the command's processes (the Prefect server's "
        "own work not included). Medians; every run below.",
        "",
        "| command | project | runs | wall s (median) | CPU s (median) | load (median) | target |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    targets = {"predict": "<= 3 s", "train": "<= 30 s"}
    for command in ("predict", "train"):
        for name in ("before", "after"):
            runs = [r for r in result["runs"] if (r["command"], r["project"]) == (command, name)]
            lines.append(
                f"| `ml {command}` | {name} | {len(runs)} | {_median(runs, 'wall'):.2f} | "
                f"{_median(runs, 'cpu'):.2f} | {_median(runs, 'load'):.1f} | {targets[command]} |"
            )
    lines += [
        "",
        "| command | project | round | wall s | CPU s | load |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['command']} | {run['project']} | {run['round']} | {run['wall']:.2f} | "
            f"{run['cpu']:.2f} | {run['load']:.1f} |"
        )
    lines += ["", "Where `ml train` on 7,000 x 20 spends its time (median seconds per step):", ""]
    trains = {
        n: [r for r in result["runs"] if (r["command"], r["project"]) == ("train", n)]
        for n in ("before", "after")
    }
    names = list(dict.fromkeys(s for runs in trains.values() for r in runs for s in r["steps"]))
    lines += ["| step | before | after |", "| --- | --- | --- |"]
    for step in names:
        cells = []
        for name in ("before", "after"):
            values = [r["steps"][step] for r in trains[name] if step in r["steps"]]
            cells.append(f"{statistics.median(values):.1f}" if values else "-")
        lines.append(f"| {step} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, required=True, help="installed project measured")
    parser.add_argument("--baseline", type=Path, required=True, help="installed baseline project")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--predicts", type=int, default=3, help="ml predict runs per round")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the docs")
    args = parser.parse_args()
    text = section(measure(args), args)
    print(text)
    if not args.no_write:
        report.write_section("ml-commands", text)


if __name__ == "__main__":
    main()
