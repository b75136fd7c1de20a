"""Structure-aware chunking: Markdown sections first, then token-bounded windows with overlap.

A "token" here is a run of non-whitespace characters: an offline, model-free approximation that is
good enough to bound chunk sizes for static embeddings and full-text search. Chunk text is sliced
from the original section, so formatting (lists, tables, code) survives.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .documents import Document

_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TOKEN = re.compile(r"\S+")
SECTION_SEPARATOR = " > "


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text under one heading path, e.g. ``("On-call policy", "Rotation")``."""

    path: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrievable piece of a document.

    Attributes:
        id: Hash of source, position and text: stable across runs, new when any of them changes.
        document_id: The :attr:`Document.id` it comes from.
        source: The document's source path (for citations).
        title: The document's title.
        section: Heading path of the section the chunk belongs to.
        position: Index of the chunk within its document, from 0.
        text: The chunk's text.
        n_tokens: Number of tokens of ``text``.
    """

    id: str
    document_id: str
    source: str
    title: str
    section: tuple[str, ...]
    position: int
    text: str
    n_tokens: int

    @property
    def section_path(self) -> str:
        """The heading path joined with ``" > "`` (the title when the chunk has no heading)."""
        return section_path(self.section, self.title)

    @property
    def search_text(self) -> str:
        """What gets embedded and full-text indexed: the heading path, then the text."""
        return f"{self.section_path}\n\n{self.text}"


def section_path(section: tuple[str, ...], title: str) -> str:
    """``section`` joined with ``" > "``, or ``title`` when ``section`` is empty."""
    return SECTION_SEPARATOR.join(section) or title


def count_tokens(text: str) -> int:
    """Number of whitespace-separated tokens of ``text``."""
    return sum(1 for _ in _TOKEN.finditer(text))


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


def token_windows(text: str, max_tokens: int, overlap: int) -> Iterator[tuple[str, int]]:
    """Yield ``(text, n_tokens)`` windows of at most ``max_tokens`` tokens.

    Consecutive windows share ``overlap`` tokens; the last window ends at the end of ``text``.

    Raises:
        ValueError: ``max_tokens`` is not positive or ``overlap`` is not below it.
    """
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(
            f"need max_tokens >= 1 and 0 <= overlap < max_tokens, got {max_tokens=}, {overlap=}"
        )
    tokens = list(_TOKEN.finditer(text))
    start = 0
    while start < len(tokens):
        end = min(start + max_tokens, len(tokens))
        yield text[tokens[start].start() : tokens[end - 1].end()], end - start
        if end == len(tokens):
            return
        start = end - overlap


def chunk_id(source: str, position: int, text: str) -> str:
    """Stable chunk identifier: the first 32 hex digits of SHA-256 over source, position, text."""
    digest = hashlib.sha256(f"{source}\x00{position}\x00{text}".encode())
    return digest.hexdigest()[:32]


def chunk_document(document: Document, max_tokens: int, overlap: int) -> list[Chunk]:
    """Chunk one document: split by headings, then window each section."""
    chunks: list[Chunk] = []
    for section in split_sections(document.text):
        for text, n_tokens in token_windows(section.text, max_tokens, overlap):
            position = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(document.source, position, text),
                    document_id=document.id,
                    source=document.source,
                    title=document.title,
                    section=section.path,
                    position=position,
                    text=text,
                    n_tokens=n_tokens,
                )
            )
    return chunks


def chunk_documents(documents: Sequence[Document], max_tokens: int, overlap: int) -> list[Chunk]:
    """Chunk every document, in order."""
    return [
        chunk for document in documents for chunk in chunk_document(document, max_tokens, overlap)
    ]
