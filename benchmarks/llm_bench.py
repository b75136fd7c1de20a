"""LLM pillar: per-call overhead of `LLMClient` over a bare OpenAI SDK call; replay-eval scores.

Renders an llm-only project, installs it into a temporary venv (uv, offline cache), then runs the
measurements inside it (``--inner``) and writes the ``llm`` section of docs/performance.md.

* Overhead: the same one-line chat completion against the in-process ``FakeOpenAIServer`` (real
  HTTP on loopback), sent ``--runs`` times by a bare ``openai.AsyncOpenAI`` client and by
  ``LLMClient.run`` / ``LLMClient.stream`` (pydantic-ai agent, budget check, usage and cost,
  Prometheus metrics, span, one JSON log line). Calls alternate so both see the same machine
  load; overhead = median of the paired differences. Also: a disk-cache hit.
* Evals: the shipped datasets on the recorded answers (``evals/replay.yaml``), as CI runs them.

    uv run python benchmarks/llm_bench.py [--runs 200] [--project DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import report  # noqa: E402 - the repository root is on the path now

PROMPT = "Summarise the service level objectives in one sentence."


def _inner(runs: int) -> dict[str, Any]:  # runs inside the generated project's venv
    from my_ai_service.core.logging import configure_logging
    from my_ai_service.core.settings import get_settings
    from my_ai_service.llm import FakeOpenAIServer, LLMClient, LLMSettings
    from my_ai_service.llm._evals import run_all
    from my_ai_service.llm._result import sync_loop
    from my_ai_service.llm._usage import call_limits
    from openai import AsyncOpenAI
    from pydantic_ai import models

    configure_logging(get_settings())  # as the CLI does: one JSON log line per call (stderr)
    models.ALLOW_MODEL_REQUESTS = True
    loop = sync_loop()
    names = ("bare", "agent", "run", "stream", "cpu_b", "cpu_a", "cpu_r")
    samples: dict[str, list[float]] = {k: [] for k in names}
    with FakeOpenAIServer() as server:
        bare = AsyncOpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0)
        settings = LLMSettings(
            model="fake-echo",
            base_url=server.base_url,
            input_price_per_mtok=0.15,
            output_price_per_mtok=0.6,
            max_retries=0,
        )
        client = LLMClient(settings)
        limits = call_limits(settings)

        async def call_bare() -> str:
            response = await bare.chat.completions.create(
                model="fake-echo",
                messages=[{"role": "user", "content": PROMPT}],
                temperature=0.0,
                max_tokens=1024,
            )
            return response.choices[0].message.content or ""

        async def call_stream() -> str:
            return "".join([delta async for delta in client.stream(PROMPT)])

        for _ in range(10):  # warm up connections, imports, metric creation
            loop.run_until_complete(call_bare())
            loop.run_until_complete(client.run(PROMPT))
            loop.run_until_complete(call_stream())
        for _ in range(runs):
            for name, make in (
                ("bare", call_bare),
                ("agent", lambda: client.agent.run(PROMPT, usage_limits=limits)),
                ("run", lambda: client.run(PROMPT)),
                ("stream", call_stream),
            ):
                wall, cpu = time.perf_counter(), time.process_time()
                loop.run_until_complete(make())
                samples[name].append(time.perf_counter() - wall)
                if name != "stream":
                    samples[f"cpu_{name[0]}"].append(time.process_time() - cpu)
        cached = LLMClient(settings.model_copy(update={"cache_enabled": True}))
        loop.run_until_complete(cached.run(PROMPT))
        hits = []
        for _ in range(runs):
            start = time.perf_counter()
            loop.run_until_complete(cached.run(PROMPT))
            hits.append(time.perf_counter() - start)
    lines, passed, _ = run_all(Path("evals"), LLMSettings(), replay=True)

    def med(values: list[float]) -> float:
        return statistics.median(values) * 1000

    def paired(a: str, b: str) -> float:
        return med([x - y for x, y in zip(samples[a], samples[b], strict=True)])

    return {
        "bare_ms": med(samples["bare"]),
        "run_ms": med(samples["run"]),
        "stream_ms": med(samples["stream"]),
        "agent_ms": med(samples["agent"]),
        "agent_cpu_ms": med(samples["cpu_a"]),
        "agent_overhead_ms": paired("agent", "bare"),
        "layer_overhead_ms": paired("run", "agent"),
        "run_overhead_ms": paired("run", "bare"),
        "run_overhead_cpu_ms": paired("cpu_r", "cpu_b"),
        "agent_overhead_cpu_ms": paired("cpu_a", "cpu_b"),
        "layer_overhead_cpu_ms": paired("cpu_r", "cpu_a"),
        "stream_overhead_ms": paired("stream", "bare"),
        "bare_cpu_ms": med(samples["cpu_b"]),
        "run_cpu_ms": med(samples["cpu_r"]),
        "cache_hit_ms": med(hits),
        "evals": [line for line in lines if not line.startswith("  ")],
        "evals_passed": passed,
    }


def _measure(project: Path, runs: int) -> dict[str, Any]:
    return report.measure_inside(project, __file__, ["--runs", str(runs)])


def _section(r: dict[str, Any], runs: int) -> str:
    rows = [
        ("bare `openai.AsyncOpenAI` call (baseline)", r["bare_ms"], r["bare_cpu_ms"]),
        ("pydantic-ai `Agent.run` alone (the client's agent)", r["agent_ms"], r["agent_cpu_ms"]),
        (
            "`LLMClient.run` (agent + budgets, cost, metrics, span, log)",
            r["run_ms"],
            r["run_cpu_ms"],
        ),
        ("`LLMClient.stream` (server-sent events, deltas)", r["stream_ms"], None),
        ("disk-cache hit (`CACHE_ENABLED`, no request)", r["cache_hit_ms"], None),
    ]
    table = "\n".join(
        f"| {name} | {wall:.2f} | {'' if cpu is None else f'{cpu:.2f}'} |"
        for name, wall, cpu in rows
    )
    evals = "\n".join(f"- {line}" for line in r["evals"][1:])
    return f"""## LLM: client overhead and replay evals

Measured on {report.machine()} by `benchmarks/llm_bench.py` ({runs} alternating calls each,
against the in-process `FakeOpenAIServer` over loopback HTTP; medians).

| one chat completion | wall ms | CPU ms |
| --- | --- | --- |
{table}

Overhead of `LLMClient.run` over the bare SDK call (median of paired differences): wall
**{r["run_overhead_ms"]:.2f} ms** (pydantic-ai's agent {r["agent_overhead_ms"]:.2f}, this pillar's
layer {r["layer_overhead_ms"]:.2f}; `stream` {r["stream_overhead_ms"]:.2f}); CPU
**{r["run_overhead_cpu_ms"]:.2f} ms** (agent {r["agent_overhead_cpu_ms"]:.2f}, layer
{r["layer_overhead_cpu_ms"]:.2f}). CPU time (this process, fake server threads included) is the
steadier figure on a shared machine; wall time includes waiting for the CPU.

Replay evals (the CI gate, `make eval-replay`; answers in `evals/replay.yaml`):

{evals}
"""


def main() -> None:
    """Measure (in a rendered llm project) and write the llm section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    report.run_benchmark(
        "llm",
        parser,
        pillars=["llm"],
        inner=lambda args: _inner(args.runs),
        measure=lambda project, args: _measure(project, args.runs),
        section=lambda result, args: _section(result, args.runs),
    )


if __name__ == "__main__":
    main()
