"""The ml pillar's errors: each says what went wrong, where (file, column) and what to do.

The CLI boundary (:mod:`.cli`) prints ``error: <message>`` and, when there is one,
``hint: <hint>``, then exits non-zero; the traceback only with ``--debug``. Code that calls the
pillar catches :class:`MLError` (or one of its kinds) instead of pandas or BentoML exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence


class MLError(Exception):
    """Base of the pillar's errors: a message and an optional hint (what to do about it)."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class DataSourceError(MLError, ValueError):
    """The data source cannot be read as a table (missing, unreadable, empty, not CSV)."""


class DataError(MLError, ValueError):
    """The data cannot be used (missing column, not binary, too many bad rows)."""


class TargetError(DataError):
    """The target column is missing or not binary."""


class ContractError(MLError, ValueError):
    """Rows or a model do not match a model's feature contract."""


class MissingColumnsError(ContractError):
    """The rows lack columns the model needs."""

    def __init__(self, missing: Sequence[str], model: str, source: str = "the rows") -> None:
        self.missing = list(missing)
        super().__init__(
            f"{source} lack{'s' if source != 'the rows' else ''} {len(self.missing)} column(s) "
            f"the model {model} needs: {self.missing}",
            "score rows with the columns the model was trained on, or pick the model trained "
            "on this data with --tag",
        )


class ModelNotFoundError(MLError, LookupError):
    """No model matches the request (no production model yet, or an unknown tag)."""


class PrefectUnavailableError(MLError, RuntimeError):
    """The configured Prefect server does not answer."""
