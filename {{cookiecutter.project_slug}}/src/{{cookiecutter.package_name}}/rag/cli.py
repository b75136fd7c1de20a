"""``<cli> rag ...``: index sources, search, ask and evaluate retrieval."""

from __future__ import annotations

import atexit
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, cast, get_args

import typer

from ..core import quiet_tracebacks
from ..core.prefect_defaults import set_prefect_defaults
from ..core.settings import ENV_PREFIX
from ..embeddings import EmbedderNotInstalledError
from ._api import answer as answer_question
from ._api import retriever as current_retriever
from ._db import DbStatus, db_down, db_status, db_up
from ._evaluation import Metrics, evaluate, load_questions
from ._indexer import IndexReport
from ._lance_import import import_lancedb
from ._pipeline import index_sources, resolve_paths
from ._retrieval import Hit
from ._store import EmbedderMismatchError, IndexNotFoundError
from ._web import FetchError
from .settings import SearchMode

app = typer.Typer(help="Retrieval over your documents: index, search, ask, evaluate.")
db_app = typer.Typer(help="A local PostgreSQL + pgvector for vector_store=pgvector (no Docker).")
app.add_typer(db_app, name="db")

DEMO_QUESTIONS = (
    "How quickly must the on-call engineer acknowledge a page?",
    "Which expenses need approval from the finance team?",
)
_ERRORS = (FileNotFoundError, ValueError, FetchError, RuntimeError, EmbedderNotInstalledError)


def _command_process() -> None:
    """Settle what only a command's own process may: it runs this one command, then exits.

    * LanceDB is imported with pandas left out (:func:`._lance_import.import_lancedb`): pyarrow
      would import it (0.17 s) only to recognise pandas objects, which no command hands it.
    * The interpreter's last garbage collections are spared: Python collects cyclic garbage
      while it shuts down, traversing every object still alive, and after LanceDB, pyarrow and
      their pydantic models are imported that took 0.3-0.4 s of a ``rag index`` (measured).
      Freezing the objects at exit (:func:`gc.freeze`) leaves them out; the memory goes back
      with the process, and exit handlers (log and trace flushing) run as before.

    Raises:
        ValueError: invalid settings.
    """
    atexit.unregister(gc.freeze)  # once, however many commands a test process runs
    atexit.register(gc.freeze)
    if resolve_paths().settings.vector_store == "lancedb":
        import_lancedb(pandas=False)


def _fail(error: Exception) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress  # noqa: PLC0415 - only for `rag index`

    with Progress(transient=True) as bar:
        task = bar.add_task("embedding chunks", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_hits(query: str, hits: list[Hit]) -> None:
    typer.echo(f"\nquery: {query}")
    if not hits:
        typer.echo("  (no hits)")
    for rank, hit in enumerate(hits, start=1):
        snippet = " ".join(hit.text.split())[:110]
        typer.echo(f"  {rank}. [{hit.score:.4f}] {hit.citation}\n     {snippet}")


def _report(report: IndexReport) -> str:
    meta = report.meta
    state = "unchanged" if report.noop else "updated"
    skipped = f", {len(report.skipped)} sources skipped" if report.skipped else ""
    return (
        f"index {state}: {meta.documents} documents, {meta.chunks} chunks "
        f"(+{report.added} new, {report.updated} changed, -{report.removed} removed, "
        f"{report.chunks_embedded} chunks embedded{skipped}), embedder {meta.embedder}, "
        f"build {meta.build_id}"
    )


def _warn_skipped(report: IndexReport) -> None:
    for skipped in report.skipped:
        typer.echo(f"warning: skipped {skipped.source}: {skipped.reason}", err=True)


@app.command("index")
def index_command(
    corpus: Annotated[
        Path | None, typer.Option(help="Corpus directory (default: the rag corpus_dir setting).")
    ] = None,
    flow: Annotated[bool, typer.Option(help="Run as the Prefect indexing flow.")] = False,
    dask: Annotated[bool, typer.Option(help="With --flow: embed on a local Dask cluster.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when any file, page or API source was skipped.")
    ] = False,
) -> None:
    """Load, chunk, embed and index every source; only changed documents are re-embedded.

    A source that cannot be read (binary or non-UTF-8 file, broken PDF, symlink out of the
    corpus, unreachable URL) is skipped with a warning naming it and the rest is indexed; the
    exit code is 1 only when every source failed, or with --strict when any did.
    """
    try:
        _command_process()
        if flow:
            set_prefect_defaults()
            from ._flows import index_flow  # noqa: PLC0415 - Prefect is slow to import

            # Printed below in one line, as without --flow: not also as Prefect's tracebacks.
            quiet_tracebacks(*_ERRORS)
            report = index_flow(corpus_dir=corpus, use_dask=dask)
        else:
            with _progress_bar(progress) as update:
                report = index_sources(corpus, progress=update)
    except _ERRORS as error:
        _fail(error)
    _warn_skipped(report)
    typer.echo(_report(report))
    if strict and report.skipped:
        typer.echo(f"error: {len(report.skipped)} sources skipped (--strict)", err=True)
        raise typer.Exit(code=1)


def _filters(values: list[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep:
            raise typer.BadParameter("use key=value, e.g. source=faq.md", param_hint="--filter")
        filters.setdefault(key.strip(), []).append(wanted.strip())
    return filters


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, help="Hits.")] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, vector or text.")] = None,
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help="key=value (source, kind, ...).")
    ] = None,
    naive: Annotated[bool, typer.Option(help="Naive dense top-k baseline instead.")] = False,
) -> None:
    """Search the index and print the best chunks with their citations."""
    if mode is not None and mode not in get_args(SearchMode):
        raise typer.BadParameter("mode must be hybrid, vector or text", param_hint="--mode")
    filters = _filters(filter_ or [])
    try:
        _command_process()
        active = current_retriever()
        if naive:
            hits = active.naive_search(query, top_k)
        else:
            hits = active.search(query, top_k, filters, cast(SearchMode | None, mode))
    except (IndexNotFoundError, EmbedderMismatchError, *_ERRORS) as error:
        _fail(error)
    _print_hits(query, hits)


@app.command("ask")
def ask_command(question: Annotated[str, typer.Argument(help="Your question.")]) -> None:
    """Answer a question from the index, with citations."""
    try:
        _command_process()
        result = answer_question(question)
    except (IndexNotFoundError, EmbedderMismatchError, *_ERRORS) as error:
        _fail(error)
    typer.echo(f"[{result.mode}] {result.answer}")
    for citation in result.citations:
        typer.echo(f"  [{citation.ref}] {citation.source} § {citation.section}")


def _metrics_line(name: str, metrics: Metrics, k: int) -> str:
    return (
        f"{name:<14} recall@{k} {metrics.recall:.3f}  MRR {metrics.mrr:.3f}  "
        f"nDCG@{k} {metrics.ndcg:.3f}"
    )


def run_eval(k: int) -> tuple[Metrics, Metrics]:
    """Hybrid retrieval and the naive dense baseline on the labelled set, same index, same k."""
    questions = load_questions(resolve_paths().eval_path)
    active = current_retriever()
    hybrid = evaluate(questions, active.search, k)
    naive = evaluate(questions, active.naive_search, k)
    return hybrid, naive


@app.command("eval")
def eval_command(k: Annotated[int, typer.Option("-k", min=1, help="Cut-off rank.")] = 5) -> None:
    """Recall@k, MRR and nDCG@k of hybrid retrieval vs. the naive dense top-k baseline."""
    try:
        _command_process()
        hybrid, naive = run_eval(k)
    except (IndexNotFoundError, EmbedderMismatchError, *_ERRORS) as error:
        _fail(error)
    typer.echo(f"{hybrid.questions} labelled questions")
    typer.echo(_metrics_line("hybrid", hybrid, k))
    typer.echo(_metrics_line("naive dense", naive, k))


def demo() -> None:
    """Index the shipped corpus, answer two questions with citations, print the eval."""
    report = index_sources(progress=None)
    typer.echo(
        f"rag: {report.meta.documents} documents, {report.meta.chunks} chunks in "
        f"{resolve_paths().settings.vector_store} ({report.meta.embedder}, hybrid retrieval)"
    )
    for question in DEMO_QUESTIONS:
        result = answer_question(question)
        cited = ", ".join(f"{c.source} § {c.section}" for c in result.citations)
        typer.echo(f"\nQ: {question}\n[{result.mode}] {result.answer}\n  sources: {cited}")
    hybrid, naive = run_eval(5)
    typer.echo("\n" + _metrics_line("hybrid", hybrid, 5) + "\n" + _metrics_line("naive", naive, 5))


def _print_db(status: DbStatus) -> None:
    if not status.running:
        typer.echo(f"local PostgreSQL: stopped (data in {status.data_dir})")
        return
    typer.echo(f"local PostgreSQL: running (data in {status.data_dir})")
    typer.echo(f"point the pgvector store at it: {ENV_PREFIX}RAG__POSTGRES_DSN='{status.dsn}'")


@db_app.command("up")
def db_up_command() -> None:
    """Start the local PostgreSQL with pgvector (kept running until `rag db down`)."""
    try:
        _print_db(db_up())
    except RuntimeError as error:
        _fail(error)


@db_app.command("status")
def db_status_command() -> None:
    """Say whether the local PostgreSQL runs, and its connection string."""
    try:
        _print_db(db_status())
    except RuntimeError as error:
        _fail(error)


@db_app.command("down")
def db_down_command() -> None:
    """Stop the local PostgreSQL (its data is kept)."""
    try:
        _print_db(db_down())
    except RuntimeError as error:
        _fail(error)
