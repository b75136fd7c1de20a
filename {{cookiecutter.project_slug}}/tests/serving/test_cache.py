from __future__ import annotations

from {{ cookiecutter.package_name }}.serving._cache import TTLCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_ttl() -> None:
    clock = FakeClock()
    cache: TTLCache[str] = TTLCache(max_entries=10, ttl_s=5, clock=clock)
    cache.put("k", "v")
    assert cache.get("k") == "v"
    clock.now = 5.0
    assert cache.get("k") is None
    assert len(cache) == 0


def test_least_recently_used_entry_goes_first() -> None:
    cache: TTLCache[int] = TTLCache(max_entries=2, ttl_s=60)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_size_zero_disables_the_cache() -> None:
    cache: TTLCache[int] = TTLCache(max_entries=0, ttl_s=60)
    cache.put("a", 1)
    assert cache.get("a") is None
