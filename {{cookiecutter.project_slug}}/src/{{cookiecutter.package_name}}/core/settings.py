"""One settings object for the whole service (pydantic-settings).

Environment variables use the package name as prefix and ``__`` for nesting, e.g.
``MY_AI_SERVICE_ENVIRONMENT=prod`` or ``MY_AI_SERVICE_LLM__MODEL=openai:gpt-4o-mini``.
A ``.env`` file in the working directory is read too. Each pillar contributes one nested section,
defined in ``<pillar>/settings.py`` and added here by discovery, so core never names a pillar.

Nothing happens at import: settings are read when :func:`get_settings` is first called.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from .pillars import ROOT_PACKAGE, installed_pillars, pillar_module

ENV_PREFIX = f"{ROOT_PACKAGE.upper()}_"

# Packages every project has (not pillars, never removed) that contribute a settings section the
# same way: ``<name>/settings.py`` exporting ``SETTINGS``.
CORE_SECTIONS: tuple[str, ...] = ("monitoring",)

SectionT = TypeVar("SectionT", bound=BaseModel)


class Environment(StrEnum):
    """Where the service runs; ``dev`` relaxes safety defaults (and says so in the logs)."""

    DEV = "dev"
    TEST = "test"
    STAGING = "staging"
    PROD = "prod"


class CoreSettings(BaseSettings):
    """Settings shared by every pillar."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    environment: Environment = Field(
        default=Environment.DEV, description="dev, test, staging or prod."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Minimum level of log records."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: console in dev/test, JSON elsewhere."
    )
    data_dir: Path = Field(default=Path("data"), description="Input data (samples ship here).")
    artifacts_dir: Path = Field(
        default=Path("artifacts"), description="Models, indexes, reports written by the service."
    )

    def section(self, name: str, model: type[SectionT]) -> SectionT:
        """Return the nested settings section ``name`` typed as ``model``.

        Raises:
            LookupError: the pillar that owns ``name`` is not part of this project.
        """
        value = getattr(self, name, None)
        if not isinstance(value, model):
            raise LookupError(f"settings section {name!r} is not present in this project")
        return value


def pillar_sections() -> dict[str, type[BaseModel]]:
    """Map each installed pillar to the settings model its ``settings.py`` exports as SETTINGS."""
    sections: dict[str, type[BaseModel]] = {}
    for pillar in installed_pillars():
        module = pillar_module(pillar, "settings")
        model = getattr(module, "SETTINGS", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            sections[pillar] = model
    return sections


def core_sections() -> dict[str, type[BaseModel]]:
    """Map each always-present package of :data:`CORE_SECTIONS` to its settings model."""
    sections: dict[str, type[BaseModel]] = {}
    for name in CORE_SECTIONS:
        qualified = f"{ROOT_PACKAGE}.{name}.settings"
        if importlib.util.find_spec(qualified) is None:
            continue
        model = getattr(importlib.import_module(qualified), "SETTINGS", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            sections[name] = model
    return sections


@lru_cache(maxsize=1)
def settings_class() -> type[CoreSettings]:
    """Build the project's settings class: core fields plus one field per section."""
    sections = {**core_sections(), **pillar_sections()}
    fields: dict[str, Any] = {
        name: (model, Field(default_factory=model)) for name, model in sections.items()
    }
    return create_model("Settings", __base__=CoreSettings, **fields)


def load_settings(**overrides: Any) -> CoreSettings:
    """Read settings from the environment (and ``.env``); ``overrides`` win over both."""
    return settings_class()(**overrides)


@lru_cache(maxsize=1)
def get_settings() -> CoreSettings:
    """Process-wide settings, read once. Tests call ``get_settings.cache_clear()``.

    The settings *class* is cached separately (:func:`settings_class`): it only depends on which
    pillar folders exist, not on the environment.
    """
    return load_settings()


def external_variable(name: str) -> str:
    """A variable another library reads (``OPENAI_API_KEY``): the environment, else ``.env``.

    Settings read ``.env`` themselves, but a provider SDK looks only at the process environment,
    so a key written in ``.env`` (as ``.env.example`` suggests) would be ignored. Empty when unset.
    """
    value = os.environ.get(name, "")
    if value:
        return value
    from dotenv import dotenv_values  # noqa: PLC0415  (pydantic-settings' own reader)

    env_file = CoreSettings.model_config.get("env_file")
    files = [env_file] if isinstance(env_file, str | Path) else list(env_file or ())
    for path in reversed(files):  # later files win, as in pydantic-settings
        if Path(path).is_file():
            found = dotenv_values(path, encoding="utf-8").get(name)
            if found:
                return found
    return ""


# What reading settings raises when a variable (or `.env` line) holds an invalid value.
INVALID_SETTINGS = (ValidationError, SettingsError)


def settings_problems(exc: ValidationError | SettingsError) -> list[str]:
    """One line per invalid setting, named as its environment variable.

    For the command line: pydantic's report names ``ml.cv_folds``, the person at the terminal
    wrote ``<PREFIX>ML__CV_FOLDS``.
    """
    if isinstance(exc, SettingsError):
        # A list or mapping setting whose text is not JSON: pydantic-settings names the section.
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        return [f'{exc}{cause} (list and mapping settings are JSON, e.g. \'["a", "b"]\')']
    lines = []
    for error in exc.errors():
        variable = ENV_PREFIX + "__".join(str(part) for part in error["loc"]).upper()
        given = error.get("input")
        shown = f"={given!r}" if isinstance(given, str | int | float | bool) else ""
        lines.append(f"{variable}{shown}: {error['msg']}")
    return lines
