from __future__ import annotations

from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.core.cli import build_app


def test_help_lists_the_train_command() -> None:
    result = CliRunner().invoke(build_app(), ["ml", "--help"])
    assert result.exit_code == 0, result.output
    assert "train" in result.output


def test_train_help_documents_its_options() -> None:
    result = CliRunner().invoke(build_app(), ["ml", "train", "--help"])
    assert result.exit_code == 0, result.output
    assert "--data-path" in result.output
    assert "--artifacts-dir" in result.output
