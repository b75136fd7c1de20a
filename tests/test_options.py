"""The non-pillar options (python_version, license, ci_provider, llm_provider), covered pairwise.

`vector_store` is covered in test_render (both values render) and test_generated (the RAG-only
project's suite runs against each store).
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests import helpers

OPTIONS = {
    name: list(helpers.COOKIECUTTER_JSON[name])
    for name in ("python_version", "license", "ci_provider", "llm_provider")
}
ROWS = helpers.pairwise(OPTIONS)
LICENSE_MARKERS = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Proprietary": "All rights reserved",
}


def test_pairwise_rows_cover_every_pair() -> None:
    for a, b in itertools.combinations(OPTIONS, 2):
        seen = {(row[a], row[b]) for row in ROWS}
        assert seen == {(x, y) for x in OPTIONS[a] for y in OPTIONS[b]}
    assert len(ROWS) < len(OPTIONS["license"]) * len(OPTIONS["llm_provider"]) * 2


@pytest.mark.parametrize("row", ROWS, ids=lambda row: "-".join(row.values()))
def test_option_row(row: dict[str, str], render: Callable[..., Path]) -> None:
    project = render(**helpers.only("llm", "agents"), **row)
    version = row["python_version"]
    assert (project / ".python-version").read_text().strip() == version
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
    assert pyproject["tool"]["mypy"]["python_version"] == version
    license_text = (project / "LICENSE").read_text()
    assert LICENSE_MARKERS[row["license"]] in license_text
    for other, marker in LICENSE_MARKERS.items():
        if other != row["license"]:
            assert marker not in license_text
    llm_defaults = project / "src" / "my_ai_service" / "llm" / "defaults.toml"
    assert tomllib.loads(llm_defaults.read_text())["provider"] == row["llm_provider"]
    env_example = (project / ".env.example").read_text()
    assert f"MY_AI_SERVICE_LLM__PROVIDER={row['llm_provider']}\n" in env_example
    github = project / ".github" / "workflows" / "ci.yml"
    gitlab = project / ".gitlab-ci.yml"
    assert github.exists() == (row["ci_provider"] in {"github", "both"})
    assert gitlab.exists() == (row["ci_provider"] in {"gitlab", "both"})
    for ci_file in (github, gitlab):
        if ci_file.exists():
            _ci_calls_only_make_targets(ci_file, project)


def _ci_calls_only_make_targets(ci_file: Path, project: Path) -> None:
    """Every CI job step that runs something calls `make <target>` with an existing target."""
    makefiles = [project / "Makefile", *sorted((project / "make").glob("*.mk"))]
    makefile = "\n".join(path.read_text() for path in makefiles)
    config = yaml.safe_load(ci_file.read_text())
    commands: list[str] = []
    if ci_file.name == "ci.yml":
        for job in config["jobs"].values():
            commands += [step["run"] for step in job["steps"] if "run" in step]
    else:
        for name, job in config.items():
            if isinstance(job, dict) and "script" in job and name != "default":
                commands += job["script"]
    assert commands
    for command in commands:
        assert command.startswith("make "), command
        for target in command.split()[1:]:
            assert f"\n{target}:" in makefile, f"{ci_file.name} calls missing target {target}"
