"""NVIDIA Triton's Python client (`tritonclient.http`, from PyPI) calling the server's vision models.

Prints one JSON line per case with the outputs the client decoded (name -> shape, values; BYTES as text):
- `pixels-binary`: UINT8 [2, H, W, 3] pixels in the binary extension (the client's default);
- `pixels-json`: the same with `binary_data=False` for the input and outputs;
- `file-binary`: BYTES [1] holding a PNG file's raw bytes (an np.object_ array of bytes), as Triton's
  image_client sends encoded images;
- `detect`: BYTES [1] PNG to the detector, outputs boxes/scores/labels/detection_count.
Run: .venv/bin/python packages/server/test/python/triton_vision.py HOST:PORT CLASSIFIER DETECTOR PNG_PATH
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient


def decoded(result, response):
    out = {}
    for o in response["outputs"]:
        values = result.as_numpy(o["name"])
        if values.dtype == np.object_:
            listed = [v.decode() if isinstance(v, bytes) else v for v in values.ravel().tolist()]
        else:
            listed = [round(float(v), 6) for v in values.ravel().tolist()]
        out[o["name"]] = {"shape": o["shape"], "values": listed}
    return out


def run(client, model, infer_input, binary, case, params=None):
    outputs = None
    if not binary:
        metadata = client.get_model_metadata(model)
        outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=False) for o in metadata["outputs"]]
    result = client.infer(model, [infer_input], outputs=outputs, parameters=params)
    print(json.dumps({"case": case, "outputs": decoded(result, result.get_response())}))


def main():
    url, classifier, detector, png_path = sys.argv[1:5]
    client = httpclient.InferenceServerClient(url=url)
    pixels = np.full((2, 3, 4, 3), 7, dtype=np.uint8)
    for binary in (True, False):
        image = httpclient.InferInput("image", list(pixels.shape), "UINT8")
        image.set_data_from_numpy(pixels, binary_data=binary)
        run(client, classifier, image, binary, "pixels-binary" if binary else "pixels-json", {"top_k": 1})
    with open(png_path, "rb") as f:
        png = f.read()
    files = np.array([png], dtype=np.object_)
    image = httpclient.InferInput("image", [1], "BYTES")
    image.set_data_from_numpy(files)
    run(client, classifier, image, True, "file-binary")
    image = httpclient.InferInput("image", [1], "BYTES")
    image.set_data_from_numpy(files)
    run(client, detector, image, True, "detect")


if __name__ == "__main__":
    main()
