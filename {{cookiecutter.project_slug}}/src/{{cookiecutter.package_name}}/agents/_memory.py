"""Short-term memory (a token-budgeted window) and the notes store the tools search and write.

:class:`NotesMemory` lives in the agent's ``deps``, so each run (or each conversation, if you keep
the deps) has its own notes. Search is keyword overlap: deterministic, dependency-free and good
enough for a handful of notes; the RAG pillar's ``rag_search`` tool covers a real corpus.
:class:`ShortTermMemory` is what a role sees of the run so far. The long-term, episodic memory is
in :mod:`._episodes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "about", "do", "does", "for", "how", "i", "in", "is", "it", "my"}
    | {"of", "on", "say", "the", "to", "what", "when", "where", "which", "who", "why", "with"}
)

DEFAULT_NOTES: tuple[str, ...] = (
    "Deployment: build the container image, push it, then roll it out with the Helm chart.",
    "The service reads settings from environment variables with the package-name prefix.",
    "On-call rotation changes every Monday at 09:00 UTC.",
    "The LLM pillar talks to any OpenAI-compatible server through LLM__BASE_URL.",
    "Agents are limited by AGENTS__MAX_STEPS model requests and AGENTS__MAX_SECONDS seconds.",
)


def keywords(text: str) -> set[str]:
    """Lower-case words of ``text`` without common stop words."""
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


@dataclass
class NotesMemory:
    """Notes in insertion order, searched by shared keywords."""

    notes: list[str] = field(default_factory=list)

    @classmethod
    def with_defaults(cls) -> NotesMemory:
        """A memory holding the embedded sample notes."""
        return cls(list(DEFAULT_NOTES))

    def add(self, note: str) -> int:
        """Store ``note``; returns how many notes the memory holds."""
        text = note.strip()
        if not text:
            raise ValueError("a note cannot be empty")
        self.notes.append(text)
        return len(self.notes)

    def search(self, query: str, limit: int = 3) -> list[str]:
        """The ``limit`` notes sharing most keywords with ``query`` (ties: oldest first)."""
        wanted = keywords(query)
        scored = [(len(wanted & keywords(note)), index) for index, note in enumerate(self.notes)]
        best = sorted((item for item in scored if item[0] > 0), key=lambda s: (-s[0], s[1]))
        return [self.notes[index] for _, index in best[:limit]]


def estimate_tokens(text: str) -> int:
    """A provider-neutral token estimate: about four characters per token."""
    return len(text) // 4 + 1


@dataclass
class ShortTermMemory:
    """The recent conversation of a run, trimmed to a token budget (newest entries kept)."""

    budget_tokens: int
    entries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, speaker: str, text: str) -> None:
        """Append one entry (who said it, what)."""
        self.entries.append((speaker, text))

    def window(self) -> list[tuple[str, str]]:
        """The newest entries whose estimated tokens fit the budget, oldest first."""
        kept: list[tuple[str, str]] = []
        spent = 0
        for speaker, text in reversed(self.entries):
            cost = estimate_tokens(text)
            if spent + cost > self.budget_tokens:
                break
            kept.append((speaker, text))
            spent += cost
        return kept[::-1]

    def render(self) -> str:
        """The window as lines ``[speaker] text``; notes how many older entries were dropped."""
        window = self.window()
        dropped = len(self.entries) - len(window)
        lines = [f"({dropped} earlier entries omitted)"] if dropped else []
        lines += [f"[{speaker}] {text}" for speaker, text in window]
        return "\n".join(lines)
