"""README "Make it yours", rag row: your documents (``RAG__CORPUS_DIR``) read by ``rag index``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX

runner = CliRunner()


def test_rag_index_reads_your_documents_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = tmp_path / "my-documents"
    (documents / "policies").mkdir(parents=True)
    (documents / "policies" / "returns.md").write_text(
        "# Returns\n\n## Window\n\nA bicycle may be returned within 45 days of delivery "
        "for a full refund.\n",
        encoding="utf-8",
    )
    (documents / "workshop.txt").write_text(
        "Our workshop in Ghent repairs electric bikes on Saturdays only.\n", encoding="utf-8"
    )
    (documents / "photo.jpg").write_bytes(b"\xff\xd8 not a document")
    monkeypatch.setenv(f"{ENV_PREFIX}RAG__CORPUS_DIR", str(documents))

    built = runner.invoke(build_app(), ["rag", "index", "--no-progress"])
    found = runner.invoke(build_app(), ["rag", "search", "How long can I return a bicycle?"])

    assert built.exit_code == 0, built.output
    assert "index updated: 2 documents" in built.output
    assert found.exit_code == 0, found.output
    first = found.output.split("  2. ")[0]
    assert "policies/returns.md § Returns > Window" in first
    assert "45 days of delivery" in first
