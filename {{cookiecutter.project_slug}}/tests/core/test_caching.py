from __future__ import annotations

from datetime import date

from {{ cookiecutter.package_name }}.core import cache_key


def test_keys_ignore_mapping_order() -> None:
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"model": "m", "settings": {"a": 1, "b": 2}}) == cache_key(
        {"settings": {"b": 2, "a": 1}, "model": "m"}
    )


def test_any_changed_value_changes_the_key() -> None:
    assert cache_key({"model": "m", "prompt": "p"}) != cache_key({"model": "m", "prompt": "q"})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_values_json_cannot_encode_are_keyed_by_their_text() -> None:
    assert cache_key({"day": date(2025, 1, 31)}) == cache_key({"day": "2025-01-31"})


def test_a_key_is_a_sha256_hex_digest() -> None:
    key = cache_key(["anything"])
    assert len(key) == 64
    assert int(key, 16) >= 0
