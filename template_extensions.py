"""cookiecutter's Jinja extension for this template: a loader whose code must never change.

cruft renders two versions of a template in one Python process (the version a project was made
from, then the newest) from the same folder, and Python imports a module once per name: the
newest render runs the *older* version's extension module. A global added to this module would
be missing in exactly that render (projects made before this loader existed named another module,
``local_extensions``, and `cruft update` failed on ``template_manifest``). So this module only
runs ``hooks/jinja_globals.py`` as it is on disk when an environment is made, and every global
(and any other setup) lives there.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from jinja2 import Environment
from jinja2.ext import Extension

GLOBALS_FILE = Path(__file__).resolve().parent / "hooks" / "jinja_globals.py"
_loaded: dict[bytes, ModuleType] = {}


def _globals_module() -> ModuleType:
    """``hooks/jinja_globals.py`` run once per distinct content (cookiecutter makes an environment
    per prompt, render and hook: re-running it each time would cost generation time)."""
    source = GLOBALS_FILE.read_bytes()
    module = _loaded.get(source)
    if module is None:
        spec = importlib.util.spec_from_file_location("template_jinja_globals", GLOBALS_FILE)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {GLOBALS_FILE}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[source] = module
    return module


class TemplatePathsExtension(Extension):
    """Sets ``environment`` up as ``hooks/jinja_globals.py`` says (globals, the fast path)."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        _globals_module().configure(environment)
