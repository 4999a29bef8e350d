import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFolder } from '../src/folder.ts';
import { loadModel } from '../src/index.node.ts';
import { loadTokenizer } from '../src/tokenizer.ts';
import { fixture } from './support.ts';

// tiny-bert-sentiment: model_max_length 64 and 64 positions; this text is far longer than 64 tokens.
const longText = Array.from({ length: 120 }, (_, i) => (i % 2 ? 'good' : 'movie')).join(' ');

async function folderWith(truncation: Record<string, unknown> | null): Promise<ModelFolder> {
  const read = async (name: string) =>
    JSON.parse(await readFile(fixture('tiny-bert-sentiment', name), 'utf8')) as Record<string, unknown>;
  const [config, tokenizerJson, tokenizerConfig] = await Promise.all([
    read('config.json'),
    read('tokenizer.json'),
    read('tokenizer_config.json'),
  ]);
  return { config, tokenizerJson: { ...tokenizerJson, truncation }, tokenizerConfig };
}

const truncationOf = (maxLength: number, direction: 'Left' | 'Right') => ({
  direction,
  max_length: maxLength,
  strategy: 'LongestFirst',
  stride: 0,
});

describe("tokenizer.json's truncation", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-truncation-'));
    await cp(fixture('tiny-bert-sentiment'), dir, { recursive: true });
    const tokenizerJson = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
    tokenizerJson.truncation = truncationOf(16, 'Right');
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a text classifier cuts texts at truncation.max_length, not at model_max_length', async () => {
    const model = await loadModel(dir, { task: 'classification' });
    const { usage } = await model.run({ text: longText });
    expect(usage.inputTokens).toBe(16);
    await model.dispose();
  });

  it('the maxLength option still wins over truncation.max_length', async () => {
    const model = await loadModel(dir, { task: 'classification', maxLength: 24 });
    const { usage } = await model.run({ text: longText });
    expect(usage.inputTokens).toBe(24);
    await model.dispose();
  });

  it('a truncation.max_length above model_max_length is capped at model_max_length (64)', async () => {
    const tokenizer = loadTokenizer(await folderWith(truncationOf(1000, 'Right')), 'tiny-bert');
    expect(tokenizer.maxLength).toBe(64);
    expect(tokenizer.encode(longText)).toHaveLength(64);
  });

  it('direction Right keeps [CLS], the first tokens of the text and [SEP]', async () => {
    const tokenizer = loadTokenizer(await folderWith(truncationOf(8, 'Right')), 'tiny-bert');
    const full = tokenizer.tokenizer.encode(longText).ids;
    const cls = tokenizer.idOf('[CLS]')!;
    const sep = tokenizer.idOf('[SEP]')!;
    expect(tokenizer.truncationSide).toBe('right');
    expect(tokenizer.encode(longText)).toEqual([cls, ...full.slice(1, 7), sep]);
  });

  it('direction Left keeps [CLS], the last tokens of the text and [SEP]', async () => {
    const tokenizer = loadTokenizer(await folderWith(truncationOf(8, 'Left')), 'tiny-bert');
    const full = tokenizer.tokenizer.encode(`${longText} end`).ids;
    const cls = tokenizer.idOf('[CLS]')!;
    const sep = tokenizer.idOf('[SEP]')!;
    expect(tokenizer.truncationSide).toBe('left');
    const ids = tokenizer.encode(`${longText} end`);
    expect(ids).toEqual([cls, ...full.slice(-7, -1), sep]);
    expect(ids).not.toEqual([cls, ...full.slice(1, 7), sep]);
  });

  it('no truncation in tokenizer.json leaves model_max_length as the limit', async () => {
    const tokenizer = loadTokenizer(await folderWith(null), 'tiny-bert');
    expect(tokenizer.maxLength).toBe(64);
  });
});
