"""Invalid answers stop generation with a message naming the field and leave nothing behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cookiecutter import main
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException

from tests import helpers

template_answers = helpers.template_answers

BAD_ANSWERS = [
    ({"project_slug": "My Service!"}, "project_slug"),
    ({"project_slug": "-leading-dash"}, "project_slug"),
    ({"package_name": "class"}, "package_name"),
    ({"package_name": "match"}, "package_name"),
    ({"package_name": "json"}, "package_name"),
    ({"package_name": "asyncio"}, "package_name"),
    ({"package_name": "bentoml"}, "package_name"),
    ({"package_name": "prefect"}, "package_name"),
    ({"package_name": "pydantic"}, "package_name"),
    ({"package_name": "pydantic_settings"}, "package_name"),
    ({"package_name": "sklearn"}, "package_name"),
    ({"package_name": "2fast"}, "package_name"),
    ({"package_name": "My-Package"}, "package_name"),
    ({"author_email": "not-an-email"}, "author_email"),
    ({"author_email": "a@b"}, "author_email"),
    ({"use_llm": False, "use_agents": True}, "use_agents"),
]
IDS = [f"{field}={next(iter(answers.values()))}" for answers, field in BAD_ANSWERS]


@pytest.mark.parametrize(("answers", "field"), BAD_ANSWERS, ids=IDS)
def test_rules(answers: dict[str, Any], field: str) -> None:
    errors = template_answers.validate_answers({**helpers.defaults(), **answers}, helpers.MANIFEST)
    assert len(errors) == 1
    assert errors[0].startswith(f"{field}:")


def test_defaults_are_valid() -> None:
    assert template_answers.validate_answers(helpers.defaults(), helpers.MANIFEST) == []


def test_wrong_types_and_choices_are_named() -> None:
    answers = {
        **helpers.defaults(),
        "use_ml": "no",
        "license": "GPL",
        "python_version": "2.7",
        "llm_provider": "azure",
        "vector_store": "qdrant",
    }
    fields = {
        error.split(":")[0]
        for error in template_answers.validate_answers(answers, helpers.MANIFEST)
    }
    assert fields == {"use_ml", "license", "python_version", "llm_provider", "vector_store"}


def test_every_dependency_name_is_reserved() -> None:
    reserved = template_answers.reserved_package_names(helpers.MANIFEST)
    for requirement in helpers.MANIFEST["core"]["dependencies"]:
        assert template_answers.requirement_name(requirement) in reserved
    assert {"pydantic_ai_slim", "xgboost_cpu", "xgboost", "bentoml"} <= reserved


@pytest.mark.parametrize(("answers", "field"), BAD_ANSWERS, ids=IDS)
def test_cookiecutter_stops_and_leaves_nothing(
    answers: dict[str, Any], field: str, tmp_path: Path
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as caught:
        helpers.render_cookiecutter(tmp_path, **answers)
    # cookiecutter prints the message of the error (FailedHookException) on stdout, as its own.
    assert f"{field}:" in caught.value.stdout + caught.value.stderr
    assert list(tmp_path.iterdir()) == []


def test_cookiecutter_names_every_invalid_field_before_writing(tmp_path: Path) -> None:
    """The answers are checked when cookiecutter renders the project folder's name, before it
    creates it: over an existing project (--overwrite-if-exists) nothing is written either."""
    project = helpers.render_cookiecutter(tmp_path)
    readme = project / "README.md"
    readme.write_text("the user's README\n")
    before = helpers.files_of(project)
    with pytest.raises(FailedHookException) as caught:
        main.cookiecutter(
            str(helpers.REPO_ROOT),
            no_input=True,
            output_dir=str(tmp_path),
            overwrite_if_exists=True,
            extra_context={"package_name": "class", "author_email": "x"},
        )
    message = str(caught.value)
    assert message.startswith("invalid template answers:")
    assert "package_name: 'class'" in message
    assert "author_email: 'x'" in message
    assert readme.read_text() == "the user's README\n"
    assert helpers.files_of(project) == before


@pytest.mark.parametrize(("answers", "field"), BAD_ANSWERS, ids=IDS)
def test_copier_stops_and_leaves_nothing(
    answers: dict[str, Any], field: str, template_repo: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "out"
    with pytest.raises(subprocess.CalledProcessError) as caught:
        helpers.render_copier(destination, template_repo, **answers)
    assert field in caught.value.stderr
    assert not destination.exists()


def test_the_manifest_survives_json() -> None:
    """The cookiecutter hooks get manifest.yml as JSON (tojson), not as YAML."""
    assert json.loads(json.dumps(helpers.MANIFEST)) == helpers.MANIFEST


@pytest.mark.parametrize(
    ("answers", "status"), [({}, 0), ({"author_email": "x", "use_ml": False}, 1)]
)
def test_post_hook_validates_without_importing_pyyaml(
    answers: dict[str, Any], status: int, tmp_path: Path
) -> None:
    """The post-generation hook checks the answers again before it removes anything (should a
    cookiecutter version not render the project folder's name through the template's check). Its
    process gets the manifest parsed (template_manifest, from hooks/jinja_globals.py): importing
    PyYAML was most of its time."""
    env = StrictEnvironment(context={"cookiecutter": {}}, keep_trailing_newline=True)
    hook = env.from_string((helpers.REPO_ROOT / "hooks" / "post_gen_project.py").read_text())
    script = tmp_path / "post_gen_project.py"
    script.write_text(
        hook.render(
            cookiecutter={**helpers.defaults(), **answers},
            template_hooks_dir=str(helpers.REPO_ROOT / "hooks"),
            template_manifest=helpers.MANIFEST,
        )
    )
    project = tmp_path / "project"
    (project / "src" / helpers.PACKAGE / "ml").mkdir(parents=True)
    run = subprocess.run(
        [sys.executable, "-X", "importtime", str(script)],
        capture_output=True,
        text=True,
        cwd=project,
    )
    assert run.returncode == status
    # The valid answers keep the ml pillar; the invalid ones would remove it, but stop first.
    assert (project / "src" / helpers.PACKAGE / "ml").is_dir()
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "template_lib" in imported
    assert "yaml" not in imported
    if status:
        assert "author_email: 'x' must look like an email address" in run.stderr
