"""The Python openai SDK, unmodified, against an mlkit server: each case prints one JSON line.

Usage: python openai_client.py <base_url> <api_key> <model>
"""

import json
import sys

import openai

base_url, api_key, model = sys.argv[1:4]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


def report(case, **fields):
    print(json.dumps({"case": case, **fields}), flush=True)


# A wrong key: the SDK raises AuthenticationError from the 401 and its error body.
wrong = openai.OpenAI(base_url=base_url, api_key="sk-python-wrong-key", max_retries=0)
try:
    wrong.models.list()
    report("wrong_key", raised=None)
except openai.AuthenticationError as error:
    report("wrong_key", raised="AuthenticationError", status=error.status_code, code=error.code, type=error.type)
except openai.APIError as error:
    report("wrong_key", raised=type(error).__name__)

response = client.responses.create(model=model, input="hello from python", instructions="Be brief.")
report(
    "responses_create",
    object=response.object,
    status=response.status,
    output_text=response.output_text,
    content_types=[part.type for item in response.output for part in item.content],
    usage=response.usage.model_dump(include={"input_tokens", "output_tokens", "total_tokens"}),
)

events = list(client.responses.create(model=model, input="stream from python", stream=True))
report(
    "responses_stream",
    types=[event.type for event in events],
    sequence_numbers=[event.sequence_number for event in events],
    text="".join(event.delta for event in events if event.type == "response.output_text.delta"),
)

with client.responses.stream(model=model, input=[{"role": "user", "content": [{"type": "input_text", "text": "helper stream"}]}]) as stream:
    for _ in stream:
        pass
    final = stream.get_final_response()
report("responses_stream_helper", status=final.status, output_text=final.output_text)
