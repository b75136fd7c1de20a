"""The serving pillar's deployment files: Kubernetes manifests valid against the Kubernetes
schemas (vendored, offline), a sane Dockerfile and docker-compose file, for several combos."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests import helpers

SCHEMAS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "k8s" / "schemas-v1.37.json").read_text()
)
COMBOS = [
    {},  # every pillar
    helpers.only("serving"),
    helpers.only("ml", "serving"),
]


def k8s_documents(project: Path) -> list[dict[str, Any]]:
    """Every resource the kustomization lists, parsed."""
    base = project / "deploy" / "k8s"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    documents: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        documents.extend(doc for doc in yaml.safe_load_all((base / resource).read_text()) if doc)
    return documents


def validate(document: dict[str, Any]) -> None:
    """Validate one resource against the schema of its apiVersion/kind."""
    key = f"{document['apiVersion']}/{document['kind']}"
    assert key in SCHEMAS["kinds"], f"no vendored schema for {key}"
    schema = {**SCHEMAS["kinds"][key], "$defs": SCHEMAS["$defs"]}
    jsonschema.Draft202012Validator(schema).validate(document)


@pytest.mark.parametrize("combo", COMBOS, ids=helpers.combo_id)
def test_kubernetes_manifests_match_the_schemas(
    render: Callable[..., Path], combo: dict[str, bool]
) -> None:
    documents = k8s_documents(render(**combo))
    kinds = {doc["kind"] for doc in documents}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"} <= kinds
    for document in documents:
        validate(document)
    [deployment] = [doc for doc in documents if doc["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["resources"]["requests"]
    assert any("secretRef" in source for source in container["envFrom"])


def test_schema_check_catches_mistakes() -> None:
    """The vendored schemas are strict: a typo in a field is an error, not ignored."""
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "eighty"}], "selectr": {}},
    }
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds(render: Callable[..., Path]) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(render() / "deploy" / "k8s")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(built) if doc]
    for document in documents:
        validate(document)
    labels = {doc["metadata"]["labels"]["app.kubernetes.io/name"] for doc in documents}
    assert labels == {helpers.SLUG}


@pytest.mark.parametrize("combo", COMBOS, ids=helpers.combo_id)
def test_dockerfile_is_multistage_non_root_with_healthcheck(
    render: Callable[..., Path], combo: dict[str, bool]
) -> None:
    project = render(**combo)
    text = (project / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2
    assert re.search(r"^USER 10001$", text, re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert f'"{helpers.PACKAGE}.serving.service:AIService"' in text
    copies_data = "COPY --chown=app:app data ./data" in text
    assert copies_data == (project / "data").is_dir()


@pytest.mark.parametrize("combo", COMBOS, ids=helpers.combo_id)
def test_compose_services_and_mounted_files(
    render: Callable[..., Path], combo: dict[str, bool]
) -> None:
    project = render(**combo)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    services = set(compose["services"])
    assert {"service", "redis", "prometheus", "grafana", "otel-collector"} <= services
    assert ("prefect" in services) == combo.get("use_ml", True)
    for name, service in compose["services"].items():
        if "image" in service and name != "service":  # the service's own image is built here
            image = service["image"]
            assert ":" in image, f"{name}: image {image} has no tag"
            assert not image.endswith(":latest"), f"{name}: pin {image} (Renovate updates it)"
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (project / source).exists(), source
    prometheus = yaml.safe_load(
        (project / "deploy/monitoring/prometheus/prometheus.yml").read_text()
    )
    targets = [
        t
        for job in prometheus["scrape_configs"]
        for c in job["static_configs"]
        for t in c["targets"]
    ]
    assert "service:3000" in targets
