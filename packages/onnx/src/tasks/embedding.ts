import { type EmbeddingTask, embedding, InvalidInputError, ModelLoadError, type Usage } from '@mlkit/core';
import { MicroBatcher } from '../batcher.ts';
import { normalizeInPlace, type Pooling, poolingFromConfig, poolRow } from '../pooling.ts';
import { describeValue, requireFeedableInputs } from '../session.ts';
import { discard, floatSlice } from '../tensors.ts';
import { groupByLength, loadTokenizer, padBatch, textFeeds } from '../tokenizer.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

interface Embedded {
  vector: Float32Array<ArrayBuffer>;
  tokens: number;
}

const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'hidden_states'];
const POOLED_OUTPUTS = ['sentence_embedding', 'embeddings', 'text_embeds'];
/** The inputs this task feeds. */
const TEXT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

/** The `embedding` task: tokenizer, padded batches, pooling with the attention mask, optional L2 normalisation. */
export function embeddingTask({
  session,
  folder,
  options,
  label,
  device,
}: TaskContext): TaskRunner<EmbeddingTask> {
  const idsInput = session.inputs.get('input_ids');
  if (!idsInput) {
    throw new ModelLoadError(
      `${label}: an embedding model needs an int64 input_ids input; found inputs ${[...session.inputs.values()].map(describeValue).join(', ')}`,
    );
  }
  requireFeedableInputs(session, label, 'embedding', (name) => TEXT_INPUTS.includes(name));
  const outputs = [...session.outputs.values()];
  const configured = poolingFromConfig(folder.poolingConfig);
  if (configured === 'unsupported' && !options.pooling) {
    throw new ModelLoadError(
      `${label}: 1_Pooling/config.json asks for a pooling mode this package does not do (max, sqrt-len or weighted mean); pass { pooling: 'mean' | 'cls' | 'last' }`,
    );
  }
  const pooled = options.pooling ? undefined : outputs.find((o) => POOLED_OUTPUTS.includes(o.name));
  const tokenLevel =
    outputs.find((o) => TOKEN_OUTPUTS.includes(o.name)) ??
    outputs.find((o) => o.name !== 'logits' && (o.shape?.length ?? 0) === 3); // logits score a vocabulary: not embeddings
  const output = pooled ?? tokenLevel;
  if (!output) {
    throw new ModelLoadError(
      `${label}: an embedding model needs a token-level output [batch, sequence, hidden] (last_hidden_state) or a pooled one (sentence_embedding); found ${outputs.map(describeValue).join(', ')}`,
    );
  }
  const pooling: Pooling = options.pooling ?? (configured as Pooling | undefined) ?? 'mean';
  const normalize = options.normalize ?? true;
  const tokenizer = loadTokenizer(folder, label, options.maxLength);
  const fetches = [output.name];

  /** One onnxruntime run over `rows` (token ids); writes each row's vector to `out[slots[r]]`. */
  async function runGroup(
    rows: number[][],
    slots: number[],
    out: Embedded[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const padded = padBatch(rows, tokenizer.padId);
    const result = (await session.run(textFeeds(session, padded), fetches, signal))[output!.name]!;
    if (result.dims.length === 2) {
      const size = result.dims[1]!;
      for (let r = 0; r < rows.length; r++) {
        out[slots[r]!] = {
          vector: Float32Array.from(floatSlice(result, r * size, size)),
          tokens: padded.lengths[r]!,
        };
      }
    } else {
      const [, sequence, size] = result.dims as [number, number, number];
      const hidden = floatSlice(result, 0, result.data.length);
      for (let r = 0; r < rows.length; r++) {
        out[slots[r]!] = {
          vector: poolRow(hidden, r, sequence, size, padded.lengths[r]!, pooling),
          tokens: padded.lengths[r]!,
        };
      }
    }
    // The vectors are copies: the batch's hidden states (megabytes) are freed now, not by a later collection.
    discard(result);
  }

  async function runBatch(texts: string[], signal?: AbortSignal): Promise<Embedded[]> {
    return runRows(
      texts.map((text) => tokenizer.encode(text)),
      signal,
    );
  }

  /** Token ids given by the caller are fed as they are: checked against the vocabulary and `maxLength`, never re-tokenized. */
  let knownVocabSize: number | undefined;
  function checkedTokens(tokens: number[][]): number[][] {
    knownVocabSize ??= tokenizer.tokenizer.get_vocab(true).size;
    const vocabSize = knownVocabSize;
    tokens.forEach((ids, row) => {
      const path = `input.tokens[${row}]`;
      if (ids.length > tokenizer.maxLength) {
        throw new InvalidInputError(
          `Invalid input — ${path}: ${ids.length} tokens; ${label} reads at most ${tokenizer.maxLength}`,
          { issues: [{ path, message: `at most ${tokenizer.maxLength} tokens (got ${ids.length})` }] },
        );
      }
      const outside = ids.findIndex((id) => id >= vocabSize);
      if (outside >= 0) {
        throw new InvalidInputError(
          `Invalid input — ${path}[${outside}]: token id ${ids[outside]} is outside the vocabulary of ${vocabSize} tokens`,
          { issues: [{ path: `${path}[${outside}]`, message: `token ids are 0..${vocabSize - 1}` }] },
        );
      }
    });
    return tokens;
  }

  async function runRows(rows: number[][], signal?: AbortSignal): Promise<Embedded[]> {
    const lengths = rows.map((row) => row.length);
    const out = new Array<Embedded>(rows.length);
    // Texts of similar length run together, so short ones are not padded to the longest of the batch.
    for (const group of groupByLength(lengths)) {
      await runGroup(
        group.map((i) => rows[i]!),
        group,
        out,
        signal,
      );
    }
    if (normalize) for (const item of out) normalizeInPlace(item.vector);
    return out;
  }

  const batcher =
    options.batching === false
      ? undefined
      : new MicroBatcher<string, Embedded>({ ...options.batching, runBatch: (t) => runBatch(t) });

  return {
    task: embedding,
    capabilities: {
      streaming: false,
      batching: true,
      maxBatch: options.batching ? options.batching.maxBatch : undefined,
      tokenInput: true,
    },
    batches: () => batcher?.runs ?? 0,
    async run(input, { signal }) {
      const { dimensions } = input;
      const started = performance.now();
      const embedded =
        'tokens' in input
          ? await runRows(checkedTokens(input.tokens), signal)
          : batcher
            ? await batcher.add(input.texts, signal)
            : await runBatch(input.texts, signal);
      let embeddings = embedded.map((e) => e.vector);
      const size = embeddings[0]!.length;
      if (dimensions !== undefined && dimensions !== size) {
        if (dimensions > size) {
          throw new InvalidInputError(
            `Invalid input — input.dimensions: this model's vectors have ${size} dimensions`,
            {
              issues: [{ path: 'input.dimensions', message: `at most ${size} (got ${dimensions})` }],
            },
          );
        }
        // Matryoshka-style: keep the leading dimensions, then re-normalise.
        embeddings = embeddings.map((v) => {
          const cut = v.slice(0, dimensions);
          return normalize ? normalizeInPlace(cut) : cut;
        });
      }
      let inputTokens = 0;
      for (const e of embedded) inputTokens += e.tokens;
      const usage: Usage = { inputTokens, durationMs: performance.now() - started, device };
      return { embeddings, dimensions: embeddings[0]!.length, usage };
    },
  };
}

/** The embedding task's local runner. */
export const embeddingRunner: LocalRunner<EmbeddingTask> = {
  needs: (options) => ({ tokenizer: true, pooling: options.pooling === undefined }),
  build: embeddingTask,
};
