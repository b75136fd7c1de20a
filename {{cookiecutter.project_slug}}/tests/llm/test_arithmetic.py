from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.llm._arithmetic import safe_eval


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2", 3),
        ("(17 + 25) * 3", 126),
        ("2 ** 10 / 4", 256.0),
        ("-7 // 2", -4),
        ("10 % 4 + +1", 3),
        ("0.5 * 4", 2.0),
    ],
)
def test_safe_eval_computes_arithmetic(expression: str, expected: float) -> None:
    assert safe_eval(expression) == expected


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('echo hi')", "x + 1", "abs(-1)", "1 +", "'a' * 3", "2 ** 1000"],
)
def test_safe_eval_refuses_everything_else(expression: str) -> None:
    with pytest.raises(ValueError, match=r"only numbers|not an arithmetic|exponent"):
        safe_eval(expression)


def test_safe_eval_refuses_long_input() -> None:
    with pytest.raises(ValueError, match="longer than"):
        safe_eval("1+" * 200 + "1")


def test_division_by_zero_is_reported() -> None:
    with pytest.raises(ZeroDivisionError):
        safe_eval("1 / (2 - 2)")
