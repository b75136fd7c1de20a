"""Generated CI/CD: valid for every pillar combination, and every job calls Makefile targets only.

* actionlint over the GitHub workflows and `check-jsonschema`'s vendored schemas (GitHub workflows,
  GitLab CI, Dependabot, Renovate) over every distinct rendered file, offline;
* each job step is a `make <target>` line (or one of a few setup actions), and each target exists
  in that combination's Makefile + make/*.mk (and `make -n` accepts it);
* the quality gates follow the pillars (LLM eval replay, RAG eval, bento build);
* slow: `make ci-install`, `sast`, `secrets`, `template-check` and `release-notes` run for real.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import helpers

pytestmark = pytest.mark.xdist_group("workflows")

COMBOS = [combo for combo in helpers.pillar_combinations() if helpers.is_valid(combo)]
BIN = Path(shutil.which("check-jsonschema") or "check-jsonschema").parent
# Setup steps that are not Makefile targets: checkout, uv, artifacts, registry login, and GitHub's
# own dependency review (a service of the platform, nothing to run locally).
SETUP_ACTIONS = {
    "actions/checkout",
    "astral-sh/setup-uv",
    "actions/upload-artifact",
    "docker/login-action",
    "actions/dependency-review-action",
}
MAKE_LINE = re.compile(r"^make( [a-z0-9][a-z0-9-]*)+$")
TARGET_DEF = re.compile(r"^([a-zA-Z0-9][a-zA-Z0-9_./-]*)\s*:(?!=)", re.MULTILINE)
GITLAB_RESERVED = {
    "default",
    "workflow",
    "stages",
    "variables",
    "include",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


@pytest.fixture(scope="module")
def projects(render: Callable[..., Path]) -> dict[str, Path]:
    """Every valid pillar combination, rendered with both CI providers."""
    return {helpers.combo_id(combo): render(**combo, ci_provider="both") for combo in COMBOS}


def _unique(files: list[Path], into: Path, suffix: str) -> list[Path]:
    """Copy files with distinct contents into ``into`` (one check per distinct file)."""
    into.mkdir(parents=True, exist_ok=True)
    unique: dict[str, Path] = {}
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        if digest not in unique:
            unique[digest] = into / f"{path.stem}-{digest}{suffix}"
            shutil.copyfile(path, unique[digest])
    return sorted(unique.values())


def _run(
    *args: str | Path, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env} if env else None,
        check=False,
    )


def test_github_workflows_pass_actionlint(projects: dict[str, Path], tmp_path: Path) -> None:
    workflows = [
        path for p in projects.values() for path in (p / ".github/workflows").glob("*.yml")
    ]
    files = _unique(workflows, tmp_path / ".github" / "workflows", ".yml")
    result = _run(BIN / "actionlint", "-oneline", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "pattern", "suffix"),
    [
        ("vendor.github-workflows", ".github/workflows/*.yml", ".yml"),
        ("vendor.gitlab-ci", ".gitlab-ci.yml", ".yml"),
        ("vendor.dependabot", ".github/dependabot.yml", ".yml"),
        ("vendor.renovate", "renovate.json", ".json"),
    ],
)
def test_ci_files_match_their_schemas(
    projects: dict[str, Path], tmp_path: Path, schema: str, pattern: str, suffix: str
) -> None:
    files = _unique([path for p in projects.values() for path in p.glob(pattern)], tmp_path, suffix)
    assert files
    result = _run(BIN / "check-jsonschema", "--builtin-schema", schema, *files)
    assert result.returncode == 0, result.stdout + result.stderr


def _github_commands(project: Path) -> list[str]:
    commands = []
    for path in sorted((project / ".github/workflows").glob("*.yml")):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in workflow["jobs"].items():
            for step in job["steps"]:
                if "uses" in step:
                    action = step["uses"].split("@")[0]
                    assert action in SETUP_ACTIONS, f"{path.name}:{name} uses {action}"
                else:
                    commands.extend(step["run"].strip().splitlines())
    return commands


def _gitlab_commands(project: Path) -> list[str]:
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    jobs = {
        name: job
        for name, job in pipeline.items()
        if name not in GITLAB_RESERVED and not name.startswith(".")
    }
    assert jobs
    return [line for job in jobs.values() for line in job["script"]]


def _targets(project: Path) -> set[str]:
    makefiles = [project / "Makefile", *sorted((project / "make").glob("*.mk"))]
    return {m for path in makefiles for m in TARGET_DEF.findall(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("combo", COMBOS, ids=helpers.combo_id)
def test_every_job_calls_existing_make_targets(
    projects: dict[str, Path], combo: dict[str, Any]
) -> None:
    project = projects[helpers.combo_id(combo)]
    commands = _github_commands(project) + _gitlab_commands(project)
    bad = [command for command in commands if not MAKE_LINE.match(command)]
    assert not bad, f"CI runs something other than make targets: {bad}"
    used = {target for command in commands for target in command.split()[1:]}
    missing = used - _targets(project)
    assert not missing, f"CI calls undefined make targets: {sorted(missing)}"
    dry_run = _run("make", "-n", *sorted(used), cwd=project)
    assert dry_run.returncode == 0, dry_run.stderr


GATES = {"use_llm": "eval-replay", "use_rag": "rag-eval", "use_serving": "bento"}


@pytest.mark.parametrize("combo", COMBOS, ids=helpers.combo_id)
def test_quality_gates_follow_the_pillars(projects: dict[str, Path], combo: dict[str, Any]) -> None:
    project = projects[helpers.combo_id(combo)]
    github = {line.split()[1] for line in _github_commands(project)}
    gitlab = {line.split()[1] for line in _gitlab_commands(project)}
    for answer, target in GATES.items():
        assert (target in github) is combo[answer], (answer, target)
        assert (target in gitlab) is combo[answer], (answer, target)
    assert {"ci-install", "lint", "typecheck", "test-ci", "sast", "secrets", "audit"} <= github
    assert {"template-check", "template-update-pr", "dist"} <= github & gitlab
    assert ("image-push" in github) is combo["use_serving"]


@pytest.mark.parametrize("python_version", ["3.11", "3.13"])
def test_test_matrix_covers_supported_pythons(
    render: Callable[..., Path], python_version: str
) -> None:
    project = render(python_version=python_version, ci_provider="both")
    ci = yaml.safe_load((project / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    expected = [v for v in ("3.11", "3.12", "3.13") if v >= python_version]
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python-version"] == expected
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["test"]["parallel"]["matrix"] == [{"PYTHON": expected}]


def test_conventional_commit_hook(render: Callable[..., Path]) -> None:
    config = yaml.safe_load((render() / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert "commit-msg" in config["default_install_hook_types"]
    [hook] = [
        h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "conventional-commit"
    ]
    assert hook["stages"] == ["commit-msg"]
    assert hook["args"] == ["--negate", "--multiline"]
    pattern = re.compile(hook["entry"], re.MULTILINE | re.DOTALL)  # what pygrep --multiline uses
    for good in ("feat: add x", "fix(api)!: y\n\nbody", "chore(deps): bump", "Merge branch 'a'"):
        assert pattern.search(good), good
    for bad in ("added stuff", "feat:no space", "Feat: capital", "wip\nfeat: late"):
        assert not pattern.search(bad), bad


def test_release_notes_group_conventional_commits(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    project = shutil.copytree(render(), tmp_path / "project")
    helpers.git(project, "init", "-q")
    helpers.git(project, "add", "-A")
    helpers.git(project, "commit", "-q", "-m", "feat: first release")
    helpers.git(project, "tag", "v0.1.0")
    for message in ("fix(api): crash on empty body", "feat!: new schema", "docs: typo"):
        helpers.git(project, "commit", "-q", "--allow-empty", "-m", message)
    result = _run("make", "--no-print-directory", "release-notes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n") == [
        "## Changes since v0.1.0",
        "",
        "### Features",
        "- feat!: new schema",
        "",
        "### Fixes",
        "- fix(api): crash on empty body",
        "",
        "### Other",
        "- docs: typo",
        "",
    ]


@pytest.mark.slow
def test_platform_targets_run_in_a_generated_project(tmp_path: Path, template_repo: Path) -> None:
    """ci-install's lock policy, sast, secrets and template-check for real (core-only project)."""
    template = shutil.copytree(template_repo, tmp_path / "template", symlinks=True)
    helpers.git(template, "tag", "v1.0.0")
    core = dict.fromkeys(helpers.PILLAR_ANSWERS, False)
    project = helpers.render_copier(tmp_path / "project", template, **core)
    env = {"UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "CI": "", "VIRTUAL_ENV": ""}

    no_lock = _run("make", "ci-install", cwd=project, **env)
    assert no_lock.returncode != 0
    assert "uv.lock is missing" in no_lock.stdout
    assert _run("make", "install", cwd=project, **env).returncode == 0
    helpers.git(project, "init", "-q")
    helpers.git(project, "add", "-A")
    helpers.git(project, "commit", "-q", "-m", "chore: generated")
    for target in ("ci-install", "sast", "secrets", "template-check"):
        result = _run("make", target, cwd=project, **env)
        assert result.returncode == 0, f"{target}: {result.stdout}{result.stderr}"
    assert "up to date with the template" in result.stdout

    leak = project / "src" / helpers.PACKAGE / "leak.py"
    leak.write_text('API_KEY = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"\n', encoding="utf-8")
    helpers.git(project, "add", "-A")
    assert _run("make", "secrets", cwd=project, **env).returncode != 0
    leak.unlink()

    helpers.git(template, "commit", "-q", "--allow-empty", "-m", "feat: newer template")
    helpers.git(template, "tag", "v1.1.0")
    warn = _run("make", "template-check", cwd=project, **env)
    assert warn.returncode == 0
    assert "behind the template" in warn.stdout
    assert _run("make", "template-check", cwd=project, **{**env, "CI": "true"}).returncode != 0


def test_template_still_green_workflow_covers_every_preset() -> None:
    """The template repository's weekly run: valid, and it generates every preset."""
    path = helpers.REPO_ROOT / ".github/workflows/still-green.yml"
    for command in (
        [BIN / "actionlint", "-oneline", path],
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", path],
    ):
        result = _run(*command, cwd=helpers.REPO_ROOT)
        assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    matrix = workflow["jobs"]["project"]["strategy"]["matrix"]
    presets = {preset.stem for preset in (helpers.REPO_ROOT / "presets").glob("*.yml")}
    assert set(matrix["preset"]) == presets
    steps = workflow["jobs"]["project"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    for target in ("install", "lint", "typecheck", "test-ci"):
        assert f'make -C "$PROJECT" {target}' in runs
