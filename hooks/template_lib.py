"""Generation logic shared by cookiecutter (hooks/post_gen_project.py, and the answers' check in
hooks/jinja_globals.py) and copier (`_tasks`).

Everything here is a pure file operation driven by ``manifest.yml``: validate the answers, remove
the paths owned by unselected pillars and options, and render the manifest's dependency lists into
the generated ``pyproject.toml``. No network, no subprocesses.

Used as a script by copier::

    python hooks/template_lib.py post '<answers as JSON>'
"""

from __future__ import annotations

import json
import os
import re
import sys

from template_answers import (
    AnswerError,
    check_answers,
    load_manifest,
    parse_requirement,
    requirement_name,
)

# The cookiecutter hook's process imports this module first thing: without pathlib, typing and
# shutil (imported where a folder is removed) it starts in two thirds of the time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    StrPath = str | os.PathLike[str]

DEPENDENCIES_MARKER = "# @manifest:dependencies@"
EXTRAS_MARKER = "# @manifest:optional-dependencies@"
CONTRACTS_MARKER = "# @manifest:import-contracts@"


def selected_pillars(answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """Names of the chosen pillars, in manifest order."""
    return [name for name, pillar in manifest["pillars"].items() if answers.get(pillar["answer"])]


def shared_units(answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """Names of the ``shared`` entries kept: those with at least one chosen pillar in ``any_of``."""
    chosen = set(selected_pillars(answers, manifest))
    shared = manifest.get("shared", {})
    return [name for name, unit in shared.items() if chosen.intersection(unit["any_of"])]


def removed_paths(answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """Project-relative paths of unselected pillars, shared units, integrations, option values."""
    package = str(answers["package_name"])
    paths: list[str] = []
    pillars = manifest["pillars"]
    for pillar in pillars.values():
        if not answers.get(pillar["answer"]):
            paths.extend(pillar["paths"])
        # Integration files (e.g. serving's adapter inside the ml folder) exist only when both the
        # owning pillar and the partner pillar are chosen.
        for partner, partner_paths in pillar.get("integrations", {}).items():
            if not (answers.get(pillar["answer"]) and answers.get(pillars[partner]["answer"])):
                paths.extend(partner_paths)
    # A shared unit (e.g. the embeddings package) goes only when none of its pillars is chosen.
    kept = shared_units(answers, manifest)
    for name, unit in manifest.get("shared", {}).items():
        if name not in kept:
            paths.extend(unit["paths"])
    for field, rules in manifest.get("options", {}).items():
        for rule in rules:
            if answers.get(field) not in rule["when"]:
                paths.extend(rule["paths"])
    return [path.format(package=package) for path in paths]


def is_removed(relative: str, removed: Iterable[str]) -> bool:
    """True when ``relative`` (a POSIX path) is, or lies under, one of ``removed``."""
    return any(relative == path or relative.startswith(path.rstrip("/") + "/") for path in removed)


def dependency_lists(
    answers: Mapping[str, Any], manifest: Mapping[str, Any]
) -> tuple[list[str], dict[str, list[str]]]:
    """Runtime dependencies (core, chosen pillars, kept shared units; de-duplicated) and extras."""
    requirements: list[str] = list(manifest["core"]["dependencies"])
    extras: dict[str, list[str]] = {}
    units = [manifest["pillars"][name] for name in selected_pillars(answers, manifest)]
    units += [manifest["shared"][name] for name in shared_units(answers, manifest)]
    for pillar in units:
        requirements.extend(pillar["dependencies"])
        for extra, extra_requirements in pillar.get("extras", {}).items():
            extras.setdefault(extra, []).extend(extra_requirements)
    return _dedupe(requirements), {key: _dedupe(value) for key, value in sorted(extras.items())}


def _dedupe(requirements: Iterable[str]) -> list[str]:
    """One requirement per distribution: the first one's version spec, every extra asked for."""
    first: dict[str, re.Match[str]] = {}
    extras: dict[str, set[str]] = {}
    for requirement in requirements:
        match = parse_requirement(requirement)
        key = requirement_name(requirement)
        first.setdefault(key, match)
        extras.setdefault(key, set()).update(
            e.strip() for e in (match["extras"] or "").split(",") if e.strip()
        )
    merged = []
    for key in sorted(first):
        match = first[key]
        listed = f"[{','.join(sorted(extras[key]))}]" if extras[key] else ""
        merged.append(f"{match['name']}{listed}{match['rest']}")
    return merged


def present_floors(
    answers: Mapping[str, Any],
    manifest: Mapping[str, Any],
    exists: Callable[[str], bool] | None = None,
) -> list[list[str]]:
    """The manifest's floors holding only the packages this project has (empty floors dropped).

    ``exists(name)`` says whether ``src/<package>/<name>`` (package or module) is in the generated
    tree; without it, a package is present unless the answers remove it.
    """
    pillars = manifest["pillars"]
    removed = removed_paths(answers, manifest)
    package = str(answers["package_name"])

    def present(name: str) -> bool:
        if name in pillars and not answers.get(pillars[name]["answer"]):
            return False
        if exists is not None:
            return exists(name)
        return not is_removed(f"src/{package}/{name}", removed)

    floors = [[name for name in floor if present(name)] for floor in manifest["floors"]]
    return [floor for floor in floors if floor]


def _required(pillar: str, pillars: Mapping[str, Any]) -> set[str]:
    """Every pillar ``pillar`` requires, directly or through another."""
    found: set[str] = set()
    pending = list(pillars[pillar].get("requires", []))
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(pillars[name].get("requires", []))
    return found


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def import_contracts(
    answers: Mapping[str, Any],
    manifest: Mapping[str, Any],
    exists: Callable[[str], bool] | None = None,
) -> list[str]:
    """TOML lines of the import-linter contracts for this combination (see manifest ``floors``).

    One layers contract for the floors; a floor holding several pillars lets them import each other
    there (``:``) and a forbidden contract per pillar then allows only what it ``requires``; other
    floors hold independent packages (``|``). Last, ``_private`` modules stay in their package.
    """
    package = str(answers["package_name"])
    pillars = manifest["pillars"]
    floors = present_floors(answers, manifest, exists)
    shared = [[name for name in floor if name in pillars] for floor in floors]
    layers = [
        (" : " if len(mates) > 1 else " | ").join(floor)
        for floor, mates in zip(floors, shared, strict=True)
    ]
    lines = [
        "[[tool.importlinter.contracts]]",
        'name = "Floors: a package imports only the floors below it"',
        'type = "layers"',
        f'containers = ["{package}"]',
        f"layers = {_toml_list(layers)}",
    ]
    for mates in shared:
        for pillar in mates:
            allowed = _required(pillar, pillars)
            others = [f"{package}.{n}" for n in mates if n != pillar and n not in allowed]
            if not others:
                continue
            but = f" but {', '.join(sorted(allowed))}" if allowed else ""
            lines += [
                "",
                "[[tool.importlinter.contracts]]",
                f'name = "{pillar} imports no pillar of its floor{but} (bridges join two pillars)"',
                'type = "forbidden"',
                f'source_modules = ["{package}.{pillar}"]',
                f"forbidden_modules = {_toml_list(others)}",
            ]
    lines += [
        "",
        "[[tool.importlinter.contracts]]",
        'name = "A _private module is imported only from inside its own package"',
        'type = "private_modules"',
    ]
    return lines


def render_pyproject(
    text: str,
    answers: Mapping[str, Any],
    manifest: Mapping[str, Any],
    exists: Callable[[str], bool] | None = None,
) -> str:
    """Replace the manifest markers of the generated pyproject.toml with real TOML."""
    requirements, extras = dependency_lists(answers, manifest)
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == CONTRACTS_MARKER:
            lines.extend(f"{line}\n" for line in import_contracts(answers, manifest, exists))
        elif stripped == DEPENDENCIES_MARKER:
            lines.extend(f'{indent}"{req}",\n' for req in requirements)
        elif stripped == EXTRAS_MARKER:
            for extra, extra_requirements in extras.items():
                items = ", ".join(f'"{req}"' for req in extra_requirements)
                lines.append(f"{indent}{extra} = [{items}]\n")
        else:
            lines.append(line)
    return "".join(lines)


def apply(project_dir: StrPath, answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> None:
    """Remove what was not chosen and render manifest-driven files inside ``project_dir``."""
    root = os.fspath(project_dir)
    for relative in removed_paths(answers, manifest):
        target = os.path.join(root, relative)
        if os.path.isdir(target) and not os.path.islink(target):
            import shutil

            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.unlink(target)
        _prune_empty_parents(os.path.dirname(target), root)
    pyproject = os.path.join(root, "pyproject.toml")
    source = os.path.join(root, "src", str(answers["package_name"]))

    def exists(name: str) -> bool:
        package = os.path.join(source, name)
        return os.path.isdir(package) or os.path.isfile(f"{package}.py")

    if os.path.exists(pyproject):
        with open(pyproject, encoding="utf-8") as handle:
            text = handle.read()
        rendered = render_pyproject(text, answers, manifest, exists)
        with open(pyproject, "w", encoding="utf-8") as handle:
            handle.write(rendered)


def _prune_empty_parents(directory: str, stop: str) -> None:
    """Remove ``directory`` and its parents while they are empty, up to ``stop`` (kept)."""
    stop = os.path.realpath(stop)
    current = os.path.realpath(directory)
    while current.startswith(stop + os.sep) and os.path.isdir(current) and not os.listdir(current):
        os.rmdir(current)
        current = os.path.dirname(current)


def pre_generate(answers: Mapping[str, Any], manifest: Mapping[str, Any] | None = None) -> int:
    """Validate answers; print the reasons and return 1 when they are invalid."""
    try:
        check_answers(answers, manifest)
    except AnswerError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


def post_generate(
    answers: Mapping[str, Any], project_dir: StrPath, manifest: Mapping[str, Any] | None = None
) -> int:
    """Validate the answers again, then apply the manifest. copier validated them in its first
    task, cookiecutter before it wrote anything (``hooks/jinja_globals.py``): this check holds
    should a cookiecutter version skip that one."""
    manifest = manifest or load_manifest()
    if pre_generate(answers, manifest):
        return 1
    apply(project_dir, answers, manifest)
    return 0


def main(argv: list[str]) -> int:
    """``template_lib.py {pre,post} '<answers json>' [project_dir]``."""
    if len(argv) not in (2, 3) or argv[0] not in {"pre", "post"}:
        print("usage: template_lib.py {pre,post} '<answers json>' [project_dir]", file=sys.stderr)
        return 2
    answers = json.loads(argv[1])
    if argv[0] == "pre":
        return pre_generate(answers)
    return post_generate(answers, argv[2] if len(argv) == 3 else os.getcwd())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
