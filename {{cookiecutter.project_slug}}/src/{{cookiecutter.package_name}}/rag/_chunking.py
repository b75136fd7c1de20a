"""Structure-aware, token-bounded chunking.

Documents are first split at Markdown headings (HTML pages arrive as Markdown headings too), so
every chunk keeps its section path. Each section is then cut by `semchunk` into chunks of at most
``max_tokens`` tokens of the embedder's own tokenizer (wordllama's ships in its wheel, so this
works offline), overlapping by ``overlap`` tokens. Chunk text is sliced from the original section,
so formatting (lists, tables, code) survives.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..embeddings import MiniLMTokenCounter, wordllama_token_counter
from ._documents import Document
from .settings import RAGSettings

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORD = re.compile(r"\S+")
SECTION_SEPARATOR = " > "
_NO_IDS = np.zeros(0, dtype=np.int32)
TokenCounter = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text under one heading path, e.g. ``("On-call policy", "Rotation")``."""

    path: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of a document.

    Attributes:
        id: Hash of document id, position and text: stable across runs, new when any changes.
        document_id: The :attr:`Document.id` it comes from.
        source: The document's source (for citations).
        title: The document's title.
        section: Heading path of the section the chunk belongs to.
        position: Index of the chunk within its document, from 0.
        text: The chunk's text.
        n_tokens: Number of tokens of ``text``.
        kind: The document's kind (``file``, ``web``, ``api``).
        fetched_at: The document's fetch (or modification) time.
        metadata: The document's metadata.
        token_ids: The embedder's token ids of :attr:`search_text`, when the chunker had them
            (``chunk_documents(..., token_ids=True)`` with the embedder's own tokenizer): the
            indexer then embeds them without tokenising the text again.
    """

    id: str
    document_id: str
    source: str
    title: str
    section: tuple[str, ...]
    position: int
    text: str
    n_tokens: int
    kind: str = "file"
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    metadata: dict[str, str] = field(default_factory=dict)
    token_ids: Any = field(default=None, compare=False, repr=False)

    @property
    def section_path(self) -> str:
        """The heading path joined with ``" > "`` (the title when the chunk has no heading)."""
        return section_path(self.section, self.title)

    @property
    def search_text(self) -> str:
        """What gets embedded and full-text indexed: the heading path, then the text."""
        return f"{self.section_path}\n\n{self.text}"


def section_path(section: Sequence[str], title: str) -> str:
    """``section`` joined with ``" > "``, or ``title`` when ``section`` is empty."""
    return SECTION_SEPARATOR.join(section) or title


@runtime_checkable
class BatchTokenCounter(Protocol):
    """A token counter that can also count many texts in one call (e.g. a batch tokenizer)."""

    def __call__(self, text: str) -> int:
        """Tokens in ``text``."""
        ...

    def batch(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each of ``texts``."""
        ...


Span = tuple[int, int]


@runtime_checkable
class SpanTokenCounter(BatchTokenCounter, Protocol):
    """A batch token counter that also tells where each token sits in its text."""

    def spans_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        """The ``(start, end)`` character offsets of every token of each of ``texts``."""
        ...


@runtime_checkable
class TokenIdCounter(SpanTokenCounter, Protocol):
    """A span counter that also gives the token ids of its tokenizer (named by ``vocabulary``)."""

    vocabulary: str

    def encode_batch(self, texts: Sequence[str]) -> list[tuple[list[int], list[Span]]]:
        """Token ids and ``(start, end)`` character offsets of each of ``texts``."""
        ...

    def encodings(self, texts: Sequence[str]) -> list[Any]:
        """One object per text with the ``ids`` and ``offsets`` lists (read on demand)."""
        ...


def count_tokens(counter: TokenCounter, texts: Sequence[str]) -> list[int]:
    """Token count of each text, in one batch call when ``counter`` supports it."""
    if isinstance(counter, BatchTokenCounter):
        return counter.batch(texts)
    return [counter(text) for text in texts]


def count_words(text: str) -> int:
    """Whitespace-separated words: a model-free token counter (for tests and previews)."""
    return sum(1 for _ in _WORD.finditer(text))


def token_counter(settings: RAGSettings) -> TokenCounter:
    """How chunk sizes are counted: the wordllama or minilm tokenizer, else words."""
    if settings.embedder == "wordllama":
        return wordllama_token_counter()
    if settings.embedder == "minilm":
        return MiniLMTokenCounter()
    return count_words


def split_sections(markdown: str) -> list[Section]:
    """Split Markdown at ATX headings (``#`` to ``######``), ignoring lines inside code fences.

    Each section keeps the path of headings above it; sections without text are dropped.
    """
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(Section(tuple(title for _, title in stack), text))
        body.clear()

    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            body.append(line)
            continue
        flush()
        level = len(heading.group("hashes"))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading.group("title")))
    flush()
    return sections


@cache
def _chunker(counter: TokenCounter, max_tokens: int) -> Any:
    from semchunk.semchunk import chunkerify  # noqa: PLC0415 - only when chunking

    return chunkerify(counter, max_tokens)


def token_windows(
    text: str,
    max_tokens: int,
    overlap: int,
    counter: TokenCounter = count_words,
    n_tokens: int | None = None,
) -> Iterator[tuple[str, int]]:
    """Yield ``(text, n_tokens)`` pieces of at most ``max_tokens`` tokens, cut by semchunk.

    semchunk splits at the most meaningful boundary that fits (blank lines, then newlines, then
    sentence ends, then words); consecutive pieces share about ``overlap`` tokens. ``n_tokens``
    is ``text``'s token count when the caller already has it (a text that fits is then not
    counted again).

    Raises:
        ValueError: ``max_tokens`` is not positive or ``overlap`` is not below it.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(
            f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens=}, {overlap=}"
        )
    n_tokens = counter(text) if n_tokens is None else n_tokens
    if n_tokens <= max_tokens:
        yield text, n_tokens
        return
    _, offsets = _chunker(counter, max_tokens)(text, offsets=True, overlap=overlap or None)
    for start, end in offsets:
        piece = text[start:end].strip()
        if piece:
            yield piece, counter(piece)


# Where a window may end, best first: a blank line, a line end, a sentence end, any space.
_BREAKS = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?;:]\s"),
    re.compile(r"\s"),
)


def _best_break(text: str, low: int, high: int) -> int | None:
    """The character position after the best boundary in ``text[low:high]`` (the last one)."""
    for pattern in _BREAKS:
        last = None
        for last in pattern.finditer(text, low, high):  # noqa: B007 - the last match is wanted
            pass
        if last is not None:
            return last.end()
    return None


def span_windows(
    text: str, spans: Sequence[Span], max_tokens: int, overlap: int
) -> Iterator[tuple[str, int]]:
    """Yield ``(text, n_tokens)`` windows of at most ``max_tokens`` of the tokens at ``spans``.

    The text is tokenised once (``spans`` are its tokens' character offsets): each window ends at
    the best boundary (blank line, line end, sentence end, space) in its second half, or after
    ``max_tokens`` tokens when there is none; the next one starts about ``overlap`` tokens
    earlier, at a word.
    Window text is sliced from ``text``, so formatting survives.
    """
    for window in _span_windows(text, spans, max_tokens, overlap):
        yield window.text, window.high - window.low


@dataclass(frozen=True, slots=True)
class _Window:
    """A window's text, where it starts in its section, and its tokens ``[low, high)``."""

    text: str
    start: int
    low: int
    high: int


def _span_windows(
    text: str, spans: Sequence[Span], max_tokens: int, overlap: int
) -> Iterator[_Window]:
    starts = [span[0] for span in spans]
    start, total = 0, len(spans)
    while start < total:
        end = min(start + max_tokens, total)
        if end < total:
            cut = _best_break(text, starts[start + max(1, max_tokens // 2)], starts[end])
            if cut is not None:
                end = max(bisect.bisect_left(starts, cut, start + 1, end), start + 1)
        low, high = start, end
        while low < high and text[starts[low] : spans[low][1]].isspace():
            low += 1  # whitespace tokens at either end are not part of the piece
        while high > low and text[starts[high - 1] : spans[high - 1][1]].isspace():
            high -= 1
        if high > low:
            raw = text[starts[low] : spans[high - 1][1]]
            piece = raw.strip()
            yield _Window(piece, starts[low] + len(raw) - len(raw.lstrip()), low, high)
        if end >= total:
            return
        following = max(end - overlap, start + 1)
        while following < end and not _word_start(text, starts[following]):
            following += 1  # the overlap starts at a word, not inside one
        start = following


def _word_start(text: str, position: int) -> bool:
    return position == 0 or text[position - 1].isspace() or text[position].isspace()


def chunk_id(document_id: str, position: int, text: str) -> str:
    """Stable chunk identifier: the first 32 hex digits of SHA-256 over id, position, text."""
    digest = hashlib.sha256(f"{document_id}\x00{position}\x00{text}".encode())
    return digest.hexdigest()[:32]


def chunk_document(
    document: Document, max_tokens: int, overlap: int, counter: TokenCounter = count_words
) -> list[Chunk]:
    """Chunk one document: split by headings, then cut each section to the token bound."""
    return chunk_documents([document], max_tokens, overlap, counter)


def chunk_documents(
    documents: Sequence[Document],
    max_tokens: int,
    overlap: int,
    counter: TokenCounter = count_words,
    *,
    token_ids: bool = False,
) -> list[Chunk]:
    """Chunk every document, in order.

    Every section is tokenised once, all in one batch call when the counter can: with a
    :class:`SpanTokenCounter` (the embedders' tokenizers) long sections are cut at the token
    offsets of that one pass (:func:`span_windows`); other counters count each section once and
    only sections over ``max_tokens`` go through semchunk, which counts again as it searches.

    With ``token_ids`` and a :class:`TokenIdCounter`, every chunk also gets the token ids of its
    :attr:`Chunk.search_text` (see :func:`search_text_ids`), so embedding does not tokenise again.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(
            f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens=}, {overlap=}"
        )
    split = [(document, split_sections(document.text)) for document in documents]
    texts = [s.text for _, sections in split for s in sections]
    with_ids = token_ids and isinstance(counter, TokenIdCounter)
    cut: Iterator[Iterator[_Window]]
    encoded: list[tuple[list[int], list[Span] | None]] = []
    if with_ids:
        # Offsets only of the sections over the bound: a section that fits is one window of
        # all its tokens (its text is stripped, so no token at either end is only whitespace).
        encodings = cast(TokenIdCounter, counter).encodings(texts)
        for encoding in encodings:
            ids = encoding.ids
            encoded.append((ids, encoding.offsets if len(ids) > max_tokens else None))
        cut = (
            _span_windows(t, spans, max_tokens, overlap) if spans is not None else _whole(t, ids)
            for t, (ids, spans) in zip(texts, encoded, strict=True)
        )
    elif isinstance(counter, SpanTokenCounter):
        spans = counter.spans_batch(texts)
        cut = (_span_windows(t, s, max_tokens, overlap) for t, s in zip(texts, spans, strict=True))
    else:
        counts = count_tokens(counter, texts)
        cut = (
            _pieces(token_windows(t, max_tokens, overlap, counter, n))
            for t, n in zip(texts, counts, strict=True)
        )
    chunks: list[Chunk] = []
    windows: list[tuple[int, _Window]] = []  # (section number, window) of every chunk
    number = 0
    for document, sections in split:
        position = 0
        for section in sections:
            for window in next(cut):
                chunks.append(
                    Chunk(
                        id=chunk_id(document.id, position, window.text),
                        document_id=document.id,
                        source=document.source,
                        title=document.title,
                        section=section.path,
                        position=position,
                        text=window.text,
                        n_tokens=window.high - window.low,
                        kind=document.kind,
                        fetched_at=document.fetched_at,
                        metadata=dict(document.metadata),
                    )
                )
                windows.append((number, window))
                position += 1
            number += 1
    if with_ids:
        ids = search_text_ids(cast(TokenIdCounter, counter), chunks, windows, encoded)
        chunks = [replace(chunk, token_ids=i) for chunk, i in zip(chunks, ids, strict=True)]
    return chunks


def _whole(text: str, ids: Sequence[int]) -> Iterator[_Window]:
    if ids:
        yield _Window(text, 0, 0, len(ids))


def _pieces(pieces: Iterator[tuple[str, int]]) -> Iterator[_Window]:
    for text, n_tokens in pieces:
        yield _Window(text, -1, 0, n_tokens)


def search_text_ids(
    counter: TokenIdCounter,
    chunks: Sequence[Chunk],
    windows: Sequence[tuple[int, _Window]],
    encoded: Sequence[tuple[list[int], list[Span] | None]],
) -> list[npt.NDArray[np.int32]]:
    """Token ids of each chunk's :attr:`Chunk.search_text`, mostly reused from the section pass.

    For a tokenizer that never merges a line break with anything (its ``line_break_id``, e.g.
    wordllama's Llama-2 BPE: no pre-tokenizer, a line break is a byte token of its own), the text
    after a chunk's first line break is tokenised exactly as it was within its section. So only
    the heading path and the chunk's first line are tokenised again; the rest of the ids come from
    the section pass (``encoded``: each section's ids, and its offsets when it was cut). Other
    tokenizers (whose tokens may hold a line break) get their search text tokenised whole.
    """
    heads: list[str] = []
    tails: list[npt.NDArray[np.int32]] = []
    line_break_id = getattr(counter, "line_break_id", None)
    for chunk, (number, window) in zip(chunks, windows, strict=True):
        head = f"{chunk.section_path}\n\n{chunk.text}"
        ids, offsets = encoded[number]
        line_break = chunk.text.find("\n") if line_break_id is not None else -1
        if line_break < 0 or line_break_id is None:
            heads.append(head)
            tails.append(_NO_IDS)
            continue
        if offsets is None:  # the whole section: its first line break token
            first = ids.index(line_break_id)
        else:
            at = window.start + line_break
            starts = [offset[0] for offset in offsets[window.low : window.high]]
            first = window.low + bisect.bisect_left(starts, at)
        heads.append(head[: len(head) - len(chunk.text) + line_break])
        tails.append(np.asarray(ids[first : window.high], dtype=np.int32))
    head_ids = counter.encode_batch(heads)
    return [
        np.concatenate((np.asarray(ids, dtype=np.int32), tail))
        for (ids, _), tail in zip(head_ids, tails, strict=True)
    ]
