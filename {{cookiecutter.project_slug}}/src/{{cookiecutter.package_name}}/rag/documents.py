"""Load a directory of Markdown or plain-text files into :class:`Document` records.

Loaders for other sources (web pages, APIs) return the same record, so chunking and indexing do not
care where a document came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Document:
    """One source document.

    Attributes:
        id: Stable identifier: the source path (documents keep their id when their text changes).
        source: Where the text came from, as a POSIX path relative to the corpus directory.
        title: The first level-one Markdown heading, or the file name without its suffix.
        text: The full text, with every line ending normalised to a newline.
        content_hash: SHA-256 of ``text``; changes exactly when the content changes.
    """

    id: str
    source: str
    title: str
    text: str
    content_hash: str


def content_hash(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_document(source: str, text: str) -> Document:
    """Build a :class:`Document` from its source name and raw text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _TITLE.search(normalised)
    title = match.group("title") if match else Path(source).stem.replace("-", " ").replace("_", " ")
    return Document(
        id=source,
        source=source,
        title=title,
        text=normalised,
        content_hash=content_hash(normalised),
    )


def _matching_files(directory: Path, include: Iterable[str]) -> list[Path]:
    found = {path for pattern in include for path in directory.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


def load_documents(
    directory: Path, include: Sequence[str] = ("**/*.md", "**/*.txt")
) -> list[Document]:
    """Read every file of ``directory`` matching one of the ``include`` globs, sorted by path.

    Empty files are skipped. Files are decoded as UTF-8.

    Raises:
        FileNotFoundError: ``directory`` does not exist or is not a directory.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"corpus directory {directory} does not exist")
    documents = []
    for path in _matching_files(directory, include):
        text = path.read_text(encoding="utf-8")
        if text.strip():
            documents.append(make_document(path.relative_to(directory).as_posix(), text))
    return documents
