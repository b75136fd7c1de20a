"""cookiecutter Jinja extension of this template (cookiecutter imports it from the template root).

It adds two globals:

* ``template_hooks_dir``: the absolute path of ``hooks/``, so the rendered hook scripts can import
  ``hooks/template_lib.py`` whatever directory cookiecutter was started from (copier's `_tasks` get
  ``_copier_conf.src_path`` instead);
* ``template_manifest``: ``manifest.yml``, so prose and config files list the chosen pillars with
  ``{% for name, pillar in template_manifest.pillars.items() if cookiecutter[pillar.answer] %}``
  instead of one hand-written block per pillar. copier gets the same mapping under the same name
  from a computed question in ``copier.yml`` (``!include manifest.yml``).
"""

from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment
from jinja2.ext import Extension

TEMPLATE_ROOT = Path(__file__).resolve().parent


def load_manifest() -> dict[str, Any]:
    """``manifest.yml`` of this template."""
    data: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "manifest.yml").read_text("utf-8"))
    return data


class TemplatePathsExtension(Extension):
    """Adds the ``template_hooks_dir`` and ``template_manifest`` globals."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals["template_hooks_dir"] = str(TEMPLATE_ROOT / "hooks")
        environment.globals["template_manifest"] = load_manifest()
