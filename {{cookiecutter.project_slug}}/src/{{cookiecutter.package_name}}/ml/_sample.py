"""A seeded generator of a realistic, deliberately messy customer-churn table.

The shipped ``data/ml/customers.csv`` is ``generate_churn(1000, seed=7)``; regenerate it (or a
bigger one for benchmarks) with ``<cli> ml sample``. The mess is the kind real exports have:

* missing values in numbers and categories;
* inconsistent category spelling and case (``"Month-to-month"``, ``" MONTH TO MONTH"``);
* ``total_charges`` stored as text, with blanks and thousands separators (``"1,234.50"``);
* exact duplicate rows; outliers (charges x4) and impossible ages (999);
* a ``"Yes"``/``"No"`` target with a few blank or unusable values.

Churn depends on the contract, tenure, charges, support calls and payment method, plus noise,
with thresholds and interactions a linear baseline misses; behavioral tests know its
directions (more support calls or a month-to-month contract: more churn).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

_CONTRACTS = {
    "month_to_month": ["Month-to-month", "month to month", " MONTH TO MONTH", "Month-To-Month"],
    "one_year": ["One year", "one-year", "ONE YEAR "],
    "two_year": ["Two year", "two_year", "Two Year "],
}
_PAYMENTS = {
    "electronic_check": ["Electronic check", "electronic-check", "ELECTRONIC CHECK"],
    "credit_card": ["Credit card", "credit_card", "Credit Card "],
    "bank_transfer": ["Bank transfer", "Bank-Transfer"],
}
_REGIONS = ["north", "south", "east", "west"]
_NEW_CUSTOMER_MONTHS = 6  # month-to-month customers churn most in their first months
_MANY_CALLS = 3  # from this many support calls on, churn jumps
_THOUSANDS = 1000  # totals from here on are sometimes written "1,234.50"


def _chance(rng: np.random.Generator, share: float) -> bool:
    """True with probability ``share``."""
    return bool(rng.random() < share)


def _rows(rng: np.random.Generator, rows: int, share: float) -> np.ndarray:
    """A mask selecting about ``share`` of ``rows`` rows at random."""
    return rng.random(rows) < share


def _spell(
    rng: np.random.Generator, canonical: np.ndarray, variants: dict[str, list[str]]
) -> list[str]:
    """Write each canonical value in one of its spellings (the first one most of the time)."""
    out = []
    for value in canonical:
        options = variants[str(value)]
        out.append(options[0] if _chance(rng, 0.7) else str(rng.choice(options)))
    return out


def _blank(rng: np.random.Generator, values: pd.Series, fraction: float) -> pd.Series:
    """Replace a random ``fraction`` of ``values`` with missing values."""
    return values.mask(_rows(rng, len(values), fraction))


def _churn(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    month_to_month = frame["contract"] == "month_to_month"
    logit = (
        -1.6
        + 1.4 * month_to_month
        - 1.0 * (frame["contract"] == "two_year")
        + 1.6 * (month_to_month & (frame["tenure_months"] < _NEW_CUSTOMER_MONTHS))
        - 0.03 * frame["tenure_months"]
        + 0.03 * (frame["monthly_charges"] - 70)
        + 1.3 * (frame["support_calls"] >= _MANY_CALLS)
        + 0.9 * (frame["payment_method"] == "electronic_check") * month_to_month
        + rng.normal(0, 0.3, len(frame))
    )
    chance = 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))
    return np.asarray(rng.random(len(frame)) < chance, dtype=bool)


def _clean_table(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    contract = rng.choice(list(_CONTRACTS), rows, p=[0.55, 0.25, 0.2])
    tenure = np.clip(rng.gamma(2.0, 14.0, rows), 0, 72).round().astype(int)
    monthly = rng.normal(70, 25, rows).clip(18, 150).round(2)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{10000 + i}" for i in range(rows)],
            "age": rng.integers(18, 85, rows),
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": (monthly * np.maximum(tenure, 1) * rng.normal(1, 0.05, rows)).round(2),
            "support_calls": rng.poisson(1.2, rows),
            "contract": contract,
            "payment_method": rng.choice(list(_PAYMENTS), rows, p=[0.4, 0.3, 0.3]),
            "region": rng.choice(_REGIONS, rows),
        }
    )
    frame["churned"] = np.where(_churn(rng, frame), "Yes", "No")
    return frame


def _make_messy(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    rows = len(frame)
    messy = frame.astype(object)
    messy["contract"] = _spell(rng, frame["contract"].to_numpy(), _CONTRACTS)
    messy["payment_method"] = _spell(rng, frame["payment_method"].to_numpy(), _PAYMENTS)
    messy["region"] = [r.upper() if _chance(rng, 0.2) else r for r in frame["region"]]
    for column, fraction in (("age", 0.03), ("support_calls", 0.02), ("payment_method", 0.02)):
        messy[column] = _blank(rng, messy[column], fraction)
    messy["region"] = _blank(rng, messy["region"], 0.03)
    # Text numbers: thousands separators and blank cells, as in spreadsheet exports.
    total = [
        f"{v:,.2f}" if v >= _THOUSANDS and _chance(rng, 0.3) else f"{v:.2f}"
        for v in frame["total_charges"]
    ]
    messy["total_charges"] = pd.Series(total).mask(_rows(rng, rows, 0.02), " ")
    outliers = _rows(rng, rows, 0.01)
    messy.loc[outliers, "monthly_charges"] = (frame.loc[outliers, "monthly_charges"] * 4).round(2)
    messy.loc[_rows(rng, rows, 0.004), "age"] = 999
    bad_target = _rows(rng, rows, 0.008)
    messy.loc[bad_target, "churned"] = rng.choice(["", "unknown", "N/A"], int(bad_target.sum()))
    duplicates = messy.sample(frac=0.02, random_state=int(rng.integers(1 << 31)))
    messy = pd.concat([messy, duplicates]).sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
    return messy.reset_index(drop=True)


def generate_churn(rows: int = 1000, seed: int = 7) -> pd.DataFrame:
    """A messy churn table of about ``rows`` rows (plus ~2% duplicates), the same for a seed."""
    rng = np.random.default_rng(seed)
    return _make_messy(rng, _clean_table(rng, rows))


def write_sample(path: Path, rows: int = 1000, seed: int = 7) -> Path:
    """Write :func:`generate_churn` to ``path`` (``.csv`` or ``.parquet``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = generate_churn(rows, seed)
    if path.suffix == ".parquet":
        from ._ingest import write_parquet  # noqa: PLC0415

        # Through CSV, so each column gets the type a reader would infer (no mixed objects).
        write_parquet(pd.read_csv(io.StringIO(frame.to_csv(index=False))), path)
    else:
        frame.to_csv(path, index=False)
    return path
