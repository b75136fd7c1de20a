"""Guarded HTTP fetching (SSRF guard, robots.txt, size and time limits) and the web page loader.

Every request, redirects included, goes to a public address unless ``allow_private_urls`` is set:
a host resolving to a private, loopback, link-local, reserved or multicast address is refused
before any connection is made.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from ._documents import Document, make_document
from ._html import html_to_markdown
from .settings import RAGSettings

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
_DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


class FetchError(RuntimeError):
    """A URL could not be fetched (refused by a guard, too large, or an HTTP error)."""


class BlockedURLError(FetchError):
    """The SSRF guard or robots.txt refused the URL."""


def check_public(url: str, allow_private: bool = False) -> None:
    """Refuse non-HTTP(S) URLs and, unless allowed, hosts resolving to non-public addresses.

    Raises:
        BlockedURLError: the URL is refused, with the reason.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedURLError(f"refusing {url!r}: only http(s) URLs with a host are fetched")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise FetchError(f"cannot resolve {parts.hostname!r}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise BlockedURLError(
                f"refusing {url!r}: {parts.hostname} resolves to non-public address {address} "
                "(set rag allow_private_urls=true to allow internal hosts)"
            )


@dataclass(slots=True)
class Fetcher:
    """An HTTP client applying the guards of :class:`RAGSettings` to every request."""

    settings: RAGSettings
    transport: httpx.BaseTransport | None = None
    _robots: dict[str, RobotFileParser] = field(default_factory=dict)
    _client: httpx.Client | None = None

    def client(self) -> httpx.Client:
        """The shared client (created on first use)."""
        if self._client is None:
            import httpx  # noqa: PLC0415 - only when fetching: `rag search` needs no HTTP client

            self._client = httpx.Client(
                timeout=self.settings.fetch_timeout_seconds,
                headers={"User-Agent": self.settings.user_agent},
                follow_redirects=False,
                transport=self.transport,
            )
        return self._client

    def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET ``url`` following redirects, each hop checked; the body is size-limited.

        Raises:
            BlockedURLError: a hop was refused by the SSRF guard.
            FetchError: too many redirects, body too large, or an HTTP error status.
        """
        for _ in range(MAX_REDIRECTS + 1):
            check_public(url, self.settings.allow_private_urls)
            response = self._get_limited(url, headers or {})
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.is_error:
                raise FetchError(f"GET {url} answered HTTP {response.status_code}")
            return response
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _get_limited(self, url: str, headers: dict[str, str]) -> httpx.Response:
        import httpx  # noqa: PLC0415 - see client()

        limit = self.settings.fetch_max_bytes
        try:
            with self.client().stream("GET", url, headers=headers) as response:
                body = bytearray()
                for piece in response.iter_bytes():
                    body.extend(piece)
                    if len(body) > limit:
                        raise FetchError(f"{url} is larger than fetch_max_bytes={limit}")
        except httpx.HTTPError as error:
            raise FetchError(f"GET {url} failed: {error}") from error
        return httpx.Response(
            response.status_code, headers=response.headers, content=bytes(body), request=None
        )

    def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt of the URL's site lets our user agent fetch it.

        A missing robots.txt (4xx) allows everything; an unreachable one (5xx, network error)
        disallows everything, as RFC 9309 asks.
        """
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(site)
        if parser is None:
            parser = RobotFileParser()
            try:
                check_public(site, self.settings.allow_private_urls)
                response = self._get_limited(f"{site}/robots.txt", {})
            except FetchError:
                parser.parse(_DISALLOW_ALL)
            else:
                if response.status_code >= 500:  # noqa: PLR2004
                    parser.parse(_DISALLOW_ALL)
                elif response.status_code >= 400:  # noqa: PLR2004
                    parser.parse([])
                else:
                    parser.parse(response.text.splitlines())
            self._robots[site] = parser
        return parser.can_fetch(self.settings.user_agent, url)


def fetch_page(fetcher: Fetcher, url: str) -> Document | None:
    """Fetch one web page and extract its main content (``None`` when it has no text).

    Raises:
        BlockedURLError: refused by the SSRF guard or robots.txt.
        FetchError: the page could not be fetched.
    """
    check_public(url, fetcher.settings.allow_private_urls)
    if fetcher.settings.respect_robots and not fetcher.allowed_by_robots(url):
        raise BlockedURLError(f"robots.txt disallows {url} for {fetcher.settings.user_agent!r}")
    response = fetcher.get(url)
    content_type = response.headers.get("content-type", "text/html")
    if "html" in content_type:
        page = html_to_markdown(response.text)
        text, title = page.text, page.title
    else:
        text, title = response.text, None
    if not text.strip():
        return None
    metadata: dict[str, Any] = {"content_type": content_type.split(";")[0].strip()}
    return make_document(
        url,
        text,
        kind="web",
        title=title or urlsplit(url).path.rsplit("/", 1)[-1] or urlsplit(url).netloc,
        uri=url,
        metadata=metadata,
        fetched_at=datetime.now(UTC),
    )


def load_web_pages(fetcher: Fetcher, urls: list[str]) -> list[Document]:
    """Fetch every URL (errors propagate: an unreachable source must not silently vanish)."""
    return [document for url in urls if (document := fetch_page(fetcher, url)) is not None]
