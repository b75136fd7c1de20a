"""Fixtures of the template test suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import helpers


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed git copy of the working template (copier renders committed files)."""
    return helpers.copy_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def full_tree(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Files of the render that removes nothing: every pillar, every CI provider."""
    project = helpers.render_cookiecutter(tmp_path_factory.mktemp("full"), ci_provider="both")
    return helpers.files_of(project)


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Render with cookiecutter once per distinct set of answers (cached for the session)."""
    cache: dict[tuple[tuple[str, Any], ...], Path] = {}

    def _render(**answers: Any) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            cache[key] = helpers.render_cookiecutter(tmp_path_factory.mktemp("render"), **answers)
        return cache[key]

    return _render
