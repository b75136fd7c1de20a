"""Agents pillar: orchestration overhead per workflow step, and episodic-memory retrieval latency.

Renders an llm+agents project, installs it into a temporary venv (uv, offline cache), then runs the
measurements inside it (``--inner``) and writes the ``agents`` section of docs/performance.md.

* Overhead per step: full ``AgentRunner`` runs with pydantic-ai's ``TestModel`` (the model costs
  ~nothing), against a baseline of the same role agents called directly with the same prompts (no
  guard, state machine, SQLite, spans or logs). Overhead = (runner - baseline) / steps. Target:
  <= 2 ms per step.
* Retrieval: 10k episodes in the SQLite store, first search (loads the matrix), then the median
  and p95 of 200 searches, with the offline hashing embedder and with the LLM pillar's wordllama
  embedder (query embedding included).

    uv run python benchmarks/agents_bench.py [--runs 30] [--project DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import report  # noqa: E402 - the repository root is on the path now

TASK = "Summarise the release notes and compute (17 + 25) * 3"


def _inner(runs: int) -> dict[str, Any]:  # runs inside the generated project's venv
    import asyncio

    from my_ai_service.agents import AgentRunner, RoleDeps
    from my_ai_service.agents._episodes import EpisodicMemory, default_embedder
    from my_ai_service.agents._store import RunStore
    from my_ai_service.agents.settings import AgentsSettings
    from my_ai_service.core.logging import configure_logging
    from my_ai_service.core.settings import get_settings
    from my_ai_service.embeddings import HashingEmbedder
    from pydantic_ai.models.test import TestModel

    configure_logging(get_settings())  # as the CLI does: one JSON log line per step (stderr)

    work = Path(tempfile.mkdtemp())
    settings = AgentsSettings(embedder="hashing", memory_top_k=0)
    store = RunStore(work / "runs.sqlite")
    runner = AgentRunner(
        settings, models=TestModel(call_tools=[]), store=store, embedder=HashingEmbedder()
    )

    async def full() -> tuple[float, float, int]:
        wall, cpu = time.perf_counter(), time.process_time()
        record = await runner.arun(TASK)
        assert record.status == "succeeded", record.failure
        return time.perf_counter() - wall, time.process_time() - cpu, record.steps

    async def baseline(prompts: list[tuple[str, str]]) -> tuple[float, float]:
        roles = runner.roles
        agents = {"planner": roles.planner, "critic": roles.critic}
        wall, cpu = time.perf_counter(), time.process_time()
        for role, prompt in prompts:
            agent: Any = agents.get(role) or roles.worker(role)
            await agent.run(prompt, deps=RoleDeps(role=role))
        return time.perf_counter() - wall, time.process_time() - cpu

    asyncio.run(full())  # warm-up
    samples: dict[str, list[float]] = {k: [] for k in ("wall", "base", "cpu", "base_cpu")}
    for _ in range(runs):
        wall, cpu, steps = asyncio.run(full())
        run_id = store.list_runs(1)[0][0]
        prompts = [
            (s.role, str(s.messages[0]["parts"][-1]["content"])) for s in store.steps(run_id)
        ]
        base_wall, base_cpu = asyncio.run(baseline(prompts))
        for key, value in zip(samples, (wall, base_wall, cpu, base_cpu), strict=True):
            samples[key].append(value / steps)
    overhead = [f - b for f, b in zip(samples["wall"], samples["base"], strict=True)]
    cpu_overhead = [f - b for f, b in zip(samples["cpu"], samples["base_cpu"], strict=True)]

    retrieval: dict[str, dict[str, float]] = {}
    for label, embedder in (("hashing", HashingEmbedder()), ("llm", default_embedder("auto"))):
        episodes_store = RunStore(work / f"episodes-{label}.sqlite")
        memory = EpisodicMemory(episodes_store, embedder)
        texts = [
            f"Task: ticket {i} about {['billing', 'deploys', 'on-call', 'refunds'][i % 4]} "
            f"in region {i % 37} | Plan: look up, compute | Result: done {i}"
            for i in range(10_000)
        ]
        memory.add_many([(f"r{i}", text, "succeeded") for i, text in enumerate(texts)])
        fresh = EpisodicMemory(episodes_store, embedder)
        start = time.perf_counter()
        fresh.search("refunds in region 5", k=3)
        first = time.perf_counter() - start
        timings = []
        for i in range(200):
            start = time.perf_counter()
            fresh.search(f"deploys in region {i % 37}", k=3)
            timings.append(time.perf_counter() - start)
        timings.sort()
        retrieval[embedder.name] = {
            "first_ms": first * 1000,
            "median_ms": statistics.median(timings) * 1000,
            "p95_ms": timings[int(len(timings) * 0.95)] * 1000,
            "best_ms": timings[0] * 1000,
        }
    return {
        "steps_per_run": steps,
        "runner_ms_per_step": statistics.median(samples["wall"]) * 1000,
        "baseline_ms_per_step": statistics.median(samples["base"]) * 1000,
        "overhead_ms_per_step": statistics.median(overhead) * 1000,
        "overhead_p90_ms_per_step": sorted(overhead)[int(len(overhead) * 0.9)] * 1000,
        "runner_cpu_ms_per_step": statistics.median(samples["cpu"]) * 1000,
        "baseline_cpu_ms_per_step": statistics.median(samples["base_cpu"]) * 1000,
        "overhead_cpu_ms_per_step": statistics.median(cpu_overhead) * 1000,
        "runner_best_ms_per_step": min(samples["wall"]) * 1000,
        "baseline_best_ms_per_step": min(samples["base"]) * 1000,
        "retrieval_10k": retrieval,
    }


def _measure(project: Path, runs: int) -> dict[str, Any]:
    return report.measure_inside(project, __file__, ["--runs", str(runs)])


def _section(result: dict[str, Any], runs: int) -> str:
    rows = "\n".join(
        f"| {name} | {r['first_ms']:.1f} | {r['best_ms']:.2f} | {r['median_ms']:.2f} "
        f"| {r['p95_ms']:.2f} |"
        for name, r in result["retrieval_10k"].items()
    )
    runner, baseline = result["runner_ms_per_step"], result["baseline_ms_per_step"]
    overhead, p90 = result["overhead_ms_per_step"], result["overhead_p90_ms_per_step"]
    cpu, base_cpu = result["runner_cpu_ms_per_step"], result["baseline_cpu_ms_per_step"]
    cpu_over = result["overhead_cpu_ms_per_step"]
    best, best_base = result["runner_best_ms_per_step"], result["baseline_best_ms_per_step"]
    best_over = best - best_base
    steps_table = "\n".join(
        [
            "| per workflow step | wall, median ms | wall, best run ms | CPU, median ms |",
            "| --- | --- | --- | --- |",
            f"| `AgentRunner` (state machine, guard, SQLite save, span, log) | {runner:.2f} "
            f"| {best:.2f} | {cpu:.2f} |",
            f'| the same role agents called directly ("model time") | {baseline:.2f} '
            f"| {best_base:.2f} | {base_cpu:.2f} |",
            f"| **overhead**, target <= 2 ms (wall p90 {p90:.2f}) | **{overhead:.2f}** "
            f"| **{best_over:.2f}** | **{cpu_over:.2f}** |",
        ]
    )
    return f"""## Agents: orchestration overhead and memory retrieval

Measured on {report.machine()} by `benchmarks/agents_bench.py` ({runs} runs of a
{result["steps_per_run"]}-step workflow with pydantic-ai's `TestModel`).

{steps_table}

On a shared machine the best run (least disturbed) and the CPU time of this process are the
steadier figures; the wall-clock median includes waiting for the CPU behind other processes.

Episodic memory, 10,000 stored episodes, top-3 search (query embedding included):

| embedder | first search (loads the matrix), ms | best, ms | median, ms | p95, ms |
| --- | --- | --- | --- | --- |
{rows}
"""


def main() -> None:
    """Measure (in a rendered llm+agents project) and write the agents section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    report.run_benchmark(
        "agents",
        parser,
        pillars=["llm", "agents"],
        inner=lambda args: _inner(args.runs),
        measure=lambda project, args: _measure(project, args.runs),
        section=lambda result, args: _section(result, args.runs),
    )


if __name__ == "__main__":
    main()
