"""cookiecutter Jinja extension of this template (cookiecutter imports it from the template root).

It exposes ``template_hooks_dir``: the absolute path of ``hooks/``, so the rendered hook scripts can
import ``hooks/template_lib.py`` whatever directory cookiecutter was started from. copier does not
need it (its `_tasks` get ``_copier_conf.src_path``).
"""

from pathlib import Path

from jinja2 import Environment
from jinja2.ext import Extension


class TemplatePathsExtension(Extension):
    """Adds the ``template_hooks_dir`` global."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["template_hooks_dir"] = str(Path(__file__).resolve().parent / "hooks")
