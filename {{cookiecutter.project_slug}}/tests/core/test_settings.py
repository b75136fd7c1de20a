from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from {{ cookiecutter.package_name }}.core.pillars import installed_pillars
from {{ cookiecutter.package_name }}.core.settings import (
    CORE_SECTIONS,
    ENV_PREFIX,
    CoreSettings,
    Environment,
    core_sections,
    get_settings,
    load_settings,
    pillar_sections,
)
from tests.conftest import PROJECT_ROOT


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ENVIRONMENT", "prod")
    monkeypatch.setenv(f"{ENV_PREFIX}LOG_LEVEL", "WARNING")
    settings = load_settings()
    assert settings.environment is Environment.PROD
    assert settings.log_level == "WARNING"


def test_invalid_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ENVIRONMENT", "production-ish")
    with pytest.raises(ValidationError, match="environment"):
        load_settings()


def test_dotenv_file_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"{ENV_PREFIX}LOG_FORMAT=json\n", encoding="utf-8")
    assert load_settings().log_format == "json"


def test_get_settings_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv(f"{ENV_PREFIX}LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    assert get_settings().log_level == "ERROR"


def test_every_installed_pillar_has_a_settings_section() -> None:
    settings = load_settings()
    sections = pillar_sections()
    assert sorted(sections) == sorted(installed_pillars())
    for name, model in sections.items():
        assert isinstance(settings.section(name, model), model)


def test_core_sections_are_always_present() -> None:
    settings = load_settings()
    sections = core_sections()
    assert sorted(sections) == sorted(CORE_SECTIONS)
    for name, model in sections.items():
        assert isinstance(settings.section(name, model), model)


def test_absent_section_is_a_clear_error() -> None:
    class Missing(BaseModel):
        pass

    with pytest.raises(LookupError, match="not present"):
        load_settings().section("no_such_pillar", Missing)


def _variables(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for field, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_variables(annotation, f"{prefix}{field.upper()}__"))
        else:
            names.append(f"{prefix}{field.upper()}")
    return names


def test_env_example_documents_every_setting() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    settings_cls = type(load_settings())
    assert issubclass(settings_cls, CoreSettings)
    missing = sorted(set(_variables(settings_cls, ENV_PREFIX)) - documented)
    assert not missing, f".env.example lacks {missing}"
