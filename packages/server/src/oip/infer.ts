import type {
  ClassificationOutput,
  EmbeddingOutput,
  Tensor,
  TensorOutput,
  TextGenerationOutput,
} from '@mlkit/core';
import { HttpError } from '../errors.ts';
import type { ModelRunner } from '../runner.ts';
import { decodeTensor, encodeTensor, type InferOutput, type InferRequest, invalid } from './tensors.ts';

function onlyInput(request: InferRequest, what: string) {
  if (request.inputs.length !== 1) {
    throw invalid('inputs', `${what} take exactly one input tensor (got ${request.inputs.length})`);
  }
  return decodeTensor(request.inputs[0]!, 0);
}

function texts(tensor: Tensor, what: string): string[] {
  if (tensor.dtype !== 'string') throw invalid('inputs[0].datatype', `${what} take a BYTES tensor of texts`);
  return tensor.data;
}

/** Numeric [N, F] (or one row [F]) as feature rows. */
function rows(tensor: Exclude<Tensor, { dtype: 'string' }>): number[][] {
  const { shape } = tensor;
  if (shape.length < 1 || shape.length > 2 || shape.includes(0)) {
    throw invalid(
      'inputs[0].shape',
      `expected [rows, features] or [features] with no zero dims (got [${shape.join(', ')}])`,
    );
  }
  const width = shape.length === 2 ? shape[1]! : shape[0]!;
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const out: number[][] = [];
  for (let offset = 0; offset < values.length; offset += width)
    out.push(values.slice(offset, offset + width));
  return out;
}

/**
 * Classification as OIP tensors: input FP32 [N, F] (any numeric type; [F] is one row) or BYTES [N]
 * texts; outputs `label` BYTES [N], `score` FP32 [N] (the label's probability) and `probabilities`
 * FP32 [N, C], whose column order is in its `parameters.labels`.
 */
async function classify(
  runner: ModelRunner,
  request: InferRequest,
  signal: AbortSignal,
): Promise<InferOutput[]> {
  const tensor = onlyInput(request, 'classification models');
  const input =
    tensor.dtype === 'string' ? { text: texts(tensor, 'classification models') } : { rows: rows(tensor) };
  const { predictions } = await runner.run<ClassificationOutput>(input, signal);
  const labels = Object.keys(predictions[0]?.scores ?? {});
  const probabilities = predictions.flatMap((p) => labels.map((label) => p.scores[label] ?? 0));
  return [
    { name: 'label', datatype: 'BYTES', shape: [predictions.length], data: predictions.map((p) => p.label) },
    { name: 'score', datatype: 'FP32', shape: [predictions.length], data: predictions.map((p) => p.score) },
    {
      name: 'probabilities',
      datatype: 'FP32',
      shape: [predictions.length, labels.length],
      data: probabilities,
      parameters: { labels },
    },
  ];
}

async function embed(
  runner: ModelRunner,
  request: InferRequest,
  signal: AbortSignal,
): Promise<InferOutput[]> {
  const input = { texts: texts(onlyInput(request, 'embedding models'), 'embedding models') };
  const output = await runner.run<EmbeddingOutput>(input, signal);
  const data: number[] = [];
  for (const vector of output.embeddings) for (const value of vector) data.push(value);
  return [
    { name: 'embedding', datatype: 'FP32', shape: [output.embeddings.length, output.dimensions], data },
  ];
}

const GENERATION_PARAMETERS: Record<string, string> = {
  max_tokens: 'maxTokens',
  temperature: 'temperature',
  top_p: 'topP',
  top_k: 'topK',
  seed: 'seed',
  stop: 'stop',
};

/** Triton's generate convention: `text_input` BYTES [1] in, `text_output` BYTES [1] out, sampling in `parameters`. */
async function generate(
  runner: ModelRunner,
  request: InferRequest,
  signal: AbortSignal,
): Promise<InferOutput[]> {
  const prompts = texts(onlyInput(request, 'text-generation models'), 'text-generation models');
  if (prompts.length !== 1) throw invalid('inputs[0].data', `expected one prompt (got ${prompts.length})`);
  const sampling: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.parameters ?? {})) {
    const field = GENERATION_PARAMETERS[key];
    if (field) sampling[field] = value;
  }
  const output = await runner.run<TextGenerationOutput>({ prompt: prompts[0]!, ...sampling }, signal);
  return [{ name: 'text_output', datatype: 'BYTES', shape: [1], data: [output.text] }];
}

async function tensors(
  runner: ModelRunner,
  request: InferRequest,
  signal: AbortSignal,
): Promise<InferOutput[]> {
  const inputs: Record<string, Tensor> = {};
  request.inputs.forEach((input, index) => {
    if (input.name in inputs) throw invalid(`inputs[${index}].name`, `"${input.name}" is given twice`);
    inputs[input.name] = decodeTensor(input, index);
  });
  const names = request.outputs?.map((o) => o.name);
  const output = await runner.run<TensorOutput>({ inputs, ...(names && { outputs: names }) }, signal);
  return Object.entries(output.outputs).map(([name, tensor]) => encodeTensor(name, tensor));
}

const INFER: Record<string, typeof tensors> = {
  tensor: tensors,
  classification: classify,
  embedding: embed,
  'text-generation': generate,
};

/** Run an OIP infer request on the model's task; keep the outputs the request names, in its order. */
export async function infer(
  runner: ModelRunner,
  request: InferRequest,
  signal: AbortSignal,
): Promise<InferOutput[]> {
  const run = INFER[runner.task];
  if (!run)
    throw new HttpError(
      400,
      `Model "${runner.name}" runs ${runner.task}, which OIP v2 inference does not serve`,
    );
  const outputs = await run(runner, request, signal);
  if (!request.outputs) return outputs;
  return request.outputs.map((wanted, index) => {
    const found = outputs.find((o) => o.name === wanted.name);
    if (!found) {
      throw invalid(
        `outputs[${index}].name`,
        `model "${runner.name}" has no output "${wanted.name}"; outputs are ${outputs.map((o) => o.name).join(', ')}`,
      );
    }
    return found;
  });
}
