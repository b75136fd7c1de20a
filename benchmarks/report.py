"""Write one section of docs/performance.md, leaving the other benchmarks' sections as they are.

Each benchmark script owns one section, delimited by HTML comments, so scripts can be re-run one at
a time (`uv run python benchmarks/<name>.py`) without erasing the others' results.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

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
