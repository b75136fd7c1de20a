from __future__ import annotations

import os

import pytest

from {{ cookiecutter.package_name }}.core.prefect_defaults import (
    EPHEMERAL_STARTUP_TIMEOUT,
    NO_ANALYTICS,
    set_prefect_defaults,
)


def test_missing_variables_get_the_defaults_and_set_ones_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(NO_ANALYTICS[0], raising=False)
    monkeypatch.setenv(EPHEMERAL_STARTUP_TIMEOUT[0], "300")

    set_prefect_defaults()

    assert os.environ[NO_ANALYTICS[0]] == "false"
    assert os.environ[EPHEMERAL_STARTUP_TIMEOUT[0]] == "300"
