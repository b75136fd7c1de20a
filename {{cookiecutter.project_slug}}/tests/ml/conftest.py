"""Fixtures of the ml tests: Prefect gets a throwaway home and one test server per session."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.ml import data
from tests.conftest import PROJECT_ROOT

# Before any test module imports prefect: no writes to ~/.prefect, no analytics.
_PREFECT_HOME = tempfile.mkdtemp(prefix="prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

SAMPLE_PATH = PROJECT_ROOT / "data" / "ml" / "customers.csv"


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server and database shared by the flow tests (~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE_PATH


@pytest.fixture
def sample() -> pd.DataFrame:
    return data.load_table(SAMPLE_PATH)
