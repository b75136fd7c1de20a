"""Build a labelled retrieval dev set from the docstrings of third-party packages in a venv.

Nobody on this project wrote these texts: they are the docstrings of the packages a generated
RAG project installs (click, typer, rich, pydantic, httpx, psycopg, pyarrow's Python layer, ...),
read with ``ast`` (nothing is imported, no code runs).

One document per documented function, class or method with a docstring of at least two
paragraphs: its file holds the qualified name as a heading, the signature and every paragraph
*after* the first. The query is the first paragraph's first sentence (the summary line), markup
stripped. The summary is not in the document, so a query never copies the document's first words;
it has to be matched through the rest of the docstring, the name and the signature, as a user's
question would. Duplicated summaries or bodies (re-exported or copied docstrings) are dropped.

Each document goes to the ``tune`` part or the ``held`` part by a hash of its id (40 % / 60 %).
Defaults of the rag pillar are tuned on ``tune`` only; every quality number is reported on ``held``.

    python benchmarks/rag_devset.py OUT_DIR [--site-packages DIR] [--max-per-package 250]

writes ``OUT_DIR/corpus/<id>.md``, ``OUT_DIR/tune.jsonl`` and ``OUT_DIR/held.jsonl`` (the rag
pillar's eval format: ``{"question": ..., "relevant": [{"source": "<id>.md"}]}``).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import random
import re
import site
import sys
from collections.abc import Iterator
from pathlib import Path

# Pure-Python packages of a generated RAG project's venv (present in every such venv).
PACKAGES = (
    "anyio",
    "click",
    "fsspec",
    "httpcore",
    "httpx",
    "jinja2",
    "lancedb",
    "numpy",
    "prefect",
    "prometheus_client",
    "psycopg",
    "pyarrow",
    "pydantic",
    "pydantic_settings",
    "pypdf",
    "rich",
    "semchunk",
    "sqlalchemy",
    "structlog",
    "typer",
    "urllib3",
)
HELD_SHARE = 0.6
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])\.\s")


def _clean(text: str) -> str:
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(lambda m: m.group(1) or m.group(2), text)
    return " ".join(text.split())


def _summary(paragraph: str) -> str:
    sentence = _SENTENCE_END.split(_clean(paragraph) + " ", maxsplit=1)[0]
    return sentence.strip().rstrip(".:").strip()


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"def {node.name}({ast.unparse(node.args)})"
    assert isinstance(node, ast.ClassDef)
    bases = ", ".join(ast.unparse(base) for base in node.bases)
    return f"class {node.name}({bases})" if bases else f"class {node.name}"


def _documented(tree: ast.Module, prefix: str) -> Iterator[tuple[str, ast.AST, str]]:
    """(qualified name, node, docstring) of public functions, classes and their methods."""
    stack: list[tuple[str, ast.AST]] = [(prefix, tree)]
    while stack:
        name, parent = stack.pop()
        for node in getattr(parent, "body", []):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_") and node.name != "__init__":
                continue
            qualified = f"{name}.{node.name}"
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield qualified, node, docstring
            if isinstance(node, ast.ClassDef):
                stack.append((qualified, node))


def _records(package_dir: Path, package: str) -> Iterator[dict[str, str]]:
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir.parent).with_suffix("")
        if any(part.startswith(("_", "test")) and part != "__init__" for part in relative.parts):
            continue
        module = ".".join(relative.parts).removesuffix(".__init__")
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for qualified, node, docstring in _documented(tree, module):
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", docstring) if p.strip()]
            if len(paragraphs) < 2:
                continue
            summary = _summary(paragraphs[0])
            body = "\n\n".join(paragraphs[1:])
            if not 4 <= len(summary.split()) <= 30 or len(body) < 80:
                continue
            yield {
                "package": package,
                "name": qualified,
                "query": summary,
                "text": f"# {qualified}\n\n```python\n{_signature(node)}\n```\n\n{body}\n",
            }


def _site_packages(given: str | None) -> Path:
    if given:
        return Path(given)
    return next(Path(p) for p in site.getsitepackages() if Path(p, "pydantic").is_dir())


def build(out: Path, site_packages: Path, max_per_package: int, seed: int = 16) -> dict[str, int]:
    """Write the corpus and both query files; the counts per part."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    seen_queries: set[str] = set()
    seen_bodies: set[str] = set()
    chosen: list[dict[str, str]] = []
    for package in PACKAGES:
        package_dir = site_packages / package
        if not package_dir.is_dir():
            continue
        records = []
        for record in _records(package_dir, package):
            body = record["text"].split("```\n\n", 1)[-1]
            key = record["query"].lower()
            if key in seen_queries or body in seen_bodies:
                continue
            seen_queries.add(key)
            seen_bodies.add(body)
            records.append(record)
        rng.shuffle(records)
        chosen += records[:max_per_package]
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    parts: dict[str, list[str]] = {"tune": [], "held": []}
    for record in chosen:
        doc_id = re.sub(r"[^A-Za-z0-9_.-]", "_", record["name"])
        (corpus / f"{doc_id}.md").write_text(record["text"], encoding="utf-8")
        bucket = int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        part = "held" if bucket < HELD_SHARE else "tune"
        line = {"question": record["query"], "relevant": [{"source": f"{doc_id}.md"}]}
        parts[part].append(json.dumps(line))
    for part, lines in parts.items():
        (out / f"{part}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"documents": len(chosen), **{part: len(lines) for part, lines in parts.items()}}


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--site-packages", default=None)
    parser.add_argument("--max-per-package", type=int, default=250)
    args = parser.parse_args()
    counts = build(args.out, _site_packages(args.site_packages), args.max_per_package)
    json.dump(counts, sys.stdout)
    print()


if __name__ == "__main__":
    main()
