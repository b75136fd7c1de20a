"""manifest.yml is consistent with the option files and the template tree."""

from __future__ import annotations

import ast
import importlib.util
import re
import tomllib
from pathlib import Path

from tests import helpers

TEMPLATE_TREE = helpers.REPO_ROOT / "{{cookiecutter.project_slug}}"


def _template_path(relative: str) -> Path:
    return TEMPLATE_TREE / relative.format(package="{{cookiecutter.package_name}}")


def test_every_pillar_is_a_question_of_both_engines() -> None:
    for pillar in helpers.PILLARS.values():
        assert helpers.COOKIECUTTER_JSON[pillar["answer"]] is True
        assert helpers.COPIER_YML[pillar["answer"]]["type"] == "bool"


def test_both_engines_give_the_templates_this_manifest() -> None:
    """Templates read `template_manifest`: an extension global, a computed copier value."""
    spec = importlib.util.spec_from_file_location(
        "template_extensions", helpers.REPO_ROOT / "template_extensions.py"
    )
    assert spec is not None
    assert spec.loader is not None
    template_extensions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template_extensions)
    jinja_globals = template_extensions._globals_module().template_globals()
    assert jinja_globals["template_manifest"] == helpers.MANIFEST
    assert helpers.COPIER_YML["template_manifest_documents"]["default"] == [helpers.MANIFEST]
    assert "template_manifest_documents[0]" in helpers.COPIER_YML["template_manifest"]["default"]


def test_every_pillar_says_what_the_pillar_lists_show() -> None:
    """README, mkdocs nav and docs/index.md list each chosen pillar by these fields."""
    for name, pillar in helpers.PILLARS.items():
        assert pillar["title"], name
        description = pillar["description"]
        assert description, name
        assert not description.endswith("."), f"{name}: the lists add their own punctuation"
        assert not set(description) & set('"[]()'), f"{name}: it is a mermaid node label too"


def test_the_template_readme_describes_every_pillar() -> None:
    readme = (helpers.REPO_ROOT / "README.md").read_text()
    for pillar in helpers.PILLARS.values():
        assert f"| {pillar['title']} | `{pillar['answer']}`" in readme, pillar["title"]


def test_every_owned_path_exists_in_the_template() -> None:
    for name, pillar in helpers.PILLARS.items():
        for relative in pillar["paths"]:
            assert _template_path(relative).exists(), f"{name}: {relative} missing"
        assert f"src/{{package}}/{name}" in pillar["paths"]
        assert f"tests/{name}" in pillar["paths"]
    for option, rules in helpers.MANIFEST["options"].items():
        assert option in helpers.COOKIECUTTER_JSON
        for rule in rules:
            assert set(rule["when"]) <= set(helpers.COOKIECUTTER_JSON[option])
            for relative in rule["paths"]:
                assert _template_path(relative).exists(), f"{option}: {relative} missing"


def test_shared_units_name_pillars_and_their_paths_exist() -> None:
    for name, unit in helpers.MANIFEST["shared"].items():
        assert unit["any_of"], name
        assert set(unit["any_of"]) <= set(helpers.PILLARS), name
        for relative in unit["paths"]:
            assert _template_path(relative).exists(), f"{name}: {relative} missing"


def test_shared_paths_exist_exactly_when_any_of_their_pillars_is_chosen() -> None:
    for combo in helpers.pillar_combinations():
        if not helpers.is_valid(combo):
            continue
        answers = {**helpers.defaults(), **combo}
        removed = helpers.template_lib.removed_paths(answers, helpers.MANIFEST)
        for unit in helpers.MANIFEST["shared"].values():
            wanted = any(combo[helpers.PILLARS[p]["answer"]] for p in unit["any_of"])
            for relative in unit["paths"]:
                path = relative.format(package=helpers.PACKAGE)
                assert helpers.template_lib.is_removed(path, removed) is not wanted, (combo, path)


def test_shared_packages_import_no_pillar() -> None:
    """A shared package sits below the pillars: it imports core and libraries only."""
    for unit in helpers.MANIFEST["shared"].values():
        for relative in unit["paths"]:
            if not relative.startswith("src/"):
                continue
            for path in _template_path(relative).rglob("*.py"):
                tree = ast.parse(path.read_text())
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and node.level >= 2:
                        tops = [node.module.split(".")[0]] if node.module else []
                        tops += [alias.name for alias in node.names] if not node.module else []
                        assert not set(tops) & set(helpers.PILLARS), f"{path.name}: {tops}"


def test_integrations_name_other_pillars_and_exist() -> None:
    for name, pillar in helpers.PILLARS.items():
        for partner, paths in pillar.get("integrations", {}).items():
            assert partner in helpers.PILLARS, f"{name}: {partner}"
            assert partner != name, f"{name}: {partner}"
            for relative in paths:
                assert _template_path(relative).exists(), f"{name}+{partner}: {relative} missing"


def test_integration_paths_exist_only_when_both_pillars_are_chosen() -> None:
    for pillar in helpers.PILLARS.values():
        for partner, paths in pillar.get("integrations", {}).items():
            for own, other in [(True, True), (True, False), (False, True), (False, False)]:
                answers = {
                    **helpers.defaults(),
                    pillar["answer"]: own,
                    helpers.PILLARS[partner]["answer"]: other,
                }
                removed = helpers.template_lib.removed_paths(answers, helpers.MANIFEST)
                for relative in paths:
                    path = relative.format(package=helpers.PACKAGE)
                    assert helpers.template_lib.is_removed(path, removed) is not (own and other)


def test_owned_paths_do_not_overlap() -> None:
    units = [*helpers.PILLARS.values(), *helpers.MANIFEST["shared"].values()]
    owned = [path for unit in units for path in unit["paths"]]
    assert len(owned) == len(set(owned))
    integrations = [
        path
        for pillar in helpers.PILLARS.values()
        for paths in pillar.get("integrations", {}).values()
        for path in paths
    ]
    assert len(integrations) == len(set(integrations))
    for path in owned:
        others = [other for other in owned if other != path]
        assert not helpers.template_lib.is_removed(path, others), path


def test_pillar_make_targets_are_defined_in_their_makefile() -> None:
    for name, pillar in helpers.PILLARS.items():
        makefile = (TEMPLATE_TREE / "make" / f"{name}.mk").read_text()
        for target in pillar["make_targets"]:
            assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), target


def test_core_discovers_exactly_the_manifest_pillars() -> None:
    pillars_py = (TEMPLATE_TREE / "src/{{cookiecutter.package_name}}/core/pillars.py").read_text()
    declared = re.search(r"PILLAR_NAMES: tuple\[str, \.\.\.\] = \(([^)]*)\)", pillars_py)
    assert declared
    names = set(re.findall(r'"(\w+)"', declared.group(1)))
    assert names == set(helpers.PILLARS)


def test_every_pillar_has_settings_cli_and_demo() -> None:
    for name in helpers.PILLARS:
        package = TEMPLATE_TREE / "src/{{cookiecutter.package_name}}" / name
        assert re.search(r"^SETTINGS = ", (package / "settings.py").read_text(), re.MULTILINE)
        cli = (package / "cli.py").read_text()
        assert re.search(r"^app = typer\.Typer\(", cli, re.MULTILINE), name
        assert re.search(r"^def demo\(\) -> None:", cli, re.MULTILINE), name


def test_python_files_have_no_jinja_logic() -> None:
    """Python renders with at most the package name substituted."""
    allowed = re.compile(
        r"\{\{ ?cookiecutter\.(package_name|project_slug|project_name|description)"
        r"( \| upper)? ?\}\}"
    )
    for path in TEMPLATE_TREE.rglob("*.py"):
        text = path.read_text()
        assert "{%" not in text, path
        leftover = allowed.sub("", text)
        assert "{{" not in leftover, path


def test_computed_namespace_has_no_extra_entries() -> None:
    """copier's computed `cookiecutter` mapping has one entry per question, no more."""
    computed = helpers.COPIER_YML["cookiecutter"]["default"]
    assert computed.count(": ") == len(
        [k for k in helpers.COOKIECUTTER_JSON if not k.startswith("_")]
    )


def test_hook_renders_extras_and_dedupes_dependencies() -> None:
    """Extras land in [project.optional-dependencies]; a shared dep is listed once and keeps the
    extras any pillar asks for, whatever the pillar order."""
    manifest = {
        "core": {"dependencies": ["pydantic>=2"]},
        "pillars": {
            "a": {
                "answer": "use_a",
                "dependencies": ["httpx>=0.27", "pydantic-ai-slim>=2"],
                "extras": {"gpu": ["torch>=2"]},
            },
            "b": {
                "answer": "use_b",
                "dependencies": ["pydantic-ai-slim[openai]>=2", "httpx>=0.27"],
                "extras": {"gpu": ["peft>=0.13"], "redis": ["redis>=5"]},
            },
            "c": {
                "answer": "use_c",
                "dependencies": ["lancedb>=0.40"],
                "extras": {"pg": ["psycopg"]},
            },
        },
    }
    text = (
        "dependencies = [\n    # @manifest:dependencies@\n]\n\n"
        "[project.optional-dependencies]\n# @manifest:optional-dependencies@\n"
    )
    answers = {"use_a": True, "use_b": True, "use_c": False}
    rendered = tomllib.loads(helpers.template_lib.render_pyproject(text, answers, manifest))
    assert rendered["dependencies"] == ["httpx>=0.27", "pydantic>=2", "pydantic-ai-slim[openai]>=2"]
    assert rendered["project"]["optional-dependencies"] == {
        "gpu": ["peft>=0.13", "torch>=2"],
        "redis": ["redis>=5"],
    }


def test_hook_keeps_a_shared_unit_and_its_dependencies_when_any_pillar_uses_it() -> None:
    manifest = {
        "core": {"dependencies": ["pydantic>=2"]},
        "pillars": {
            "a": {"answer": "use_a", "paths": ["a"], "dependencies": ["numpy>=2"]},
            "b": {"answer": "use_b", "paths": ["b"], "dependencies": []},
            "c": {"answer": "use_c", "paths": ["c"], "dependencies": []},
        },
        "shared": {
            "vectors": {
                "any_of": ["a", "b"],
                "paths": ["src/{package}/vectors"],
                "dependencies": ["numpy>=2.1", "wordllama>=0.4"],
                "extras": {"st": ["sentence-transformers>=4"]},
            }
        },
    }
    lib = helpers.template_lib
    for chosen in ({"a"}, {"b"}, {"a", "b"}, {"c"}, set()):
        answers = {"package_name": "pkg", **{f"use_{p}": p in chosen for p in "abc"}}
        kept = bool(chosen & {"a", "b"})
        requirements, extras = lib.dependency_lists(answers, manifest)
        assert lib.shared_units(answers, manifest) == (["vectors"] if kept else [])
        assert ("src/pkg/vectors" in lib.removed_paths(answers, manifest)) is not kept
        assert ("wordllama>=0.4" in requirements) is kept
        assert extras == ({"st": ["sentence-transformers>=4"]} if kept else {})
        numpy = [r for r in requirements if r.startswith("numpy")]
        assert numpy == (["numpy>=2"] if "a" in chosen else ["numpy>=2.1"] if kept else [])
    assert "wordllama" in helpers.template_answers.reserved_package_names(manifest)
