"""``<cli> serving ...``: run the HTTP service, and the pillar's offline demo."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..core.pillars import ROOT_PACKAGE
from ..core.settings import ENV_PREFIX, get_settings
from .settings import ServingSettings

SERVICE_IMPORT = f"{ROOT_PACKAGE}.serving.service:AIService"

app = typer.Typer(help="Serve the project over HTTP with BentoML.", no_args_is_help=True)


def _source_root() -> Path:
    """The folder that contains the package (``src/`` or site-packages)."""
    return Path(__file__).resolve().parent.parent.parent


def serve_command(host: str, port: int) -> list[str]:
    """The ``bentoml serve`` command line that runs this service on ``host:port``."""
    return [
        *(sys.executable, "-m", "bentoml", "serve", SERVICE_IMPORT),
        *("--host", host, "--port", str(port)),
    ]


def serve_environment() -> dict[str, str]:
    """Our environment, with BentoML's usage tracking off and the package importable.

    The server runs in the current directory (so ``.env`` and relative paths mean the same as for
    the CLI); the package folder goes on ``PYTHONPATH`` for source trees that are not installed.
    """
    env = {**os.environ, "BENTOML_DO_NOT_TRACK": "true"}
    root = str(_source_root())
    paths = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    env["PYTHONPATH"] = os.pathsep.join([root, *(entry for entry in paths if entry != root)])
    return env


def _cannot_listen(host: str, port: int) -> str | None:
    """Why a server could not bind ``host:port`` now (in use, no such address); ``None`` if it can.

    The socket is closed at once: a race with another process remains possible, and BentoML then
    reports it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"unknown host ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: settings).")] = None,
) -> None:
    """Start the BentoML HTTP server in the foreground (Ctrl-C or SIGTERM stops it).

    The server replaces this process (exec): a supervisor's SIGTERM, Ctrl-C and the exit status
    reach BentoML directly, and no idle parent process is left holding memory.
    """
    settings = get_settings().section("serving", ServingSettings)
    host, port = host or settings.host, port or settings.port
    if problem := _cannot_listen(host, port):  # BentoML would say it in a 30-line traceback
        typer.echo(f"error: cannot listen on {host}:{port}: {problem}", err=True)
        typer.echo(
            "hint: is another server running there? Stop it, or choose a port with --port "
            "(or SERVING__PORT)",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(f"serving {SERVICE_IMPORT} on http://{host}:{port}", err=True)
    command = serve_command(host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, serve_environment())  # noqa: S606


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Keep the named loggers to errors that are not ours (tracebacks of rejected requests)."""
    previous = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


@contextmanager
def _demo_key() -> Iterator[str]:
    """A throw-away API key named ``demo`` for the duration of the demo."""
    name = f"{ENV_PREFIX}SERVING__API_KEYS"
    previous = os.environ.get(name)
    key = secrets.token_urlsafe(24)
    os.environ[name] = json.dumps({"demo": key})
    get_settings.cache_clear()
    try:
        yield key
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
        get_settings.cache_clear()


def _call(client: Any, route: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(route, json=payload)
    return response.status_code, response.json()


def demo() -> None:
    """Call the service in-process through its ASGI app and print what it answers."""
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
    # Fenced: BentoML and Starlette take a second or two to import; other commands skip them.
    from starlette.testclient import TestClient  # noqa: PLC0415

    from .service import asgi_app  # noqa: PLC0415

    sample = {
        "text": "To be, or not to be: that is the question.\nWhether 'tis nobler...",
        "top_k": 3,
    }
    with (
        _quiet("bentoml", "httpx", "httpx2", "serving.access"),
        _demo_key() as key,
        TestClient(asgi_app()) as client,
    ):
        ready = client.get("/readyz").status_code
        unauthorized = client.post("/info").status_code
        client.headers["Authorization"] = f"Bearer {key}"
        _, info = _call(client, "/info", {})
        _, echo = _call(client, "/v1/echo", sample)
        rejected, error = _call(client, "/v1/echo", {"text": "", "top_k": 0})
    typer.echo(f"serving: /readyz -> {ready}; /info without a key -> {unauthorized}")
    typer.echo(f"serving: /info -> {json.dumps(info)}")
    top = ", ".join(f"{item['word']}={item['count']}" for item in echo["top_words"])
    typer.echo(
        f"serving: /v1/echo -> {echo['characters']} chars, {echo['words']} words, "
        f"{echo['lines']} lines, sha256 {echo['sha256'][:12]}..., top words {top}"
    )
    fields = sorted(".".join(map(str, item["loc"])) for item in error["detail"])
    typer.echo(f"serving: invalid input -> {rejected} naming fields {fields}")
