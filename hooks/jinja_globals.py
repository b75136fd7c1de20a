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

A fast path: most of the template's file names and many of its files hold no Jinja, or only
``{{ cookiecutter.<answer> }}`` placeholders (the package name in test imports and paths), perhaps
with an ``upper`` or ``lower`` filter (environment variable names in docs). A vendored file with
Jinja-like text (``tests/serving/playground/vendor/axe.min.js``, 650 kB) is one ``{% raw %}`` block.
Jinja would parse and compile each of them into Python code (most of cookiecutter's generation
time; the axe file alone cost more than the rest of the template's files together); a
:class:`Substitution` renders them by replacing the placeholders or unwrapping the raw block, with
the same output. Anything else (another filter, a tag, an attribute of an answer, CR line endings)
goes to Jinja unchanged.
copier renders every file through Jinja, and ``tests/test_engines.py`` proves both trees identical.

Add a global or any other setup here, never in ``template_extensions.py``: this file is read from
disk for every Jinja environment, so a `cruft update` that renders an older version of the template
first still gets the newest setup when it renders the newest version.
"""

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, Template

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(
    r"\{\{\s*cookiecutter\.([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*(upper|lower)\s*)?\}\}"
)
# A whole file in one raw block: Jinja outputs what is between the tags as it is.
RAW_BLOCK = re.compile(r"\A\{% raw %\}(.*)\{% endraw %\}(\n?)\Z", re.DOTALL)
FILTERS: dict[str, Callable[[str], str]] = {"upper": str.upper, "lower": str.lower}
JINJA_MARKS = ("{{", "{%", "{#", "\r")


def configure(environment: Environment) -> None:
    """Give ``environment`` this template's globals and the placeholder fast path."""
    environment.globals.update(template_globals())
    compile_string = environment.from_string
    load_template = environment.get_template

    def handles(source: str) -> bool:
        # Jinja drops one trailing newline unless keep_trailing_newline (cookiecutter keeps it
        # for files and hooks, not for the answers it renders while prompting).
        trailing = source.endswith("\n") and not environment.keep_trailing_newline
        return not trailing and Substitution.handles(source)

    def from_string(source: Any, *args: Any, **kwargs: Any) -> Template | Substitution:
        if isinstance(source, str) and handles(source):
            return Substitution(source, lambda: compile_string(source, *args, **kwargs))
        return compile_string(source, *args, **kwargs)

    def get_template(name: Any, *args: Any, **kwargs: Any) -> Template | Substitution:
        if isinstance(name, str) and not args and not kwargs and environment.loader is not None:
            source = environment.loader.get_source(environment, name)[0]
            if handles(source):
                return Substitution(source, lambda: load_template(name))
        return load_template(name, *args, **kwargs)

    environment.from_string = from_string  # type: ignore[method-assign]
    environment.get_template = get_template  # type: ignore[method-assign]


class Substitution:
    """A template whose only Jinja is ``{{ cookiecutter.<answer> }}`` placeholders (each perhaps
    filtered by ``upper`` or ``lower``), or that is one ``{% raw %}`` block."""

    def __init__(self, source: str, compiled: Callable[[], Template]) -> None:
        self.source = source
        self._compiled = compiled
        self._verbatim = _raw_content(source)

    @staticmethod
    def handles(source: str) -> bool:
        """Whether ``source`` renders the same by replacement as through Jinja."""
        if _raw_content(source) is not None:
            return True
        return not any(mark in PLACEHOLDER.sub("", source) for mark in JINJA_MARKS)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """The source with each placeholder replaced by its answer (Jinja's ``str()`` of it, then
        the filter); an answer missing from the context goes to Jinja, which raises its error."""
        if self._verbatim is not None:
            return self._verbatim
        answers = dict(*args, **kwargs).get("cookiecutter", {})
        if not all(name in answers for name, _ in PLACEHOLDER.findall(self.source)):
            return self._compiled().render(*args, **kwargs)

        def value(match: re.Match[str]) -> str:
            text = str(answers[match.group(1)])
            return FILTERS[match.group(2)](text) if match.group(2) else text

        return PLACEHOLDER.sub(value, self.source)


def _raw_content(source: str) -> str | None:
    """What Jinja renders for ``source`` when it is one raw block and nothing else (no other
    ``endraw`` inside, no CR line endings), else None."""
    match = RAW_BLOCK.match(source)
    if match is None or "endraw" in match.group(1) or "\r" in source:
        return None
    return match.group(1) + match.group(2)


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
