"""The scikit-learn iris model the OIP peers serve, trained at test time (no download, deterministic).

Trains a logistic regression on the iris data that ships with scikit-learn (`load_iris()`,
random_state=0) and writes a Seldon MLServer model repository REPOSITORY with two models of it, each a
folder with model.joblib and model-settings.json (`mlserver_sklearn.SKLearnModel`):
- `iris`: `predict_fn: predict_proba`, so it answers the three class probabilities (FP64 [n, 3], columns
  setosa, versicolor, virginica);
- `iris-classes`: mlserver-sklearn's default, `predict`: class indices (INT64 [n, 1]).
Neither answers class names: the client names classes with its `labels` option.
KServe's peer (kserve_iris.py) serves REPOSITORY/iris/model.joblib.
Run: .venv/bin/python test/peers/iris_sklearn.py REPOSITORY
"""
import json
import sys
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

MODEL_NAME = "iris"
# The input every iris peer advertises in its OIP metadata, and the probabilities output.
INPUTS = [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}]
PROBABILITIES = [{"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}]
CLASS_INDICES = [{"name": "predict", "datatype": "INT64", "shape": [-1, 1]}]


def train() -> LogisticRegression:
    iris = load_iris()
    return LogisticRegression(max_iter=500, random_state=0).fit(iris.data, iris.target)


def write_model(folder: Path, name: str, outputs: list, extra: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(train(), folder / "model.joblib")
    settings = {
        "name": name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "inputs": INPUTS,
        "outputs": outputs,
        "parameters": {"uri": "./model.joblib", "extra": extra},
    }
    (folder / "model-settings.json").write_text(json.dumps(settings, indent=2))


if __name__ == "__main__":
    repository = Path(sys.argv[1])
    write_model(repository / MODEL_NAME, MODEL_NAME, PROBABILITIES, {"predict_fn": "predict_proba"})
    write_model(repository / "iris-classes", "iris-classes", CLASS_INDICES, {})
