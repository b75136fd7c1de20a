"""The model registry: the BentoML model store, plus a ``production`` alias per model name.

Each trained pipeline becomes a store entry ``<model_name>:<version>`` holding the whole fitted
scikit-learn pipeline (``pipeline.joblib``) and its scoring form (``scorer.json``, when the
pipeline has one), the frozen data schema, the drift reference sample
(``reference.parquet``, ``reference_scores.json``), the report and plots, with labels (holdout
ROC AUC, data hash, schema version, git commit). BentoML labels are immutable once saved, so which
version serves is an alias kept beside the store: ``<home>/aliases/<model_name>.json``, written
atomically, with the history of every promotion decision.

The store lives under the ``ml.bentoml_home`` setting, else ``BENTOML_HOME``, else
``<artifacts_dir>/bentoml``: by default a project's own folder, not BentoML's machine-wide
``~/bentoml``, where every project on a machine would share (and serve) one ``tabular-classifier``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._errors import ModelNotFoundError

PRODUCTION = "production"
PIPELINE_FILE = "pipeline.joblib"
REFERENCE_FILE = "reference.parquet"
REFERENCE_SCORES_FILE = "reference_scores.json"
SCHEMA_FILE = "schema.json"
SCORER_FILE = "scorer.json"


@dataclass(frozen=True)
class ModelRecord:
    """One entry of the model store."""

    tag: str
    path: Path
    labels: dict[str, str]
    metadata: dict[str, Any]

    @property
    def version(self) -> str:
        """The version part of the tag."""
        return self.tag.split(":", 1)[1]


@dataclass(frozen=True)
class Decision:
    """The champion/challenger verdict of one training run."""

    promote: bool
    reason: str
    challenger_auc: float
    champion_auc: float | None
    champion_tag: str | None
    contract_mismatch: bool = False


def home(configured: Path | None, artifacts_dir: Path) -> Path:
    """The BentoML home: the setting, else ``BENTOML_HOME``, else ``<artifacts_dir>/bentoml``."""
    if configured is not None:
        return configured
    from_env = os.environ.get("BENTOML_HOME", "")
    return Path(from_env) if from_env else (artifacts_dir / "bentoml").absolute()


def _store(root: Path) -> Any:
    from bentoml._internal.models.model import ModelStore  # noqa: PLC0415  (public API has none)

    (root / "models").mkdir(parents=True, exist_ok=True)
    return ModelStore(root / "models")


def _record(model: Any) -> ModelRecord:
    return ModelRecord(
        tag=str(model.tag),
        path=Path(model.path),
        labels=dict(model.info.labels),
        metadata=dict(model.info.metadata),
    )


def register(
    name: str,
    version: str,
    files: Mapping[str, Path],
    *,
    labels: Mapping[str, str],
    metadata: Mapping[str, Any],
    root: Path,
) -> ModelRecord:
    """Save a model version: copy ``files`` (store file name -> local path) into a new entry."""
    import bentoml  # noqa: PLC0415

    tag = f"{name}:{version.lower()}"
    with bentoml.models.create(
        tag, labels=dict(labels), metadata=dict(metadata), _model_store=_store(root)
    ) as model:
        for target, source in files.items():
            shutil.copyfile(source, model.path_of(target))
    return get(tag, root)


def get(tag: str, root: Path) -> ModelRecord:
    """The store entry ``tag`` (``name:version``).

    Raises:
        ModelNotFoundError: no such entry.
    """
    from bentoml.exceptions import NotFound  # noqa: PLC0415

    try:
        return _record(_store(root).get(tag))
    except NotFound as error:
        raise ModelNotFoundError(f"model {tag!r} is not in the store under {root}") from error


def list_versions(name: str, root: Path) -> list[ModelRecord]:
    """Every version of ``name``, oldest first."""
    from bentoml.exceptions import NotFound  # noqa: PLC0415

    try:
        models = _store(root).list(name)
    except NotFound:
        return []
    return sorted((_record(m) for m in models), key=lambda r: r.metadata.get("trained_at", ""))


def _aliases_path(name: str, root: Path) -> Path:
    return root / "aliases" / f"{name}.json"


def read_aliases(name: str, root: Path) -> dict[str, Any]:
    """The alias document of ``name``: ``{"production": tag, "history": [...]}``."""
    path = _aliases_path(name, root)
    if not path.is_file():
        return {"history": []}
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def alias(name: str, root: Path, which: str = PRODUCTION) -> str | None:
    """The tag the alias ``which`` points to, if any."""
    tag = read_aliases(name, root).get(which)
    return str(tag) if tag else None


def record_decision(name: str, root: Path, challenger: str, decision: Decision) -> dict[str, Any]:
    """Append ``decision`` to the history and move ``production`` when it says so (atomically)."""
    document = read_aliases(name, root)
    document["history"].append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "challenger": challenger,
            "champion": decision.champion_tag,
            "challenger_auc": decision.challenger_auc,
            "champion_auc": decision.champion_auc,
            "promoted": decision.promote,
            "reason": decision.reason,
        }
    )
    if decision.promote:
        document[PRODUCTION] = challenger
    path = _aliases_path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)
    return document


def decide(
    challenger_auc: float,
    champion_auc: float | None,
    margin: float,
    champion_tag: str | None = None,
) -> Decision:
    """Promote when there is no comparable champion or the challenger beats it by ``margin``."""
    if champion_tag is None:
        reason = "no production model yet"
        return Decision(True, reason, challenger_auc, None, None)
    if champion_auc is None:
        reason = f"champion {champion_tag} cannot score this holdout: not promoted"
        return Decision(False, reason, challenger_auc, None, champion_tag)
    better = challenger_auc >= champion_auc + margin
    verb = "beats" if better else "does not beat"
    reason = (
        f"challenger ROC AUC {challenger_auc:.4f} {verb} champion {champion_auc:.4f} "
        f"+ margin {margin:.4f}"
    )
    return Decision(better, reason, challenger_auc, champion_auc, champion_tag)
