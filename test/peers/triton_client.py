"""NVIDIA Triton's Python client (`tritonclient.http`, from PyPI) as a real OIP v2 client of a server.

Reads the model's metadata, sends ROWS as its first input, and prints one JSON line per case with each
output the client decoded (name -> datatype, shape, values; BYTES as text):
- `binary`: the client's default request: `set_data_from_numpy` puts the tensor in the binary extension
  (Inference-Header-Content-Length) and, with no outputs named, asks for binary outputs too;
- `json`: `binary_data=False` for the input and every output: a plain JSON request and answer.
Run: .venv/bin/python test/peers/triton_client.py HOST:PORT MODEL '[[5.1, 3.5, 1.4, 0.2], ...]'
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import triton_to_np_dtype


def decoded(result, name):
    values = result.as_numpy(name)
    if values.dtype == np.object_:
        return [v.decode() if isinstance(v, bytes) else v for v in values.ravel().tolist()]
    return values.ravel().tolist()


def infer(client, model, rows, binary):
    metadata = client.get_model_metadata(model)
    declared = metadata["inputs"][0]
    tensor = np.array(rows, dtype=triton_to_np_dtype(declared["datatype"]))
    infer_input = httpclient.InferInput(declared["name"], list(tensor.shape), declared["datatype"])
    outputs = None
    if binary:
        infer_input.set_data_from_numpy(tensor)
    else:
        infer_input.set_data_from_numpy(tensor, binary_data=False)
        outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=False) for o in metadata["outputs"]]
    result = client.infer(model, [infer_input], outputs=outputs)
    response = result.get_response()
    return {
        "case": "binary" if binary else "json",
        "input": {"name": declared["name"], "datatype": declared["datatype"]},
        "outputs": {
            o["name"]: {
                "datatype": o["datatype"],
                "shape": o["shape"],
                "binary": "binary_data_size" in (o.get("parameters") or {}),
                "values": decoded(result, o["name"]),
            }
            for o in response["outputs"]
        },
    }


if __name__ == "__main__":
    url, model, rows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    client = httpclient.InferenceServerClient(url, connection_timeout=10.0, network_timeout=30.0)
    try:
        for binary in (True, False):
            print(json.dumps(infer(client, model, rows, binary)), flush=True)
    finally:
        client.close()
