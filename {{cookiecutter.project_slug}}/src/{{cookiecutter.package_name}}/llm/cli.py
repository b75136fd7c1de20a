"""``<cli> llm``: ask the configured model, or serve the local fake OpenAI-protocol endpoint."""

from __future__ import annotations

import time
from typing import Annotated, Literal

import typer
from pydantic import BaseModel, Field

from ..core.settings import get_settings
from .fake_server import FakeOpenAIServer
from .settings import LLMSettings

app = typer.Typer(help="Ask the configured language model.", no_args_is_help=True)

DEMO_QUESTION = "What does the LLM pillar of this service do?"
DEMO_REVIEW = "Review: the setup was quick and the answers were great, a positive experience."
DEMO_SOURCE = "the local fake OpenAI server (set ..._LLM__MODEL / ..._LLM__BASE_URL for a real one)"


class ReviewVerdict(BaseModel):
    """The structured answer of the demo's second question."""

    sentiment: Literal["positive", "negative", "neutral"] = Field(description="Overall tone.")
    summary: str = Field(description="The review in one sentence.")


@app.command()
def ask(
    prompt: Annotated[str, typer.Argument(help="The question.")],
    instructions: Annotated[
        str | None, typer.Option("--instructions", "-i", help="System instructions.")
    ] = None,
) -> None:
    """Ask the model named by the LLM settings (MODEL, BASE_URL) one question."""
    from pydantic_ai.exceptions import UserError  # noqa: PLC0415 (slow to import)

    from .client import LLMClient  # noqa: PLC0415

    try:
        client = LLMClient(get_settings().section("llm", LLMSettings))
    except UserError as exc:  # e.g. no API key: say so without a traceback
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    result = client.complete(prompt, instructions=instructions)
    typer.echo(result.output)
    typer.echo(f"[{result.model_name}: {result.usage.summary()}]", err=True)


@app.command("fake-server")
def fake_server(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8000,
) -> None:
    """Serve the deterministic OpenAI-protocol endpoint for local development (Ctrl+C stops)."""
    with FakeOpenAIServer(port=port) as server:
        typer.echo(f"fake OpenAI server on {server.base_url} (model: fake-echo); Ctrl+C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopped")


def demo() -> None:
    """Offline: start the fake server, ask a text and a structured question over real HTTP."""
    from .client import LLMClient  # noqa: PLC0415 (pydantic-ai is slow to import)

    with FakeOpenAIServer() as server:
        client = LLMClient(LLMSettings(model="fake-echo", base_url=server.base_url))
        text = client.complete(DEMO_QUESTION, instructions="Answer in one sentence.")
        verdict = client.structured(DEMO_REVIEW, ReviewVerdict)
    typer.echo(f"llm: text answer       -> {text.output!r} ({text.usage.summary()})")
    typer.echo(
        f"llm: structured answer -> sentiment={verdict.output.sentiment} "
        f"({verdict.usage.summary()})"
    )
    typer.echo(f"llm: total usage       -> {client.total_usage.summary()} via {DEMO_SOURCE}")
