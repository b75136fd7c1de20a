"""copier and cookiecutter agree: same questions, same defaults, identical trees."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from tests import helpers

COMBOS = [
    {},
    helpers.only(),
    {"use_llm": False, "use_agents": False, "ci_provider": "gitlab", "license": "Apache-2.0"},
    {
        "use_ml": False,
        "use_serving": False,
        "python_version": "3.13",
        "ci_provider": "none",
        "llm_provider": "anthropic",
        "vector_store": "pgvector",
    },
    {"use_rag": False, "license": "Proprietary", "ci_provider": "both"},
]


def test_same_questions_and_defaults() -> None:
    cookiecutter = {k: v for k, v in helpers.COOKIECUTTER_JSON.items() if not k.startswith("_")}
    copier = {
        k: v
        for k, v in helpers.COPIER_YML.items()
        if not k.startswith("_") and v.get("when") is not False  # computed, never asked
    }
    assert list(cookiecutter) == list(copier)
    for name, value in cookiecutter.items():
        question = copier[name]
        if isinstance(value, list):
            assert question["choices"] == value, name
            assert question["default"] == value[0], name
        elif isinstance(value, bool):
            assert question["type"] == "bool", name
        else:
            assert question["type"] == "str", name
        assert question.get("help"), f"{name} has no help text"
    # The computed `cookiecutter` namespace carries every question.
    computed = helpers.COPIER_YML["cookiecutter"]["default"]
    for name in cookiecutter:
        assert f"'{name}': {name}" in computed


def test_derived_defaults_agree() -> None:
    cookiecutter = helpers.COOKIECUTTER_JSON
    copier = helpers.COPIER_YML
    for name in ("project_slug", "package_name"):
        assert cookiecutter[name].replace("cookiecutter.", "") == copier[name]["default"], name


@pytest.mark.parametrize(
    "answers", COMBOS, ids=lambda a: "-".join(map(str, a.values())) or "defaults"
)
def test_identical_trees(answers: dict[str, object], template_repo: Path, tmp_path: Path) -> None:
    by_cookiecutter = helpers.render_cookiecutter(tmp_path / "cc", template_repo, **answers)
    by_copier = helpers.render_copier(tmp_path / "copier", template_repo, **answers)
    cc_files = helpers.files_of(by_cookiecutter)
    copier_files = helpers.files_of(by_copier)
    assert copier_files - cc_files == helpers.ENGINE_SPECIFIC
    assert cc_files == copier_files - helpers.ENGINE_SPECIFIC
    _, mismatch, errors = filecmp.cmpfiles(
        by_cookiecutter, by_copier, sorted(cc_files), shallow=False
    )
    assert mismatch == []
    assert errors == []


def test_copier_prompt_validators_use_the_hook_rules() -> None:
    """copier validates at the prompt with the same patterns the shared hook enforces."""
    patterns = {
        "project_slug": helpers.template_answers.SLUG_RE.pattern,
        "package_name": helpers.template_answers.PACKAGE_RE.pattern,
        "author_email": helpers.template_answers.EMAIL_RE.pattern,
    }
    for field, pattern in patterns.items():
        validator = helpers.COPIER_YML[field]["validator"]
        assert f"regex_search('{pattern}')" in validator, field
        assert validator.count("regex_search") == 1
