"""``/predict`` over a real model trained once per session by the ml pillar's own flow."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml._data import normalise_label
from {{ cookiecutter.package_name }}.ml._inference import Predictor
from {{ cookiecutter.package_name }}.monitoring.settings import MonitoringSettings
from {{ cookiecutter.package_name }}.monitoring.tracing import setup_tracing, shutdown_tracing
from {{ cookiecutter.package_name }}.serving._adapters import discover
from {{ cookiecutter.package_name }}.serving._records import normalise_category
from {{ cookiecutter.package_name }}.serving.routes import ml as endpoints
from {{ cookiecutter.package_name }}.serving.settings import RouteSettingsError, ServingSettings
from tests.conftest import PROJECT_ROOT
from tests.ml.fixtures_ml import TrainedModel

from ..conftest import AUTH
from ..hostile import RAW_BODIES, Case, as_json

RECORD = {
    "age": 40,
    "tenure_months": 3,
    "monthly_charges": 99.5,
    "total_charges": 300.0,
    "support_calls": 4,
    "contract": "month-to-month",
    "payment_method": "credit card",
    "region": "south",
}


@pytest.fixture
def model(
    trained_model: TrainedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Predictor]:
    """Settings pointing at the trained model; the adapter loads it afresh."""
    for name, value in trained_model.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    endpoints.reset()
    yield endpoints.predictor()
    endpoints.reset()


def test_record_model_comes_from_the_frozen_schema(model: Predictor) -> None:
    record = endpoints.record_type()
    assert {f.alias for f in record.model_fields.values()} == set(model.contract.columns)
    assert record.model_validate(RECORD)
    with pytest.raises(ValidationError, match="age"):
        record.model_validate({**RECORD, "age": "forty"})
    with pytest.raises(ValidationError, match="unknown_column"):
        record.model_validate({**RECORD, "unknown_column": 1})


ARBITER_IMPORT = """
import sys
sys.argv = ["bentoml", "serve"]  # what the `bentoml serve` arbiter process sees
import bentoml_cli
from {{ cookiecutter.package_name }}.serving.routes import ml
heavy = sorted({"pandas", "sklearn", "xgboost"} & set(sys.modules))
print(ml.record_type() is ml.AnyRecord, heavy)
"""


@pytest.mark.slow
def test_the_bentoml_arbiter_imports_the_service_without_the_model(model: Predictor) -> None:
    """The arbiter only reads the configuration: the model and its libraries load in workers."""
    del model  # its settings are in the environment
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ARBITER_IMPORT],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip().splitlines()[-1] == "True []"


def test_predict_in_process_scores_and_logs(model: Predictor, tmp_path: Path) -> None:
    records = [RECORD, {**RECORD, "tenure_months": 60}]
    predictions = asyncio.run(endpoints.predict_records(records))
    assert len(predictions) == 2
    assert all(0.0 <= p.probability <= 1.0 for p in predictions)
    assert {p.model_version for p in predictions} == {model.version}
    logged = list(tmp_path.rglob("predictions-*.jsonl"))
    assert logged
    assert len(logged[0].read_text().splitlines()) == 2


def test_predict_over_http_with_metrics(model: Predictor, client: TestClient) -> None:
    response = client.post("/predict", json={"records": [RECORD]})
    assert response.status_code == 200, response.text
    [prediction] = response.json()
    assert prediction["model_version"] == model.version
    assert prediction["label"] in model.classes
    metrics = client.get("/metrics").text
    assert "serving_prediction_score_bucket" in metrics
    assert "serving_model_info{" + f'version="{model.version}"' + "} 1.0" in metrics
    assert asyncio.run(endpoints.ready()) is None


def test_predict_is_traced(model: Predictor) -> None:
    exporter = InMemorySpanExporter()
    setup_tracing(MonitoringSettings(), exporter=exporter, set_global=False)
    try:
        endpoints.score([RECORD])
    finally:
        shutdown_tracing()
    [span] = [s for s in exporter.get_finished_spans() if s.name == "ml.predict"]
    assert span.attributes is not None
    assert span.attributes["ml.model_version"] == model.version


def test_predict_rejects_a_non_list(client: TestClient) -> None:
    response = client.post("/predict", json={"records": {"age": 1}})
    assert response.status_code == 422
    assert client.post("/predict", json={}).status_code == 422


def test_not_ready_without_a_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}ML__BENTOML_HOME", str(tmp_path / "empty"))
    get_settings.cache_clear()
    endpoints.reset()
    reason = asyncio.run(endpoints.ready())
    assert reason
    assert "train" in reason


@pytest.mark.slow
def test_live_server_predicts_with_the_frozen_schema(live_server: str) -> None:
    """Over HTTP: the schema of the served model validates each field (422 names it)."""
    url = f"{live_server}/predict"
    ok = httpx.post(url, json={"records": [RECORD, RECORD]}, headers=AUTH, timeout=30)
    assert ok.status_code == 200, ok.text
    assert len(ok.json()) == 2
    wrong = httpx.post(url, json={"records": [{**RECORD, "age": "old"}]}, headers=AUTH, timeout=30)
    assert wrong.status_code == 422
    assert "age" in str(wrong.json()["detail"])
    unknown = httpx.post(url, json={"records": [{"colour": "red"}]}, headers=AUTH, timeout=30)
    assert unknown.status_code == 422


POISON: dict[str, bytes] = {
    "infinity-overflow": b'{"records": [{"age": 40, "monthly_charges": 1e999}]}',
    "huge-integer": b'{"records": [{"age": ' + b"9" * 401 + b"}]}",
    "nan-literal": b'{"records": [{"monthly_charges": NaN}]}',
    "negative-age": as_json({"records": [{**RECORD, "age": -5}]}),
    "far-outside-range": as_json({"records": [{**RECORD, "monthly_charges": 10**9}]}),
}


@pytest.mark.slow
def test_a_poisoned_record_fails_only_its_own_request(live_server: str) -> None:
    """Twenty valid clients and five poisoned ones at once: the valid ones all get 200."""

    async def run() -> tuple[list[int], list[int]]:
        async with httpx.AsyncClient(base_url=live_server, headers=AUTH, timeout=60) as client:
            valid = [client.post("/predict", json={"records": [RECORD]}) for _ in range(20)]
            poisoned = [
                client.post("/predict", content=body, headers={"content-type": "application/json"})
                for body in POISON.values()
            ]
            answers = await asyncio.gather(*valid, *poisoned)
        return [a.status_code for a in answers[:20]], [a.status_code for a in answers[20:]]

    valid, poisoned = asyncio.run(run())
    assert valid == [200] * 20
    assert poisoned == [422] * len(POISON)


def test_values_outside_the_contract_are_refused_naming_each(
    model: Predictor, client: TestClient
) -> None:
    records = [RECORD, {**RECORD, "age": -5, "contract": "lifetime"}]
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 422, response.text
    located = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert located == {("records", 1, "age"), ("records", 1, "contract")}
    fraction = client.post("/predict", json={"records": [RECORD, {**RECORD, "tenure_months": 2.5}]})
    assert fraction.status_code == 422
    assert fraction.json()["detail"][0]["loc"] == ["records", 1, "tenure_months"]


def test_http_predict_is_answered_by_the_direct_endpoint(
    model: Predictor, client: TestClient
) -> None:
    """Same answers as the BentoML API (in-process), errors with the request id."""
    [contribution] = [c for c in discover() if c.pillar == "ml"]
    assert contribution.endpoints == {("POST", "/predict"): endpoints.predict_endpoint}
    records = [RECORD, {**RECORD, "region": None}]
    answer = client.post("/predict", json={"records": records})
    assert answer.status_code == 200, answer.text
    in_process = asyncio.run(endpoints.predict_records(records))
    assert answer.json() == [p.model_dump() for p in in_process]
    wrong = client.post("/predict", json={"records": [{**RECORD, "age": "old"}]})
    assert wrong.status_code == 422
    assert wrong.json()["request_id"] == wrong.headers["x-request-id"]
    assert wrong.json()["detail"][0]["loc"] == ["records", 0, "age"]


def test_missing_required_columns_are_listed(model: Predictor, client: TestClient) -> None:
    required = [c for c, spec in model.contract.columns.items() if not spec["nullable"]]
    assert required
    response = client.post("/predict", json={"records": [{"age": 40}]})
    assert response.status_code == 422, response.text
    missing = {item["loc"][-1] for item in response.json()["detail"] if item["type"] == "missing"}
    assert missing == set(required)


def test_unknown_top_level_fields_are_refused(model: Predictor, client: TestClient) -> None:
    response = client.post("/predict", json={"records": [RECORD], "debug": True})
    assert response.status_code == 422
    assert "debug" in response.text


@pytest.mark.parametrize("policy", ["clip", "flag"])
def test_out_of_range_policy_clip_or_flag_scores_and_says_so(
    model: Predictor, client: TestClient, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PREDICT_OUT_OF_RANGE", policy)
    get_settings.cache_clear()
    far = {**RECORD, "monthly_charges": 10**6, "region": "atlantis"}
    response = client.post("/predict", json={"records": [RECORD, far]})
    assert response.status_code == 200, response.text
    ok, flagged = response.json()
    assert ok["out_of_range"] == []
    assert set(flagged["out_of_range"]) == {"monthly_charges", "region"}
    top = model.contract.columns["monthly_charges"]["max"]
    clipped = {**RECORD, "monthly_charges": top, "region": None}
    # Scored in the same batch shape as above (the pipeline's float32 math varies with it).
    same = [RECORD, clipped if policy == "clip" else far]
    expected = asyncio.run(endpoints.predict_records(same))
    assert flagged["probability"] == pytest.approx(expected[1].probability, abs=1e-6)


def test_too_many_records_are_refused(
    model: Predictor, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SERVING__PREDICT_MAX_RECORDS", "3")
    get_settings.cache_clear()
    assert client.post("/predict", json={"records": [RECORD] * 3}).status_code == 200
    assert client.post("/predict", json={"records": [RECORD] * 4}).status_code == 422


def test_category_spelling_matches_the_ml_pillar() -> None:
    for text in [" Month-to-month", "MONTH TO MONTH", "credit/card", "a__b", "Two_Year "]:
        assert normalise_category(text) == normalise_label(text)


def predict_cases() -> list[Case]:
    """Malformed requests to /predict: each answers 4xx, never 5xx, never a traceback."""
    cases: list[Case] = []
    bodies: dict[str, object] = {
        "no-records": {},
        "records-null": {"records": None},
        "records-string": {"records": "age=3"},
        "records-numbers": {"records": [1, 2]},
        "records-nested-list": {"records": [[{"age": 1}]]},
        "record-nested-object": {"records": [{"age": {"value": 1}}]},
        "record-null": {"records": [None]},
        "records-object": {"records": {"age": 1}},
        "extra-top-level-field": {"records": [RECORD], "debug": True},
        "misspelt-records": {"record": [RECORD]},
        "unknown-column": {"records": [{**RECORD, "colour": "red"}]},
        "age-string": {"records": [{**RECORD, "age": "forty"}]},
        "age-bool": {"records": [{**RECORD, "age": True}]},
        "age-fraction": {"records": [{**RECORD, "age": 40.5}]},
        "age-negative": {"records": [{**RECORD, "age": -1}]},
        "age-above-2-53": {"records": [{**RECORD, "age": 2**60}]},
        "charges-list": {"records": [{**RECORD, "monthly_charges": [1]}]},
        "charges-huge": {"records": [{**RECORD, "monthly_charges": 1e300}]},
        "contract-unknown": {"records": [{**RECORD, "contract": "lifetime"}]},
        "contract-number": {"records": [{**RECORD, "contract": 1}]},
        "contract-long": {"records": [{**RECORD, "contract": "x" * 10_000}]},
        "required-missing": {"records": [{"age": 40}]},
        "empty-record": {"records": [{}]},
        "too-many-records": {"records": [RECORD] * 1001},
    }
    cases += [Case(f"predict/{n}", "/predict", as_json(b)) for n, b in bodies.items()]
    cases += [Case(f"predict/{n}", "/predict", b) for n, b in RAW_BODIES.items()]
    cases += [Case(f"predict/poison-{n}", "/predict", b) for n, b in POISON.items()]
    return cases


def test_info_lists_predict(client: TestClient) -> None:
    assert "/predict" in client.post("/info").json()["routes"]


def test_route_settings_are_read_from_the_serving_section() -> None:
    serving = ServingSettings.model_validate(
        {"predict_batching": "false", "predict_max_batch_size": "8"}
    )
    route = serving.route("predict", endpoints.PredictRouteSettings)
    assert route.batching is False
    assert route.max_batch_size == 8
    assert route.max_latency_ms == endpoints.PredictRouteSettings().max_latency_ms


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("predict_max_batch_size", "1", "SERVING__PREDICT_MAX_BATCH_SIZE"),
        ("predict_batchng", "true", "SERVING__PREDICT_BATCHNG"),
    ],
)
def test_invalid_route_settings_name_the_variable(field: str, value: str, variable: str) -> None:
    serving = ServingSettings.model_validate({field: value})
    with pytest.raises(RouteSettingsError, match=variable):
        serving.route("predict", endpoints.PredictRouteSettings)


def test_env_example_documents_the_route_settings() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    for field in endpoints.PredictRouteSettings.model_fields:
        assert f"{ENV_PREFIX}SERVING__PREDICT_{field.upper()}=" in example


# Sent by tests/serving/test_bad_inputs.py with the service's own corpus (one app start).
HOSTILE_CASES = predict_cases()
