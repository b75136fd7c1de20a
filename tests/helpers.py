"""Rendering helpers shared by the template tests: both engines, the option matrix, file sets."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "hooks"))

import copy_without_render  # noqa: E402, F401  (for tests/test_copy_without_render.py)
import template_answers  # noqa: E402
import template_lib  # noqa: E402


class _CopierLoader(yaml.SafeLoader):
    """Reads copier.yml as copier does: `!include path` is the list of that file's documents."""


_CopierLoader.add_constructor(
    "!include",
    lambda loader, node: list(
        yaml.safe_load_all((REPO_ROOT / loader.construct_scalar(node)).read_text())
    ),
)

MANIFEST = template_lib.load_manifest()
COOKIECUTTER_JSON: dict[str, Any] = json.loads((REPO_ROOT / "cookiecutter.json").read_text())
COPIER_YML: dict[str, Any] = yaml.load(
    (REPO_ROOT / "copier.yml").read_text(),
    Loader=_CopierLoader,  # noqa: S506 (a SafeLoader subclass)
)
PILLARS: dict[str, dict[str, Any]] = MANIFEST["pillars"]
PILLAR_ANSWERS = [pillar["answer"] for pillar in PILLARS.values()]
SLUG = "my-ai-service"
PACKAGE = "my_ai_service"

# Files that differ by design between engines: copier's answers file.
ENGINE_SPECIFIC = {".copier-answers.yml"}


def defaults() -> dict[str, Any]:
    """Default answers as cookiecutter would compute them for the default project name."""
    answers: dict[str, Any] = {}
    for key, value in COOKIECUTTER_JSON.items():
        if key.startswith("_"):
            continue
        answers[key] = value[0] if isinstance(value, list) else value
    answers["project_slug"] = SLUG
    answers["package_name"] = PACKAGE
    return answers


def pillar_combinations() -> list[dict[str, bool]]:
    """Every assignment of the pillar booleans (2**n), valid or not."""
    return [
        dict(zip(PILLAR_ANSWERS, values, strict=True))
        for values in itertools.product([True, False], repeat=len(PILLAR_ANSWERS))
    ]


def only(*names: str) -> dict[str, bool]:
    """Pillar answers choosing exactly ``names`` (every other pillar answered false)."""
    unknown = set(names) - set(PILLARS)
    assert not unknown, f"not pillars of manifest.yml: {sorted(unknown)}"
    return {pillar["answer"]: name in names for name, pillar in PILLARS.items()}


def unmet_requirements(combo: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(answer, required answer)`` for each chosen pillar whose required pillar is not chosen."""
    return [
        (pillar["answer"], PILLARS[required]["answer"])
        for pillar in PILLARS.values()
        if combo.get(pillar["answer"], True)
        for required in pillar["requires"]
        if not combo.get(PILLARS[required]["answer"], True)
    ]


def is_valid(combo: Mapping[str, Any]) -> bool:
    """A combination is valid when every chosen pillar's requirements are chosen too."""
    return not template_answers.validate_answers({**defaults(), **combo}, MANIFEST)


def combo_id(combo: Mapping[str, Any]) -> str:
    """A short readable id: the chosen pillars joined by '+', or 'core'."""
    chosen = [name for name, pillar in PILLARS.items() if combo.get(pillar["answer"])]
    return "+".join(chosen) or "core"


def pairwise(options: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """A small set of assignments covering every pair of values of every two options (greedy)."""
    names = list(options)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in options[a]
        for vb in options[b]
    }
    rows: list[dict[str, str]] = []
    while uncovered:
        best: dict[str, str] | None = None
        best_gain = -1
        for values in itertools.product(*(options[name] for name in names)):
            row = dict(zip(names, values, strict=True))
            gain = sum(
                (a, row[a], b, row[b]) in uncovered for a, b in itertools.combinations(names, 2)
            )
            if gain > best_gain:
                best, best_gain = row, gain
        assert best is not None
        rows.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in itertools.combinations(names, 2)}
    return rows


def _run_module(module: str, *args: str) -> None:
    """Run ``python -m module args`` (the engine's CLI, as users run it); raise on failure."""
    subprocess.run(
        [sys.executable, "-m", module, *args], check=True, capture_output=True, text=True
    )


def _cli_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_cookiecutter(output_dir: Path, template: Path = REPO_ROOT, **answers: Any) -> Path:
    """Render with cookiecutter; return the project directory."""
    args = [f"{key}={_cli_value(value)}" for key, value in answers.items()]
    _run_module("cookiecutter", "--no-input", "-o", str(output_dir), str(template), *args)
    return output_dir / answers.get("project_slug", SLUG)


def render_copier(destination: Path, template: Path, **answers: Any) -> Path:
    """Render with copier; ``template`` must be a git repository."""
    args = [arg for key, value in answers.items() for arg in ("-d", f"{key}={_cli_value(value)}")]
    _run_module(
        "copier",
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        "--vcs-ref",
        "HEAD",
        *args,
        str(template),
        str(destination),
    )
    return destination


def files_of(root: Path) -> set[str]:
    """Every file under ``root`` as POSIX paths relative to it."""
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def expected_files(full_tree: set[str], answers: Mapping[str, Any]) -> set[str]:
    """The files a render must contain: the full tree minus what the manifest removes."""
    removed = template_lib.removed_paths({**defaults(), **answers}, MANIFEST)
    return {path for path in full_tree if not template_lib.is_removed(path, removed)}


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout


def copy_template(destination: Path) -> Path:
    """Copy the template's tracked and untracked-but-not-ignored files into a fresh git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = REPO_ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "template")
    return destination


def walk_text_files(root: Path) -> Iterator[Path]:
    """Text files of a rendered tree (skips binary files such as sample data)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in {".csv", ".parquet", ".png"}:
            yield path


def jinja_globals_module() -> ModuleType:
    """``hooks/jinja_globals.py``, run from its file as ``template_extensions.py`` runs it."""
    spec = importlib.util.spec_from_file_location(
        "jinja_globals_under_test", REPO_ROOT / "hooks" / "jinja_globals.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
