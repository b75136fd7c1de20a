"""Serving soak: every endpoint of the all-pillars service at a fixed rate for minutes, offline.

Runs inside a rendered all-pillars project (``--project``, installed with ``make install``):
trains the model (unless ``--home`` holds one), starts the project's fake OpenAI-protocol server
(``llm fake-server``), builds the RAG index over the embedded sample documents (``rag index``),
then starts the service the way its README says (``<cli> serving serve``, which execs
``bentoml serve``). It sends ``--rate`` requests per second, cycling through every endpoint
(``/predict``, ``/v1/echo``, ``/info``, ``/search``, ``/ask``, ``/v1/chat/completions`` plain and
streamed, ``/v1/models``, ``POST /agent/runs`` then the run's record, steps stream and approvals,
``/readyz``, ``/livez``, ``/metrics``) for ``--minutes`` after one uncounted warm-up pass,
sampling the resident memory of the server's processes every 10 s. Reports the requests and
errors (any status >= 400, or a transport error) per endpoint, latency percentiles, and memory
over time; writes the ``serving-soak`` section of docs/performance.md.

    cd DIR && uv run python <template>/benchmarks/serving_soak.py --project . [--minutes 10]

with the project's interpreter (it needs httpx, which the template's own venv does not have).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
KEY = "soak-key-0123456789abcdef"
PREFIX = "MY_AI_SERVICE_"
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
CHAT = {"model": "fake-echo", "messages": [{"role": "user", "content": "Say hello to the soak."}]}
# (name, method, path, JSON body); "agent" starts a run and then reads it back.
PLAN: list[tuple[str, str, str, Any]] = [
    ("predict", "POST", "/predict", {"records": [RECORD]}),
    ("echo", "POST", "/v1/echo", {"text": "one two two three", "top_k": 2}),
    ("search", "POST", "/search", {"query": "what is the return policy?", "k": 3}),
    ("predict", "POST", "/predict", {"records": [RECORD, {**RECORD, "tenure_months": 50}]}),
    ("chat", "POST", "/v1/chat/completions", CHAT),
    ("info", "POST", "/info", {}),
    ("ask", "POST", "/ask", {"question": "How do I get a refund?"}),
    ("chat-stream", "POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    ("models", "GET", "/v1/models", None),
    ("agent", "POST", "/agent/runs", {"task": "Add 2 and 3, then say the sum."}),
    ("readyz", "GET", "/readyz", None),
    ("livez", "GET", "/livez", None),
    ("metrics", "GET", "/metrics", None),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_rss_mb(pid: int) -> float:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from serving_bench import _tree_rss_mb as rss

    return rss(pid)


def _wait(url: str, seconds: float, process: subprocess.Popen[bytes]) -> float:
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {seconds} s")


async def _agent(client: Any, body: Any) -> tuple[int, str]:
    started = await client.post("/agent/runs", json=body)
    if started.status_code != 202:
        return started.status_code, "agent start"
    run = started.json()
    steps = await client.get(run["steps_url"], timeout=120)  # SSE, ends with [DONE]
    if steps.status_code != 200 or "[DONE]" not in steps.text:
        return steps.status_code if steps.status_code >= 400 else 599, "agent steps"
    record = await client.get(run["status_url"])
    if record.status_code != 200 or record.json().get("status") != "succeeded":
        return record.status_code if record.status_code >= 400 else 598, "agent record"
    approvals = await client.get(f"{run['status_url']}/approvals")
    return approvals.status_code, "agent"


async def _one(client: Any, name: str, method: str, path: str, body: Any) -> tuple[int, str]:
    if name == "agent":
        return await _agent(client, body)
    response = await client.request(method, path, json=body)
    if name == "chat-stream" and "[DONE]" not in response.text:
        return 597, name
    return response.status_code, name


async def _drive(base: str, minutes: float, rate: float, pid: int) -> dict[str, Any]:
    import httpx

    headers = {"x-api-key": KEY}
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    memory: list[tuple[float, float, float]] = []
    tasks: set[asyncio.Task[None]] = set()
    # Idle connections are dropped by the client after 2 s, before the server's keep-alive (5 s)
    # closes them: otherwise a request can race the server's close and fail with ReadError.
    limits = httpx.Limits(keepalive_expiry=2.0)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=limits
    ) as client:

        async def fire(name: str, method: str, path: str, body: Any) -> None:
            started = time.perf_counter()
            try:
                status, _ = await _one(client, name, method, path, body)
                statuses[name][str(status)] += 1
            except httpx.HTTPError as error:
                statuses[name][type(error).__name__] += 1
            latencies[name].append(time.perf_counter() - started)

        for name, method, path, body in PLAN:  # one warm-up pass, not counted
            await _one(client, name, method, path, body)
        began = time.perf_counter()
        end = began + minutes * 60
        sent, next_sample = 0, began
        while time.perf_counter() < end:
            now = time.perf_counter()
            if now >= next_sample:
                memory.append((now - began, _tree_rss_mb(pid), os.getloadavg()[0]))
                next_sample += 10
            name, method, path, body = PLAN[sent % len(PLAN)]
            task = asyncio.create_task(fire(name, method, path, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        memory.append((time.perf_counter() - began, _tree_rss_mb(pid), os.getloadavg()[0]))
    return {"latencies": latencies, "statuses": statuses, "memory": memory, "sent": sent}


def _cli(project: Path) -> list[str]:
    return [str(project / ".venv" / "bin" / "python"), "-m", "my_ai_service"]


def run(project: Path, minutes: float, rate: float, home: Path | None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    env = {
        **os.environ,
        "BENTOML_DO_NOT_TRACK": "true",
        "PREFECT_HOME": str(work / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        f"{PREFIX}ENVIRONMENT": "prod",
        f"{PREFIX}ARTIFACTS_DIR": str(work / "artifacts"),
        f"{PREFIX}ML__BENTOML_HOME": str(home or work / "bentoml"),
        f"{PREFIX}ML__TUNING_TRIALS": "0",
        f"{PREFIX}ML__TRACKING_ENABLED": "false",
        f"{PREFIX}SERVING__API_KEYS": json.dumps({"soak": KEY}),
        f"{PREFIX}SERVING__RATE_LIMIT_PER_MINUTE": "0",
        f"{PREFIX}LLM__MODEL": "fake-echo",
        f"{PREFIX}LLM__API_KEY": "fake-key",
    }
    cli = _cli(project)
    quiet = {"cwd": project, "env": env, "stdout": subprocess.DEVNULL}
    if home is None:
        subprocess.run([*cli, "ml", "train"], check=True, **quiet)  # type: ignore[call-overload]
    llm_port, port = _free_port(), _free_port()
    llm = subprocess.Popen([*cli, "llm", "fake-server", "--port", str(llm_port)], **quiet)  # type: ignore[call-overload]
    env[f"{PREFIX}LLM__BASE_URL"] = f"http://127.0.0.1:{llm_port}/v1"
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([*cli, "rag", "index"], check=True, **quiet)  # type: ignore[call-overload]
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [*cli, "serving", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        ready_s = _wait(f"{base}/readyz", 300, server)
        result = asyncio.run(_drive(base, minutes, rate, server.pid))
        result["ready_s"] = ready_s
        result["log"] = str(work / "server.log")
        return result
    finally:
        for process in (server, llm):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def section(result: dict[str, Any], minutes: float, rate: float) -> str:
    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks import report

    rows, errors, total = [], 0, 0
    for name, counts in sorted(result["statuses"].items()):
        bad = sum(n for status, n in counts.items() if not status.startswith(("2", "3")))
        errors += bad
        total += sum(counts.values())
        lat = result["latencies"][name]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items()))
        rows.append(
            f"| {name} | {sum(counts.values())} | {statuses} | {bad} | "
            f"{statistics.median(lat) * 1000:.0f} | {_pct(lat, 0.99):.0f} |"
        )
    memory = result["memory"]
    settled = [mb for at, mb, _ in memory if at >= 60] or [mb for _, mb, _ in memory]
    spread = max(settled) / min(settled) - 1
    loads = [load for _, _, load in memory]
    samples = ", ".join(f"{at / 60:.0f} min: {mb:.0f}" for at, mb, _ in memory[::6])
    return f"""## Serving: soak of every endpoint (all pillars, offline)

Measured on {report.machine()} by `benchmarks/serving_soak.py`: the all-pillars project started
the way its README says (`<cli> serving serve`, production settings, fake OpenAI-protocol
server for the LLM, RAG index over the sample documents, rate limit off), then {rate:g} requests
per second for {minutes:g} minutes, cycling through every endpoint (an agent run counts as one
request: start, steps stream, record, approvals), after one warm-up pass through every
endpoint that is not counted. Load average (1 min) during the run:
{min(loads):.1f} to {max(loads):.1f}. Ready after {result["ready_s"]:.1f} s.

**{total} requests, {errors} error{"" if errors == 1 else "s"}** (status >= 400 or a transport
error). Resident memory of the server (arbiter + worker), MB: {samples}; after the first
minute it moved within
{spread * 100:.1f} % (min {min(settled):.0f}, max {max(settled):.0f}; target: flat within 10 %).

| endpoint | requests | statuses | errors | p50 ms | p99 ms |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--home", type=Path, default=None, help="BentoML home with a model")
    parser.add_argument("--no-report", action="store_true", help="print, do not write the docs")
    args = parser.parse_args()
    result = run(args.project.resolve(), args.minutes, args.rate, args.home)
    print(json.dumps({k: v for k, v in result.items() if k != "latencies"}, indent=1))
    text = section(result, args.minutes, args.rate)
    print(text)
    if not args.no_report:
        from benchmarks import report

        report.write_section("serving-soak", text)


if __name__ == "__main__":
    main()
