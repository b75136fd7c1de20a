"""The BentoML model store, the production alias and the champion/challenger decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.settings import ENV_PREFIX, get_settings
from {{ cookiecutter.package_name }}.ml import _errors as errors
from {{ cookiecutter.package_name }}.ml import _inference as inference
from {{ cookiecutter.package_name }}.ml import _registry as registry
from {{ cookiecutter.package_name }}.ml.settings import MLSettings


def test_decision_both_ways() -> None:
    first = registry.decide(0.80, None, 0.01)
    assert first.promote
    assert first.reason == "no production model yet"
    better = registry.decide(0.85, 0.83, 0.01, "m:old")
    assert better.promote
    assert "beats champion 0.8300" in better.reason
    worse = registry.decide(0.835, 0.83, 0.01, "m:old")
    assert not worse.promote
    assert "does not beat" in worse.reason
    incomparable = registry.decide(0.7, None, 0.01, "m:old")
    assert not incomparable.promote
    assert "cannot score" in incomparable.reason


def _payload(tmp_path: Path) -> Path:
    payload = tmp_path / "pipeline.joblib"
    payload.write_bytes(b"not really a model")
    return payload


def _register(root: Path, tmp_path: Path, version: str) -> registry.ModelRecord:
    return registry.register(
        "churn",
        version,
        {registry.PIPELINE_FILE: _payload(tmp_path)},
        labels={"roc_auc": "0.8", "data_hash": "abc"},
        metadata={"trained_at": version, "threshold": 0.4},
        root=root,
    )


def test_register_get_and_list(tmp_path: Path) -> None:
    root = tmp_path / "home"
    first = _register(root, tmp_path, "20250101t000000z-aaaa")
    second = _register(root, tmp_path, "20250201t000000z-bbbb")
    assert first.tag == "churn:20250101t000000z-aaaa"
    assert first.version == "20250101t000000z-aaaa"
    assert (first.path / registry.PIPELINE_FILE).read_bytes() == b"not really a model"
    assert first.labels == {"roc_auc": "0.8", "data_hash": "abc"}
    assert registry.get(second.tag, root).metadata["threshold"] == 0.4
    assert [r.tag for r in registry.list_versions("churn", root)] == [first.tag, second.tag]
    assert registry.list_versions("other", root) == []
    with pytest.raises(errors.ModelNotFoundError, match="churn:nope"):
        registry.get("churn:nope", root)


def test_alias_moves_only_on_promotion_and_keeps_history(tmp_path: Path) -> None:
    assert registry.alias("churn", tmp_path) is None
    registry.record_decision("churn", tmp_path, "churn:a", registry.decide(0.8, None, 0.0))
    registry.record_decision(
        "churn", tmp_path, "churn:b", registry.decide(0.7, 0.8, 0.0, "churn:a")
    )
    assert registry.alias("churn", tmp_path) == "churn:a"
    registry.record_decision(
        "churn", tmp_path, "churn:c", registry.decide(0.9, 0.8, 0.0, "churn:a")
    )
    assert registry.alias("churn", tmp_path) == "churn:c"
    document = json.loads((tmp_path / "aliases" / "churn.json").read_text(encoding="utf-8"))
    assert [h["promoted"] for h in document["history"]] == [True, False, True]
    assert document["history"][1]["champion_auc"] == 0.8


def test_home_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path / "env"))
    assert registry.home(tmp_path / "set", artifacts) == tmp_path / "set"
    assert registry.home(None, artifacts) == tmp_path / "env"
    monkeypatch.setenv("BENTOML_HOME", "")
    assert registry.home(None, artifacts) == artifacts / "bentoml"
    monkeypatch.delenv("BENTOML_HOME")
    monkeypatch.chdir(tmp_path)
    # Relative artifact folders resolve against the working directory, so messages name a path.
    assert registry.home(None, Path("artifacts")) == artifacts / "bentoml"


def test_projects_on_one_machine_do_not_share_models(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no home configured, each project's store is its own: B never serves A's model."""
    monkeypatch.delenv("BENTOML_HOME", raising=False)
    monkeypatch.delenv(f"{ENV_PREFIX}ML__BENTOML_HOME", raising=False)
    model_name = MLSettings().model_name
    project_a, project_b = tmp_path / "a" / "artifacts", tmp_path / "b" / "artifacts"
    root_a = registry.home(None, project_a)
    record = registry.register(
        model_name,
        "20250101t000000z-aaaa",
        {registry.PIPELINE_FILE: _payload(tmp_path)},
        labels={"roc_auc": "0.8"},
        metadata={},
        root=root_a,
    )
    registry.record_decision(model_name, root_a, record.tag, registry.decide(0.8, None, 0.0))

    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(project_a))
    get_settings.cache_clear()
    assert inference.resolve().tag == record.tag

    monkeypatch.setenv(f"{ENV_PREFIX}ARTIFACTS_DIR", str(project_b))
    get_settings.cache_clear()
    with pytest.raises(errors.ModelNotFoundError, match=str(project_b / "bentoml")):
        inference.resolve()
    get_settings.cache_clear()
