"""Every pillar combination renders a clean tree, exactly the files the manifest expects."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import helpers

COMBOS = helpers.pillar_combinations()
VALID = [combo for combo in COMBOS if helpers.is_valid(combo)]
INVALID = [combo for combo in COMBOS if not helpers.is_valid(combo)]

# Jinja left in output: any `{%`, or a `{{` that is not a GitHub Actions expression `${{`.
UNRENDERED = re.compile(r"\{%|(?<!\$)\{\{|cookiecutter\.")


class _TaggedLoader(yaml.SafeLoader):
    """Safe YAML loader that accepts (and ignores) python tags such as mkdocs.yml's."""


_TaggedLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)


def test_matrix_is_computed_from_the_manifest() -> None:
    assert len(COMBOS) == 2 ** len(helpers.PILLARS)
    assert len(VALID) + len(INVALID) == len(COMBOS)
    # Rejected exactly when a chosen pillar lacks a pillar it `requires` (agents without llm).
    assert all(helpers.unmet_requirements(combo) for combo in INVALID)
    assert not any(helpers.unmet_requirements(combo) for combo in VALID)


@pytest.mark.parametrize("combo", VALID, ids=helpers.combo_id)
def test_combination_renders_cleanly(
    combo: dict[str, bool], render: Callable[..., Path], full_tree: set[str]
) -> None:
    project = render(**combo)
    files = helpers.files_of(project)
    assert files == helpers.expected_files(full_tree, combo)
    for path in helpers.walk_text_files(project):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(project).as_posix()
        assert not UNRENDERED.search(text), f"unrendered template syntax in {relative}"
        assert "@manifest:" not in text, f"manifest marker left in {relative}"
        assert "@env:" not in text, f".env.example marker left in {relative}"
        _parse(path, text)
    _ruff_clean(project)


def _parse(path: Path, text: str) -> None:
    if path.suffix == ".py":
        ast.parse(text, filename=str(path))
    elif path.suffix == ".toml":
        tomllib.loads(text)
    elif path.suffix in {".yml", ".yaml"}:
        list(yaml.load_all(text, Loader=_TaggedLoader))
    elif path.suffix == ".json":
        json.loads(text)


def _ruff_clean(project: Path) -> None:
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=project, capture_output=True, text=True
        )
        assert result.returncode == 0, f"ruff {args[0]}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("combo", INVALID, ids=helpers.combo_id)
def test_a_pillar_without_what_it_requires_is_rejected(
    combo: dict[str, bool], tmp_path: Path
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as caught:
        helpers.render_cookiecutter(tmp_path, **combo)
    # cookiecutter prints the message of the error (FailedHookException) on stdout, as its own.
    output = caught.value.stdout + caught.value.stderr
    for answer, required in helpers.unmet_requirements(combo):
        assert answer in output
        assert required in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("combo", [VALID[0], helpers.only("llm"), VALID[-1]], ids=helpers.combo_id)
def test_docs_list_exactly_the_chosen_pillars(
    combo: dict[str, bool], render: Callable[..., Path]
) -> None:
    """mkdocs nav, docs/index.md and the README's settings table render from the manifest."""
    project = render(**combo)
    pages = {f"pillars/{path.name}" for path in (project / "docs" / "pillars").glob("*.md")}
    chosen = helpers.template_lib.selected_pillars(
        {**helpers.defaults(), **combo}, helpers.MANIFEST
    )
    assert pages == {f"pillars/{name}.md" for name in chosen}
    mkdocs = yaml.load((project / "mkdocs.yml").read_text(), Loader=_TaggedLoader)  # noqa: S506
    nav = [next(iter(entry.values())) for entry in mkdocs["nav"]]
    listed = [item for entry in nav if isinstance(entry, list) for item in entry]
    assert [next(iter(item.values())) for item in listed] == [f"pillars/{n}.md" for n in chosen]
    index = (project / "docs" / "index.md").read_text()
    assert re.findall(r"\]\((pillars/\w+\.md)\)", index) == [f"pillars/{n}.md" for n in chosen]
    readme = (project / "README.md").read_text()
    sections = re.findall(rf"`{helpers.PACKAGE.upper()}_(\w+)__\*`", readme)
    assert sections == [helpers.PILLARS[name]["settings"].upper() for name in chosen]


def test_dependencies_follow_the_manifest(render: Callable[..., Path]) -> None:
    for combo in (VALID[0], VALID[-1], {"use_ml": False, "use_rag": False}):
        project = render(**combo)
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
        declared = {
            helpers.template_lib.requirement_name(r) for r in pyproject["project"]["dependencies"]
        }
        answers: dict[str, Any] = {**helpers.defaults(), **combo}
        expected, _ = helpers.template_lib.dependency_lists(answers, helpers.MANIFEST)
        assert declared == {helpers.template_lib.requirement_name(r) for r in expected}
