"""Prometheus rules and Grafana dashboards of generated projects are valid and watch real metrics.

* `promtool check config` (which loads the rule files) for the full project, one pillar at a time
  and core only; `promtool test rules` proves the main alerts fire on synthetic series and stay
  quiet on healthy ones (skipped when promtool is not installed: Debian's `prometheus` package);
* every dashboard is JSON with a unique uid and Prometheus targets;
* every metric a rule or panel queries is one the generated code exports (a metric named in
  `counter(...)`, `histogram(...)` or `gauge(...)` in src, or BentoML's HTTP metrics).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import helpers

pytestmark = pytest.mark.xdist_group("monitoring")

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install prometheus)"
)
MONITORING = Path("deploy/monitoring")
ONLY = {
    name: {answer: answer == pillar["answer"] for answer in helpers.PILLAR_ANSWERS}
    for name, pillar in helpers.PILLARS.items()
    if not pillar["requires"]
}
SHAPES = {"full": {}, **ONLY, "core": dict.fromkeys(helpers.PILLAR_ANSWERS, False)}
# Request metrics are the gateway's own (serving/_telemetry.py: BentoML's raw-path ones are off).
BENTOML = {"up"}
DECLARED = re.compile(r"\b(counter|histogram|gauge)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


@pytest.fixture(scope="module")
def shapes(render: Callable[..., Path]) -> dict[str, Path]:
    return {name: render(**answers) for name, answers in SHAPES.items()}


def exported_series(project: Path) -> set[str]:
    """Series names the project's code can expose (plus BentoML's own and `up`)."""
    series = set(BENTOML)
    for path in (project / "src").rglob("*.py"):
        for kind, name in DECLARED.findall(path.read_text(encoding="utf-8")):
            if kind == "histogram":
                series |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
            else:
                series.add(name)
    return series


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (labels, ranges, groupings and functions removed)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr)
    return {name for name in names if name not in PROMQL_WORDS}


def _rules(project: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((project / MONITORING / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            yield from group["rules"]


def _dashboards(project: Path) -> dict[str, dict[str, Any]]:
    folder = project / MONITORING / "grafana/dashboards"
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def test_metric_name_extraction() -> None:
    expr = (
        'sum by (le, model) (rate(llm_call_seconds_bucket{outcome!="ok"}[5m])) '
        "/ clamp_min(sum(rate(llm_calls_total[5m])), 1e-9) > 0.1 and on (x) up == 0"
    )
    assert metric_names(expr) == {"llm_call_seconds_bucket", "llm_calls_total", "up"}


@pytest.mark.parametrize("shape", SHAPES)
def test_rules_and_dashboards_follow_the_pillars(shapes: dict[str, Path], shape: str) -> None:
    """One rules file and one dashboard per chosen pillar that exports metrics in this shape."""
    project = shapes[shape]
    answers = {**helpers.defaults(), **SHAPES[shape]}
    chosen = set(helpers.template_lib.selected_pillars(answers, helpers.MANIFEST))
    rules = {p.stem for p in (project / MONITORING / "prometheus/rules").glob("*.yml")}
    assert rules == set(_dashboards(project))
    assert {"serving" if name == "service" else name for name in rules} <= chosen
    assert ("ml" in rules) is ("ml" in chosen)
    assert ("service" in rules) is ("serving" in chosen)
    # rag's metrics come from its HTTP endpoints: its alerts exist only with serving.
    assert ("rag" in rules) is ({"rag", "serving"} <= chosen)
    config = yaml.safe_load((project / MONITORING / "prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert ("service" in jobs) is ("serving" in chosen)


@pytest.mark.parametrize("shape", SHAPES)
def test_queries_use_exported_metrics(shapes: dict[str, Path], shape: str) -> None:
    project = shapes[shape]
    exported = exported_series(project)
    for rule in _rules(project):
        unknown = metric_names(rule["expr"]) - exported
        assert not unknown, f"alert {rule['alert']} queries unknown metrics {unknown}"
    for name, board in _dashboards(project).items():
        for panel in board["panels"]:
            for target in panel["targets"]:
                unknown = metric_names(target["expr"]) - exported
                assert not unknown, f"{name}: panel {panel['title']!r} queries {unknown}"


def test_dashboards_are_provisionable(shapes: dict[str, Path]) -> None:
    project = shapes["full"]
    boards = _dashboards(project)
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for board in boards.values():
        assert board["title"]
        assert helpers.SLUG in board["tags"]
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids))
        for panel in board["panels"]:
            assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}
            assert panel["targets"], panel["title"]
    provisioning = project / MONITORING / "grafana/provisioning"
    source = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["uid"] == "prometheus"
    provider = yaml.safe_load((provisioning / "dashboards/dashboards.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


@needs_promtool
@pytest.mark.parametrize("shape", SHAPES)
def test_promtool_accepts_config_and_rules(shapes: dict[str, Path], shape: str) -> None:
    config = shapes[shape] / MONITORING / "prometheus/prometheus.yml"
    result = subprocess.run(
        [str(PROMTOOL), "check", "config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _alert(name: str, labels: dict[str, str], summary: str, description: str) -> dict[str, Any]:
    return {
        "alertname": name,
        "eval_time": "15m",
        "exp_alerts": [
            {
                "exp_labels": labels,
                "exp_annotations": {"summary": summary, "description": description},
            }
        ],
    }


@needs_promtool
def test_alerts_fire_on_bad_series_and_not_on_good_ones(
    shapes: dict[str, Path], tmp_path: Path
) -> None:
    rules = shapes["full"] / MONITORING / "prometheus/rules"
    request = "serving_requests_total{{route='/predict',method='POST',status='{}'}}"
    llm = "llm_calls_total{{model='m',kind='run',outcome='{}'}}"
    tests = {
        "rule_files": [str(path) for path in sorted(rules.glob("*.yml"))],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": request.format("500"), "values": "0+6x20"},
                    {"series": request.format("200"), "values": "0+4x20"},
                    {"series": "ml_drift_detected{column='tenure_months'}", "values": "1x20"},
                    {"series": "ml_drift_detected{column='age'}", "values": "0x20"},
                    {"series": llm.format("ok"), "values": "0+1x20"},
                    {"series": llm.format("APIError"), "values": "0+1x20"},
                    {"series": "llm_grounded_answers_total{model='m'}", "values": "0+2x20"},
                    {
                        "series": "llm_abstentions_total{model='m',reason='unstable'}",
                        "values": "0+1x20",
                    },
                    {"series": "rag_search_seconds_count{mode='hybrid'}", "values": "0+2x20"},
                    {"series": "rag_empty_results_total{store='lancedb'}", "values": "0+1x20"},
                    {"series": "rag_index_age_seconds{store='lancedb'}", "values": "700000x20"},
                ],
                "alert_rule_test": [
                    _alert(
                        "HighErrorRate",
                        {"severity": "critical"},
                        "More than 5% of requests fail with 5xx",
                        "The 5xx ratio has been above 5% for 5 minutes.",
                    ),
                    _alert(
                        "DataDriftDetected",
                        {"severity": "warning", "column": "tenure_months"},
                        "Data drift in one input column (label: column)",
                        "The last drift check found the column drifted from the training "
                        "reference (see artifacts/drift/latest.json).",
                    ),
                    _alert(
                        "LLMErrorRate",
                        {"severity": "warning", "model": "m"},
                        "Over 10% of calls to one model fail (label: model)",
                        "Error ratio above 10% for 10 minutes (fallback models take over if "
                        "configured).",
                    ),
                    _alert(
                        "LLMAbstainRate",
                        {"severity": "warning", "model": "m"},
                        "Over 30% of grounded answers abstain (label: model)",
                        "Abstention ratio above 30% for 10 minutes: check retrieval quality and "
                        "the reason label of llm_abstentions_total.",
                    ),
                    _alert(
                        "RAGEmptyResults",
                        {"severity": "warning"},
                        "Over 20% of searches return no hit",
                        "Empty-result ratio above 20% for 10 minutes: the index may be empty, "
                        "filtered out or stale.",
                    ),
                    _alert(
                        "RAGIndexStale",
                        {"severity": "warning", "store": "lancedb"},
                        "The RAG index was not rebuilt for over a week (label: store)",
                        "Index age above 7 days: run the index flow (`make rag-index`) or check "
                        "its schedule.",
                    ),
                    {"alertname": "HighLatencyP99", "eval_time": "15m", "exp_alerts": []},
                    {"alertname": "AgentStepFailures", "eval_time": "15m", "exp_alerts": []},
                ],
            },
            {
                "interval": "1m",
                "input_series": [
                    {"series": request.format("200"), "values": "0+10x20"},
                    {"series": "ml_drift_detected{column='age'}", "values": "0x20"},
                    {"series": "up{job='service',instance='service:3000'}", "values": "1x20"},
                    {"series": "llm_grounded_answers_total{model='m'}", "values": "0+10x20"},
                    {"series": "rag_search_seconds_count{mode='hybrid'}", "values": "0+10x20"},
                    {"series": "rag_empty_results_total{store='lancedb'}", "values": "0x20"},
                    {"series": "rag_index_age_seconds{store='lancedb'}", "values": "3600x20"},
                ],
                "alert_rule_test": [
                    {"alertname": name, "eval_time": "15m", "exp_alerts": []}
                    for name in (
                        "HighErrorRate",
                        "DataDriftDetected",
                        "ServiceDown",
                        "LLMAbstainRate",
                        "RAGEmptyResults",
                        "RAGIndexStale",
                    )
                ],
            },
        ],
    }
    path = tmp_path / "alerts_test.yml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [str(PROMTOOL), "test", "rules", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
