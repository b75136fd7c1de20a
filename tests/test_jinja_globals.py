"""hooks/jinja_globals.py sends the templates of the subset to hooks/jinja_subset.py and the rest
to Jinja (what the subset renders, and how exactly, is tests/test_jinja_subset.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment
from jinja2 import FileSystemLoader, Template, UndefinedError

from tests import helpers

CONTEXT = {"cookiecutter": {"package_name": "My_Pkg", "use_ml": True}}
MODULE = helpers.jinja_globals_module()


def _environment() -> StrictEnvironment:
    environment = StrictEnvironment(keep_trailing_newline=True)
    MODULE.configure(environment)
    return environment


@pytest.mark.parametrize(
    ("source", "fast"),
    [
        ("from {{ cookiecutter.package_name }}.core import x\n", True),
        ("{% if cookiecutter.use_ml %}{{ cookiecutter.package_name | upper }}{% endif %}", True),
        ("{{ cookiecutter.package_name * 2 }}", False),
    ],
)
def test_from_string_takes_the_fast_path_for_the_subset(source: str, fast: bool) -> None:
    template = _environment().from_string(source)
    assert isinstance(template, MODULE.jinja_subset.SubsetTemplate) is fast
    plain = StrictEnvironment(keep_trailing_newline=True)
    assert template.render(**CONTEXT) == plain.from_string(source).render(**CONTEXT)


def test_get_template_takes_the_fast_path(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("{{ cookiecutter.package_name }}\n")
    environment = _environment()
    environment.loader = FileSystemLoader(str(tmp_path))
    template = environment.get_template("a.txt")
    assert isinstance(template, MODULE.jinja_subset.SubsetTemplate)
    assert template.render(**CONTEXT) == "My_Pkg\n"


def test_template_globals_go_to_jinja() -> None:
    """Globals given to one template change what its names mean: Jinja renders it."""
    template = _environment().from_string("{{ x }}", globals={"x": "y"})
    assert isinstance(template, Template)
    assert template.render() == "y"


def test_a_missing_answer_raises_jinjas_error() -> None:
    template = _environment().from_string("{{ cookiecutter.not_an_answer }}")
    assert isinstance(template, MODULE.jinja_subset.SubsetTemplate)
    with pytest.raises(UndefinedError):
        template.render(**CONTEXT)


def test_the_globals_reach_the_fast_path() -> None:
    template = _environment().from_string("{{ template_manifest.pillars.ml.answer }}")
    assert isinstance(template, MODULE.jinja_subset.SubsetTemplate)
    assert template.render(**CONTEXT) == "use_ml"
