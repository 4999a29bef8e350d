import { describe, expect, it } from 'vitest';
import { defaultChatTemplate, findModelFile, type ModelFiles, readFolder } from '../src/folder.ts';

function memoryFiles(
  files: Record<string, string | object>,
  options: { listable?: boolean } = {},
): ModelFiles & {
  reads: string[];
} {
  const reads: string[] = [];
  const encoder = new TextEncoder();
  const source: ModelFiles & { reads: string[] } = {
    label: 'memory',
    reads,
    async read(name) {
      reads.push(name);
      const value = files[name];
      if (value === undefined) return undefined;
      return encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));
    },
  };
  if (options.listable !== false) {
    source.list = async () => Object.keys(files).filter((name) => name.endsWith('.onnx'));
  }
  return source;
}

describe('chat templates', () => {
  it('reads a chat_template string from tokenizer_config.json (transformers 4)', async () => {
    const folder = await readFolder(memoryFiles({ 'tokenizer_config.json': { chat_template: 'T4' } }));
    expect(folder.chatTemplate).toBe('T4');
  });

  it('reads the default of a list of named templates', async () => {
    const folder = await readFolder(
      memoryFiles({
        'tokenizer_config.json': {
          chat_template: [
            { name: 'tool_use', template: 'TOOLS' },
            { name: 'default', template: 'DEFAULT' },
          ],
        },
      }),
    );
    expect(folder.chatTemplate).toBe('DEFAULT');
  });

  it('reads chat_template.jinja when tokenizer_config.json has no template (transformers 5)', async () => {
    const folder = await readFolder(
      memoryFiles({ 'chat_template.jinja': 'FROM FILE', 'tokenizer_config.json': { eos_token: '</s>' } }),
    );
    expect(folder.chatTemplate).toBe('FROM FILE');
  });

  it("takes tokenizer_config.json's template without asking for chat_template.jinja (transformers 4)", async () => {
    const files = memoryFiles({ 'tokenizer_config.json': { chat_template: 'T4' } });
    const folder = await readFolder(files);
    expect(folder.chatTemplate).toBe('T4');
    expect(files.reads).not.toContain('chat_template.jinja');
    expect(files.reads).not.toContain('chat_template.json');
  });

  it('falls back to the legacy chat_template.json', async () => {
    const folder = await readFolder(memoryFiles({ 'chat_template.json': { chat_template: 'LEGACY' } }));
    expect(folder.chatTemplate).toBe('LEGACY');
  });

  it('has no template when no file holds one', async () => {
    expect((await readFolder(memoryFiles({ 'config.json': {} }))).chatTemplate).toBeUndefined();
    expect(defaultChatTemplate(42)).toBeUndefined();
  });
});

describe('readFolder', () => {
  it('fills special tokens missing from tokenizer_config.json from special_tokens_map.json', async () => {
    const folder = await readFolder(
      memoryFiles({
        'tokenizer_config.json': { eos_token: '</s>' },
        'special_tokens_map.json': { eos_token: 'IGNORED', pad_token: { content: '<pad>', lstrip: false } },
      }),
    );
    expect(folder.tokenizerConfig?.eos_token).toBe('</s>');
    expect(folder.tokenizerConfig?.pad_token).toEqual({ content: '<pad>', lstrip: false });
  });

  it('does not ask for special_tokens_map.json when tokenizer_config.json is complete (added_tokens_decoder, transformers >= 4.34)', async () => {
    const files = memoryFiles({
      'tokenizer_config.json': { added_tokens_decoder: {}, eos_token: '</s>' },
      'special_tokens_map.json': { pad_token: '<pad>' },
    });
    const folder = await readFolder(files);
    expect(folder.tokenizerConfig?.pad_token).toBeUndefined();
    expect(files.reads).not.toContain('special_tokens_map.json');
  });

  it('reads the pooling config from the path modules.json gives the Pooling module', async () => {
    const files = memoryFiles({
      'modules.json': [{ idx: 1, name: '1', path: '2_Pool', type: 'sentence_transformers.models.Pooling' }],
      '2_Pool/config.json': { pooling_mode_cls_token: true },
    });
    const folder = await readFolder(files);
    expect(folder.poolingConfig?.pooling_mode_cls_token).toBe(true);
    expect(files.reads).not.toContain('1_Pooling/config.json');
  });

  it('reads generation_config.json and the sentence-transformers pooling files', async () => {
    const folder = await readFolder(
      memoryFiles({
        'generation_config.json': { eos_token_id: [1, 2] },
        '1_Pooling/config.json': { pooling_mode_cls_token: true },
        'modules.json': [{ type: 'sentence_transformers.models.Pooling' }],
      }),
    );
    expect(folder.generationConfig?.eos_token_id).toEqual([1, 2]);
    expect(folder.poolingConfig?.pooling_mode_cls_token).toBe(true);
    expect(folder.modules).toHaveLength(1);
  });

  it('names the file when a JSON file does not parse', async () => {
    await expect(readFolder(memoryFiles({ 'config.json': '{ not json' }))).rejects.toThrow(
      /config\.json is not valid JSON/,
    );
  });
});

describe('findModelFile', () => {
  it('prefers onnx/model.onnx over model.onnx, and fp32 over quantized files', async () => {
    const files = memoryFiles({
      'model.onnx': 'x',
      'onnx/model.onnx': 'x',
      'onnx/model_quantized.onnx': 'x',
    });
    expect(await findModelFile(files, undefined)).toBe('onnx/model.onnx');
  });

  it('takes a quantized file when it is the only weights there are', async () => {
    const files = memoryFiles({ 'onnx/model_q4.onnx': 'x', 'onnx/model_fp16.onnx': 'x' });
    expect(await findModelFile(files, undefined)).toBe('onnx/model_fp16.onnx');
  });

  it('picks the file of the asked dtype by its suffix', async () => {
    const files = memoryFiles({
      'onnx/model.onnx': 'x',
      'onnx/model_quantized.onnx': 'x',
      'onnx/model_q4f16.onnx': 'x',
    });
    expect(await findModelFile(files, 'q8')).toBe('onnx/model_quantized.onnx');
    expect(await findModelFile(files, 'q4f16')).toBe('onnx/model_q4f16.onnx');
  });

  it("finds Optimum's merged decoder", async () => {
    expect(await findModelFile(memoryFiles({ 'onnx/decoder_model_merged.onnx': 'x' }), undefined)).toBe(
      'onnx/decoder_model_merged.onnx',
    );
  });

  it('says what it expected and what it found when no file fits', async () => {
    const files = memoryFiles({ 'onnx/encoder.onnx': 'x', 'onnx/decoder.onnx': 'x' });
    await expect(findModelFile(files, undefined)).rejects.toThrow(
      /expected onnx\/model\.onnx.*found onnx\/encoder\.onnx, onnx\/decoder\.onnx/,
    );
  });

  it('probes sources that cannot list files (URLs) for the fp32 names in order', async () => {
    const files = memoryFiles({ 'model.onnx': 'x' }, { listable: false });
    expect(await findModelFile(files, undefined)).toBe('model.onnx');
    expect(files.reads).toEqual(['onnx/model.onnx', 'model.onnx']);
  });
});
