"""Identifiers in code and docs are searchable by their parts, in both stores."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag._documents import make_document
from {{ cookiecutter.package_name }}.rag._store import (
    _COMPOUND,
    _PIECES,
    VectorStore,
    identifier_parts,
    lexical_text,
    query_words,
)

from .conftest import STORES, index


def test_compound_identifiers_are_split_into_their_parts() -> None:
    text = "Call http_client.BlockingPortal.start_task or parseHTTPHeader, e.g. 1.2.3 or plain."

    assert identifier_parts(text) == [
        *("http", "client", "blocking", "portal", "start", "task"),
        *("parse", "http", "header"),
        *("e", "g"),
    ]
    assert lexical_text("plain words only") == "plain words only"
    assert lexical_text(text).startswith(text + "\n")
    assert query_words("what does start_task do?") == "what does start_task do start task"


def _parts_by_the_compound_pattern_alone(text: str) -> list[str]:
    """The reference: the compound pattern run over the whole text (slow on long texts)."""
    parts: list[str] = []
    for match in _COMPOUND.finditer(text):
        pieces = _PIECES.findall(match.group())
        if len(pieces) > 1:
            parts += (piece.lower() for piece in pieces)
    return parts


def test_looking_only_inside_identifier_runs_finds_the_same_parts() -> None:
    """The fast path (the compound pattern only inside runs that can hold a compound) finds
    exactly what the compound pattern finds over the whole text."""
    rng = random.Random(16)  # noqa: S311 - test strings, not secrets
    alphabet = "aZ_.9 \n(Bé"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += ["_x", "a.", ".a", "x9Y", "foo.bar.Baz", "__init__", "9fooBar", "x..y", "aé_b", ""]
    texts.append(re.sub(r"\s+", " ", _COMPOUND.pattern * 3))

    for text in texts:
        assert identifier_parts(text) == _parts_by_the_compound_pattern_alone(text), text


@pytest.mark.parametrize("kind", STORES)
def test_a_dotted_name_is_found_by_the_words_of_its_parts(
    kind: str, make_store: Callable[[str], VectorStore], embedder: WordLlamaEmbedder
) -> None:
    documents = [
        make_document("portal.md", "# api\n\nSee `anyio.from_thread.BlockingPortal.start_task`."),
        make_document("other.md", "# other\n\nA portal to the task list of the blocking queue."),
        make_document("third.md", "# third\n\nNothing related at all, only weather."),
    ]
    store = make_store(kind)
    index(documents, store, embedder)

    hits = store.text_search("start task in a thread", 3)

    assert hits
    assert hits[0].source == "portal.md"
