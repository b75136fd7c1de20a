"""Fixtures of ``/predict`` (loaded for the session by ``tests/conftest.py``).

The live service serves the ml pillar's session model (``trained_model``, tests/ml/fixtures_ml.py).
"""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX


def pytest_service_environment(
    request: pytest.FixtureRequest, live: bool, model: bool
) -> dict[str, str]:
    """A live service serves the session's trained model (unless its tests never score)."""
    if not live or not model:
        return {}
    prefixed = request.getfixturevalue("trained_model").environment()
    return {name.removeprefix(ENV_PREFIX): value for name, value in prefixed.items()}
