"""Serving pillar: ``/predict`` throughput and latency, adaptive batching on and off, against a
minimal hand-written BentoML service scoring with the same model, all in one run.

Renders an ml+serving project (or uses ``--project``), installs it (uv, offline cache), trains a
small model with the ml pillar's flow, then for each server in turn: starts it with
``bentoml serve`` on a free port, warms it up, and drives ``POST /predict`` (one record per
request) from a separate process at concurrency 16 and 64 for ``--seconds`` each. Reports
requests/s, p50/p99 latency and errors, and writes the ``serving`` section of docs/performance.md.

* ``service, batched``: the generated service (auth, rate limit, security headers, access log,
  metrics, prediction log) with adaptive batching (max 64 records per batch);
* ``service, unbatched``: the same with ``SERVING__PREDICT_BATCHING=false``;
* ``minimal BentoML``: a 15-line ``@bentoml.service`` calling ``Predictor.predict`` per request.

    uv run python benchmarks/serving_bench.py [--seconds 10] [--project DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-0123456789abcdef"
RECORD = {
    "age": 40,
    "tenure_months": 3,
    "monthly_charges": 99.5,
    "total_charges": 300.0,
    "support_calls": 4,
    "contract": "month-to-month",
    "payment_method": "credit card",
    "region": "south",
}
MINIMAL_SERVICE = """
import bentoml
from my_ai_service.ml.inference import Predictor


@bentoml.service(name="minimal", traffic={"timeout": 60})
class Minimal:
    def __init__(self) -> None:
        self.model = Predictor.load()

    @bentoml.api(route="/predict")
    def predict(self, records: list[dict]) -> list[dict]:
        return [p.model_dump() for p in self.model.predict(records)]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _load(url: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """``concurrency`` clients sending one-record requests back to back for ``seconds``."""
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    body = json.dumps({"records": [RECORD]}).encode()
    headers = {"content-type": "application/json", "x-api-key": KEY}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    status = str(
                        (await client.post(url, content=body, headers=headers)).status_code
                    )
                except httpx.HTTPError as error:
                    status = type(error).__name__
                if status == "200":
                    latencies.append(time.perf_counter() - start)
                else:
                    errors[status] = errors.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": pick(0.50) if latencies else float("nan"),
        "p99_ms": pick(0.99) if latencies else float("nan"),
        "errors": float(sum(errors.values())),
        "error_kinds": ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "-",
        "requests": float(len(latencies)),
    }


def _serve(
    command: list[str], env: dict[str, str], cwd: Path, port: int
) -> subprocess.Popen[bytes]:
    import httpx

    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"server {command} did not start")


def _inner(seconds: float, home: str) -> dict[str, Any]:  # runs inside the project's venv
    work = Path(tempfile.mkdtemp())
    (work / "minimal_service.py").write_text(MINIMAL_SERVICE)
    base_env = {
        **os.environ,
        "BENTOML_DO_NOT_TRACK": "true",
        "MY_AI_SERVICE_ENVIRONMENT": "prod",
        "MY_AI_SERVICE_LOG_LEVEL": "WARNING",
        "MY_AI_SERVICE_ML__BENTOML_HOME": home,
        "MY_AI_SERVICE_ARTIFACTS_DIR": str(work / "artifacts"),
        "MY_AI_SERVICE_SERVING__API_KEYS": json.dumps({"bench": KEY}),
        "MY_AI_SERVICE_SERVING__RATE_LIMIT_PER_MINUTE": "0",
        "PYTHONPATH": f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    service = [sys.executable, "-m", "bentoml", "serve", "my_ai_service.serving.service:AIService"]
    minimal = [sys.executable, "-m", "bentoml", "serve", "minimal_service:Minimal"]
    servers = {
        "service, batched": (service, {}),
        "service, unbatched": (service, {"MY_AI_SERVICE_SERVING__PREDICT_BATCHING": "false"}),
        "minimal BentoML": (minimal, {}),
    }
    results: dict[str, Any] = {}
    for name, (command, extra) in servers.items():
        port = _free_port()
        env = {**base_env, **extra}
        process = _serve([*command, "--port", str(port)], env, work, port)
        url = f"http://127.0.0.1:{port}/predict"
        try:
            asyncio.run(_load(url, 8, 3))  # warm-up
            results[name] = {c: asyncio.run(_load(url, c, seconds)) for c in (16, 64)}
        finally:
            process.terminate()
            process.wait(timeout=60)
    return results


def _train(project: Path, env: dict[str, str], home: Path) -> None:
    fast = {
        "MY_AI_SERVICE_ML__BENTOML_HOME": str(home),
        "MY_AI_SERVICE_ML__TUNING_TRIALS": "0",
        "MY_AI_SERVICE_ML__TRACKING_ENABLED": "false",
        "MY_AI_SERVICE_ARTIFACTS_DIR": str(home.parent / "artifacts"),
        "PREFECT_HOME": str(home.parent / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    subprocess.run(
        ["uv", "run", "--no-sync", "my-ai-service", "ml", "train"],
        cwd=project,
        env={**env, **fast},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _outer(seconds: float, project: Path | None) -> dict[str, Any]:
    if project is None:
        sys.path.insert(0, str(REPO_ROOT))
        from tests import helpers

        answers = {"use_llm": False, "use_rag": False, "use_agents": False}
        project = helpers.render_cookiecutter(Path(tempfile.mkdtemp()), **answers)
    env = dict(os.environ)
    env.setdefault("UV_PROJECT_ENVIRONMENT", str(project / ".venv"))
    subprocess.run(["uv", "sync", "-q"], cwd=project, env=env, check=True)
    home = Path(tempfile.mkdtemp()) / "bentoml"
    _train(project, env, home)
    command = ["uv", "run", "--no-sync", "python", str(Path(__file__).resolve())]
    out = subprocess.run(
        [*command, "--inner", "--seconds", str(seconds), "--home", str(home)],
        cwd=project,
        env={**env, "PYTHONPATH": str(project / "src")},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _section(results: dict[str, Any], seconds: float) -> str:
    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks import report

    rows = []
    for name, by_concurrency in results.items():
        for concurrency, r in by_concurrency.items():
            rows.append(
                f"| {name} | {concurrency} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {int(r['errors'])} ({r['error_kinds']}) |"
            )
    base = results["minimal BentoML"]
    ratios = ", ".join(
        f"{c}: {results['service, batched'][c]['rps'] / base[c]['rps']:.2f}x" for c in base
    )
    return f"""## Serving: `/predict` throughput and latency

Measured on {report.machine()} by `benchmarks/serving_bench.py`: each server in turn under
`bentoml serve` (1 worker), one-record `POST /predict` requests sent back to back by N concurrent
clients for {seconds:g} s (after a 3 s warm-up), load generator on the same machine.

| server | concurrency | requests/s | p50 ms | p99 ms | errors |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Batched service vs the minimal hand-written BentoML service, throughput ratio by concurrency:
{ratios}. Target: >= 1.5x and p99 <= 150 ms on 2 cores.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        results = _inner(args.seconds, args.home)
        print(json.dumps({n: {str(c): r for c, r in v.items()} for n, v in results.items()}))
        return
    results = _outer(args.seconds, args.project)
    print(json.dumps(results, indent=2))
    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks import report

    report.write_section("serving", _section(results, args.seconds))


if __name__ == "__main__":
    main()
