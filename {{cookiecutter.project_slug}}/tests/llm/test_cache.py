from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.llm._cache import ResponseCache


def test_entries_expire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ResponseCache(tmp_path, ttl_seconds=10, max_entries=5)
    assert cache.get("k") is None
    cache.set("k", {"output": "v"})
    assert cache.get("k") == {"output": "v"}
    later = __import__("time").time() + 11
    monkeypatch.setattr("{{ cookiecutter.package_name }}.llm._cache.time.time", lambda: later)
    assert cache.get("k") is None


def test_oldest_entries_go_past_the_bound(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, ttl_seconds=100, max_entries=2)
    for key in ("a", "b", "c"):
        cache.set(key, key)
    assert len(cache) == 2
    assert cache.get("a") is None
    assert cache.get("c") == "c"
    cache.clear()
    assert len(cache) == 0
