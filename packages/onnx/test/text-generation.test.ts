import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TextGenerationChunk, TextGenerationTask } from '@mlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGptWeights,
  gptEosPrompt,
  gptEosTokenId,
  gptTokenizer,
} from '../../../test/fixtures/generate/gpt.ts';
import { greedyDecode } from '../../../test/fixtures/reference/gpt.ts';
import type { OnnxModel } from '../src/index.node.ts';
import { fixture, loadInferred } from './support.ts';

async function collect(stream: AsyncIterable<TextGenerationChunk>): Promise<TextGenerationChunk[]> {
  const chunks: TextGenerationChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
const textOf = (chunks: TextGenerationChunk[]) =>
  chunks.map((c) => (c.type === 'text-delta' ? c.text : '')).join('');

describe('text generation with a KV cache (tiny-gpt)', () => {
  const tokenizer = gptTokenizer();
  const weights = createGptWeights(tokenizer);
  const reference = (prompt: string, maxTokens: number) => {
    const ids = greedyDecode(weights, tokenizer.encode(prompt).ids, maxTokens, gptEosTokenId);
    const eos = ids.at(-1) === gptEosTokenId;
    return { text: tokenizer.decode(eos ? ids.slice(0, -1) : ids, { skip_special_tokens: true }), ids, eos };
  };
  let model: OnnxModel<TextGenerationTask>;
  /** The same model with its chat template turned off: `prompt` is raw text to continue. */
  let raw: OnnxModel<TextGenerationTask>;
  beforeAll(async () => {
    model = await loadInferred('text-generation', fixture('tiny-gpt'));
    raw = await loadInferred('text-generation', fixture('tiny-gpt'), { chatTemplate: false });
  });
  afterAll(() => Promise.all([model.dispose(), raw.dispose()]));

  it('infers text-generation from GPT2LMHeadModel and streams', () => {
    expect(model.task).toBe('text-generation');
    expect(model.capabilities).toMatchObject({ streaming: true, local: true, device: 'cpu' });
  });

  it('says the template was turned off by chatTemplate: false when messages come, and what to do', async () => {
    const error = await raw
      .run({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/turned off by the load option chatTemplate: false/);
    expect((error as Error).message).toMatch(/pass \{ prompt \}.*or load without chatTemplate: false/);
    expect((error as Error).message).not.toMatch(/has no chat template/);
  });

  it('decodes greedily the same tokens as the reference and stops at eos', async () => {
    const expected = reference(gptEosPrompt, 40);
    expect(expected.eos).toBe(true);
    const output = await raw.run({ prompt: gptEosPrompt, temperature: 0, maxTokens: 40 });
    expect(output.text).toBe(expected.text);
    expect(output.finishReason).toBe('stop');
    expect(output.usage.outputTokens).toBe(expected.ids.length);
    expect(output.usage.inputTokens).toBe(tokenizer.encode(gptEosPrompt).ids.length);
  });

  it('stops after maxTokens with finishReason length', async () => {
    const output = await raw.run({ prompt: 'Hello world', temperature: 0, maxTokens: 3 });
    expect(output.finishReason).toBe('length');
    expect(output.usage.outputTokens).toBe(3);
    expect(output.text).toBe(reference('Hello world', 3).text);
  });

  it('reports usage: tokens, time to first token, tokens per second and device', async () => {
    const { usage } = await model.run({ prompt: 'Hello world', temperature: 0, maxTokens: 5 });
    expect(usage).toMatchObject({
      inputTokens: expect.any(Number),
      outputTokens: 5,
      totalTokens: usage.inputTokens! + 5,
      device: 'cpu',
    });
    expect(usage.timeToFirstTokenMs).toBeGreaterThan(0);
    expect(usage.tokensPerSecond).toBeGreaterThan(0);
  });

  it('streams deltas that concatenate to the text of run()', async () => {
    const run = await model.run({ prompt: 'The dog', temperature: 0, maxTokens: 30 });
    const chunks = await collect(model.stream({ prompt: 'The dog', temperature: 0, maxTokens: 30 }));
    expect(textOf(chunks)).toBe(run.text);
    expect(chunks.at(-1)).toMatchObject({ type: 'finish', finishReason: run.finishReason });
  });

  it('samples the same text from the same seed, and other text from another seed', async () => {
    const input = { prompt: 'The dog', temperature: 1, topK: 50, topP: 0.95, maxTokens: 25 };
    const a = await model.run({ ...input, seed: 1 });
    const b = await model.run({ ...input, seed: 1 });
    const c = await model.run({ ...input, seed: 2 });
    expect(a.text).toBe(b.text);
    expect(c.text).not.toBe(a.text);
  });

  it('cuts the text before a stop sequence and finishes with stop', async () => {
    const full = await model.run({ prompt: 'The dog', temperature: 0, maxTokens: 30 });
    const stop = full.text.slice(5, 8);
    const cut = full.text.slice(0, full.text.indexOf(stop));
    const output = await model.run({
      prompt: 'The dog',
      temperature: 0,
      maxTokens: 30,
      stop: [stop, 'never-there'],
    });
    expect(output.text).toBe(cut);
    expect(output.finishReason).toBe('stop');
    const chunks = await collect(model.stream({ prompt: 'The dog', temperature: 0, maxTokens: 30, stop }));
    expect(textOf(chunks)).toBe(cut);
  });

  it('stops on a stop sequence split across tokens, and never streams its first part', async () => {
    const chunks = await collect(model.stream({ prompt: 'The dog', temperature: 0, maxTokens: 30 }));
    const deltas = chunks.flatMap((c) => (c.type === 'text-delta' && c.text.length > 0 ? [c.text] : []));
    // A stop made of the end of one delta and the start of the next.
    const at = deltas.findIndex(
      (d, i) => i > 0 && !d.includes('\uFFFD') && !deltas[i + 1]?.includes('\uFFFD') && deltas[i + 1],
    );
    expect(at).toBeGreaterThan(0);
    const stop = deltas[at]!.slice(-1) + deltas[at + 1]!.slice(0, 1);
    const full = deltas.join('');
    const cut = full.slice(0, full.indexOf(stop));
    const stopped = await collect(model.stream({ prompt: 'The dog', temperature: 0, maxTokens: 30, stop }));
    expect(textOf(stopped)).toBe(cut);
    expect(stopped.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('renders messages with the chat template (ChatML) before tokenizing', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hello world' },
    ];
    const rendered =
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello world<|im_end|>\n<|im_start|>assistant\n';
    const output = await model.run({ messages, temperature: 0, maxTokens: 4 });
    expect(output.usage.inputTokens).toBe(
      tokenizer.encode(rendered, { add_special_tokens: false }).ids.length,
    );
    const asPrompt = await raw.run({ prompt: rendered, temperature: 0, maxTokens: 4 });
    expect(output.text).toBe(asPrompt.text);
  });

  it('treats a prompt as one user turn when the model has a chat template, as hosted providers do', async () => {
    const options = { temperature: 0, maxTokens: 12 };
    const [asPrompt, asMessage, continued] = await Promise.all([
      model.run({ prompt: 'Hello world', ...options }),
      model.run({ messages: [{ role: 'user', content: 'Hello world' }], ...options }),
      raw.run({ prompt: 'Hello world', ...options }),
    ]);
    expect(asPrompt.text).toBe(asMessage.text);
    expect(asPrompt.finishReason).toBe(asMessage.finishReason);
    expect(asPrompt.usage.inputTokens).toBe(asMessage.usage.inputTokens);
    expect(asPrompt.usage.outputTokens).toBe(asMessage.usage.outputTokens);
    expect(continued.usage.inputTokens).toBe(tokenizer.encode('Hello world').ids.length);
    expect(continued.usage.inputTokens).toBeLessThan(asPrompt.usage.inputTokens!);
  });

  it('takes a chat template from the chatTemplate option over the model one', async () => {
    const custom = await loadInferred('text-generation', fixture('tiny-gpt'), {
      chatTemplate: '{% for m in messages %}{{ m.content }}{% endfor %}',
    });
    const output = await custom.run({ messages: [{ role: 'user', content: 'Hello world' }], maxTokens: 2 });
    expect(output.usage.inputTokens).toBe(tokenizer.encode('Hello world').ids.length);
    await custom.dispose();
  });

  it('rejects a prompt longer than the context with InvalidInputError', async () => {
    const long = Array.from({ length: 200 }, () => 'dog').join(' ');
    const error = await model.run({ prompt: long }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/reads at most 128/);
  });

  it('stops between steps when aborted, with AbortError', async () => {
    const controller = new AbortController();
    const before = model.describe().runs;
    const seen: TextGenerationChunk[] = [];
    const error = await (async () => {
      for await (const chunk of model.stream(
        { prompt: 'The dog', temperature: 0, maxTokens: 100 },
        { signal: controller.signal },
      )) {
        seen.push(chunk);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'abort' });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(model.describe().runs - before).toBeLessThan(10);
  });

  it('gives up at once when the call times out', async () => {
    const error = await model
      .run({ prompt: 'The dog', temperature: 0, maxTokens: 100 }, { timeoutMs: 1 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'timeout' });
  });
});

describe('text generation across export layouts', () => {
  const prompts = ['The dog', gptEosPrompt, 'I love this movie.'];

  it('gives the same greedy text without a KV cache (tiny-gpt-nocache) as with one', async () => {
    const cached = await loadInferred('text-generation', fixture('tiny-gpt'));
    const plain = await loadInferred('text-generation', fixture('tiny-gpt-nocache'));
    expect(plain.describe().inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    for (const prompt of prompts) {
      const [a, b] = await Promise.all([
        cached.run({ prompt, temperature: 0, maxTokens: 20 }),
        plain.run({ prompt, temperature: 0, maxTokens: 20 }),
      ]);
      expect(b.text).toBe(a.text);
      expect(b.usage.outputTokens).toBe(a.usage.outputTokens);
    }
    await Promise.all([cached.dispose(), plain.dispose()]);
  });

  it('reads the transformers 5 layout: model.onnx at the root and chat_template.jinja', async () => {
    const v4 = await loadInferred('text-generation', fixture('tiny-gpt'));
    const v5 = await loadInferred('text-generation', fixture('tiny-gpt-t5style'));
    expect(v5.describe().modelFile).toBe('model.onnx');
    const messages = [{ role: 'user' as const, content: 'Hello world' }];
    const [a, b] = await Promise.all([
      v4.run({ messages, temperature: 0, maxTokens: 10 }),
      v5.run({ messages, temperature: 0, maxTokens: 10 }),
    ]);
    expect(b).toMatchObject({ text: a.text, usage: { inputTokens: a.usage.inputTokens } });
    await Promise.all([v4.dispose(), v5.dispose()]);
  });
});

describe('text generation config files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlkit-onnx-gpt-'));
    await cp(fixture('tiny-gpt'), dir, { recursive: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stops at any id of a generation_config eos_token_id list', async () => {
    const base = await loadInferred('text-generation', fixture('tiny-gpt'));
    const full = await base.run({ prompt: 'The dog', temperature: 0, maxTokens: 10 });
    await base.dispose();
    const tokenizer = gptTokenizer();
    const generated = tokenizer
      .encode(`The dog${full.text}`)
      .ids.slice(tokenizer.encode('The dog').ids.length);
    const config = JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'));
    await writeFile(
      join(dir, 'generation_config.json'),
      JSON.stringify({ ...config, eos_token_id: [gptEosTokenId, generated[2]] }),
    );
    const model = await loadInferred('text-generation', dir);
    const output = await model.run({ prompt: 'The dog', temperature: 0, maxTokens: 10 });
    expect(output.finishReason).toBe('stop');
    expect(output.usage.outputTokens).toBeLessThanOrEqual(3);
    await model.dispose();
  });

  it('rejects a conversation for a model without a chat template, pointing to prompt; one user message is its text', async () => {
    const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
    delete config.chat_template;
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const model = await loadInferred('text-generation', dir);
    const options = { temperature: 0, maxTokens: 6 };
    const [single, prompt] = await Promise.all([
      model.run({ messages: [{ role: 'user', content: 'hi there' }], ...options }),
      model.run({ prompt: 'hi there', ...options }),
    ]);
    expect(single.text).toBe(prompt.text);
    expect(single.usage.inputTokens).toBe(prompt.usage.inputTokens);
    const error = await model
      .run({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect((error as Error).message).toMatch(/no chat template.*pass \{ prompt \}/);
    await model.dispose();
  });
});
