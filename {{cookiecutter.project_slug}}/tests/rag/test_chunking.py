from __future__ import annotations

import itertools

import pytest

from {{ cookiecutter.package_name }}.rag.chunking import (
    chunk_document,
    count_tokens,
    split_sections,
    token_windows,
)
from {{ cookiecutter.package_name }}.rag.documents import make_document

from .conftest import MAX_TOKENS, corpus_chunks

MARKDOWN = """# Guide

Intro text.

## Install

Run the installer.

```bash
# not a heading
make install
```

### Linux

Use the package.

## Empty

## Usage ##

Call it.
"""


def test_sections_keep_heading_paths_and_ignore_code_fences() -> None:
    sections = split_sections(MARKDOWN)

    assert [section.path for section in sections] == [
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "Linux"),
        ("Guide", "Usage"),
    ]
    assert "# not a heading" in sections[1].text
    assert sections[3].text == "Call it."


def test_text_before_first_heading_has_empty_path() -> None:
    assert split_sections("preface\n# Title\nbody")[0].path == ()


def test_windows_are_bounded_and_overlap() -> None:
    text = " ".join(f"w{i}" for i in range(100))

    windows = list(token_windows(text, max_tokens=30, overlap=10))

    assert all(n <= 30 for _, n in windows)
    assert [count_tokens(window) for window, _ in windows] == [n for _, n in windows]
    words = [window.split() for window, _ in windows]
    for previous, following in itertools.pairwise(words):
        assert previous[-10:] == following[:10]
    assert words[0][0] == "w0"
    assert words[-1][-1] == "w99"
    assert len(windows) == 5


def test_short_text_is_one_window_and_bad_bounds_fail() -> None:
    assert list(token_windows("a b c", 10, 2)) == [("a b c", 3)]
    with pytest.raises(ValueError, match="overlap"):
        list(token_windows("a b c", 4, 4))


def test_chunks_of_long_section_respect_bounds_and_keep_section() -> None:
    body = "\n".join(f"Line {i} of the long section." for i in range(60))
    document = make_document("long.md", f"# Long\n\n## Part\n\n{body}\n")

    chunks = chunk_document(document, max_tokens=50, overlap=5)

    assert len(chunks) > 1
    assert all(chunk.n_tokens <= 50 for chunk in chunks)
    assert {chunk.section for chunk in chunks} == {("Long", "Part")}
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    assert chunks[0].search_text.startswith("Long > Part\n\n")


def test_chunk_ids_are_stable_and_change_with_text() -> None:
    document = make_document("doc.md", MARKDOWN)
    changed = make_document("doc.md", MARKDOWN.replace("Call it.", "Call it twice."))

    first = chunk_document(document, 20, 5)
    again = chunk_document(document, 20, 5)
    edited = chunk_document(changed, 20, 5)

    assert [c.id for c in first] == [c.id for c in again]
    assert [c.id for c in first[:-1]] == [c.id for c in edited[:-1]]
    assert first[-1].id != edited[-1].id


def test_shipped_corpus_chunks_are_unique_bounded_and_titled() -> None:
    chunks = corpus_chunks()

    assert len({chunk.id for chunk in chunks}) == len(chunks)
    assert all(0 < chunk.n_tokens <= MAX_TOKENS for chunk in chunks)
    assert all(chunk.section and chunk.section[0] == chunk.title for chunk in chunks)
