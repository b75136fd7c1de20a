"""Context assembly: the best hits, numbered, within a token budget, each with its citation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._retrieval import Hit


@dataclass(frozen=True, slots=True)
class Context:
    """Numbered passages ``[1] ...`` for a prompt, and the hits they came from (same order)."""

    text: str
    hits: list[Hit]
    tokens: int


def assemble_context(
    hits: Sequence[Hit], max_tokens: int, count_tokens: Callable[[str], int]
) -> Context:
    """Add hits best-first while they fit in ``max_tokens``; skip those that do not fit.

    Each passage is ``[n] <citation>`` then its text; a hit that alone exceeds the budget is cut
    to fit when nothing was added yet (so the context is never empty when there are hits).
    """
    blocks: list[str] = []
    used: list[Hit] = []
    total = 0
    for hit in hits:
        block = f"[{len(used) + 1}] {hit.citation}\n{hit.text}"
        tokens = count_tokens(block)
        if total + tokens > max_tokens:
            if used:
                continue
            words = block.split(" ")
            while words and count_tokens(" ".join(words)) > max_tokens:
                words = words[: max(1, len(words) * 3 // 4)] if len(words) > 1 else []
            block = " ".join(words)
            tokens = count_tokens(block)
            if not block:
                continue
        blocks.append(block)
        used.append(hit)
        total += tokens
    return Context(text="\n\n".join(blocks), hits=used, tokens=total)
