from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.rag._chunking import (
    BatchTokenCounter,
    SpanTokenCounter,
    TokenCounter,
    TokenIdCounter,
    chunk_document,
    chunk_documents,
    count_tokens,
    count_words,
    span_windows,
    split_sections,
    token_windows,
)
from {{ cookiecutter.package_name }}.rag._documents import Document, make_document
from {{ cookiecutter.package_name }}.rag._html import html_to_markdown

from .conftest import SETTINGS

MARKDOWN = """# Handbook

Intro line.

## Paging

Page the primary.

```bash
# not a heading: inside a code fence
page --primary
```

### Escalation

Call it.

## Empty section

# Appendix

Last words.
"""


def test_sections_keep_heading_paths_and_ignore_fenced_hashes() -> None:
    sections = split_sections(MARKDOWN)

    assert [section.path for section in sections] == [
        ("Handbook",),
        ("Handbook", "Paging"),
        ("Handbook", "Paging", "Escalation"),
        ("Appendix",),
    ]
    assert "# not a heading" in sections[1].text


def test_windows_are_token_bounded_overlap_and_cover_the_text(counter: TokenCounter) -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(80))

    windows = list(token_windows(text, max_tokens=40, overlap=8, counter=counter))

    assert len(windows) > 5
    assert all(n <= 40 for _, n in windows)
    assert [counter(window) for window, _ in windows] == [n for _, n in windows]
    assert windows[0][0].startswith("Sentence number 0")
    assert windows[-1][0].endswith("topic 2.")
    first_words = windows[1][0].split()[:3]
    assert " ".join(first_words) in windows[0][0]


def test_short_text_is_one_window_and_bad_bounds_fail() -> None:
    assert list(token_windows("a b c", 10, 2)) == [("a b c", 3)]
    with pytest.raises(ValueError, match="overlap"):
        list(token_windows("a b c", 4, 4))


def test_chunks_of_long_section_respect_bounds_and_keep_section(counter: TokenCounter) -> None:
    body = "\n".join(f"Line {i} of the long section." for i in range(60))
    document = make_document("long.md", f"# Long\n\n## Part\n\n{body}\n")

    chunks = chunk_document(document, max_tokens=50, overlap=5, counter=counter)

    assert len(chunks) > 1
    assert all(chunk.n_tokens <= 50 for chunk in chunks)
    assert {chunk.section for chunk in chunks} == {("Long", "Part")}
    assert [chunk.position for chunk in chunks] == list(range(len(chunks)))
    assert chunks[0].search_text.startswith("Long > Part\n\n")
    assert all(chunk.kind == "file" and chunk.source == "long.md" for chunk in chunks)


def test_chunk_ids_are_stable_and_change_with_text() -> None:
    document = make_document("doc.md", MARKDOWN)
    changed = make_document("doc.md", MARKDOWN.replace("Last words.", "Final words."))

    first = chunk_document(document, 20, 5)
    again = chunk_document(document, 20, 5)
    edited = chunk_document(changed, 20, 5)

    assert [c.id for c in first] == [c.id for c in again]
    assert [c.id for c in first[:-1]] == [c.id for c in edited[:-1]]
    assert first[-1].id != edited[-1].id


def test_html_headings_become_section_paths() -> None:
    page = html_to_markdown(
        "<html><head><title>Travel</title></head><body><nav>Home | About</nav>"
        "<main><h1>Travel guide</h1><p>Read this <b>first</b>.</p><h2>Trains</h2>"
        "<ul><li>Book early</li><li>Sit anywhere</li></ul><script>track()</script></main>"
        "<footer>(c) us</footer></body></html>"
    )

    sections = split_sections(page.text)

    assert page.title == "Travel"
    assert [s.path for s in sections] == [("Travel guide",), ("Travel guide", "Trains")]
    assert sections[1].text == "- Book early\n\n- Sit anywhere"
    assert "Home" not in page.text
    assert "track" not in page.text
    assert "(c)" not in page.text


def test_shipped_corpus_chunks_are_unique_bounded_and_titled(
    shipped_documents: list[Document], counter: TokenCounter
) -> None:
    chunks = chunk_documents(
        shipped_documents, SETTINGS.chunk_max_tokens, SETTINGS.chunk_overlap_tokens, counter
    )

    assert len({chunk.id for chunk in chunks}) == len(chunks)
    assert all(0 < chunk.n_tokens <= SETTINGS.chunk_max_tokens for chunk in chunks)
    assert all(chunk.section and chunk.section[0] == chunk.title for chunk in chunks)
    assert count_words("two words") == 2


def test_batch_counting_gives_the_same_counts_and_chunks_as_one_text_at_a_time(
    shipped_documents: list[Document], counter: TokenCounter
) -> None:
    assert isinstance(counter, BatchTokenCounter)
    texts = [document.text for document in shipped_documents] + ["", "   ", "naïve café 日本"]
    one_by_one = [counter(text) for text in texts]

    assert counter.batch(texts) == one_by_one
    assert count_tokens(counter, texts) == count_tokens(counter.__call__, texts) == one_by_one


def test_the_tokenizer_path_cuts_sections_in_one_pass_within_bounds(
    shipped_documents: list[Document], counter: TokenCounter
) -> None:
    """With token offsets (one batch encode) as with semchunk (counting as it searches), chunks
    are bounded, their counts are the tokenizer's, and every word of a section is kept."""
    assert isinstance(counter, SpanTokenCounter)
    one_pass = chunk_documents(shipped_documents, 60, 10, counter)
    searched = chunk_documents(shipped_documents, 60, 10, counter.__call__)

    for chunks in (one_pass, searched):
        assert max(chunk.position for chunk in chunks) > 0  # some sections were really cut
        assert all(0 < chunk.n_tokens <= 60 for chunk in chunks)
        assert all(abs(counter(chunk.text) - chunk.n_tokens) <= 2 for chunk in chunks)
    for document in shipped_documents:  # every word outside the headings is in some chunk
        lines = document.text.splitlines()
        words = {w for line in lines if not line.startswith("#") for w in line.split()}
        kept = {w for c in one_pass if c.document_id == document.id for w in c.text.split()}
        assert words <= kept


@pytest.mark.parametrize(("max_tokens", "overlap"), [(512, 50), (60, 10), (12, 3)])
def test_chunks_carry_the_token_ids_of_their_search_text_when_asked(
    shipped_documents: list[Document], counter: TokenCounter, max_tokens: int, overlap: int
) -> None:
    """The ids the chunker keeps (heading path and first line tokenised again, the rest reused
    from the section pass) are exactly what tokenising each search text gives; the chunks are
    the same as without ids."""
    assert isinstance(counter, TokenIdCounter)
    long_lines = make_document("long.md", "# Long\n\n" + "word after word, " * 300 + "\nend")
    documents = [*shipped_documents, long_lines]

    plain = chunk_documents(documents, max_tokens, overlap, counter)
    with_ids = chunk_documents(documents, max_tokens, overlap, counter, token_ids=True)

    assert with_ids == plain
    assert all(chunk.token_ids is None for chunk in plain)
    expected = counter.encode_batch([chunk.search_text for chunk in with_ids])
    assert [list(chunk.token_ids) for chunk in with_ids] == [ids for ids, _ in expected]


def test_windows_end_at_the_best_boundary_and_overlap_from_a_word(counter: TokenCounter) -> None:
    assert isinstance(counter, SpanTokenCounter)
    text = (
        "First paragraph here. It has two sentences.\n\n"
        "Second paragraph, a longer one with more words in it to fill the window up.\n"
        "A new line.\n\nThird paragraph."
    )
    spans = counter.spans_batch([text])[0]

    windows = list(span_windows(text, spans, max_tokens=16, overlap=3))

    assert windows[0][0] == "First paragraph here. It has two sentences."
    assert all(n <= 16 for _, n in windows)
    assert windows[-1][0].endswith("Third paragraph.")
    assert all(text.index(piece) >= 0 and piece[0].isalnum() for piece, _ in windows)
