"""cookiecutter copies the files without Jinja as they are and renders exactly the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter import generate, main

from tests import helpers

cwr = helpers.copy_without_render

LISTED: list[str] = helpers.COOKIECUTTER_JSON[cwr.KEY]
FIX = "run `uv run python hooks/copy_without_render.py --write` and commit cookiecutter.json"


def test_cookiecutter_json_holds_the_computed_list() -> None:
    """The list is the one hooks/copy_without_render.py derives from the tree, never hand-made."""
    assert cwr.compute() == LISTED, FIX


def test_no_file_with_jinja_is_copied_and_none_without_is_rendered() -> None:
    problems = cwr.problems(cwr.PROJECT_TEMPLATE, LISTED)
    assert problems == [], "\n".join([*problems, FIX])


def test_cookiecutter_renders_exactly_the_files_with_jinja(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    generate_file = generate.generate_file

    def spy(project_dir: str, infile: str, *args: object, **kwargs: object) -> None:
        rendered.append(Path(infile).as_posix())
        generate_file(project_dir, infile, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generate, "generate_file", spy)
    main.cookiecutter(str(helpers.REPO_ROOT), no_input=True, output_dir=str(tmp_path))
    with_jinja = {
        path
        for path in helpers.files_of(cwr.PROJECT_TEMPLATE)
        if not cwr.can_copy_file(cwr.PROJECT_TEMPLATE, path)
    }
    assert sorted(rendered) == sorted(with_jinja)
    assert (tmp_path / helpers.SLUG / "src" / helpers.PACKAGE / "py.typed").is_file()


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_glob_over_a_file_with_jinja_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"pkg/a.py": "x = 1\n", "pkg/b.py": "name = '{{ cookiecutter.x }}'\n"})
    assert cwr.problems(root, ["pkg/*.py"]) == [
        "pkg/b.py is copied raw but has Jinja (or a conditional name)"
    ]


def test_a_file_without_jinja_left_to_render_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"pkg/a.py": "x = 1\n", "notes.md": "{# a comment #}\n"})
    assert cwr.problems(root, []) == ["pkg/a.py has no Jinja but is rendered"]


def test_a_glob_over_a_folder_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"data/a.csv": "a\n", "data/sub/b.csv": "b\n"})
    assert [problem.split(" ")[0] for problem in cwr.problems(root, ["data/*"])] == ["data/sub/"]


def test_the_list_covers_new_modules_with_one_glob(tmp_path: Path) -> None:
    """A new pillar module needs no new entry: the glob covers the package's subfolders."""
    package = "src/{{cookiecutter.package_name}}"
    root = _tree(
        tmp_path,
        {
            f"{package}/__init__.py": '"""{{ cookiecutter.project_name }}"""\n',
            f"{package}/ml/train.py": "x = 1\n",
            f"{package}/rag/store.py": "y = 2\n",
            "{% if cookiecutter.ci %}ci.yml{% endif %}": "on: push\n",
        },
    )
    globs = cwr.compute(root)
    assert globs == [f"{package}/*/*.py"]
    _tree(root, {f"{package}/bridges/ml_rag.py": "z = 3\n"})
    assert cwr.problems(root, globs) == []
