"""``<cli> rag ...``: build the index of the corpus and search it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, cast, get_args

import typer

from .index import EmbedderMismatchError, IndexNotFoundError, SearchHit
from .pipeline import index_corpus, resolve_paths, search_corpus
from .settings import SearchMode

app = typer.Typer(help="Retrieval over a document corpus (LanceDB, hybrid search).")

DEMO_QUERIES = (
    "How quickly must the on-call engineer acknowledge a page?",
    "Which expenses need approval from the finance team?",
)


def _fail(error: Exception) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


def _print_hits(query: str, hits: list[SearchHit]) -> None:
    typer.echo(f"\nquery: {query}")
    if not hits:
        typer.echo("  (no hits)")
    for rank, hit in enumerate(hits, start=1):
        snippet = " ".join(hit.text.split())[:110]
        typer.echo(f"  {rank}. [{hit.score:.4f}] {hit.citation}\n     {snippet}")


@app.command("index")
def index_command(
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus directory (default: the rag corpus_dir setting).")
    ] = None,
) -> None:
    """Chunk, embed and index the corpus; a no-op when nothing changed."""
    try:
        result = index_corpus(corpus)
    except (FileNotFoundError, ValueError) as error:
        _fail(error)
    manifest = result.manifest
    state = "unchanged" if result.reused else "built"
    typer.echo(
        f"index {state}: {manifest.documents} documents, {manifest.chunks} chunks, "
        f"embedder {manifest.embedder}, build {manifest.build_id} in {resolve_paths().index_dir}"
    )


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top_k: Annotated[int | None, typer.Option(min=1, help="Number of hits.")] = None,
    mode: Annotated[
        str | None, typer.Option(help="hybrid, vector or text (default: search_mode setting).")
    ] = None,
) -> None:
    """Search the index and print the best chunks with their citations."""
    if mode is not None and mode not in get_args(SearchMode):
        raise typer.BadParameter("mode must be hybrid, vector or text", param_hint="--mode")
    try:
        hits = search_corpus(query, top_k=top_k, mode=cast(SearchMode | None, mode))
    except (IndexNotFoundError, EmbedderMismatchError, ValueError) as error:
        _fail(error)
    _print_hits(query, hits)


def demo() -> None:
    """Index the shipped handbook corpus and answer two questions with cited chunks."""
    result = index_corpus()
    manifest = result.manifest
    typer.echo(
        f"rag: indexed {manifest.documents} documents into {manifest.chunks} chunks "
        f"({manifest.embedder}, hybrid vector + full-text search)"
    )
    for query in DEMO_QUERIES:
        _print_hits(query, search_corpus(query, top_k=2))
