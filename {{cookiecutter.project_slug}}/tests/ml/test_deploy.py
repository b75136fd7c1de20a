"""Deployment definitions: the served deployments and prefect.yaml point at real flows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from prefect.flows import Flow, load_flow_from_entrypoint

from {{ cookiecutter.package_name }}.ml._deploy import BATCH_PREDICT, RETRAIN, deployments
from {{ cookiecutter.package_name }}.ml.settings import MLSettings
from tests.conftest import PROJECT_ROOT


def test_retraining_runs_on_the_configured_schedule() -> None:
    retrain, batch = deployments(MLSettings(retrain_cron="15 2 * * *"))
    assert (retrain.name, batch.name) == (RETRAIN, BATCH_PREDICT)
    assert retrain.schedules[0].schedule.cron == "15 2 * * *"
    assert not batch.schedules


PREFECT_YAML = (PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "entrypoint", re.findall(r"^ +entrypoint: (\S+)$", PREFECT_YAML, flags=re.MULTILINE)
)
def test_prefect_yaml_entrypoints_load_flows(entrypoint: str) -> None:
    flow: Flow[Any, Any] = load_flow_from_entrypoint(entrypoint)
    assert isinstance(flow, Flow)
    assert flow.name in {"ml-train", "ml-batch-predict"}


def test_prefect_yaml_declares_both_deployments_and_the_default_schedule() -> None:
    assert f"- name: {RETRAIN}" in PREFECT_YAML
    assert f"- name: {BATCH_PREDICT}" in PREFECT_YAML
    assert f'cron: "{MLSettings().retrain_cron}"' in PREFECT_YAML
