"""Settings of the ml pillar: the ``ml`` section (env vars ``<PREFIX>_ML__<FIELD>``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class MLSettings(BaseModel):
    """Where the training data lives, how it is split and how the model is fitted."""

    data_path: Path = Field(
        default=Path("ml/customers.csv"),
        description="Training CSV; a relative path is read from the core data_dir.",
    )
    target: str = Field(default="churned", description="Name of the 0/1 target column.")
    id_columns: list[str] = Field(
        default_factory=list,
        description="Identifier columns to drop (JSON list); empty: detected from names/values.",
    )
    test_size: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="Fraction of rows held out for evaluation."
    )
    random_seed: int = Field(default=42, description="Seed for the split and the models.")
    n_estimators: int = Field(default=200, ge=1, description="XGBoost: number of trees.")
    max_depth: int = Field(default=4, ge=1, description="XGBoost: maximum tree depth.")
    learning_rate: float = Field(default=0.05, gt=0.0, description="XGBoost: shrinkage per tree.")
    max_quarantine_fraction: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Fail the run when more than this fraction of rows is quarantined.",
    )

    def resolve_data_path(self, data_dir: Path) -> Path:
        """Return ``data_path``, read relative to ``data_dir`` unless it is absolute."""
        return self.data_path if self.data_path.is_absolute() else data_dir / self.data_path


SETTINGS = MLSettings
