"""The one cache key of the project: a stable digest of a JSON-able payload.

The serving pillar's answer cache and the LLM pillar's response cache both key their entries with
:func:`cache_key`, so the same request always hashes the same way, whichever cache stores it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def cache_key(payload: Any) -> str:
    """The SHA-256 hex digest of ``payload`` as canonical JSON.

    Mapping keys are sorted (their order does not matter), separators are compact and values JSON
    cannot encode go through ``str``.
    """
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
