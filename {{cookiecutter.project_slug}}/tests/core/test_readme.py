"""The README's "Make it yours" table cannot drift: its variables and commands exist.

Every variable a row names is a field of the project's settings (``<PREFIX>_<SECTION>__<FIELD>``)
or a provider key variable documented in ``.env.example``; every command is a make target of the
project or a command of its CLI; every ``data/`` folder it names ships with the project.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest
import typer
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.cli import build_app
from {{ cookiecutter.package_name }}.core.pillars import installed_pillars
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, settings_class
from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:__?[A-Z0-9]+)+\b")
CODE = re.compile(r"`([^`]+)`")


def _rows() -> list[tuple[str, str, str]]:
    """The table's rows as (what, where, command), header and separator left out."""
    text = README.read_text(encoding="utf-8")
    if "\n## Make it yours\n" not in text:
        return []
    section = text.split("\n## Make it yours\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    cells = [tuple(cell.strip() for cell in line.strip().strip("|").split(" | ")) for line in lines]
    assert all(len(row) == 3 for row in cells), cells
    return [(what, where, command) for what, where, command in cells[2:]]


ROWS = _rows()
IDS = [what for what, _, _ in ROWS]


def test_the_table_is_there_when_a_pillar_is() -> None:
    assert bool(ROWS) == bool(installed_pillars())


def _resolves(variable: str) -> bool:
    """Whether ``<PREFIX>_A__B`` walks the settings' fields (sections, then a field)."""
    model: type[BaseModel] = settings_class()
    *sections, field = variable.removeprefix(ENV_PREFIX).lower().split("__")
    for name in sections:
        info = model.model_fields.get(name)
        annotation = info.annotation if info else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        model = annotation
    return field in model.model_fields


@pytest.mark.parametrize(("what", "where", "command"), ROWS, ids=IDS)
def test_each_variable_is_a_setting_or_a_documented_provider_key(
    what: str, where: str, command: str
) -> None:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    variables = [v for code in CODE.findall(where) for v in VARIABLE.findall(code)]
    assert variables, f"row {what!r} names no variable"
    for variable in variables:
        if variable.startswith(ENV_PREFIX):
            assert _resolves(variable), f"{variable} ({what}) is not a setting"
        else:
            documented = re.search(rf"^#?\s*{variable}=", example, flags=re.MULTILINE)
            assert documented, f"{variable} ({what}) is not documented in .env.example"


@pytest.mark.parametrize(("what", "where", "command"), ROWS, ids=IDS)
def test_each_data_folder_ships(what: str, where: str, command: str) -> None:
    for code in CODE.findall(where):
        if code.startswith("data/"):
            assert (PROJECT_ROOT / code).exists(), f"{code} ({what}) does not exist"


def _make_targets() -> set[str]:
    files = [PROJECT_ROOT / "Makefile", *sorted((PROJECT_ROOT / "make").glob("*.mk"))]
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    return set(re.findall(r"^([A-Za-z0-9_-]+):", text, flags=re.MULTILINE))


def _cli_command(args: list[str]) -> Any:
    """The CLI command ``args`` names (sub-command groups walked, options and values ignored)."""
    command: Any = typer.main.get_command(build_app())
    for arg in args:
        if not hasattr(command, "commands") or arg.startswith("-"):
            break
        assert arg in command.commands, f"no CLI command {arg!r} in {sorted(command.commands)}"
        command = command.commands[arg]
    return command


@pytest.mark.parametrize(("what", "where", "command"), ROWS, ids=IDS)
def test_each_command_exists(what: str, where: str, command: str) -> None:
    (line,) = CODE.findall(command)
    words = shlex.split(line)
    if words[0] == "make":
        assert words[1] in _make_targets(), f"no make target {words[1]!r} ({what})"
        return
    assert words[:2] == ["uv", "run"], f"{line!r} ({what}) is neither make nor uv run"
    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert words[2] in scripts["scripts"], f"{words[2]!r} is not this project's command"
    found = _cli_command(words[3:])
    assert not hasattr(found, "commands"), f"{line!r} ({what}) names a group, not a command"
