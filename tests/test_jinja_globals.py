"""The placeholder fast path of hooks/jinja_globals.py renders exactly what Jinja renders."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from cookiecutter.environment import StrictEnvironment
from jinja2 import UndefinedError

from tests import helpers


def _jinja_globals() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "jinja_globals_under_test", helpers.REPO_ROOT / "hooks" / "jinja_globals.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONTEXT = {"cookiecutter": {"package_name": "My_Pkg", "use_ml": True, "port": 3000}}


@pytest.mark.parametrize(
    ("source", "fast"),
    [
        ("plain text, no Jinja at all\n", True),
        ("from {{ cookiecutter.package_name }}.core import x\n", True),
        ("src/{{cookiecutter.package_name}}/a_{{ cookiecutter.package_name }}.py", True),
        ("{{ cookiecutter.use_ml }} {{ cookiecutter.port }}", True),
        ("{{ cookiecutter.package_name | upper }}_LOG_LEVEL=INFO\n", True),
        ("{{cookiecutter.package_name|lower}} {{ cookiecutter.use_ml | upper }}", True),
        ("{{ cookiecutter.package_name | title }}", False),
        ("{{ cookiecutter.package_name | upper | lower }}", False),
        ("{% raw %}if(a){{b}}{%c%}{# d #}{% endraw %}\n", True),
        ("{% raw %}{{ a }}{% endraw %}", True),
        ("{% raw %}a{% endraw %}{{ cookiecutter.port }}{% raw %}c{% endraw %}", False),
        ("{% raw %}a{% endraw %} {% raw %}b{% endraw %}", False),
        ("{%- raw %} a{% endraw %}", False),
        ("{% raw %}a\r\nb{% endraw %}", False),
        ("{% if cookiecutter.use_ml %}ml{% endif %}", False),
        ("{# a comment #}text", False),
        ("{{ cookiecutter.package_name.upper() }}", False),
        ("windows\r\nline endings {{ cookiecutter.package_name }}\r\n", False),
        ("{{ cookiecutter['package_name'] }}", False),
    ],
)
def test_fast_path_output_equals_jinja(source: str, fast: bool) -> None:
    module = _jinja_globals()
    plain = StrictEnvironment(keep_trailing_newline=True)
    configured = StrictEnvironment(keep_trailing_newline=True)
    module.configure(configured)
    template = configured.from_string(source)
    assert isinstance(template, module.Substitution) is fast
    assert template.render(**CONTEXT) == plain.from_string(source).render(**CONTEXT)


def test_a_missing_answer_raises_jinjas_error() -> None:
    module = _jinja_globals()
    environment = StrictEnvironment(keep_trailing_newline=True)
    module.configure(environment)
    template = environment.from_string("{{ cookiecutter.not_an_answer }}")
    assert isinstance(template, module.Substitution)
    with pytest.raises(UndefinedError):
        template.render(**CONTEXT)


def test_trailing_newline_is_dropped_as_jinja_drops_it() -> None:
    module = _jinja_globals()
    environment = StrictEnvironment()  # cookiecutter's prompt environment
    module.configure(environment)
    template = environment.from_string("{{ cookiecutter.package_name }}\n")
    assert not isinstance(template, module.Substitution)
    assert template.render(**CONTEXT) == "My_Pkg"
