"""API keys: several named keys (for rotation), checked in constant time.

A client sends its key as ``Authorization: Bearer <key>`` (what OpenAI SDKs send) or as
``x-api-key: <key>``. Only the key's *name* is ever logged or used as a rate-limit bucket.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from pydantic import SecretStr

ANONYMOUS = "anonymous"
# A key in a URL ends up in proxy logs and browser history: refused, and never logged.
QUERY_KEY_NAMES = frozenset(
    {"api_key", "apikey", "api-key", "key", "x-api-key", "token", "access_token", "authorization"}
)
QUERY_KEY_ERROR = "send the API key in the Authorization header, never in the URL"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class KeyRing:
    """The accepted keys, stored as SHA-256 digests and compared in constant time."""

    digests: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_settings(cls, keys: Mapping[str, SecretStr]) -> KeyRing:
        """Build the ring from the ``api_keys`` setting."""
        return cls(tuple((name, _digest(key.get_secret_value())) for name, key in keys.items()))

    def identify(self, presented: str | None) -> str | None:
        """The name of the key ``presented`` matches, or ``None``.

        Every stored key is compared (no early exit), so timing does not tell which, or whether
        any, key matched.
        """
        if not presented:
            return None
        candidate = _digest(presented)
        found: str | None = None
        for name, digest in self.digests:
            if hmac.compare_digest(candidate, digest) and found is None:
                found = name
        return found


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The key a request carries: ``Authorization: Bearer`` first, then ``x-api-key``."""
    bearer: str | None = None
    api_key: str | None = None
    for raw_name, raw_value in headers:
        name = raw_name.lower()
        if name == b"authorization":
            scheme, _, value = raw_value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                bearer = value.strip()
        elif name == b"x-api-key":
            api_key = raw_value.decode("latin-1").strip() or None
    return bearer or api_key


def is_public(path: str, public_paths: Iterable[str]) -> bool:
    """Whether ``path`` is listed as public (an entry ending in ``*`` is a prefix)."""
    for entry in public_paths:
        if entry.endswith("*"):
            if path.startswith(entry[:-1]):
                return True
        elif path == entry:
            return True
    return False


def key_in_query(query: bytes) -> bool:
    """Whether the query string ``query`` carries something named like a credential."""
    if not query:
        return False
    names = {name.lower() for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    return not names.isdisjoint(QUERY_KEY_NAMES)
