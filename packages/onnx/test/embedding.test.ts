import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddingTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bertEncodeBatch, bertTokenizer, createBertWeights } from '../../../test/fixtures/generate/bert.ts';
import { bertForward, meanPool } from '../../../test/fixtures/reference/bert.ts';
import { loadModel, type OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred, maxAbsDiff } from './support.ts';

const texts = ['hello world', 'The cat sat on the mat.', 'I love this movie, it was wonderful!'];
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const unit = (v: number[]) => v.map((x) => x / norm(v));

describe('embedding task', () => {
  const tokenizer = bertTokenizer();
  const weights = createBertWeights();
  const batch = bertEncodeBatch(tokenizer, texts);
  const hidden = bertForward(weights, batch);
  let model: OnnxModel<EmbeddingTask>;
  beforeAll(async () => {
    model = await loadInferred('embedding', fixture('tiny-bert'));
  });
  afterAll(() => model.dispose());

  it('infers the embedding task for a BertModel folder', () => {
    expect(model.task).toBe('embedding');
    expect(model.capabilities).toMatchObject({
      batching: true,
      streaming: false,
      local: true,
      device: 'cpu',
    });
  });

  it('mean-pools with the attention mask and L2-normalises, equal to the reference forward pass', async () => {
    const { embeddings, dimensions, usage } = await model.run({ texts });
    expect(dimensions).toBe(32);
    const expected = meanPool(hidden, batch.attentionMask).map(unit);
    embeddings.forEach((vector, i) => {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(maxAbsDiff(vector, expected[i]!)).toBeLessThan(1e-4);
      expect(norm(vector)).toBeCloseTo(1, 5);
    });
    expect(usage.inputTokens).toBe(batch.attentionMask.flat().filter((m) => m === 1).length);
  });

  it('leaves vectors as pooled with normalize: false', async () => {
    const raw = await loadInferred('embedding', fixture('tiny-bert'), { normalize: false });
    const { embeddings } = await raw.run({ texts });
    const expected = meanPool(hidden, batch.attentionMask);
    for (const [i, vector] of embeddings.entries())
      expect(maxAbsDiff(vector, expected[i]!)).toBeLessThan(1e-4);
    await raw.dispose();
  });

  it('pools the [CLS] token with pooling: cls', async () => {
    const cls = await loadInferred('embedding', fixture('tiny-bert'), { pooling: 'cls', normalize: false });
    const { embeddings } = await cls.run({ texts });
    const [, seq, size] = hidden.dims;
    embeddings.forEach((vector, i) => {
      const expected = Array.from(hidden.data.subarray(i * seq * size, i * seq * size + size));
      expect(maxAbsDiff(vector, expected)).toBeLessThan(1e-4);
    });
    await cls.dispose();
  });

  it('cuts long texts to the model limit and keeps the closing [SEP]', async () => {
    const long = Array.from({ length: 200 }, () => 'cat').join(' ');
    const { usage } = await model.run({ texts: [long] });
    expect(usage.inputTokens).toBe(64);
    const short = await loadInferred('embedding', fixture('tiny-bert'), { maxLength: 8 });
    const cut = await short.run({ texts: [long] });
    expect(cut.usage.inputTokens).toBe(8);
    const expected = tokenizer.encode(long).ids;
    const ids = [...expected.slice(0, 7), expected.at(-1)!];
    const reference = bertForward(weights, {
      inputIds: [ids],
      attentionMask: [ids.map(() => 1)],
      tokenTypeIds: [ids.map(() => 0)],
    });
    expect(maxAbsDiff(cut.embeddings[0]!, unit(meanPool(reference, [ids.map(() => 1)])[0]!))).toBeLessThan(
      1e-4,
    );
    await short.dispose();
  });

  it('shortens vectors to the asked dimensions and re-normalises them', async () => {
    const { embeddings, dimensions } = await model.run({ texts: ['hello world'], dimensions: 16 });
    expect(dimensions).toBe(16);
    expect(embeddings[0]).toHaveLength(16);
    expect(norm(embeddings[0]!)).toBeCloseTo(1, 5);
    const error = await model.run({ texts: ['hello'], dimensions: 64 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/vectors have 32 dimensions/);
  });

  it('micro-batches concurrent calls into one run with results equal to unbatched ones within 1e-5', async () => {
    const batched = await loadInferred('embedding', fixture('tiny-bert'), {
      batching: { windowMs: 5, maxBatch: 32 },
    });
    const together = await Promise.all(texts.map((text) => batched.run({ texts: [text] })));
    expect(batched.describe().runs).toBe(1);
    const alone = await loadInferred('embedding', fixture('tiny-bert'), { batching: false });
    for (let i = 0; i < texts.length; i++) {
      const single = await alone.run({ texts: [texts[i]!] });
      expect(maxAbsDiff(together[i]!.embeddings[0]!, single.embeddings[0]!)).toBeLessThan(1e-5);
      expect(together[i]!.usage.inputTokens).toBe(single.usage.inputTokens);
    }
    await Promise.all([batched.dispose(), alone.dispose()]);
  });
});

describe('embedding pooling from sentence-transformers files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-pooling-'));
    await cp(fixture('tiny-bert'), dir, { recursive: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('uses CLS pooling when 1_Pooling/config.json asks for it', async () => {
    await writeFile(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_cls_token: true }));
    const fromConfig = await loadInferred('embedding', dir);
    const explicit = await loadInferred('embedding', fixture('tiny-bert'), { pooling: 'cls' });
    const [a, b] = await Promise.all([fromConfig.run({ texts }), explicit.run({ texts })]);
    for (const [i, vector] of a.embeddings.entries())
      expect(maxAbsDiff(vector, b.embeddings[i]!)).toBeLessThan(1e-6);
    await Promise.all([fromConfig.dispose(), explicit.dispose()]);
  });

  it('refuses at load a pooling mode it does not implement unless pooling is given', async () => {
    await writeFile(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ pooling_mode_max_tokens: true }));
    await expect(loadModel(dir)).rejects.toThrow(/pooling mode this package does not do.*pass \{ pooling/);
    const model = await loadInferred('embedding', dir, { pooling: 'mean' });
    expect(model.task).toBe('embedding');
    await model.dispose();
  });
});
