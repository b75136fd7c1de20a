"""Classical ML pillar: validated tabular data, a feature pipeline and XGBoost in a Prefect flow.

Public interface (serving, the agents bridge and your own code use it): :class:`Predictor`
(the production model: ``load``, ``predict``, ``input_model``, ``required_columns``,
``check_columns``), :class:`Prediction`, the errors (:class:`MLError` and its kinds
:class:`ContractError`, :class:`MissingColumnsError`, :class:`ModelNotFoundError`),
:func:`load_reference`, :func:`reference_scores` and :class:`MLSettings`. Importing this package
is cheap (settings only): the names that need pandas, scikit-learn and BentoML are imported on
first use.

Inside: ``data`` (load, quarantine, infer column types), ``features`` (the preprocessing pipeline),
``train`` (split, fit, evaluate, write artefacts), ``flows`` (the Prefect ``train_flow``), ``cli``
(``<cli> ml ...`` and the pillar's ``demo`` step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.lazy import lazy_exports
from .settings import SETTINGS, MLSettings

if TYPE_CHECKING:
    from ._errors import ContractError, MissingColumnsError, MLError
    from ._inference import (
        ModelNotFoundError,
        Prediction,
        Predictor,
        load_reference,
        reference_scores,
    )

_LAZY = {
    "ContractError": "._errors",
    "MLError": "._errors",
    "MissingColumnsError": "._errors",
    "ModelNotFoundError": "._inference",
    "Prediction": "._inference",
    "Predictor": "._inference",
    "load_reference": "._inference",
    "reference_scores": "._inference",
}

__all__ = [
    "SETTINGS",
    "ContractError",
    "MLError",
    "MLSettings",
    "MissingColumnsError",
    "ModelNotFoundError",
    "Prediction",
    "Predictor",
    "load_reference",
    "reference_scores",
]


__getattr__ = lazy_exports(__name__, _LAZY)
