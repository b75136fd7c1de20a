"""Classical ML pillar: validated tabular data, a feature pipeline and XGBoost in a Prefect flow.

Importing this package is cheap (settings only); the heavy modules are imported where used:

* :mod:`.data`: load the CSV, quarantine unusable rows, infer column types;
* :mod:`.features`: the preprocessing ``ColumnTransformer`` and the model ``Pipeline``;
* :mod:`.train`: splitting, fitting, evaluation and artifact writing (plain functions);
* :mod:`.flows`: the Prefect ``train_flow`` that composes them;
* :mod:`.cli`: ``<cli> ml train`` and the pillar's ``demo`` step.
"""

from .settings import SETTINGS, MLSettings

__all__ = ["SETTINGS", "MLSettings"]
