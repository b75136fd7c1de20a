"""What the benchmark scripts share: render a project, measure inside it, write a section.

Each benchmark script owns one section of docs/performance.md, delimited by HTML comments, so
scripts can be re-run one at a time (`uv run python benchmarks/<name>.py`) without erasing the
others' results. The pillar benchmarks render a project with their pillars, install it with uv,
run themselves again inside it (``--inner``, in the project's environment) and write what that
run printed as their section: :func:`run_benchmark`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "docs" / "performance.md"

HEADER = """# Performance

Every figure here is measured by a script in `benchmarks/` (`make bench` runs them all) and written
into its own section by that script. Medians over repeated runs, each compared with a baseline
measured in the same process, because this machine is shared and noisy: read the ratios first.
"""


def machine() -> str:
    """One line naming where a section was measured."""
    return f"{platform.machine()} / Python {platform.python_version()} / {os.cpu_count()} cores"


def write_section(name: str, body: str, path: Path = OUTPUT) -> None:
    """Replace (or append) the section called ``name`` with ``body`` (Markdown)."""
    start, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


PILLARS = ("ml", "serving", "llm", "rag", "agents")
Result = dict[str, Any]


def render_project(work: Path, *pillars: str) -> Path:
    """The template rendered into ``work`` with only ``pillars`` chosen (core always)."""
    off = [f"use_{name}=false" for name in PILLARS if name not in pillars]
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(work), str(REPO_ROOT)]
    subprocess.run([*command, *off], check=True, capture_output=True)
    return work / "my-ai-service"


def measure_inside(
    project: Path,
    script: str,
    arguments: Sequence[str],
    *,
    sync: Sequence[str] = (),
    venv: str | None = None,
    stderr: int | None = subprocess.DEVNULL,
) -> Result:
    """Install ``project`` (``uv sync`` + ``sync`` options) and run ``script --inner arguments``
    in it; the JSON object on the last line it prints.

    ``venv`` is the environment to install into (default: the project's ``.venv``).
    """
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": venv or str(project / ".venv")}
    subprocess.run(["uv", "sync", "-q", *sync], cwd=project, env=env, check=True)
    command = ["uv", "run", "--no-sync", "python", str(Path(script).resolve()), "--inner"]
    out = subprocess.run(
        [*command, *arguments],
        cwd=project,
        env={**env, "MY_AI_SERVICE_LOG_FORMAT": "json"},
        check=True,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def run_benchmark(
    name: str,
    parser: argparse.ArgumentParser,
    *,
    pillars: Sequence[str],
    inner: Callable[[argparse.Namespace], Result],
    measure: Callable[[Path, argparse.Namespace], Result],
    section: Callable[[Result, argparse.Namespace], str],
) -> None:
    """The command line of a pillar benchmark: measure in a rendered project, write ``name``.

    Adds ``--project`` (an already rendered project), ``--no-write`` (print only) and the
    internal ``--inner`` (the measuring run, inside the project) to ``parser``.
    """
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help="an already rendered project to measure in")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the docs")
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(inner(args)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        project = args.project or render_project(Path(tmp), *pillars)
        result = measure(project, args)
    text = section(result, args)
    print(text)
    if not args.no_write:
        write_section(name, text)
