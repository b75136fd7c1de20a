from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag.documents import content_hash, load_documents, make_document

from .conftest import SHIPPED_CORPUS


def test_loads_shipped_corpus_sorted_with_titles() -> None:
    documents = load_documents(SHIPPED_CORPUS)

    sources = [document.source for document in documents]
    assert sources == sorted(sources)
    assert len(documents) >= 5
    titles = {document.source: document.title for document in documents}
    assert titles["on-call-policy.md"] == "On-call policy"
    assert all(document.id == document.source for document in documents)


def test_include_globs_select_files_and_skip_empty(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# Alpha\n\ntext", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("plain words\r\nsecond line", encoding="utf-8")
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")

    documents = load_documents(tmp_path)

    assert [document.source for document in documents] == ["a.md", "sub/b.txt"]
    assert documents[1].title == "b"
    assert documents[1].text == "plain words\nsecond line"
    assert [d.source for d in load_documents(tmp_path, ["*.md"])] == ["a.md"]


def test_content_hash_follows_content_only() -> None:
    first = make_document("x.md", "# T\nbody")
    same = make_document("y.md", "# T\r\nbody")
    other = make_document("x.md", "# T\nbody!")

    assert first.content_hash == same.content_hash == content_hash("# T\nbody")
    assert first.content_hash != other.content_hash


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_documents(tmp_path / "nowhere")
