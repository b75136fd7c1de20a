from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.agents._memory import NotesMemory, keywords


def test_memory_finds_notes_by_shared_keywords() -> None:
    memory = NotesMemory(["Buy milk on Friday.", "Friday deploy freeze.", "Call Alice."])
    assert memory.search("what about the deploy on friday") == [
        "Friday deploy freeze.",
        "Buy milk on Friday.",
    ]
    assert memory.search("nothing relevant here") == []


def test_memory_add_rejects_empty_notes() -> None:
    memory = NotesMemory()
    assert memory.add("  The build takes 4 minutes. ") == 1
    assert memory.notes == ["The build takes 4 minutes."]
    with pytest.raises(ValueError, match="empty"):
        memory.add("   ")


def test_keywords_drop_stop_words() -> None:
    assert keywords("What is the Deployment plan?") == {"deployment", "plan"}
