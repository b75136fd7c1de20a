"""Record a live model's answers once, replay them deterministically (offline evals in CI).

A recording maps the hash of a request's last user prompt (plus whether structured output was
asked) to the answer: text, or the arguments of the output tool. :class:`ReplayModel` answers from
it and fails loudly on a prompt it has never seen, so editing a prompt without re-recording
(``make eval-record``) fails the gate instead of silently passing. :class:`RecordingModel` wraps
the live model and fills the recording.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models import ModelRequestParameters, StreamedResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

Recording = dict[str, dict[str, Any]]
HEADER = (
    "# Answers replayed by `make eval-replay` (and the tests), keyed by a hash of the prompt.\n"
    "# Re-record against your live model with `make eval-record` after changing a prompt.\n"
)


class MissingRecordingError(LookupError):
    """The replay has no answer for a prompt: record it against a live model."""


def last_user_prompt(messages: list[ModelMessage]) -> str:
    """The text of the last user prompt in ``messages``."""
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart):
                    content = part.content
                    return content if isinstance(content, str) else json.dumps(content, default=str)
    return ""


def request_key(messages: list[ModelMessage], structured: bool) -> str:
    """The recording key of a request: a hash of its last user prompt and its output kind."""
    text = ("structured\n" if structured else "text\n") + last_user_prompt(messages)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def load_recording(path: Path) -> Recording:
    """Read a recording file (YAML); a missing file is an empty recording."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(data)


def save_recording(path: Path, recording: Recording) -> None:
    """Write ``recording`` as YAML, sorted by key (stable diffs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(dict(sorted(recording.items())), sort_keys=False, allow_unicode=True)
    path.write_text(HEADER + text, encoding="utf-8")


def replay_model(recording: Recording) -> FunctionModel:
    """A model answering each request from ``recording`` (see the module doc)."""

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        structured = bool(info.output_tools)
        key = request_key(messages, structured)
        entry = recording.get(key)
        if entry is None:
            excerpt = last_user_prompt(messages)[:80].replace("\n", " ")
            raise MissingRecordingError(
                f"no recorded answer for prompt {excerpt!r} (key {key}): "
                "re-record with a live model: `make eval-record`"
            )
        if structured and "output" in entry:
            return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, entry["output"])])
        return ModelResponse(parts=[TextPart(str(entry.get("text", "")))])

    return FunctionModel(answer, model_name="replay")


def _after_retry(messages: list[ModelMessage]) -> bool:
    return isinstance(messages[-1], ModelRequest) and not any(
        isinstance(p, UserPromptPart) for p in messages[-1].parts
    )


class RecordingModel(WrapperModel):
    """Wrap a live model and store each answer of a fresh request in :attr:`recording`."""

    def __init__(self, wrapped: Any, recording: Recording | None = None) -> None:
        super().__init__(wrapped)
        self.recording: Recording = recording if recording is not None else {}

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """Ask the live model and record its answer."""
        response = await super().request(messages, model_settings, model_request_parameters)
        structured = bool(model_request_parameters.output_tools)
        entry: dict[str, Any] = {"prompt": "..." + last_user_prompt(messages)[-80:]}
        for part in response.parts:
            if structured and isinstance(part, ToolCallPart):
                entry["output"] = part.args_as_dict()
            elif isinstance(part, TextPart):
                entry["text"] = entry.get("text", "") + part.content
        if not _after_retry(messages):
            self.recording[request_key(messages, structured)] = entry
        return response

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: Any = None,
    ) -> AsyncIterator[StreamedResponse]:
        """Streaming is not recorded: evals use non-streamed calls."""
        async with super().request_stream(
            messages, model_settings, model_request_parameters, run_context
        ) as stream:
            yield stream
