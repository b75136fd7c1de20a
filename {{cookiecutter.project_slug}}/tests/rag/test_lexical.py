"""Identifiers in code and docs are searchable by their parts, in both stores."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from {{ cookiecutter.package_name }}.embeddings import WordLlamaEmbedder
from {{ cookiecutter.package_name }}.rag._documents import make_document
from {{ cookiecutter.package_name }}.rag._store import (
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
