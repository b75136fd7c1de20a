"""README "Make it yours", serving row: your API keys (``SERVING__API_KEYS``) guard the service.

The in-process app is what ``make serve`` runs; the keys come from the environment, as in a
deployment.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.serving.service import asgi_app
from {{ cookiecutter.package_name }}.serving.settings import ServingSettings

from .conftest import API_KEY

WEB_KEY = "web-key-made-up-for-this-test"
CI_KEY = "ci-key-made-up-for-this-test"


def test_the_service_accepts_your_keys_and_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__API_KEYS", json.dumps({"web": WEB_KEY, "ci": CI_KEY}))
    get_settings.cache_clear()

    with TestClient(asgi_app(), raise_server_exceptions=False) as client:
        as_web = client.post("/info", headers={"Authorization": f"Bearer {WEB_KEY}"})
        as_ci = client.post("/info", headers={"x-api-key": CI_KEY})
        as_before = client.post("/info", headers={"x-api-key": API_KEY})
        anonymous = client.post("/info")

    assert (as_web.status_code, as_ci.status_code) == (200, 200)
    assert as_before.status_code == 403  # a key that is not in your setting
    assert anonymous.status_code == 401


def test_a_key_too_short_to_be_safe_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="API key 'web' is shorter than 16 characters"):
        ServingSettings.model_validate({"api_keys": {"web": "short"}})
