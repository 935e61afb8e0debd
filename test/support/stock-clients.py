"""Drives the model server with a stock client; prints one JSON document of what the client saw.

usage: stock-clients.py CLIENT URL MODEL VERSION  (texts as a JSON list on stdin)
CLIENT: triton-sync, triton-aio, kserve, mlflow
"""
import asyncio
import json
import sys
from urllib.parse import urlparse

import numpy as np

OUTPUTS = ("label", "probabilities", "prediction_id")


def as_text(values):
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def triton_result(result):
    return {
        "label": as_text(result.as_numpy("label").tolist()),
        "probabilities": result.as_numpy("probabilities").tolist(),
        "prediction_id": as_text(result.as_numpy("prediction_id").tolist()),
        "model_version": result.get_response()["model_version"],
    }


def triton_inputs(http, texts, binary):
    tensor = http.InferInput("text", [len(texts)], "BYTES")
    tensor.set_data_from_numpy(np.array([t.encode("utf-8") for t in texts], dtype=np.object_), binary_data=binary)
    return [tensor]


def triton_outputs(http, binary):
    return [http.InferRequestedOutput(name, binary_data=binary) for name in OUTPUTS]


def error_text(call):
    try:
        call()
    except Exception as err:  # the client's own exception type, whatever it is
        return str(err)
    return None


def triton_sync(url, model, version, texts):
    import tritonclient.http as http

    client = http.InferenceServerClient(urlparse(url).netloc)
    infer = lambda **kw: triton_result(client.infer(model, **kw))
    return {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model),
        "version_ready": client.is_model_ready(model, version),
        "other_version_ready": client.is_model_ready(model, str(int(version) + 5)),
        "server_metadata": client.get_server_metadata(),
        "version_metadata": client.get_model_metadata(model, version),
        "json": infer(inputs=triton_inputs(http, texts, False), outputs=triton_outputs(http, False)),
        "binary": infer(inputs=triton_inputs(http, texts, True), outputs=triton_outputs(http, True)),
        "default": infer(inputs=triton_inputs(http, texts, True)),
        "versioned": infer(inputs=triton_inputs(http, texts, True), model_version=version),
        "gzip": infer(inputs=triton_inputs(http, texts, True), request_compression_algorithm="gzip"),
        "deflate": infer(inputs=triton_inputs(http, texts, False), request_compression_algorithm="deflate"),
        "other_version_error": error_text(
            lambda: client.infer(model, triton_inputs(http, texts, True), model_version=str(int(version) + 5))
        ),
    }


async def triton_aio_run(url, model, version, texts):
    import tritonclient.http as http
    import tritonclient.http.aio as aio

    client = aio.InferenceServerClient(urlparse(url).netloc)
    try:

        async def infer(**kw):
            return triton_result(await client.infer(model, **kw))

        return {
            "live": await client.is_server_live(),
            "model_ready": await client.is_model_ready(model),
            "version_ready": await client.is_model_ready(model, version),
            "server_metadata": await client.get_server_metadata(),
            "json": await infer(inputs=triton_inputs(http, texts, False), outputs=triton_outputs(http, False)),
            "binary": await infer(inputs=triton_inputs(http, texts, True), outputs=triton_outputs(http, True)),
            "default": await infer(inputs=triton_inputs(http, texts, True)),
            "gzip": await infer(inputs=triton_inputs(http, texts, True), request_compression_algorithm="gzip"),
        }
    finally:
        await client.close()


async def kserve_run(url, model, version, texts):
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
    from kserve.protocol.infer_type import RequestedOutput

    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=1, timeout=30))

    def request(binary_in, binary_out):
        tensor = InferInput("text", [len(texts)], "BYTES")
        tensor.set_data_from_numpy(np.array([t.encode("utf-8") for t in texts], dtype=np.object_), binary_data=binary_in)
        outputs = [RequestedOutput(name, parameters={"binary_data": binary_out}) for name in OUTPUTS]
        return InferRequest(model_name=model, infer_inputs=[tensor], request_outputs=outputs)

    async def infer(binary_in, binary_out):
        headers = {}
        response = await client.infer(url, request(binary_in, binary_out), model_name=model, response_headers=headers)
        by_name = {o.name: o for o in response.outputs}
        return {
            "label": as_text(by_name["label"].as_numpy().tolist()),
            "probabilities": by_name["probabilities"].as_numpy().tolist(),
            "prediction_id": as_text(by_name["prediction_id"].as_numpy().tolist()),
            # kserve's InferResponse.from_bytes drops model_version: the server's header has it.
            "model_version": headers["x-model-version"],
        }

    try:
        try:
            await client.infer(url, request(False, False), model_name="no-such-model")
            unknown_model_error = None
        except Exception as err:
            unknown_model_error = str(err)
        return {
            "live": await client.is_server_live(url),
            "ready": await client.is_server_ready(url),
            "model_ready": await client.is_model_ready(url, model),
            "json": await infer(False, False),
            "binary": await infer(True, True),
            "binary_in_json_out": await infer(True, False),
            "unknown_model_error": unknown_model_error,
        }
    finally:
        await client.close()


def mlflow_run(url, model, version, texts):
    import pandas as pd
    import requests
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    parsed = urlparse(url)
    client = ScoringServerClient(parsed.hostname, parsed.port)
    client.ping()
    frame = pd.DataFrame({"text": texts})
    predictions = client.invoke(frame).get_predictions(predictions_format="dataframe")
    csv = requests.post(url + "/invocations", data=frame.to_csv(index=False), headers={"Content-Type": "text/csv"})
    return {
        "version": client.get_version(),
        "label": predictions["label"].tolist(),
        "prediction_id": predictions["prediction_id"].tolist(),
        "csv_status": csv.status_code,
        "csv": csv.json(),
    }


def main():
    name, url, model, version = sys.argv[1:5]
    texts = json.loads(sys.stdin.read())
    if name == "triton-sync":
        out = triton_sync(url, model, version, texts)
    elif name == "triton-aio":
        out = asyncio.run(triton_aio_run(url, model, version, texts))
    elif name == "kserve":
        out = asyncio.run(kserve_run(url, model, version, texts))
    elif name == "mlflow":
        out = mlflow_run(url, model, version, texts)
    else:
        raise SystemExit(f"unknown client {name}")
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
