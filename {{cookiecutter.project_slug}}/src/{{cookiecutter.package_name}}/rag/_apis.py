"""JSON API sources: paginated GETs through the guarded :class:`.web.Fetcher`, mapped to documents.

A page is a JSON object; ``items_path`` (dotted) selects its record list and ``next_path`` the next
page URL (absent, null or empty ends the walk). Each record becomes one document with id
``api:<name>/<record id>``; its text is the ``text_fields`` joined under a ``#`` title heading.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from ._documents import Document, make_document
from ._web import Fetcher, FetchError
from .settings import ApiSource


def dotted(value: Any, path: str) -> Any:
    """``dotted({"a": {"b": 1}}, "a.b") == 1``; ``None`` when a step is missing."""
    for step in path.split(".") if path else []:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def record_document(source: ApiSource, record: dict[str, Any], url: str) -> Document | None:
    """Map one API record to a document (``None`` when it has no id or no text)."""
    record_id = dotted(record, source.id_field)
    parts = [dotted(record, name) for name in source.text_fields]
    body = "\n\n".join(str(part) for part in parts if part not in (None, ""))
    if record_id is None or not body.strip():
        return None
    title = str(dotted(record, source.title_field) or f"{source.name} {record_id}")
    doc_id = f"api:{source.name}/{record_id}"
    updated = _timestamp(dotted(record, source.updated_field))
    metadata = {"api": source.name, "record_id": str(record_id)}
    if updated is not None:
        metadata["updated_at"] = updated.isoformat()
    return make_document(
        doc_id,
        f"# {title}\n\n{body}",
        kind="api",
        title=title,
        uri=url,
        doc_id=doc_id,
        metadata=metadata,
        fetched_at=updated or datetime.now(UTC),
    )


def load_api(fetcher: Fetcher, source: ApiSource) -> list[Document]:
    """Walk every page of ``source`` (at most ``max_pages``) and map its records.

    Raises:
        FetchError: a page could not be fetched, was not JSON, or had no record list.
    """
    headers = {}
    token = source.auth_token.get_secret_value()
    if token:
        headers[source.auth_header] = token
    documents: list[Document] = []
    url: str | None = source.url
    for _ in range(source.max_pages):
        if not url:
            break
        response = fetcher.get(url, headers=headers)
        try:
            page = response.json()
        except json.JSONDecodeError as error:
            raise FetchError(f"{url} did not return JSON: {error}") from error
        items = dotted(page, source.items_path)
        if not isinstance(items, list):
            raise FetchError(f"{url}: no list at items_path {source.items_path!r}")
        for item in items:
            if isinstance(item, dict) and (document := record_document(source, item, url)):
                documents.append(document)
        following = dotted(page, source.next_path)
        url = urljoin(url, following) if isinstance(following, str) and following else None
    return documents
