"""The ``_copy_without_render`` globs of cookiecutter.json, computed from the template tree.

cookiecutter compiles every template file with Jinja unless a glob of ``_copy_without_render``
matches its unrendered path (relative to ``{{cookiecutter.project_slug}}/``; ``*`` also matches
``/``). Compiling was most of a render's time, and most files here carry no Jinja. A matching file
is copied as it is; its name still renders (``src/{{cookiecutter.package_name}}/py.typed``).

The list is derived from the files, never written by hand: :func:`compute` covers every file
without Jinja (``{{``, ``{%``, ``{#``) and no file with it, greedily choosing the glob that covers
the most files left (``src/{{cookiecutter.package_name}}/*/*.py``), so files added or moved later
usually fall under a glob already there. No glob may match a directory: cookiecutter copies a
matching directory whole, names below it unrendered, and with ``--overwrite-if-exists`` deletes
it first, files the user added included.

tests/test_copy_without_render.py checks that cookiecutter.json holds exactly this list and that
cookiecutter renders exactly the files with Jinja. copier has no equivalent (its
``_templates_suffix`` would mean renaming the files, which cookiecutter would keep) and renders
every file: a file without Jinja renders to itself, so the engines' trees stay identical
(tests/test_engines.py).

    uv run python hooks/copy_without_render.py          # print the list
    uv run python hooks/copy_without_render.py --write  # write it into cookiecutter.json
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jinja2 import defaults

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
COOKIECUTTER_JSON = TEMPLATE_ROOT / "cookiecutter.json"
KEY = "_copy_without_render"
MARKERS = (
    defaults.VARIABLE_START_STRING,
    defaults.BLOCK_START_STRING,
    defaults.COMMENT_START_STRING,
)


def has_jinja(text: str) -> bool:
    """True when ``text`` holds a Jinja opening delimiter (``{{``, ``{%``, ``{#``)."""
    return any(marker in text for marker in MARKERS)


def needs_rendering(path: Path) -> bool:
    """True for a text file with Jinja in it (undecodable files are copied by both engines)."""
    try:
        return has_jinja(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return False


def can_copy_file(root: Path, relative: str) -> bool:
    """The file at ``relative`` has no Jinja inside and a name that cannot render empty
    (cookiecutter skips a file whose name renders empty only when it renders the file)."""
    conditional_name = any(
        marker in relative
        for marker in (defaults.BLOCK_START_STRING, defaults.COMMENT_START_STRING)
    )
    return not conditional_name and not needs_rendering(root / relative)


@dataclass(frozen=True)
class Walk:
    """How cookiecutter's ``generate_files`` treats each path, for one list of globs."""

    copied_dirs: list[str]
    copied_files: list[str]
    rendered_files: list[str]


def matches(relative: str, globs: Iterable[str]) -> bool:
    """cookiecutter's test (``generate.is_copy_only_path``): any glob matches the path."""
    return any(fnmatch.fnmatch(relative, pattern) for pattern in globs)


def walk(root: Path, globs: list[str]) -> Walk:
    """Walk ``root`` the way cookiecutter 2.x does: a matching directory is copied and not
    entered, a matching file is copied, every other file is rendered."""
    copied_dirs: list[str] = []
    copied_files: list[str] = []
    rendered: list[str] = []
    for current, dirs, files in os.walk(root):
        base = Path(current).relative_to(root).as_posix()
        relative = [(name, os.path.normpath(os.path.join(base, name))) for name in sorted(dirs)]
        copied_dirs += [path for _, path in relative if matches(path, globs)]
        dirs[:] = [name for name, path in relative if not matches(path, globs)]
        for name in sorted(files):
            path = os.path.normpath(os.path.join(base, name))
            (copied_files if matches(path, globs) else rendered).append(path)
    return Walk(sorted(copied_dirs), sorted(copied_files), sorted(rendered))


def _tree(root: Path) -> tuple[list[str], list[str]]:
    """Every directory and every file below ``root``, as sorted POSIX relative paths."""
    dirs, files = [], []
    for path in root.rglob("*"):
        (dirs if path.is_dir() else files).append(path.relative_to(root).as_posix())
    return sorted(dirs), sorted(files)


def _candidates(path: str) -> Iterator[str]:
    """Globs that match ``path``: a literal head of its folders, then ``*/`` steps, then
    ``*<suffix>``, the file name or ``*`` (``*`` matches ``/`` too), and the path itself."""
    *folders, name = path.split("/")
    suffix = PurePosixPath(name).suffix
    for kept in range(len(folders) + 1):
        for steps in range(len(folders) - kept + 1):
            head = "".join(f"{glob.escape(folder)}/" for folder in folders[:kept]) + "*/" * steps
            if suffix:
                yield f"{head}*{glob.escape(suffix)}"
            if steps:
                yield f"{head}{glob.escape(name)}"
            yield f"{head}*"
    yield glob.escape(path)


def compute(root: Path = PROJECT_TEMPLATE) -> list[str]:
    """A short list of file globs (see the module docstring) that copies every Jinja-free file
    raw, renders every other file and matches no directory: greedily, the glob that covers the
    most files left (the most specific among equals). In that order: cookiecutter tries the
    globs in turn for every path, so most copied files stop at one of the first."""
    dirs, files = _tree(root)
    copyable = {path for path in files if can_copy_file(root, path)}
    forbidden = [path for path in files if path not in copyable] + dirs
    covers: dict[str, set[str]] = {}
    for path in sorted(copyable):
        for pattern in _candidates(path):
            if pattern not in covers and not matches_any(forbidden, pattern):
                covers[pattern] = {other for other in copyable if fnmatch.fnmatch(other, pattern)}
    globs: list[str] = []
    left = set(copyable)
    while left:
        best = min(covers, key=lambda pattern: _preference(pattern, covers[pattern] & left))
        globs.append(best)
        left -= covers[best]
    errors = problems(root, globs)
    if errors:
        raise AssertionError("\n".join(errors))
    return globs


def _preference(pattern: str, covered: set[str]) -> tuple[int, int, int, str]:
    """Sort key: most files covered, then fewest wildcards, then the most literal text."""
    return (-len(covered), pattern.count("*"), -len(pattern), pattern)


def matches_any(paths: Iterable[str], pattern: str) -> bool:
    """``pattern`` matches one of ``paths`` at least."""
    return any(fnmatch.fnmatch(path, pattern) for path in paths)


def problems(root: Path, globs: list[str]) -> list[str]:
    """What is wrong with ``globs`` for the tree at ``root``: one line per path."""
    result = walk(root, globs)
    errors = [
        f"{directory}/ is matched: cookiecutter would copy the whole folder (names unrendered) "
        "and, with --overwrite-if-exists, delete what else is in it"
        for directory in result.copied_dirs
    ]
    errors += [
        f"{path} is copied raw but has Jinja (or a conditional name)"
        for path in result.copied_files
        if not can_copy_file(root, path)
    ]
    errors += [
        f"{path} has no Jinja but is rendered"
        for path in result.rendered_files
        if can_copy_file(root, path)
    ]
    return errors


def write(globs: list[str], path: Path = COOKIECUTTER_JSON) -> None:
    """Store ``globs`` as ``_copy_without_render`` in cookiecutter.json (other keys untouched)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data[KEY] = globs
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    """Print the computed list, or write it into cookiecutter.json with ``--write``."""
    globs = compute()
    if argv == ["--write"]:
        write(globs)
    elif argv:
        print("usage: copy_without_render.py [--write]", file=sys.stderr)
        return 2
    else:
        print(json.dumps(globs, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
