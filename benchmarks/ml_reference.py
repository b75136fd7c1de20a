"""A plain scikit-learn / XGBoost reference for the ml pillar, on the split the project uses.

What a data scientist would write in ten minutes: read the CSV, drop exact duplicate rows and
the id columns, parse number columns, one-hot the rest, a stratified 80/20 split with seed 42
(the project's ``ML__TEST_SIZE`` and ``ML__RANDOM_SEED`` defaults), then a standardised logistic
regression and an XGBoost model with the project's untuned defaults (200 trees, depth 4, rate
0.05). Prints one JSON line: rows, holdout rows and both holdout ROC AUCs.

    python benchmarks/ml_reference.py data.csv --target y [--sep ';'] [--drop id]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

POSITIVE = {"1", "yes", "true", "y", "t", "positive"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--target", required=True)
    parser.add_argument("--sep", default=",")
    parser.add_argument("--drop", nargs="*", default=[])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = pd.read_csv(args.path, sep=args.sep, dtype=str, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    frame = frame.drop(columns=args.drop).drop_duplicates()
    labels = frame.pop(args.target).str.strip().str.lower()
    y = labels.isin(POSITIVE).astype(int)
    numeric = []
    for column in frame.columns:
        parsed = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        if parsed.notna().mean() >= 0.95:
            frame[column] = parsed
            numeric.append(column)
    categorical = [c for c in frame.columns if c not in numeric]
    x_train, x_test, y_train, y_test = train_test_split(
        frame, y, test_size=0.2, random_state=args.seed, stratify=y
    )

    def prep(scale: bool) -> ColumnTransformer:
        steps = [SimpleImputer(strategy="median"), *([StandardScaler()] if scale else [])]
        return ColumnTransformer(
            [
                ("num", make_pipeline(*steps), numeric),
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="most_frequent"),
                        OneHotEncoder(handle_unknown="ignore"),
                    ),
                    categorical,
                ),
            ]
        )

    logistic = make_pipeline(prep(True), LogisticRegression(max_iter=2000))
    xgb = make_pipeline(
        prep(False),
        XGBClassifier(
            n_estimators=200, max_depth=4, learning_rate=0.05, random_state=args.seed, n_jobs=2
        ),
    )
    scores = {}
    for name, model in (("logistic", logistic), ("xgboost", xgb)):
        model.fit(x_train, y_train)
        scores[name] = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
    print(
        json.dumps(
            {
                "rows": len(frame),
                "holdout_rows": len(y_test),
                "positive_share": float(np.mean(y)),
                "roc_auc": scores,
                "seconds": time.perf_counter() - started,
            }
        )
    )


if __name__ == "__main__":
    main()
