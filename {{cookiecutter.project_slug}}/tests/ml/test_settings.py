from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings, load_settings
from {{ cookiecutter.package_name }}.ml._flows import run_settings
from {{ cookiecutter.package_name }}.ml.settings import SETTINGS, MLSettings


def test_defaults_point_at_the_shipped_sample() -> None:
    core = get_settings()
    settings = core.section("ml", SETTINGS)
    assert settings.target == "churned"
    assert settings.resolve_data_path(core.data_dir).is_file()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TEST_SIZE", "0.3")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__N_ESTIMATORS", "50")
    monkeypatch.setenv(f"{ENV_PREFIX}ML__ID_COLUMNS", '["customer_id"]')
    settings = load_settings().section("ml", MLSettings)
    assert settings.test_size == 0.3
    assert settings.n_estimators == 50
    assert settings.id_columns == ["customer_id"]


def test_invalid_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TEST_SIZE", "1.5")
    with pytest.raises(ValidationError, match="test_size"):
        load_settings()


def test_absolute_data_path_ignores_data_dir(tmp_path: Path) -> None:
    settings = MLSettings(data_path=tmp_path / "x.csv")
    assert settings.resolve_data_path(Path("elsewhere")) == tmp_path / "x.csv"
    assert MLSettings().resolve_data_path(Path("d")) == Path("d/ml/customers.csv")


def test_blank_bentoml_home_means_unset() -> None:
    assert MLSettings.model_validate({"bentoml_home": ""}).bentoml_home is None
    assert MLSettings.model_validate({"bentoml_home": "/x"}).bentoml_home == Path("/x")


def test_schema_files_are_kept_per_source_under_the_artifacts(tmp_path: Path) -> None:
    """Beside the data only when a reviewed file is there; else one file per source."""
    data, artifacts = tmp_path / "data", tmp_path / "artifacts"
    default = MLSettings().resolve_schema_path(data, artifacts)
    assert default.parent == artifacts / "ml" / "schemas"
    assert default.name.startswith("customers-")
    other = MLSettings().resolve_schema_path(data, artifacts, tmp_path / "x" / "customers.csv")
    assert other != default, "same file name, another folder: another source"
    (data / "ml").mkdir(parents=True)
    (data / "ml" / "customers.schema.json").write_text("{}", encoding="utf-8")
    assert (
        MLSettings().resolve_schema_path(data, artifacts) == data / "ml" / "customers.schema.json"
    )
    one = MLSettings(sql_query="SELECT 1").resolve_schema_path(data, artifacts)
    two = MLSettings(sql_query="SELECT 2").resolve_schema_path(data, artifacts)
    assert one.parent == artifacts / "ml" / "schemas"
    assert one.name.startswith("sql-")
    assert one != two, "two queries never share a schema"
    explicit = MLSettings(schema_path=Path("contracts/c.json")).resolve_schema_path(data, artifacts)
    assert explicit == data / "contracts" / "c.json"


def test_sql_url_is_secret() -> None:
    settings = MLSettings.model_validate({"sql_url": "postgresql://u:pw@h/db"})
    assert "pw" not in settings.model_dump_json()
    assert settings.sql_url.get_secret_value().endswith("@h/db")


def test_a_run_budget_overrides_only_the_tuning_settings_it_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__TUNING_TIMEOUT_S", "45")
    get_settings.cache_clear()
    settings = run_settings(tuning_trials=7, tuning_timeout_s=None)
    assert (settings.tuning_trials, settings.tuning_timeout_s) == (7, 45)
    assert run_settings(None, 2.5).tuning_timeout_s == 2.5
