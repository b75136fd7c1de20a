from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.serving._schemas import (
    MAX_TEXT_CHARS,
    EchoRequest,
    WordCount,
    describe_text,
)


def test_describe_text_counts_characters_words_lines_and_checksum() -> None:
    text = "The cat saw the dog.\nThe dog ran."
    result = describe_text(EchoRequest(text=text, top_k=2))
    assert result.text == text
    assert result.characters == len(text)
    assert result.words == 8
    assert result.lines == 2
    assert result.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert result.top_words == [WordCount(word="the", count=3), WordCount(word="dog", count=2)]


def test_ties_between_words_are_broken_alphabetically() -> None:
    result = describe_text(EchoRequest(text="b a c", top_k=3))
    assert [item.word for item in result.top_words] == ["a", "b", "c"]


def test_text_without_words_has_no_top_words() -> None:
    result = describe_text(EchoRequest(text="?!"))
    assert (result.words, result.lines, result.top_words) == (0, 1, [])


def test_unicode_is_counted_in_code_points_and_hashed_as_utf8() -> None:
    result = describe_text(EchoRequest(text="héllo wörld"))
    assert result.characters == 11
    assert result.words == 2
    assert result.sha256 == hashlib.sha256("héllo wörld".encode()).hexdigest()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, "text"),
        ({"text": "ok", "top_k": 0}, "top_k"),
        ({"text": "ok", "unexpected": 1}, "unexpected"),
    ],
)
def test_request_limits_are_enforced(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EchoRequest.model_validate(payload)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]
