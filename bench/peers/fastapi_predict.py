"""The /predict server most teams hand-write today: FastAPI + uvicorn + a scikit-learn model.

Peer for bench/server-predict.bench.ts. Trains a logistic regression on the iris data that ships
with scikit-learn (no download) and serves POST /predict/iris with the same JSON shape as
@mlkit/server: {"data": [[f1, f2, f3, f4], ...]} -> {"prediction": [...], "confidence": [...]}.
Also the /predict peer of test/peers/ (the mlkit client's predict: scheme against it).
Run: .venv/bin/python bench/peers/fastapi_predict.py PORT (.venv from scripts/requirements.txt)
"""
import sys
from typing import List

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

iris = load_iris()
model = LogisticRegression(max_iter=500, random_state=0).fit(iris.data, iris.target)
labels = list(iris.target_names)

app = FastAPI()


class PredictRequest(BaseModel):
    data: List[List[float]]


@app.post("/predict/iris")
def predict(request: PredictRequest):
    probabilities = model.predict_proba(request.data)
    best = probabilities.argmax(axis=1)
    return {
        "prediction": [labels[i] for i in best],
        "confidence": [float(p[i]) for p, i in zip(probabilities, best)],
    }


@app.get("/health")
def health():
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
