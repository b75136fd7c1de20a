from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(build_app(), ["ml", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("train", "evaluate", "predict", "schema", "models", "sample", "deploy"):
        assert command in result.output


def test_train_help_documents_its_options() -> None:
    result = runner.invoke(build_app(), ["ml", "train", "--help"])
    assert result.exit_code == 0, result.output
    assert "--data-path" in result.output
    assert "--artifacts-dir" in result.output
    assert "--trials" in result.output
    assert "--timeout" in result.output


def test_schema_shows_the_frozen_contract() -> None:
    result = runner.invoke(build_app(), ["ml", "schema"])
    assert result.exit_code == 0, result.output
    assert "reviewed" in result.output
    assert "month_to_month" in result.output


def test_sample_then_schema_infer_on_new_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new source's schema is written under the artifacts folder, keyed by the source."""
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(tmp_path / "artifacts"))
    get_settings.cache_clear()
    data = tmp_path / "mine.csv"
    result = runner.invoke(build_app(), ["ml", "sample", "--out", str(data), "--rows", "120"])
    assert result.exit_code == 0, result.output
    assert data.is_file()
    result = runner.invoke(build_app(), ["ml", "schema", "--data-path", str(data)])
    assert result.exit_code == 0, result.output
    assert "inferred" in result.output
    assert not (tmp_path / "mine.schema.json").exists(), "nothing written beside the data"
    written = list((tmp_path / "artifacts" / "ml" / "schemas").glob("mine-*.schema.json"))
    assert len(written) == 1
    again = runner.invoke(build_app(), ["ml", "schema", "--data-path", str(data), "--infer"])
    assert "schema v2" in again.output


def test_models_on_an_empty_store() -> None:
    result = runner.invoke(build_app(), ["ml", "models"])
    assert result.exit_code == 0, result.output
    assert "model store" in result.output
