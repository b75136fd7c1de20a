"""Token-bucket rate limiting per API key: in memory (one replica) or in Redis (every replica).

A bucket holds up to ``burst`` tokens and refills at ``rate_per_minute / 60`` tokens per second;
each request takes one. An empty bucket answers how long until the next token, which the service
sends as ``Retry-After``. The Redis backend runs the same arithmetic atomically in a Lua script,
with Redis' clock, so replicas share one bucket per key.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, and if not, how many seconds until it could."""

    allowed: bool
    retry_after_s: float = 0.0

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` value: whole seconds, at least 1."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimiter(Protocol):
    """Take one token from ``key``'s bucket."""

    async def hit(self, key: str) -> Decision:
        """Allow or refuse one request of ``key``."""

    async def close(self) -> None:
        """Release connections."""


def _refill(tokens: float, elapsed_s: float, rate_per_s: float, burst: int) -> float:
    return min(float(burst), tokens + max(0.0, elapsed_s) * rate_per_s)


@dataclass
class MemoryRateLimiter:
    """Buckets in this process (one replica, or a limit per replica)."""

    rate_per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    async def hit(self, key: str) -> Decision:
        """Take a token from ``key``'s bucket (created full)."""
        rate = self.rate_per_minute / 60.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = _refill(tokens, now - last, rate, self.burst)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return Decision(allowed=True)
            self._buckets[key] = (tokens, now)
        return Decision(allowed=False, retry_after_s=(1.0 - tokens) / rate)

    async def close(self) -> None:
        """Nothing to release."""


# KEYS[1]: bucket hash; ARGV: rate per second, burst. Returns {allowed, retry-after in ms}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, wait_ms}
"""


@dataclass
class RedisRateLimiter:
    """Buckets in Redis, shared by every replica of the service."""

    url: str
    rate_per_minute: float
    burst: int
    prefix: str = "ratelimit:"
    _client: Redis | None = field(default=None, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)

    def _redis(self) -> Redis:
        # Connections belong to the event loop that opened them (one per worker in production).
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
            self._loop = loop
        return self._client

    async def hit(self, key: str) -> Decision:
        """Take a token from ``key``'s bucket in one atomic script call."""
        rate = self.rate_per_minute / 60.0
        client = self._redis()
        result = await client.eval(
            _BUCKET_SCRIPT, 1, f"{self.prefix}{key}", str(rate), str(self.burst)
        )
        allowed, wait_ms = (int(value) for value in result)
        return Decision(allowed=bool(allowed), retry_after_s=wait_ms / 1000.0)

    async def ping(self) -> bool:
        """Whether Redis answers (the readiness check)."""
        try:
            return bool(await self._redis().ping())
        except OSError:
            return False
        except Exception:
            return False

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
