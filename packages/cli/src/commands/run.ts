import { writeFileSync } from 'node:fs';
import type { Model, SpeechToTextChunk, TextGenerationChunk, TextToSpeechOutput } from '@mlkit/core';
import { modelOptions, optionsOf, parse, taskOf, UsageError } from '../args.ts';
import { parseInput } from '../input.ts';
import { openConfig, openSpec, readJsonFile } from '../models.ts';
import { pretty, toJson } from '../output.ts';
import { readStdin } from '../stdin.ts';

/** `mlkit run --help`. */
export const runHelp = `Usage: mlkit run <model> [input | -] [options]
       mlkit run --config model.json [input | -] [options]

Run a model once and print its answer. <model> is a model string: onnx:./models/iris,
openai:gpt-4o-mini, openai-compatible:llama3 (MLKIT_BASE_URL, MLKIT_API_KEY), oip:http://host:8000/name,
tfserving:..., predict:...

The input is a JSON object (the task's input, e.g. {"rows": [[5.1, 3.5, 1.4, 0.2]]}) or plain text:
the prompt of a text-generation model, the text of an embedding, classification or text-to-speech
model, an image file or URL for image-classification and object-detection, an audio file or URL for
speech-to-text. "-", or no input with stdin not a terminal, reads it from stdin. Text generation (and
speech to text, where the model streams) prints its text as it comes.

Options:
  -t, --task <task>         insist on a task: text-generation, embedding, classification, tensor,
                            image-classification, object-detection, speech-to-text, text-to-speech
  -o, --option key=value    a createModel() option (repeatable; JSON values, dotted keys nest),
                            e.g. -o baseURL=http://127.0.0.1:8000/v1 -o maxRetries=0 -o device=cpu
  -c, --config <file>       a JSON model configuration (createModelFromConfig: fallback, route,
                            cache, meter, ...) instead of <model>
      --json                print the output as JSON (no streaming)
      --out <file>          text-to-speech: write the audio to this file (required for that task)
  -h, --help                this help

Examples:
  mlkit run onnx:./models/iris '{"rows": [[5.1, 3.5, 1.4, 0.2]]}'
  echo "Write a haiku" | mlkit run onnx:./models/smollm -
  mlkit run openai:gpt-4o-mini "Say hi" --json
  mlkit run onnx:./models/vit ./cat.jpg
  mlkit run openai:whisper-1 --task speech-to-text ./call.wav
  mlkit run openai:tts-1 --task text-to-speech "Hello" --out hello.wav`;

/** `mlkit run`: one call, pretty or JSON output, text generation streamed. */
export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parse('run', argv, {
    ...modelOptions,
    json: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    console.log(runHelp);
    return;
  }
  const task = taskOf(values.task, 'run');
  const options = optionsOf(values.option, 'run');
  let spec: string | undefined;
  let rest = positionals;
  if (values.config === undefined) {
    [spec, ...rest] = positionals;
    if (spec === undefined)
      throw new UsageError('name a model, e.g. mlkit run onnx:./models/iris "..."', 'run');
  } else if (values.option?.length) {
    throw new UsageError('--option goes with <model>; with --config put the options in the file', 'run');
  }
  if (rest.length > 1) {
    throw new UsageError(
      `expected one input (got ${rest.length}); quote it, or pass it on stdin with "-"`,
      'run',
    );
  }
  let text = rest[0];
  if (text === undefined || text === '-') {
    if (text === undefined && process.stdin.isTTY) {
      throw new UsageError('give an input: as an argument, or "-" to read stdin', 'run');
    }
    text = await readStdin();
  }

  const model: Model =
    spec !== undefined
      ? await openSpec(spec, { task, options })
      : await openConfig(await readJsonFile(values.config!, 'config'), { task });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    if (model.task === 'text-to-speech' && values.out === undefined)
      throw new UsageError('a text-to-speech model answers audio: pass --out speech.wav', 'run');
    const input = parseInput(text, model.task as never);
    if (model.task === 'text-generation' && model.capabilities.streaming && !values.json) {
      await streamText(model as Model, input, controller.signal);
    } else if (model.task === 'speech-to-text' && model.capabilities.streaming && !values.json) {
      await streamTranscript(model as Model, input, controller.signal);
    } else if (model.task === 'text-to-speech') {
      const output = (await model.run(input as never, { signal: controller.signal })) as TextToSpeechOutput;
      writeFileSync(values.out!, output.audio);
      const { audio, ...rest } = output;
      if (values.json) console.log(toJson({ ...rest, file: values.out, bytes: audio.length }, 2));
      else
        console.log(
          `wrote ${audio.length} bytes of ${output.mediaType}${output.sampleRate ? ` at ${output.sampleRate} Hz` : ''} to ${values.out}`,
        );
    } else {
      const output = await model.run(input as never, { signal: controller.signal });
      console.log(values.json ? toJson(output, 2) : pretty(model.task as never, output));
      const finishReason = (output as { finishReason?: string }).finishReason;
      if (!values.json && finishReason !== undefined && finishReason !== 'stop')
        console.error(`[finish: ${finishReason}]`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    await model.dispose();
  }
}

/** Text deltas to stdout as they come; tool calls as lines; why it finished, when not 'stop', to stderr. */
async function streamText(model: Model, input: unknown, signal: AbortSignal): Promise<void> {
  let atLineStart = true;
  const write = (text: string) => {
    if (text === '') return;
    process.stdout.write(text);
    atLineStart = text.endsWith('\n');
  };
  for await (const chunk of model.stream(input as never, { signal }) as AsyncIterable<TextGenerationChunk>) {
    if (chunk.type === 'text-delta') write(chunk.text);
    else if (chunk.type === 'tool-call') {
      if (!atLineStart) write('\n');
      write(`tool call ${chunk.name}(${toJson(chunk.arguments)})\n`);
    } else if (chunk.type === 'finish') {
      if (chunk.refusal !== undefined) write(`${atLineStart ? '' : '\n'}refusal: ${chunk.refusal}`);
      if (!atLineStart) write('\n');
      if (chunk.finishReason !== 'stop') console.error(`[finish: ${chunk.finishReason}]`);
    }
  }
}

/** Transcribed text to stdout as it is recognised, then a newline. */
async function streamTranscript(model: Model, input: unknown, signal: AbortSignal): Promise<void> {
  let last = '';
  for await (const chunk of model.stream(input as never, { signal }) as AsyncIterable<SpeechToTextChunk>) {
    if (chunk.type !== 'text-delta' || chunk.text === '') continue;
    process.stdout.write(chunk.text);
    last = chunk.text;
  }
  if (!last.endsWith('\n')) process.stdout.write('\n');
}
