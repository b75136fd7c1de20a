"""Any OpenAI-protocol ``/embeddings`` endpoint: OpenAI, vLLM, Ollama, LiteLLM, the fake server."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.settings import external_variable
from ._base import Vectors, empty, normalise

if TYPE_CHECKING:
    import httpx

DEFAULT_MODEL = "text-embedding-3-small"
OPENAI_BASE_URL = "https://api.openai.com/v1"
# Answers worth another try (as the OpenAI SDK does): timeout, conflict, rate limit, server errors.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_BACKOFF_SECONDS = 8.0


class OpenAIEmbedder:
    """Embeds through ``POST <base_url>/embeddings``, ``batch_size`` texts per request.

    ``base_url=None`` means OpenAI's own API; only then does an empty ``api_key`` fall back to the
    ``OPENAI_API_KEY`` variable, from the environment or ``.env`` (a self-hosted endpoint never
    receives that key). Rate limits and server errors are retried ``max_retries`` times, honouring
    ``Retry-After``; then the HTTP error (:class:`httpx.HTTPStatusError`, naming the status and
    URL) is raised.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        base_url: str | None = None,
        api_key: str = "",
        batch_size: int = 32,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx  # noqa: PLC0415 - only for this embedder

        if base_url is None:
            api_key = api_key or external_variable("OPENAI_API_KEY")
        self._model = model
        self._url = (base_url or OPENAI_BASE_URL).rstrip("/") + "/embeddings"
        self._batch_size = batch_size
        self._max_retries = max_retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_seconds, transport=transport)
        self._dimension: int | None = None

    @property
    def name(self) -> str:
        """``openai-<model>``."""
        return f"openai-{self._model}"

    @property
    def dimension(self) -> int:
        """Length of every vector (asks the endpoint once)."""
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension probe"]).shape[1])
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts``, one request per batch, L2-normalised."""
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            data = self._post(list(texts[start : start + self._batch_size]))["data"]
            rows.extend(item["embedding"] for item in sorted(data, key=lambda item: item["index"]))
        if not rows:
            return empty(self._dimension or 0)
        vectors = normalise(rows)
        self._dimension = int(vectors.shape[1])
        return vectors

    def _post(self, batch: list[str]) -> Any:
        import httpx  # noqa: PLC0415 - imported by __init__ already

        payload = {"model": self._model, "input": batch}
        for attempt in range(self._max_retries):
            try:
                response = self._client.post(self._url, json=payload)
            except httpx.TransportError:
                time.sleep(_backoff(attempt, None))
                continue
            if response.status_code not in RETRY_STATUSES:
                break
            time.sleep(_backoff(attempt, response.headers.get("retry-after")))
        else:  # the last try: its transport or HTTP error is raised
            response = self._client.post(self._url, json=payload)
        response.raise_for_status()
        return response.json()


def _backoff(attempt: int, retry_after: str | None) -> float:
    """Seconds to wait before another try: the server's ``Retry-After``, else 0.5 s doubling."""
    try:
        wanted = float(retry_after) if retry_after is not None else None
    except ValueError:
        wanted = None
    return min(wanted if wanted is not None else 0.5 * 2**attempt, MAX_BACKOFF_SECONDS)
