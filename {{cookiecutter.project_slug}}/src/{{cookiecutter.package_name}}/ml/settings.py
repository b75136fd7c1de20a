"""Settings of the ml pillar: the ``ml`` section (env vars ``<PREFIX>_ML__<FIELD>``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from ..core.plugins import check_import_path

if TYPE_CHECKING:
    from ._ingest import ReadOptions


class MLSettings(BaseModel):
    """Where the data comes from, how it is validated, tuned, tracked and registered."""

    # --- data ------------------------------------------------------------------------------------
    data_path: Path = Field(
        default=Path("ml/customers.csv"),
        description="Training CSV or Parquet file; a relative path is read from the core data_dir.",
    )
    sql_url: SecretStr = Field(
        default=SecretStr(""),
        description="SQLAlchemy URL to read training data from with sql_query; empty: DuckDB.",
    )
    sql_query: str = Field(
        default="",
        description="SQL query returning the training table; empty: read data_path instead.",
    )
    target: str = Field(default="churned", description="Name of the binary target column.")
    positive_label: str = Field(
        default="",
        description="Target value of the positive class; empty: 1/yes/true or the rarer value.",
    )
    id_columns: list[str] = Field(
        default_factory=list,
        description="Identifier columns to drop (JSON list); empty: detected from names/values.",
    )
    leakage_check: bool = Field(
        default=True,
        description="Refuse to train when one column predicts the target almost alone (ROC AUC "
        ">= 0.995 by itself: a copy of the target, or a value known only after the outcome).",
    )
    csv_delimiter: str = Field(
        default="",
        max_length=1,
        description="CSV delimiter (one character, e.g. ';'); empty: detected from the file.",
    )
    csv_encoding: str = Field(
        default="", description="CSV encoding (e.g. latin-1); empty: UTF-8, else Windows-1252."
    )
    decimal_comma: bool = Field(
        default=False, description="Numbers in CSV cells use a decimal comma (1.234,5)."
    )
    schema_path: Path = Field(
        default=Path(""),
        description="Frozen data schema (JSON); empty: <data>.schema.json beside the data if "
        "present (a reviewed contract), else one file per source under <artifacts_dir>/ml/schemas.",
    )
    max_quarantine_fraction: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Fail the run when more than this fraction of rows is quarantined.",
    )
    winsorize_quantile: float = Field(
        default=0.01,
        ge=0.0,
        lt=0.5,
        description="Clip numbers to the [q, 1-q] quantiles of the training rows; 0 disables.",
    )
    # --- training --------------------------------------------------------------------------------
    estimator: str = Field(
        default="",
        description="Your classifier instead of the tuned XGBoost: `package.module:function` "
        "returning an unfitted scikit-learn classifier; empty: XGBoost.",
    )
    test_size: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="Fraction of rows held out for evaluation."
    )
    cv_folds: int = Field(default=3, ge=2, description="Stratified cross-validation folds.")
    random_seed: int = Field(default=42, description="Seed for splits, tuning and models.")
    n_estimators: int = Field(default=200, ge=1, description="XGBoost trees (untuned default).")
    max_depth: int = Field(default=4, ge=1, description="XGBoost maximum depth (untuned default).")
    learning_rate: float = Field(default=0.05, gt=0.0, description="XGBoost shrinkage (default).")
    tuning_trials: int = Field(
        default=10, ge=0, description="Optuna trials (0: no tuning, use the defaults above)."
    )
    tuning_timeout_s: float = Field(
        default=600.0,
        gt=0.0,
        description="Safety cap on the Optuna search, in seconds: the trial count decides; a "
        "search cut short by this cap warns and says so in the report.",
    )
    # --- tracking and registry -------------------------------------------------------------------
    tracking_enabled: bool = Field(default=True, description="Log runs to MLflow.")
    tracking_uri: str = Field(
        default="",
        description="MLflow tracking URI; empty: sqlite:///<artifacts_dir>/ml/mlflow.db.",
    )
    experiment_name: str = Field(default="ml-train", description="MLflow experiment name.")
    model_name: str = Field(
        default="tabular-classifier", description="Name of the model in the BentoML model store."
    )
    bentoml_home: Path | None = Field(
        default=None,
        description="Model store home; empty: BENTOML_HOME, else <artifacts_dir>/bentoml.",
    )
    production_tag: str = Field(
        default="",
        description="Pin serving to this model tag (name:version); empty: the production alias.",
    )
    promotion_margin: float = Field(
        default=0.0,
        ge=0.0,
        description="A challenger is promoted when its holdout ROC AUC beats production by this.",
    )
    # --- orchestration ---------------------------------------------------------------------------
    task_runner: Literal["threads", "dask"] = Field(
        default="threads", description="Prefect task runner: threads, or a Dask cluster."
    )
    dask_address: str = Field(
        default="", description="Dask scheduler address; empty: start a LocalCluster."
    )
    retrain_cron: str = Field(
        default="0 3 * * 1", description="Cron schedule of the retraining deployment (UTC)."
    )

    @field_validator("estimator")
    @classmethod
    def _import_path_or_blank(cls, value: str) -> str:
        return check_import_path(value) if value else value

    @field_validator("bentoml_home", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """``BENTOML_HOME=`` (blank, as in .env.example) means: not set."""
        return None if value in ("", ".") else value

    def resolve_data_path(self, data_dir: Path) -> Path:
        """Return ``data_path``, read relative to ``data_dir`` unless it is absolute."""
        return self.data_path if self.data_path.is_absolute() else data_dir / self.data_path

    def resolve_schema_path(
        self, data_dir: Path, artifacts_dir: Path, data_path: Path | None = None
    ) -> Path:
        """The frozen schema file of the source (``data_path``, else the settings' source).

        The ``schema_path`` setting wins; else a ``<data>.schema.json`` beside a data file when
        one exists (a reviewed, committed contract); else one file per source under
        ``<artifacts_dir>/ml/schemas/`` (keyed by the file's path or the query's hash), so the
        data folder may be read-only and two queries never share a schema.
        """
        from ._ingest import source_key  # noqa: PLC0415  (keeps settings import-light)

        if str(self.schema_path) not in {"", "."}:
            path = self.schema_path
            return path if path.is_absolute() else data_dir / path
        source = data_path
        if source is None and not self.sql_query:
            source = self.resolve_data_path(data_dir)
        if source is not None and source.with_suffix(".schema.json").is_file():
            return source.with_suffix(".schema.json")
        key = source_key(source, self.sql_query)
        return artifacts_dir / "ml" / "schemas" / f"{key}.schema.json"

    def read_options(self) -> ReadOptions:
        """How CSV files are read (explicit settings override detection)."""
        from ._ingest import ReadOptions  # noqa: PLC0415

        return ReadOptions(self.csv_delimiter, self.csv_encoding, self.decimal_comma)


SETTINGS = MLSettings
