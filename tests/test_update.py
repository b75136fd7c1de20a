"""Template updates: copier update merges template changes with user edits; cruft works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import helpers

pytestmark = pytest.mark.slow

LEAN = helpers.only("llm")


def _copier(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "copier", *args], check=True, capture_output=True, text=True, cwd=cwd
    )


def _project(template: Path, tmp_path: Path, **answers: object) -> Path:
    helpers.git(template, "tag", "-f", "v1.0.0")
    args: list[str] = []
    for key, value in answers.items():
        args += ["-d", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    project = tmp_path / "project"
    _copier("copy", "--trust", "--defaults", "--quiet", *args, str(template), str(project))
    helpers.git(project, "init", "-q", "-b", "main")
    helpers.git(project, "add", "-A")
    helpers.git(project, "commit", "-q", "-m", "generated")
    return project


def test_update_merges_template_change_with_user_edit(tmp_path: Path) -> None:
    template = helpers.copy_template(tmp_path / "template")
    project = _project(template, tmp_path, **LEAN)
    # The user edits the README; the template changes the Makefile in the next version.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur team notes.\n")
    helpers.git(project, "commit", "-qam", "user edit")
    makefile = template / "{{cookiecutter.project_slug}}" / "Makefile"
    makefile.write_text(
        makefile.read_text().replace("# Every CI job", "# Template v2.\n# Every CI job")
    )
    helpers.git(template, "commit", "-qam", "v2")
    helpers.git(template, "tag", "v2.0.0")
    _copier("update", "--trust", "--defaults", "--quiet", cwd=project)
    assert "Our team notes." in readme.read_text()
    assert "# Template v2." in (project / "Makefile").read_text()
    assert "_commit: v2.0.0" in (project / ".copier-answers.yml").read_text()


def test_flipping_a_pillar_adds_and_removes_exactly_its_paths(tmp_path: Path) -> None:
    template = helpers.copy_template(tmp_path / "template")
    project = _project(template, tmp_path, **LEAN)
    before = {p for p in helpers.files_of(project) if not p.startswith(".git/")}
    assert not (project / "src" / helpers.PACKAGE / "rag").exists()
    _copier("update", "--trust", "--defaults", "--quiet", "-d", "use_rag=true", cwd=project)
    with_rag = {p for p in helpers.files_of(project) if not p.startswith(".git/")}
    # rag's own paths and those it shares with a chosen partner (the rag x llm bridge here).
    answers = {**helpers.defaults(), **LEAN}
    without = helpers.template_lib.removed_paths(answers, helpers.MANIFEST)
    with_ = helpers.template_lib.removed_paths({**answers, "use_rag": True}, helpers.MANIFEST)
    rag_paths = sorted(set(without) - set(with_))
    added = with_rag - before
    assert added
    assert all(helpers.template_lib.is_removed(path, rag_paths) for path in added)
    assert f"src/{helpers.PACKAGE}/bridges/rag_llm.py" in added
    assert "lancedb" in (project / "pyproject.toml").read_text()
    helpers.git(project, "add", "-A")
    helpers.git(project, "commit", "-qm", "rag on")
    _copier("update", "--trust", "--defaults", "--quiet", "-d", "use_rag=false", cwd=project)
    after = {p for p in helpers.files_of(project) if not p.startswith(".git/")}
    assert after == before


def test_cruft_create_and_check(tmp_path: Path) -> None:
    template = helpers.copy_template(tmp_path / "template")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cruft",
            "create",
            "--no-input",
            "--output-dir",
            str(tmp_path),
            "--extra-context",
            json.dumps(LEAN),
            str(template),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    project = tmp_path / helpers.SLUG
    assert (
        json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]["use_ml"]
        is False
    )
    subprocess.run(
        [sys.executable, "-m", "cruft", "check"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    )
    assert not (project / ".copier-answers.yml").exists()
    assert not (project / "src" / helpers.PACKAGE / "ml").exists()


def test_cruft_update_sees_a_global_added_later(tmp_path: Path) -> None:
    """cruft renders the project's template version and then the newest in one process, and the
    first version's extension module stays imported: a Jinja global added in the newer version
    must still reach its templates (it failed this way for projects made before #13)."""
    template = helpers.copy_template(tmp_path / "template")
    command = [sys.executable, "-m", "cruft", "create", "--no-input"]
    command += ["--output-dir", str(tmp_path), "--extra-context", json.dumps(LEAN), str(template)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    project = tmp_path / helpers.SLUG
    helpers.git(project, "init", "-q", "-b", "main")
    helpers.git(project, "add", "-A")
    helpers.git(project, "commit", "-q", "-m", "generated")
    globals_file = template / "hooks" / "jinja_globals.py"
    globals_file.write_text(
        globals_file.read_text().replace(
            '"template_manifest": load_manifest(),',
            '"template_manifest": load_manifest(),\n        "template_probe": "probe-v2",',
        )
    )
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nTemplate {{ template_probe }}.\n")
    helpers.git(template, "commit", "-qam", "v2: a new global")
    updated = subprocess.run(
        [sys.executable, "-m", "cruft", "update", "-y"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "Template probe-v2." in (project / "README.md").read_text()
