"""The :class:`Document` record every loader returns, and the file loader.

Loaders for files, web pages (:mod:`._web`) and JSON APIs (:mod:`._apis`) all return documents, so
chunking and indexing do not care where a text came from.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ._html import html_to_markdown

_TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Document:
    """One source document.

    Attributes:
        id: Stable identifier (relative path, URL or ``api:<name>/<id>``); kept when text changes.
        source: What citations show: relative path or URL.
        title: The first level-one Markdown heading, or a name derived from the source.
        text: The full text as Markdown-ish plain text, line endings normalised to newlines.
        content_hash: SHA-256 of ``text``; changes exactly when the content changes.
        kind: ``file``, ``web`` or ``api``.
        uri: Where it was read from (``file://...``, ``https://...``).
        metadata: Free string metadata (filterable after indexing as ``meta.<key>``).
        fetched_at: When it was read (for files: the modification time).
    """

    id: str
    source: str
    title: str
    text: str
    content_hash: str
    kind: str = "file"
    uri: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def content_hash(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stem_title(source: str) -> str:
    return Path(source).stem.replace("-", " ").replace("_", " ")


def make_document(
    source: str,
    text: str,
    *,
    kind: str = "file",
    title: str | None = None,
    uri: str | None = None,
    doc_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
    fetched_at: datetime | None = None,
) -> Document:
    """Build a :class:`Document` from its source name and raw text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if title is None:
        match = _TITLE.search(normalised)
        title = match.group("title") if match else _stem_title(source)
    return Document(
        id=doc_id or source,
        source=source,
        title=title,
        text=normalised,
        content_hash=content_hash(normalised),
        kind=kind,
        uri=uri or source,
        metadata=dict(metadata or {}),
        fetched_at=fetched_at or datetime.now(UTC),
    )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A source that could not be read: the rest is indexed, its old chunks are kept.

    Attributes:
        source: The file's relative path, the URL or ``api:<name>``.
        reason: What went wrong, for a person to act on.
        prefix: ``source`` is a prefix of document ids (an API source's ``api:<name>/...``).
    """

    source: str
    reason: str
    prefix: bool = False

    def covers(self, document_id: str) -> bool:
        """Whether ``document_id`` came from this source (its indexed chunks are kept)."""
        return document_id == self.source or (
            self.prefix and document_id.startswith(self.source + "/")
        )


@dataclass(slots=True)
class Loaded:
    """What the loaders read.

    The documents, the sources they skipped, and how many files of the corpus (by suffix) no
    include pattern took.
    """

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unmatched: dict[str, int] = field(default_factory=dict)


class UnreadableFileError(ValueError):
    """A file that is binary, not valid UTF-8 or not a parseable PDF."""


def _matching_files(
    directory: Path, include: Iterable[str], exclude: Iterable[str]
) -> tuple[list[tuple[str, Path]], set[str]]:
    """``(relative POSIX path, path)`` of the matching files, and the paths a pattern named.

    The files come by relative path; the named paths are those included or excluded.
    """
    found = {path for pattern in include for path in directory.glob(pattern) if path.is_file()}
    skipped = {path for pattern in exclude for path in directory.glob(pattern)}
    named = {str(path) for path in found | skipped}
    chosen = ((_relative(path, directory), path) for path in found - skipped)
    # Hidden files and folders (.env, .git) are never indexed, even by a pattern like **/*.
    return sorted(item for item in chosen if not _hidden(item[0])), named


def _hidden(relative: str) -> bool:
    return relative.startswith(".") or "/." in relative


def _unmatched(directory: Path, named: set[str]) -> dict[str, int]:
    """How many files under ``directory`` no pattern named, by suffix, most first.

    Hidden files and folders (``.git``) are left out.
    """
    counts: Counter[str] = Counter()
    for root, folders, files in os.walk(directory):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.join(root, name) not in named:
                counts[os.path.splitext(name)[1].lower() or "(no suffix)"] += 1
    return dict(counts.most_common())


def _relative(path: Path, directory: Path) -> str:
    """``path`` relative to ``directory`` as a POSIX path (glob results start with it)."""
    prefix = "" if str(directory) == "." else os.path.join(str(directory), "")
    text = str(path)
    if prefix and not text.startswith(prefix):
        return path.relative_to(directory).as_posix()
    return text[len(prefix) :].replace(os.sep, "/")


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableFileError("binary content (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFileError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start});"
            " re-save it as UTF-8 or exclude it"
        ) from error


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader  # noqa: PLC0415 - only when a PDF is indexed
    from pypdf.errors import PyPdfError  # noqa: PLC0415

    try:
        reader = PdfReader(path)
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise UnreadableFileError(
            f"not a readable PDF ({type(error).__name__}: {error})"
        ) from error


def read_file(path: Path, source: str, resolved: Path | None = None) -> Document | None:
    """Read one Markdown, text, HTML or PDF file; ``None`` when it has no text.

    ``resolved`` is ``path`` with its symlinks resolved, when the caller knows it (the URI).

    Raises:
        UnreadableFileError: binary content, invalid UTF-8 or a broken PDF.
    """
    suffix = path.suffix.lower()
    title: str | None = None
    if suffix == ".pdf":
        text = _read_pdf(path)
    elif suffix in {".html", ".htm"}:
        page = html_to_markdown(path.read_text(encoding="utf-8", errors="replace"))
        text, title = page.text, page.title
    else:
        text = _decode(path.read_bytes())
    if not text.strip():
        return None
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return make_document(
        source,
        text,
        title=title,
        uri=(resolved or path.resolve()).as_uri(),
        metadata={"suffix": suffix.lstrip(".")},
        fetched_at=modified,
    )


class _Resolver:
    """``Path.resolve`` for many files of few folders: each folder is resolved once."""

    def __init__(self) -> None:
        self._folders: dict[str, Path] = {}

    def __call__(self, path: Path) -> Path:
        if path.is_symlink():
            return path.resolve()
        parent, name = os.path.split(path)  # strings: Path.parent builds and hashes a new Path
        folder = self._folders.get(parent)
        if folder is None:
            folder = self._folders[parent] = Path(parent).resolve()
        return folder / name


def scan_documents(
    directory: Path,
    include: Sequence[str] = ("**/*.md", "**/*.txt"),
    exclude: Sequence[str] = (),
    *,
    follow_external_symlinks: bool = False,
) -> Loaded:
    """Read every file of ``directory`` matching ``include`` and no ``exclude`` glob, by path.

    Empty files are left out. A file that cannot be read (binary, invalid UTF-8, broken PDF, no
    permission) and a symlink leading outside ``directory`` (unless ``follow_external_symlinks``)
    is skipped and listed in :attr:`Loaded.skipped` with the reason; the others are read.

    Raises:
        FileNotFoundError: ``directory`` does not exist or is not a directory.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"corpus directory {directory} does not exist")
    # Resolved paths have no `..`: a file is inside the root when its path starts with it (a
    # string test; Path.is_relative_to compares with every parent, a quarter of the scan).
    inside = os.path.join(directory.resolve(), "")
    resolve = _Resolver()
    matching, named = _matching_files(directory, include, exclude)
    loaded = Loaded(unmatched=_unmatched(directory, named))
    for source, path in matching:
        resolved = resolve(path)
        if not follow_external_symlinks and not str(resolved).startswith(inside):
            reason = "a symlink to outside the corpus (set rag follow_external_symlinks to allow)"
            loaded.skipped.append(Skipped(source, reason))
            continue
        try:
            document = read_file(path, source, resolved)
        except (UnreadableFileError, OSError) as error:
            loaded.skipped.append(Skipped(source, str(error)))
            continue
        if document is not None:
            loaded.documents.append(document)
    return loaded


def load_documents(
    directory: Path,
    include: Sequence[str] = ("**/*.md", "**/*.txt"),
    exclude: Sequence[str] = (),
) -> list[Document]:
    """The documents :func:`scan_documents` reads (skipped files left out).

    Raises:
        FileNotFoundError: ``directory`` does not exist or is not a directory.
    """
    return scan_documents(directory, include, exclude).documents
