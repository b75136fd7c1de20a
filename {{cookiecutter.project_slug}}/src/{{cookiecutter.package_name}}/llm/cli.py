"""``<cli> llm``: ask the configured model, list prompts, run evals, serve the fake endpoint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.settings import external_variable, get_settings
from .settings import LLMSettings, missing_key_message
from .testing.fake_server import FakeOpenAIServer

if TYPE_CHECKING:
    from ._client import LLMClient
    from ._prompts import RenderedPrompt

app = typer.Typer(
    help="Ask the configured language model, run prompts and evals.", no_args_is_help=True
)

KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google": "GOOGLE_API_KEY",
}
EVALS_DIR = Path("evals")


def _settings() -> LLMSettings:
    return get_settings().section("llm", LLMSettings)


def _client(settings: LLMSettings | None = None) -> LLMClient:
    from pydantic_ai.exceptions import UserError  # noqa: PLC0415 (slow to import)

    from ._client import LLMClient  # noqa: PLC0415

    try:
        return LLMClient(settings or _settings())
    except UserError as exc:  # e.g. no API key: say so without a traceback
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@contextmanager
def _model_failures_said() -> Iterator[None]:
    """A failed model request ends the command with one line and a hint, not a traceback."""
    from ._failures import explain_model_error  # noqa: PLC0415 (imports pydantic-ai)

    try:
        yield
    except Exception as exc:
        failure = explain_model_error(exc)
        if failure is None:
            raise
        typer.echo(failure.for_terminal(), err=True)
        raise typer.Exit(1) from exc


def provider_hint(settings: LLMSettings) -> str | None:
    """How to configure the provider when no key is found; ``None`` when one is."""
    variable = KEY_VARIABLES.get(settings.provider)
    if settings.endpoint or variable is None:
        return None
    if settings.api_key.get_secret_value() or external_variable(variable):
        return None
    return f"{missing_key_message(settings.provider, variable)}; then `make llm-live-demo`"


def _render(name: str, values: list[str]) -> RenderedPrompt:
    from ._prompts import PromptError, PromptRegistry  # noqa: PLC0415

    pairs = dict(value.split("=", 1) for value in values if "=" in value)
    try:
        return PromptRegistry(_settings().prompt_dirs).get(name).render(**pairs)
    except PromptError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def ask(
    text: Annotated[
        list[str], typer.Argument(help="The question, or key=value variables with --prompt.")
    ],
    instructions: Annotated[
        str | None, typer.Option("--instructions", "-i", help="System instructions.")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="Render this registry prompt instead.")
    ] = None,
    stream: Annotated[bool, typer.Option(help="Print the answer as it arrives.")] = False,
) -> None:
    """Ask the configured model a question, or a versioned prompt from the registry."""
    question: str | RenderedPrompt = _render(prompt, text) if prompt else " ".join(text)
    client = _client()
    if stream:

        async def show() -> None:
            async for delta in client.stream(question, instructions=instructions):
                typer.echo(delta, nl=False)
            typer.echo()

        with _model_failures_said():
            asyncio.run(show())
        typer.echo(
            f"[{client.resolved_model.model_name}: {client.total_usage.summary()}]", err=True
        )
        return
    with _model_failures_said():
        result = client.run_sync(question, instructions=instructions)
    typer.echo(result.output)
    ref = f" {result.prompt}" if result.prompt else ""
    typer.echo(f"[{result.model_name}{ref}: {result.usage.summary()}]", err=True)


@app.command()
def prompts() -> None:
    """List the prompts of the registry: name, versions, style and description."""
    from ._prompts import PromptRegistry  # noqa: PLC0415

    registry = PromptRegistry(_settings().prompt_dirs)
    for name in registry.names():
        template = registry.get(name)
        style = template.metadata.get("style", "")
        versions = ",".join(map(str, registry.versions(name)))
        typer.echo(f"{name:<22} v{versions:<6} {style:<17} {template.description}")
    for problem in registry.problems:  # the others still load; CI sees the exit status
        typer.echo(f"error: {problem.reason}", err=True)
    if registry.problems:
        raise typer.Exit(1)


@app.command("eval")
def run_eval(
    replay: Annotated[
        bool, typer.Option("--replay/--live", help="Recorded answers (CI) or the live model.")
    ] = True,
    record: Annotated[
        bool, typer.Option(help="Live only: save the answers to the replay file.")
    ] = False,
    folder: Annotated[Path, typer.Option("--dir", help="Datasets and replay file.")] = EVALS_DIR,
) -> None:
    """Run the eval datasets and fail (exit 1) when a dataset misses its thresholds."""
    from ._evals import run_all  # noqa: PLC0415

    settings = _settings()
    if not replay and (hint := provider_hint(settings)):
        typer.echo(f"error: {hint}", err=True)
        raise typer.Exit(1)
    lines, passed, path = run_all(folder, settings, replay=replay, record=record)
    for line in lines:
        typer.echo(line)
    typer.echo(f"report: {path}")
    if not passed:
        raise typer.Exit(1)


@app.command("live-demo")
def live_demo() -> None:
    """With a provider configured: structured output, a tool call and the evals, live."""
    from ._demo import run_examples  # noqa: PLC0415

    settings = _settings()
    if hint := provider_hint(settings):
        typer.echo(hint)
        raise typer.Exit(1)
    for line in run_examples(_client(settings)):
        typer.echo(line)
    run_eval(replay=False, record=False, folder=EVALS_DIR)


@app.command()
def finetune(
    data: Annotated[Path, typer.Argument(help="Chat examples: JSONL of {'messages': [...]}.")],
    max_steps: Annotated[int | None, typer.Option(help="Override FINETUNE__MAX_STEPS.")] = None,
) -> None:
    """Train a LoRA adapter (QLoRA on CUDA) on chat examples; needs the `finetune` extra."""
    from ._finetune import FinetuneNotInstalledError, load_chat_jsonl, train_lora  # noqa: PLC0415

    settings = _settings().finetune
    if max_steps is not None:
        settings = settings.model_copy(update={"max_steps": max_steps})
    try:
        examples = load_chat_jsonl(data)
        output = get_settings().artifacts_dir / settings.output_dir
        train_lora(settings, examples, output)
    except (FinetuneNotInstalledError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"adapter saved to {output} ({len(examples)} examples, base {settings.base_model})")


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
    """Offline: the fake server answers structured, tool-calling, grounded and streamed calls."""
    from ._demo import offline_demo  # noqa: PLC0415 (pydantic-ai is slow to import)

    for line in offline_demo():
        typer.echo(line)
    hint = provider_hint(_settings())
    typer.echo(f"llm: {hint}" if hint else "llm: a provider is configured: `make llm-live-demo`")
