"""Versioned prompt files, loaded through a registry that validates their variables.

A prompt file is Markdown with a YAML front-matter::

    ---
    name: classify_sentiment
    version: 2
    description: Zero-shot sentiment of a review.
    variables: [review]
    system: You are a precise annotator.      # optional: the system/role message
    ---
    Classify the sentiment of this review: [[ review ]]

The body (and ``system``) is a Jinja2 template written with ``[[ ]]`` / ``[% %]`` / ``[# #]``
delimiters, so prompts survive project generation and JSON braces in prompts need no escaping.
Rendering fails when a declared variable is missing or an undeclared one is passed; loading fails
when the template uses a variable the front-matter does not declare. Every rendered prompt carries
``name@version``, which the client records on the call (logs, metrics, spans).

The registry reads the built-in ``prompts/`` folder next to this module plus any extra folders
(``PROMPT_DIRS`` setting, or ``add_folder``): the agents pillar ships its role prompts that way.
Extra folders win over the built-ins for the same name and version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from ..core.logging import get_logger

BUILTIN_DIR = Path(__file__).with_name("prompts")
_log = get_logger(__name__)
FRONT_MATTER = "---"


class PromptError(ValueError):
    """A prompt file is malformed, unknown, or rendered with the wrong variables."""


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready to send: its user text, optional system text and ``name@version``."""

    name: str
    version: int
    text: str
    system: str | None = None

    @property
    def ref(self) -> str:
        """``name@version``, recorded on every call."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class PromptTemplate:
    """One version of one prompt, parsed from its file."""

    name: str
    version: int
    description: str
    variables: tuple[str, ...]
    body: str
    system: str | None = None
    path: Path | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def render(self, **values: Any) -> RenderedPrompt:
        """Fill the template; every declared variable is required and nothing else is accepted."""
        missing = [v for v in self.variables if v not in values]
        unknown = sorted(set(values) - set(self.variables))
        if missing or unknown:
            raise PromptError(
                f"prompt {self.name}@{self.version}: missing variables {missing}, "
                f"unknown variables {unknown} (declared: {list(self.variables)})"
            )
        env = _environment()
        context = {**self.metadata, **values}
        system = env.from_string(self.system).render(context).strip() if self.system else None
        text = env.from_string(self.body).render(context).strip()
        return RenderedPrompt(self.name, self.version, text, system or None)


def parse_prompt(text: str, path: Path | None = None) -> PromptTemplate:
    """Parse a prompt file's text (front-matter + body) and check its variables.

    Raises:
        PromptError: naming the file and what is wrong (front-matter, YAML, template syntax).
    """
    where = str(path or "<prompt>")
    if not text.startswith(FRONT_MATTER) or text.count(FRONT_MATTER) < 2:  # noqa: PLR2004
        raise PromptError(f"{where}: a prompt file starts with a '---' front-matter")
    _, header, body = text.split(FRONT_MATTER, 2)
    try:
        meta_data = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        raise PromptError(f"{where}: the front-matter is not valid YAML: {_one_line(exc)}") from exc
    if not isinstance(meta_data, dict):
        raise PromptError(f"{where}: the front-matter must be `key: value` lines")
    try:
        name, version = str(meta_data.pop("name")), int(meta_data.pop("version"))
    except (KeyError, TypeError, ValueError) as exc:
        raise PromptError(f"{where}: front-matter needs `name` and an integer `version`") from exc
    variables = tuple(meta_data.pop("variables", ()) or ())
    system = meta_data.pop("system", None)
    template = PromptTemplate(
        name=name,
        version=version,
        description=str(meta_data.pop("description", "")),
        variables=variables,
        body=body.strip(),
        system=system,
        path=path,
        metadata=meta_data,
    )
    env = _environment()
    try:
        parsed = env.parse(template.body + "\n" + (system or ""))
    except TemplateSyntaxError as exc:
        raise PromptError(f"{where}: template syntax error on line {exc.lineno}: {exc}") from exc
    used = meta.find_undeclared_variables(parsed)
    undeclared = sorted(used - set(variables) - set(meta_data))
    if undeclared:
        raise PromptError(f"{where}: template uses undeclared variables {undeclared}")
    return template


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"{path}: cannot be read as UTF-8 text") from exc


@dataclass(frozen=True)
class PromptProblem:
    """A prompt file that could not be loaded, and why (the message names the file)."""

    path: Path
    reason: str

    @property
    def stem(self) -> str:
        """The prompt name its file name suggests (``name.v2.md`` -> ``name``)."""
        return self.path.name.split(".", 1)[0]


class PromptRegistry:
    """Every prompt version found in the built-in folder and the extra folders.

    A file that cannot be loaded does not stop the others: it is kept in :attr:`problems`, and
    asking for its prompt raises :class:`PromptError` with the reason.
    """

    def __init__(self, folders: Iterable[Path] = (), *, builtin: bool = True) -> None:
        self._prompts: dict[tuple[str, int], PromptTemplate] = {}
        self.problems: list[PromptProblem] = []
        if builtin:
            self.add_folder(BUILTIN_DIR)
        for folder in folders:
            self.add_folder(folder)

    def add_folder(self, folder: Path) -> PromptRegistry:
        """Load every ``*.md`` prompt file of ``folder`` (recursively); later folders win."""
        if not folder.is_dir():
            raise PromptError(f"prompt folder {folder} does not exist")
        for path in sorted(folder.rglob("*.md")):
            try:
                template = parse_prompt(_read(path), path)
            except PromptError as exc:
                self.problems.append(PromptProblem(path, str(exc)))
                _log.warning("prompt file skipped", path=str(path), error=str(exc))
                continue
            self._prompts[(template.name, template.version)] = template
        return self

    def names(self) -> list[str]:
        """The prompt names, sorted."""
        return sorted({name for name, _ in self._prompts})

    def versions(self, name: str) -> list[int]:
        """The versions of ``name``, oldest first."""
        return sorted(version for n, version in self._prompts if n == name)

    def get(self, name: str, version: int | None = None) -> PromptTemplate:
        """``name`` at ``version`` (default: the newest)."""
        versions = self.versions(name)
        if not versions:
            broken = [problem.reason for problem in self.problems if problem.stem == name]
            if broken:
                raise PromptError(f"prompt {name!r} could not be loaded: {broken[0]}")
            raise PromptError(f"unknown prompt {name!r}; known: {self.names()}")
        chosen = versions[-1] if version is None else version
        if chosen not in versions:
            raise PromptError(f"prompt {name!r} has no version {chosen}; versions: {versions}")
        return self._prompts[(name, chosen)]

    def render(self, name: str, version: int | None = None, **values: Any) -> RenderedPrompt:
        """Render ``name`` (newest version unless ``version``) with ``values``."""
        return self.get(name, version).render(**values)
