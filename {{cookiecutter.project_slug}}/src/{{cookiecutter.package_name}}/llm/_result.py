"""What a call returns, and the event loop that sync calls run on."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, TypeAdapter
from pydantic_ai.messages import ModelMessage

from ._usage import TokenUsage

OutputT = TypeVar("OutputT")


class StructuredOutputError(RuntimeError):
    """The model kept answering with data that fails validation, past ``OUTPUT_RETRIES``."""


@dataclass(frozen=True)
class LLMResult(Generic[OutputT]):  # noqa: UP046, RUF100 (PEP 695 needs Python 3.12)
    """An answer (text or a validated pydantic object), what it cost and how it was made."""

    output: OutputT
    usage: TokenUsage
    model_name: str
    prompt: str | None = None
    cached: bool = False
    messages: list[ModelMessage] = field(default_factory=list, repr=False)


_LOCAL = threading.local()


def sync_loop() -> asyncio.AbstractEventLoop:
    """This thread's event loop for sync calls: reused, so HTTP connections stay pooled.

    Raises:
        RuntimeError: called from a running event loop (``await`` the async method instead).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("inside an event loop: await LLMClient.run() instead of run_sync()")
    loop: asyncio.AbstractEventLoop | None = getattr(_LOCAL, "loop", None)
    if loop is None or loop.is_closed():
        loop = _LOCAL.loop = asyncio.new_event_loop()
    return loop


def jsonable(output: object) -> object:
    """``output`` as JSON-able data (pydantic models dumped in JSON mode)."""
    if isinstance(output, BaseModel):
        return output.model_dump(mode="json")
    return TypeAdapter(type(output)).dump_python(output, mode="json")
