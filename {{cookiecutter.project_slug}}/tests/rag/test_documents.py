from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.rag._documents import (
    content_hash,
    load_documents,
    make_document,
    scan_documents,
)

from .conftest import SHIPPED_CORPUS


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_loads_shipped_corpus_sorted_with_titles() -> None:
    documents = load_documents(SHIPPED_CORPUS)

    sources = [document.source for document in documents]
    assert sources == sorted(sources)
    assert len(documents) == 6
    titles = {document.source: document.title for document in documents}
    assert titles["on-call-policy.md"] == "On-call policy"
    assert all(document.id == document.source for document in documents)
    assert all(d.kind == "file" and d.uri.startswith("file://") for d in documents)


def test_every_file_type_with_include_and_exclude_globs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# Alpha\n\ntext", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("plain words\r\nsecond line", encoding="utf-8")
    (tmp_path / "c.html").write_text(
        "<title>Gamma page</title><body><h1>Gamma</h1><p>Hello</p></body>", encoding="utf-8"
    )
    (tmp_path / "d.pdf").write_bytes(minimal_pdf("Parking permits are renewed every January."))
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "draft.md").write_text("# Draft", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    include = ["**/*.md", "**/*.txt", "**/*.html", "**/*.pdf"]

    documents = {d.source: d for d in load_documents(tmp_path, include, ["draft.*"])}

    assert sorted(documents) == ["a.md", "c.html", "d.pdf", "sub/b.txt"]
    assert documents["sub/b.txt"].title == "b"
    assert documents["sub/b.txt"].text == "plain words\nsecond line"
    assert documents["c.html"].title == "Gamma page"
    assert documents["c.html"].text == "# Gamma\n\nHello"
    assert "Parking permits" in documents["d.pdf"].text
    assert documents["d.pdf"].metadata == {"suffix": "pdf"}
    assert [d.source for d in load_documents(tmp_path, ["*.md"])] == ["a.md", "draft.md"]


def test_files_no_pattern_takes_are_counted_by_suffix(tmp_path: Path) -> None:
    for name in ("a.md", "guide.rst", "api.rst", "report.docx", "Makefile", "draft.md"):
        (tmp_path / name).write_text("words", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]", encoding="utf-8")
    (tmp_path / ".env").write_text("KEY=1", encoding="utf-8")

    loaded = scan_documents(tmp_path, ["*.md"], ["draft.*"])

    assert [d.source for d in loaded.documents] == ["a.md"]
    # What a user may have expected to be searchable; excluded and hidden files are not listed.
    assert loaded.unmatched == {".rst": 2, ".docx": 1, "(no suffix)": 1}
    everything = scan_documents(tmp_path, ["**/*"], ["draft.*"])
    assert everything.unmatched == {}
    # Hidden files are never read, so no secret in .env or object in .git becomes searchable.
    assert [d.source for d in everything.documents] == [
        "Makefile",
        "a.md",
        "api.rst",
        "guide.rst",
        "report.docx",
    ]


def test_content_hash_follows_content_only() -> None:
    first = make_document("x.md", "# T\nbody")
    same = make_document("y.md", "# T\r\nbody")
    other = make_document("x.md", "# T\nbody!")

    assert first.content_hash == same.content_hash == content_hash("# T\nbody")
    assert first.content_hash != other.content_hash


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_documents(tmp_path / "nowhere")
