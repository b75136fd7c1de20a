"""The hand-written baseline of benchmarks/serving_bench.py: what a user writes in ~30 lines."""

import bentoml
import joblib
import pandas as pd
from pydantic import BaseModel


class Record(BaseModel):
    age: int | None = None
    tenure_months: int | None = None
    monthly_charges: float | None = None
    total_charges: float | None = None
    support_calls: int | None = None
    contract: str | None = None
    payment_method: str | None = None
    region: str | None = None


class Prediction(BaseModel):
    probability: float
    label: str


@bentoml.service(name="baseline", traffic={"timeout": 60})
class Baseline:
    model = bentoml.models.BentoModel("tabular-classifier:latest")

    def __init__(self) -> None:
        self.pipeline = joblib.load(self.model.path_of("pipeline.joblib"))
        self.threshold = self.model.info.metadata["threshold"]
        self.classes = self.model.info.metadata["classes"]

    @bentoml.api(batchable=True, max_batch_size=64, max_latency_ms=5000)
    def predict(self, records: list[Record]) -> list[Prediction]:
        frame = pd.DataFrame([r.model_dump() for r in records])
        scores = self.pipeline.predict_proba(frame)[:, 1]
        return [
            Prediction(probability=p, label=self.classes[int(p >= self.threshold)]) for p in scores
        ]
