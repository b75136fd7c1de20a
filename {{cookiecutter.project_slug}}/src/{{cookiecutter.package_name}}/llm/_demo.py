"""The pillar's demo: the same examples offline (fake server) or live (the configured model)."""

from __future__ import annotations

from pathlib import Path

from ._client import LLMClient
from ._grounding import Passage, grounded_answer
from ._result import sync_loop
from ._tasks import classify_sentiment
from ._tools import ToolRegistry, calculator_tool
from .settings import LLMSettings
from .testing.fake_server import FakeOpenAIServer

DEMO_REVIEW = "Setup took five minutes and support answered within the hour: a positive experience."
DEMO_TOOL_TASK = (
    'What is 17.5 * 12 + 3? Use the calculator. call:calculate {"expression": "17.5 * 12 + 3"}'
)
DEMO_QUESTION = "How many days a week may employees work remotely?"
DEMO_PASSAGES = [
    Passage(
        id="remote-1",
        text="Employees may work remotely up to three days per week.",
        source="remote-work.md",
    ),
    Passage(id="office-1", text="The office is closed on public holidays.", source="office.md"),
]


def run_examples(client: LLMClient) -> list[str]:
    """Structured output, a tool call and a grounded answer on ``client``; one line each."""
    lines = []
    verdict = classify_sentiment(client, DEMO_REVIEW)
    lines.append(
        f"llm: structured  [{verdict.prompt}] sentiment={verdict.output.sentiment} "
        f"({verdict.usage.summary()})"
    )
    tools = ToolRegistry([calculator_tool()])
    answer = client.run_sync(DEMO_TOOL_TASK, toolsets=[tools.toolset()])
    lines.append(f"llm: tool call   -> {answer.output!r} ({answer.usage.summary()})")
    grounded = grounded_answer(DEMO_QUESTION, DEMO_PASSAGES, client=client)
    status = (
        f"abstained: {grounded.reason}" if grounded.abstained else f"cites {grounded.citations}"
    )
    lines.append(f"llm: grounded    -> {status}")
    return lines


async def _stream(client: LLMClient, prompt: str) -> list[str]:
    return [delta async for delta in client.stream(prompt)]


def offline_demo(evals_dir: Path = Path("evals")) -> list[str]:
    """Run :func:`run_examples`, a streamed answer and the replay evals, all offline."""
    from pydantic_ai import models  # noqa: PLC0415

    from ._evals import run_all  # noqa: PLC0415

    allowed = models.ALLOW_MODEL_REQUESTS
    models.ALLOW_MODEL_REQUESTS = True  # only to reach the local fake server
    try:
        with FakeOpenAIServer() as server:
            settings = LLMSettings(
                model="fake-echo",
                base_url=server.base_url,
                input_price_per_mtok=0.15,
                output_price_per_mtok=0.6,
            )
            client = LLMClient(settings)
            lines = run_examples(client)
            deltas = sync_loop().run_until_complete(_stream(client, "stream these five words"))
            lines.append(f"llm: streamed    -> {len(deltas)} deltas: {''.join(deltas)!r}")
            lines.append(f"llm: total usage -> {client.total_usage.summary()} (fake server)")
    finally:
        models.ALLOW_MODEL_REQUESTS = allowed
    if (evals_dir / "datasets").is_dir():
        summary, _, _ = run_all(evals_dir, LLMSettings(), replay=True)
        lines.extend(f"llm: {line}" for line in summary if not line.startswith("  "))
    return lines
