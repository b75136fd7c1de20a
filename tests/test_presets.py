"""presets/*.yml: answer files for common service shapes, usable by both engines.

Each preset is valid, renders with `cookiecutter --config-file` and `copier copy --data-file`, and
both engines produce the same tree holding exactly the preset's pillars.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import helpers

pytestmark = pytest.mark.xdist_group("presets")

PRESETS = sorted((helpers.REPO_ROOT / "presets").glob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_there_is_a_preset_per_common_shape() -> None:
    names = {path.stem for path in PRESETS}
    assert {"tabular-model", "rag-assistant", "agent-service", "full-stack"} <= names


@pytest.mark.parametrize("preset", PRESETS, ids=lambda path: path.stem)
def test_preset_is_valid_for_both_engines(preset: Path) -> None:
    data = _load(preset)
    answers = data.pop("default_context")
    assert data == answers, "copier's top-level answers must equal cookiecutter's default_context"
    known = set(helpers.COOKIECUTTER_JSON) & set(helpers.COPIER_YML)
    assert set(answers) <= known, set(answers) - known
    assert not helpers.template_answers.validate_answers(
        {**helpers.defaults(), **answers}, helpers.MANIFEST
    )
    assert preset.read_text(encoding="utf-8").startswith("# "), "say what the preset is for"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda path: path.stem)
def test_preset_answers_every_pillar_of_the_manifest(preset: Path) -> None:
    """A pillar the preset leaves out would be generated (pillars default to on)."""
    answers = _load(preset)["default_context"]
    missing = [answer for answer in helpers.PILLAR_ANSWERS if answer not in answers]
    assert not missing, f"{preset.name}: answer {', '.join(missing)} (true or false)"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda path: path.stem)
def test_preset_renders_the_same_with_both_engines(
    preset: Path, template_repo: Path, tmp_path: Path
) -> None:
    answers = _load(preset)["default_context"]
    subprocess.run(
        [
            sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(preset),
            "-o", str(tmp_path / "cc"), str(template_repo),
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    cookiecutter_project = tmp_path / "cc" / helpers.SLUG
    copier_project = tmp_path / "copier"
    subprocess.run(
        [
            sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
            "--vcs-ref", "HEAD", "--data-file", str(preset), str(template_repo),
            str(copier_project),
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    package = cookiecutter_project / "src" / helpers.PACKAGE
    for name, pillar in helpers.PILLARS.items():
        assert (package / name).is_dir() is bool(answers.get(pillar["answer"], True)), name
    copier_files = helpers.files_of(copier_project) - helpers.ENGINE_SPECIFIC
    assert helpers.files_of(cookiecutter_project) == copier_files
    recorded = yaml.safe_load((copier_project / ".copier-answers.yml").read_text())
    asked = {key: value for key, value in answers.items() if key in recorded}
    assert asked == {key: recorded[key] for key in asked}
