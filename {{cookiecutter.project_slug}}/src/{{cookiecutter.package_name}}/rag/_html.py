"""Main-content extraction from HTML into Markdown-ish text that keeps the heading structure.

Boilerplate (navigation, headers, footers, scripts, forms) is dropped; the content root is
``<main>``, ``<article>`` or ``[role=main]`` when the page has one, else ``<body>``. Headings become
Markdown headings, so :func:`.chunking.split_sections` keeps HTML sections as section paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DROP = "script, style, noscript, nav, header, footer, aside, form, svg, iframe, template"
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LEAVES = {"p", "li", "pre", "blockquote", "dt", "dd", "figcaption", "tr", "caption"}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """Extracted text (Markdown headings, one block per paragraph) and the page title."""

    text: str
    title: str | None


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _blocks(node: Any, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = _clean(child.text_content or "")
            if text:
                out.append(text)
        elif tag in _HEADINGS:
            text = _clean(child.text(separator=" "))
            if text:
                out.append(f"{'#' * _HEADINGS[tag]} {text}")
        elif tag == "pre":
            out.append(child.text(deep=True).strip("\n"))
        elif tag in _LEAVES:
            text = _clean(child.text(separator=" "))
            if text:
                out.append(f"- {text}" if tag == "li" else text)
        else:
            _blocks(child, out)


def html_to_markdown(html: str) -> HtmlPage:
    """Extract the main content of ``html`` (see the module docstring)."""
    from selectolax.lexbor import LexborHTMLParser  # noqa: PLC0415 - only for HTML sources

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = _clean(title_node.text()) if title_node is not None else None
    for node in tree.css(_DROP):
        node.decompose()
    root = (
        tree.css_first("main")
        or tree.css_first("article")
        or tree.css_first("[role=main]")
        or tree.body
    )
    blocks: list[str] = []
    if root is not None:
        _blocks(root, blocks)
    return HtmlPage(text="\n\n".join(blocks), title=title or None)
