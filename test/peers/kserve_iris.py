"""KServe's Python model server (the `kserve` package) serving the scikit-learn iris model over OIP v2.

A `kserve.Model` subclass, as KServe's docs write a custom predictor: it loads MODEL_DIR/model.joblib
(REPOSITORY/iris, written by iris_sklearn.py) and answers `predict_proba` (FP64 [n, 3]). The binary tensor extension
is KServe's own: a binary request is decoded by kserve, and `binary_data_output` is honoured.
Only REST on 127.0.0.1:HTTP_PORT (gRPC off).
Run: .venv/bin/python test/peers/kserve_iris.py MODEL_DIR HTTP_PORT
"""
import sys
import uuid
from pathlib import Path

import joblib
import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.protocol.rest.server import RESTServer

from iris_sklearn import INPUTS, MODEL_NAME, PROBABILITIES


class LoopbackRESTServer(RESTServer):
    """kserve's REST server always binds 0.0.0.0 (no option for the host); the tests listen on loopback only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config.host = "127.0.0.1"


model_server.RESTServer = LoopbackRESTServer


class IrisModel(Model):
    def __init__(self, model_dir: Path):
        super().__init__(MODEL_NAME)
        self.model_dir = model_dir
        self.load()

    def load(self) -> bool:
        self.model = joblib.load(self.model_dir / "model.joblib")
        self.ready = True
        return self.ready

    def get_input_types(self):
        return INPUTS

    def get_output_types(self):
        return PROBABILITIES

    def predict(self, payload: InferRequest, headers=None) -> InferResponse:
        rows = payload.inputs[0].as_numpy()
        probabilities = self.model.predict_proba(rows).astype(np.float64)
        output = InferOutput(name="predict_proba", shape=list(probabilities.shape), datatype="FP64")
        output.set_data_from_numpy(probabilities, binary_data=False)
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),  # the request's id is optional in OIP v2
            model_name=self.name,
            infer_outputs=[output],
            use_binary_outputs=payload.use_binary_outputs,
            requested_outputs=payload.request_outputs,
        )


if __name__ == "__main__":
    model_dir, http_port = Path(sys.argv[1]), int(sys.argv[2])
    ModelServer(http_port=http_port, enable_grpc=False, workers=1).start([IrisModel(model_dir)])
