from __future__ import annotations

import re
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.llm._prompts import PromptError, PromptRegistry, parse_prompt

PROMPT = """---
name: greet
version: VERSION
description: Say hello.
variables: [who]
---
Hello [[ who ]]! Reply as JSON: {"ok": true}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_prompts_cover_the_four_styles() -> None:
    registry = PromptRegistry()
    styles = {registry.get(name).metadata.get("style") for name in registry.names()}
    assert {"zero-shot", "few-shot", "chain-of-thought", "role-based"} <= styles


def test_render_fills_variables_and_records_the_version() -> None:
    rendered = PromptRegistry().render(
        "explain_as_role", role="a chef", audience="kids", topic="salt"
    )
    assert rendered.ref == "explain_as_role@1"
    assert rendered.text == "Explain: salt"
    assert rendered.system is not None
    assert "You are a chef" in rendered.system


def test_few_shot_examples_come_from_the_front_matter() -> None:
    text = PromptRegistry().render("extract_ticket", message="refund please").text
    assert text.count("Team:") == 3
    assert text.endswith("Message: refund please")


def test_missing_and_unknown_variables_are_rejected() -> None:
    registry = PromptRegistry()
    with pytest.raises(PromptError, match=r"missing variables \['review'\]"):
        registry.render("classify_sentiment")
    with pytest.raises(PromptError, match=r"unknown variables \['tone'\]"):
        registry.render("classify_sentiment", review="ok", tone="dry")


def test_templates_using_undeclared_variables_fail_to_load() -> None:
    text = "---\nname: x\nversion: 1\nvariables: []\n---\nHi [[ who ]]"
    with pytest.raises(PromptError, match=r"undeclared variables \['who'\]"):
        parse_prompt(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter", "starts with a '---' front-matter"),
        ("---\nname: x\nversion: 1\n", "starts with a '---' front-matter"),
        ("---\nname: x\n---\nbody", "needs `name` and an integer `version`"),
        ("---\nversion: one\nname: x\n---\nb", "needs `name` and an integer `version`"),
        ("---\nname: [broken\n---\nb", "front-matter is not valid YAML"),
        ("---\n- a list\n---\nb", "must be `key: value` lines"),
        ("---\nname: x\nversion: 1\n---\nHi [[ who ]", "template syntax error on line 1"),
    ],
)
def test_malformed_files_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(PromptError) as caught:
        parse_prompt(text, Path("mine/x.v1.md"))
    assert str(caught.value).startswith("mine/x.v1.md: ")
    assert problem in str(caught.value)


def test_a_broken_file_does_not_stop_the_other_prompts(tmp_path: Path) -> None:
    _write(tmp_path / "p", "greet.v1.md", PROMPT.replace("VERSION", "1"))
    broken = _write(tmp_path / "p", "farewell.v1.md", "---\nname: [farewell\n---\nBye")
    (tmp_path / "p" / "binary.v1.md").write_bytes(b"\xff\xfe\x00 not text")
    registry = PromptRegistry([tmp_path / "p"])
    assert registry.render("greet", who="Ada").text.startswith("Hello Ada!")
    assert "classify_sentiment" in registry.names()  # the built-ins still load
    assert [problem.path.name for problem in registry.problems] == [
        "binary.v1.md",
        "farewell.v1.md",
    ]
    loading = re.escape(f"prompt 'farewell' could not be loaded: {broken}: ")
    with pytest.raises(PromptError, match=loading):
        registry.get("farewell")
    with pytest.raises(PromptError, match=re.escape("binary.v1.md: cannot be read as UTF-8")):
        registry.get("binary")


def test_extra_folders_add_versions_and_json_braces_stay_literal(tmp_path: Path) -> None:
    _write(tmp_path / "p", "greet.v1.md", PROMPT.replace("VERSION", "1"))
    _write(tmp_path / "p", "greet.v2.md", PROMPT.replace("VERSION", "2").replace("Hello", "Hi"))
    registry = PromptRegistry([tmp_path / "p"])
    assert registry.versions("greet") == [1, 2]
    assert registry.render("greet", who="Ada").text.startswith("Hi Ada!")
    old = registry.render("greet", version=1, who="Ada")
    assert old.text == 'Hello Ada! Reply as JSON: {"ok": true}'
    with pytest.raises(PromptError, match="no version 3"):
        registry.get("greet", 3)
    with pytest.raises(PromptError, match="unknown prompt"):
        registry.get("nope")


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="does not exist"):
        PromptRegistry([tmp_path / "absent"])
