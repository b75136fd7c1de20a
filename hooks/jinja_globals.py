"""The Jinja globals of this template under cookiecutter (loaded by ``template_extensions.py``).

* ``template_hooks_dir``: the absolute path of ``hooks/``, so the rendered hook scripts can import
  ``hooks/template_lib.py`` whatever directory cookiecutter was started from (copier's `_tasks` get
  ``_copier_conf.src_path`` instead);
* ``template_manifest``: ``manifest.yml``, so prose and config files list the chosen pillars with
  ``{% for name, pillar in template_manifest.pillars.items() if cookiecutter[pillar.answer] %}``
  instead of one hand-written block per pillar. copier gets the same mapping under the same name
  from a computed question in ``copier.yml`` (``!include manifest.yml``). The hook scripts get it
  too (as JSON), so their processes start without importing PyYAML.

Add a global here, never in ``template_extensions.py``: this file is read from disk for every
Jinja environment, so a `cruft update` that renders an older version of the template first still
sees the newest globals when it renders the newest version.
"""

import functools
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent


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
