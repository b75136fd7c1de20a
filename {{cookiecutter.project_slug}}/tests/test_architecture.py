"""The architecture page draws the floors that the import contracts (``make lint``) enforce."""

from __future__ import annotations

import re
import tomllib

import {{ cookiecutter.package_name }} as package
from tests.conftest import PROJECT_ROOT


def contract_floors() -> list[list[str]]:
    """The layers of the import-linter contract in pyproject.toml, one list of names per floor."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["type"] == "layers")["layers"]
    return [re.split(r"\s*[|:]\s*", layer.strip()) for layer in layers]


def test_the_page_draws_the_floors_the_contracts_check() -> None:
    page = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = page.split(f"```\nsrc/{package.__name__}/\n", 1)[1].split("```", 1)[0]
    drawn = [[name.strip() for name in line.split(",")] for line in block.splitlines() if line]
    assert drawn == contract_floors()


def test_every_floor_is_a_package_of_this_project() -> None:
    source = PROJECT_ROOT / "src" / package.__name__
    for floor in contract_floors():
        for name in floor:
            assert (source / name / "__init__.py").is_file() or (source / f"{name}.py").is_file()
