"""The Python openai SDK, unmodified, against an mlkit server's audio routes: each case prints one JSON line.

Usage: python audio_client.py <base_url> <api_key> <stt_model> <tts_model> <wav_path>
"""

import hashlib
import io
import json
import sys
import wave

import openai

base_url, api_key, stt_model, tts_model, wav_path = sys.argv[1:6]
client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


def report(case, **fields):
    print(json.dumps({"case": case, **fields}), flush=True)


def failure(error):
    return {"raised": type(error).__name__, "status": getattr(error, "status_code", None), "message": str(error)}


with open(wav_path, "rb") as file:
    transcription = client.audio.transcriptions.create(model=stt_model, file=file)
report("transcription_json", type=type(transcription).__name__, text=transcription.text)

with open(wav_path, "rb") as file:
    text = client.audio.transcriptions.create(model=stt_model, file=file, response_format="text")
report("transcription_text", type=type(text).__name__, text=text)

with open(wav_path, "rb") as file:
    verbose = client.audio.transcriptions.create(
        model=stt_model, file=file, response_format="verbose_json", timestamp_granularities=["segment"]
    )
report(
    "transcription_verbose",
    type=type(verbose).__name__,
    text=verbose.text,
    language=verbose.language,
    duration=verbose.duration,
    segments=[{"start": s.start, "end": s.end, "text": s.text} for s in verbose.segments or []],
)

with open(wav_path, "rb") as file:
    events = list(client.audio.transcriptions.create(model=stt_model, file=file, stream=True))
report(
    "transcription_stream",
    types=[event.type for event in events],
    deltas=[event.delta for event in events if event.type == "transcript.text.delta"],
    done_text=next((event.text for event in events if event.type == "transcript.text.done"), None),
)

# The SDK's signature requires `voice`; openai.omit leaves it out of the body, so the model speaks
# with its own (only) voice.
speech = client.audio.speech.create(model=tts_model, input="hello world", voice=openai.omit, response_format="wav")
audio = speech.read()
with wave.open(io.BytesIO(audio)) as parsed:
    report(
        "speech_wav",
        content_type=speech.response.headers.get("content-type"),
        riff=audio[:4].decode("latin-1"),
        sample_rate=parsed.getframerate(),
        channels=parsed.getnchannels(),
        sample_width=parsed.getsampwidth(),
        frames=parsed.getnframes(),
        sha256=hashlib.sha256(audio).hexdigest(),
    )

# The way the SDK's docs call it, with a stock voice: a single-speaker model has none to pick, so the
# server leaves it out and says so in x-mlkit-warning (the audio is the same as without a voice).
named = client.audio.speech.with_raw_response.create(
    model=tts_model, input="hello world", voice="alloy", response_format="wav"
)
named_audio = named.content
report(
    "speech_named_voice",
    status=named.status_code,
    warning=named.headers.get("x-mlkit-warning"),
    sha256=hashlib.sha256(named_audio).hexdigest(),
)

# A speech-to-text model is not a text-to-speech one.
try:
    client.audio.speech.create(model=stt_model, input="hello world", voice=openai.omit)
    report("speech_wrong_task", raised=None)
except openai.APIStatusError as error:
    report("speech_wrong_task", **failure(error))
