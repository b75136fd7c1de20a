from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic_ai import ModelRetry, Tool

from {{ cookiecutter.package_name }}.llm import FakeOpenAIServer, LLMSettings
from {{ cookiecutter.package_name }}.llm._tools import (
    ToolRegistry,
    calculate,
    default_tools,
    host_allowed,
    http_get_tool,
    sql_query_tool,
)


def _fn(tool: Tool[Any]) -> Callable[..., Any]:
    return cast(Callable[..., Any], tool.function)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE items (name TEXT, price REAL)")
        db.executemany("INSERT INTO items VALUES (?, ?)", [("tea", 3.5), ("cake", 4.0)])
    return path


@pytest.mark.parametrize(
    ("expression", "value"), [("1 + 2 * 3", 7.0), ("(12.5 * 4) / 3", 50 / 3), ("-2 ** 2", -4.0)]
)
def test_calculator_evaluates_arithmetic(expression: str, value: float) -> None:
    assert calculate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "only numbers"),
        ("1 / 0", "cannot evaluate"),
        ("2 ** 1000", "too large"),
    ],
)
def test_calculator_refuses_anything_else(expression: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        calculate(expression)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/v1", True),
        ("https://deep.api.example.com/", True),
        ("http://example.com/", False),
        ("ftp://api.example.com/", False),
        ("https://api.example.com.evil.net/", False),
    ],
)
def test_host_allowlist(url: str, allowed: bool) -> None:
    assert host_allowed(url, ["api.example.com", "*.api.example.com"]) is allowed


def test_http_tool_fetches_only_allowed_hosts(fake_server: FakeOpenAIServer) -> None:
    fetch = _fn(http_get_tool(["127.0.0.1"]))
    assert '"fake-echo"' in fetch(f"{fake_server.base_url}/models")
    with pytest.raises(ModelRetry, match="not allowed"):
        fetch("http://localhost:9/secret")


def test_sql_tool_runs_parameterised_selects(database: Path) -> None:
    query = _fn(sql_query_tool(database))
    assert query("SELECT name FROM items WHERE price > ?", [3.8]) == [{"name": "cake"}]


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM items", "WITH x AS (SELECT 1) INSERT INTO items VALUES ('x', 1)", "SELECT nope"],
)
def test_sql_tool_is_read_only(database: Path, statement: str) -> None:
    with pytest.raises(ModelRetry):
        _fn(sql_query_tool(database))(statement)
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2


def test_registry_names_tools_and_refuses_duplicates(database: Path) -> None:
    settings = LLMSettings(http_allowed_hosts=["api.example.com"], sql_database=database)
    registry = default_tools(settings)
    assert registry.names() == ["calculate", "http_get", "sql_query"]
    assert [t.name for t in registry.tools(["calculate"])] == ["calculate"]
    with pytest.raises(ValueError, match="already registered"):
        registry.add(calculate)
    with pytest.raises(KeyError, match="no tool"):
        registry.get("missing")


def test_register_decorator_keeps_the_function() -> None:
    registry = ToolRegistry()

    @registry.register
    def shout(text: str) -> str:
        """Upper-case ``text``."""
        return text.upper()

    assert shout("a") == "A"
    assert registry.get("shout").description == "Upper-case ``text``."
    assert default_tools(LLMSettings()).names() == ["calculate"]
