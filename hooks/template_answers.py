"""The rules of the template's answers (``validate_answers``), for cookiecutter and copier.

cookiecutter checks the answers in its own process when it renders the project folder's name
(``hooks/jinja_globals.py`` loads this module alone: it is a third of ``hooks/template_lib.py``),
then again in the post-generation hook; copier in its first task (``template_lib.py pre``).
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    StrPath = str | os.PathLike[str]

TEMPLATE_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
MANIFEST_PATH = os.path.join(TEMPLATE_ROOT, "manifest.yml")
COOKIECUTTER_JSON = os.path.join(TEMPLATE_ROOT, "cookiecutter.json")

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REQUIREMENT_RE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?(?P<rest>.*)$"
)


class AnswerError(ValueError):
    """One or more template answers are invalid; the message names every field."""


def load_manifest(path: StrPath = MANIFEST_PATH) -> dict[str, Any]:
    """Load ``manifest.yml`` (with libyaml's parser when PyYAML has it)."""
    # Imported here: the cookiecutter hooks get the manifest parsed (hooks/jinja_globals.py) and so
    # start without PyYAML, whose import costs more than the rest of a hook process.
    import yaml

    loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader)
    return data


def load_questions(path: StrPath = COOKIECUTTER_JSON) -> dict[str, Any]:
    """The questions of ``cookiecutter.json`` (private ``_`` keys left out)."""
    with open(path, encoding="utf-8") as handle:
        raw: dict[str, Any] = json.load(handle)
    return {key: value for key, value in raw.items() if not key.startswith("_")}


def load_choices(questions: Mapping[str, Any]) -> dict[str, list[str]]:
    """The multiple-choice questions and their allowed values."""
    return {key: value for key, value in questions.items() if isinstance(value, list)}


def boolean_questions(questions: Mapping[str, Any]) -> list[str]:
    """The names of the yes/no questions."""
    return [key for key, value in questions.items() if isinstance(value, bool)]


def requirement_name(requirement: str) -> str:
    """``"pydantic-ai-slim[openai]>=1"`` -> ``"pydantic_ai_slim"`` (an import-style name)."""
    return re.sub(r"[-.]+", "_", parse_requirement(requirement)["name"]).lower()


def parse_requirement(requirement: str) -> re.Match[str]:
    match = _REQUIREMENT_RE.match(requirement.strip())
    if not match:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    return match


def reserved_package_names(manifest: Mapping[str, Any]) -> set[str]:
    """Import names a generated package must not take."""
    names = set(manifest.get("reserved_package_names", []))
    requirements = list(manifest["core"]["dependencies"])
    for pillar in [*manifest["pillars"].values(), *manifest.get("shared", {}).values()]:
        requirements.extend(pillar["dependencies"])
        for extra in pillar.get("extras", {}).values():
            requirements.extend(extra)
    names.update(requirement_name(req) for req in requirements)
    return names


def _stdlib_names() -> set[str]:
    names = set(getattr(sys, "stdlib_module_names", ()))
    names.update(sys.builtin_module_names)
    return names


def validate_answers(answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """Return one message per invalid answer; each message starts with the field name."""
    errors: list[str] = []
    if not str(answers.get("project_name", "")).strip():
        errors.append("project_name: must not be empty")
    slug = str(answers.get("project_slug", ""))
    if not SLUG_RE.match(slug):
        errors.append(
            f"project_slug: {slug!r} must be kebab-case "
            "(lowercase letters, digits, single dashes, starting with a letter)"
        )
    errors.extend(_package_name_errors(str(answers.get("package_name", "")), manifest))
    email = str(answers.get("author_email", ""))
    if not EMAIL_RE.match(email):
        errors.append(f"author_email: {email!r} must look like an email address (name@domain.tld)")
    questions = load_questions()
    for field, allowed in load_choices(questions).items():
        if field in answers and answers[field] not in allowed:
            errors.append(f"{field}: {answers[field]!r} is not one of {', '.join(allowed)}")
    for field in boolean_questions(questions):
        if field in answers and not isinstance(answers[field], bool):
            errors.append(f"{field}: {answers[field]!r} must be a boolean (true/false)")
    errors.extend(_requirement_errors(answers, manifest))
    return errors


def _package_name_errors(name: str, manifest: Mapping[str, Any]) -> list[str]:
    if not PACKAGE_RE.match(name) or not name.isidentifier():
        return [f"package_name: {name!r} must be a valid lowercase Python identifier (snake_case)"]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [f"package_name: {name!r} is a Python keyword"]
    if name in _stdlib_names():
        return [f"package_name: {name!r} would shadow the standard-library module of that name"]
    if name in reserved_package_names(manifest):
        return [f"package_name: {name!r} would shadow the dependency of that name"]
    return []


def _requirement_errors(answers: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    pillars = manifest["pillars"]
    errors = []
    for pillar in pillars.values():
        if not answers.get(pillar["answer"]):
            continue
        for required in pillar.get("requires", []):
            required_answer = pillars[required]["answer"]
            if not answers.get(required_answer):
                errors.append(
                    f"{pillar['answer']}: the {pillar['title']} pillar requires "
                    f"{required_answer}=true "
                    f"(answer {pillar['answer']}=false or enable {required_answer})"
                )
    return errors


def check_answers(answers: Mapping[str, Any], manifest: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`AnswerError` naming every invalid field."""
    errors = validate_answers(answers, manifest or load_manifest())
    if errors:
        raise AnswerError("invalid template answers:\n  - " + "\n  - ".join(errors))
