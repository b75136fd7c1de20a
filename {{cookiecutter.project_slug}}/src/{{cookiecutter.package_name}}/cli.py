"""Command-line interface: core commands plus one sub-command group per installed pillar.

The top floor beside serving: it finds each pillar's ``cli.py`` by convention (core's pillar
discovery), so it never names a pillar and removing one removes its commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import cast

import typer
from rich.console import Console
from rich.table import Table

from .core.logging import configure_logging
from .core.pillars import ROOT_PACKAGE, installed_pillars, pillar_module
from .core.settings import INVALID_SETTINGS, get_settings, settings_problems

console = Console(stderr=True)
# What `--help` says first: for the person at the terminal, not the module's reader.
HELP = (
    "Run this service's jobs. New here? `demo` runs every pillar on the shipped sample data; "
    "`info` shows where it reads and writes; `<group> --help` lists a group's commands. "
    "Settings come from environment variables and `.env` (every one is in `.env.example`)."
)


def build_app(only: str | None = None) -> typer.Typer:
    """Create the Typer app and register the group of every installed pillar (or of ``only``)."""
    app = typer.Typer(
        name=ROOT_PACKAGE, help=HELP, no_args_is_help=True, pretty_exceptions_show_locals=False
    )
    app.callback()(_startup)
    app.command("info")(info)
    app.command("settings")(show_settings)
    app.command("demo")(demo)
    for pillar in [only] if only else installed_pillars():
        module = pillar_module(pillar, "cli")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            app.add_typer(group, name=pillar)
            # A pillar may offer other names for its group (`agent run` reads better).
            for alias in getattr(module, "CLI_ALIASES", ()):
                app.add_typer(group, name=alias, hidden=True)
    return app


def _startup() -> None:
    """Configure logging and tracing from settings before any command runs."""
    try:
        settings = get_settings()
    except INVALID_SETTINGS as exc:  # say which variable, not a traceback
        for line in settings_problems(exc):
            console.print(f"error: {line}", markup=False, soft_wrap=True)
        console.print(
            "hint: fix it in the environment or in .env (.env.example lists every setting)",
            markup=False,
        )
        raise typer.Exit(2) from exc
    configure_logging(settings)
    # Imported here: only a running command configures tracing (``--help`` stays fast).
    from .monitoring.settings import MonitoringSettings  # noqa: PLC0415
    from .monitoring.tracing import setup_tracing  # noqa: PLC0415

    # The SDK's provider flushes its batch exporter at interpreter exit (shutdown_on_exit).
    setup_tracing(settings.section("monitoring", MonitoringSettings))


def info() -> None:
    """Show the installed pillars and where the service reads and writes data."""
    settings = get_settings()
    table = Table(title=ROOT_PACKAGE)
    table.add_column("setting")
    table.add_column("value")
    table.add_row("environment", settings.environment.value)
    table.add_row("pillars", ", ".join(installed_pillars()) or "(none)")
    table.add_row("data_dir", str(settings.data_dir))
    table.add_row("artifacts_dir", str(settings.artifacts_dir))
    Console().print(table)


def show_settings() -> None:
    """Print the effective settings as JSON (secrets are masked by their SecretStr type)."""
    typer.echo(get_settings().model_dump_json(indent=2))


def demo() -> None:
    """Run every installed pillar's demo on the embedded sample data, in order."""
    steps: list[tuple[str, Callable[[], None]]] = []
    for pillar in installed_pillars():
        module = pillar_module(pillar, "cli")
        step = getattr(module, "demo", None)
        if callable(step):
            steps.append((pillar, cast(Callable[[], None], step)))
    if not steps:
        console.print("No pillars installed: core only. Try `info` and `settings`.")
        return
    # Imported here: only `demo` shows a progress display (every other command starts faster).
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        for pillar, step in steps:
            task = progress.add_task(f"demo: {pillar}", total=1)
            step()
            progress.update(task, completed=1)
    console.print(f"demo finished: {', '.join(name for name, _ in steps)}")


def invoked_pillar(arguments: Sequence[str]) -> str | None:
    """The pillar whose group the command line names (``ml predict ...`` -> ``ml``), if any.

    Only that pillar's ``cli`` module is then imported: another pillar's imports (pydantic-ai,
    LanceDB...) would slow every command down. Top-level help, core commands and aliases
    get every group.
    """
    first = next((a for a in arguments if not a.startswith("-")), None)
    return first if first in installed_pillars() else None


def main() -> None:
    """Console-script entry point."""
    build_app(invoked_pillar(sys.argv[1:]))()
