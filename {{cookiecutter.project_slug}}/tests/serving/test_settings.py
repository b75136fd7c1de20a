from __future__ import annotations

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.serving.settings import SETTINGS, ServingSettings


def test_section_is_registered_with_defaults() -> None:
    assert SETTINGS is ServingSettings
    settings = get_settings().section("serving", ServingSettings)
    assert settings.model_dump(exclude={"api_keys"}) == ServingSettings().model_dump(
        exclude={"api_keys"}
    )
    assert settings.auth_enabled
    assert settings.rate_limit_backend == "memory"
    assert settings.host == "127.0.0.1"
    assert settings.service_name


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PORT", "8123")
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__SERVICE_NAME", "api-v2")
    get_settings.cache_clear()
    settings = get_settings().section("serving", ServingSettings)
    assert (settings.port, settings.service_name) == (8123, "api-v2")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 0),
        ("workers", 0),
        ("request_timeout_s", 0),
        ("service_name", "Not Valid"),
        ("api_keys", {"short": "too-short"}),
        ("api_keys", {"bad name!": "x" * 20}),
        ("rate_limit_backend", "memcached"),
    ],
)
def test_invalid_values_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        ServingSettings.model_validate({field: value})
