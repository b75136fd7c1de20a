"""The agents x ML bridge: the executor scores records with the production model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import agents, ml
from {{ cookiecutter.package_name }}.agents._toolbox import build_toolset
from {{ cookiecutter.package_name }}.bridges import agents_ml
from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings

from .conftest import RunnerFactory
from .test_rag_bridge import one_tool_step


def test_the_bridge_lends_ml_predict_to_the_agents() -> None:
    assert agents_ml.ml_predict in agents.PILLAR_TOOLS.all()
    assert "ml_predict" in build_toolset().tools


def test_executor_scores_records_with_the_ml_model(
    make_runner: RunnerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FakePredictor:
        def predict(self, records: list[dict[str, object]]) -> list[Any]:
            return [ml.Prediction(probability=0.8, label=1, model_version="m:1") for _ in records]

    monkeypatch.setattr(ml.Predictor, "load", classmethod(lambda cls, tag=None: FakePredictor()))
    records = [{"tenure_months": 3}]
    runner = make_runner(one_tool_step("executor", "ml_predict", {"records": records}))
    record = asyncio.run(runner.arun("Will this customer churn?"))
    step = runner.store.steps(record.run_id)[1]
    assert [c.outcome for c in step.tool_calls] == ["ok"]
    assert '"probability": 0.8' in step.output["output"]


def test_without_a_trained_model_the_tool_says_so(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty store of its own: not the developer's, where `make demo` may have trained one.
    monkeypatch.setenv(f"{ENV_PREFIX}ML__BENTOML_HOME", str(tmp_path / "empty-store"))
    get_settings.cache_clear()
    with pytest.raises(ml.ModelNotFoundError):
        agents_ml.ml_predict([{"age": 30}])
