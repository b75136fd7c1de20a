"""The Jinja setup of this template under cookiecutter (run by ``template_extensions.py``).

Globals:

* ``template_hooks_dir``: the absolute path of ``hooks/``, so the rendered hook scripts can import
  ``hooks/template_lib.py`` whatever directory cookiecutter was started from (copier's `_tasks` get
  ``_copier_conf.src_path`` instead);
* ``template_manifest``: ``manifest.yml``, so prose and config files list the chosen pillars with
  ``{% for name, pillar in template_manifest.pillars.items() if cookiecutter[pillar.answer] %}``
  instead of one hand-written block per pillar. copier gets the same mapping under the same name
  from a computed question in ``copier.yml`` (``!include manifest.yml``). The hook scripts get it
  too (as JSON), so their processes start without importing PyYAML.

A fast path: Jinja parses each file, generates Python source from it and compiles that, most of
cookiecutter's generation time. A file (or file name) written in the subset of Jinja that
``hooks/jinja_subset.py`` renders (text, expressions, ``set``, ``if``, ``for``, ``raw``,
comments, whitespace control; every file of this template) is rendered by it instead, with the
same output. Anything else goes to Jinja unchanged. copier renders every file through Jinja, and
``tests/test_engines.py`` proves both trees identical; ``tests/test_jinja_subset.py`` proves each
file's output identical.

Add a global or any other setup here, never in ``template_extensions.py``: this file is read from
disk for every Jinja environment, so a `cruft update` that renders an older version of the template
first still gets the newest setup when it renders the newest version.
"""

import functools
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from jinja2 import Environment, Template

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    """``hooks/<name>.py``, run from its file: this module is itself run from its file (by
    ``template_extensions.py``), so ``hooks/`` is not on ``sys.path``."""
    spec = importlib.util.spec_from_file_location(
        f"template_{name}", TEMPLATE_ROOT / "hooks" / f"{name}.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load hooks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jinja_subset = _load("jinja_subset")
# The name of the project folder of the template: cookiecutter renders it (the first thing it
# renders with the answers) before it creates the project's directory.
PROJECT_DIRECTORY = "{{cookiecutter.project_slug}}"


def configure(environment: Environment) -> None:
    """Give ``environment`` this template's globals, the fast path of ``jinja_subset`` and the
    check of the answers."""
    environment.globals.update(template_globals())
    compile_string = environment.from_string
    load_template = environment.get_template

    def from_string(source: Any, *args: Any, **kwargs: Any) -> Template | Any:
        if isinstance(source, str) and not args and not kwargs:
            template = jinja_subset.parse(source, environment, lambda: compile_string(source))
            if source == PROJECT_DIRECTORY:
                return CheckedAnswers(template or compile_string(source))
            if template is not None:
                return template
        return compile_string(source, *args, **kwargs)

    def get_template(name: Any, *args: Any, **kwargs: Any) -> Template | Any:
        if isinstance(name, str) and not args and not kwargs and environment.loader is not None:
            source = environment.loader.get_source(environment, name)[0]
            template = jinja_subset.parse(source, environment, lambda: load_template(name), name)
            if template is not None:
                return template
        return load_template(name, *args, **kwargs)

    environment.from_string = from_string  # type: ignore[method-assign]
    environment.get_template = get_template  # type: ignore[method-assign]


class CheckedAnswers:
    """The project folder's name, rendered only for valid answers.

    cookiecutter renders the name, then creates the directory and runs the hooks. Checking the
    answers here refuses them before anything is written, without a hook process (its Python
    start-up and imports were a sixth of a render's time): no directory is created, and with
    ``--overwrite-if-exists`` an existing project is left untouched. The post-generation hook
    checks them again, in case a cookiecutter version renders the name otherwise.
    """

    def __init__(self, template: Template | Any) -> None:
        self.template = template

    def render(self, *args: Any, **kwargs: Any) -> str:
        """The name; raises cookiecutter's ``FailedHookException`` naming every invalid answer
        (the cookiecutter CLI prints its message and exits with status 1)."""
        answers = dict(*args, **kwargs).get("cookiecutter")
        if isinstance(answers, dict):
            check_answers(answers)
        return self.template.render(*args, **kwargs)


def check_answers(answers: dict[str, Any]) -> None:
    """Raise ``FailedHookException`` with ``hooks/template_answers.py``'s message when ``answers``
    are invalid (the message names every invalid field)."""
    from cookiecutter.exceptions import FailedHookException

    rules = _template_answers()
    try:
        rules.check_answers(answers, load_manifest())
    except rules.AnswerError as error:
        raise FailedHookException(str(error)) from None


@functools.cache
def _template_answers() -> ModuleType:
    return _load("template_answers")


def template_globals() -> dict[str, Any]:
    """Every global this template's files and hooks may use, as the template is on disk now."""
    return {
        "template_hooks_dir": str(TEMPLATE_ROOT / "hooks"),
        "template_manifest": load_manifest(),
    }


def load_manifest() -> dict[str, Any]:
    """``manifest.yml`` of this template, as it is on disk now."""
    return _parse((TEMPLATE_ROOT / "manifest.yml").read_text("utf-8"))


@functools.cache
def _parse(text: str) -> dict[str, Any]:
    """Parsed once per distinct text, not per environment (cookiecutter makes one per prompt,
    render and hook); keyed by the text because cruft renders two versions of the template from
    one path in one process."""
    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    data: dict[str, Any] = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    return data
