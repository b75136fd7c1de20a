"""Request and response models of the service, and the work behind the example endpoint.

The models validate every request before any handler code runs: a field outside its limits
answers 422 with the offending field named, never a 500.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT_CHARS = 10_000
MAX_TOP_WORDS = 20

_WORD = re.compile(r"\w+", re.UNICODE)


class InfoResponse(BaseModel):
    """What is running: answered by ``POST /info``."""

    service: str = Field(description="BentoML service name.")
    version: str = Field(description="Version of the installed package.")
    pillars: list[str] = Field(description="Pillars present in this project.")
    environment: str = Field(description="dev, test, staging or prod.")
    routes: list[str] = Field(
        default_factory=list, description="Routes added by the pillars' endpoint adapters."
    )


class EchoRequest(BaseModel):
    """Input of ``POST /v1/echo``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: str = Field(
        min_length=1, max_length=MAX_TEXT_CHARS, description="Text to echo and describe."
    )
    top_k: int = Field(
        default=3, ge=1, le=MAX_TOP_WORDS, description="How many most frequent words to return."
    )


class WordCount(BaseModel):
    """One word and how often it occurs (case-insensitive)."""

    word: str
    count: int


class EchoResponse(BaseModel):
    """Output of ``POST /v1/echo``: the text back plus statistics about it."""

    text: str = Field(description="The input text, unchanged.")
    characters: int = Field(description="Number of Unicode code points.")
    words: int = Field(description="Number of words (runs of letters, digits or underscores).")
    lines: int = Field(description="Number of lines.")
    sha256: str = Field(description="Hex SHA-256 of the UTF-8 encoded text.")
    top_words: list[WordCount] = Field(description="Most frequent words, ties broken a-z.")


def describe_text(request: EchoRequest) -> EchoResponse:
    """Echo ``request.text`` with its character, word and line counts, checksum and top words."""
    text = request.text
    words = [word.lower() for word in _WORD.findall(text)]
    ranked = sorted(Counter(words).items(), key=lambda item: (-item[1], item[0]))
    return EchoResponse(
        text=text,
        characters=len(text),
        words=len(words),
        lines=len(text.splitlines()) or 1,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        top_words=[WordCount(word=word, count=count) for word, count in ranked[: request.top_k]],
    )
