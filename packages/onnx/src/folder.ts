import { ModelLoadError } from '@mlkit/core';
import type { DType } from './options.ts';

type Json = Record<string, unknown>;

/** Where a model's files come from: a local folder, a URL folder, or bare bytes. */
export interface ModelFiles {
  /** Names the source in ids and errors. */
  label: string;
  /** A file of the folder by relative path; undefined when it has none. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** The `.onnx` files present (root and `onnx/`), when the source can list them. */
  list?(): Promise<string[]>;
  /** A path onnxruntime can open itself (Node), so external data files load too. */
  pathOf?(name: string): string;
  /** The model file the source names itself (an `.onnx` path or URL). */
  modelFile?: string;
  /** The model itself, when the source is bytes. */
  bytes?: Uint8Array;
}

/** The Hugging Face files of a model folder that this package reads. All optional. */
export interface ModelFolder {
  config?: Json;
  generationConfig?: Json;
  tokenizerJson?: Json;
  /** tokenizer_config.json with special tokens from special_tokens_map.json filled in. */
  tokenizerConfig?: Json;
  /** The default chat template, from whichever file holds it. */
  chatTemplate?: string;
  /** sentence-transformers `1_Pooling/config.json`. */
  poolingConfig?: Json;
  /** sentence-transformers `modules.json`. */
  modules?: Json[];
}

const decoder = new TextDecoder();

async function readText(files: ModelFiles, name: string): Promise<string | undefined> {
  const bytes = await files.read(name);
  return bytes && decoder.decode(bytes);
}

async function readJson<T = Json>(files: ModelFiles, name: string): Promise<T | undefined> {
  const text = await readText(files, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ModelLoadError(`${files.label}: ${name} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * The default template of a `chat_template` value: a string, or (several named templates) a list of
 * `{name, template}` as transformers writes it, or a name -> template object.
 */
export function defaultChatTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  let named: Record<string, unknown> | undefined;
  if (Array.isArray(value)) {
    named = {};
    for (const entry of value as { name?: unknown; template?: unknown }[]) {
      if (typeof entry?.name === 'string') named[entry.name] = entry.template;
    }
  } else if (value && typeof value === 'object') {
    named = value as Record<string, unknown>;
  }
  if (!named) return undefined;
  const template = named.default ?? Object.values(named)[0];
  return typeof template === 'string' ? template : undefined;
}

/** The special-token names of tokenizer configs (special_tokens_map.json fills these). */
export const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

/**
 * Read config.json, generation_config.json, the tokenizer files, the chat template and the
 * sentence-transformers files, in the layouts transformers 4 and 5 and Optimum write:
 * - chat template: `chat_template.jinja` (transformers >= 4.43 writes it, 5 always), else
 *   tokenizer_config.json `chat_template` (a string or a list of `{name, template}`), else the legacy
 *   `chat_template.json` (`{"chat_template": ...}`);
 * - special tokens: tokenizer_config.json, with special_tokens_map.json filling the gaps (older exports).
 */
export async function readFolder(files: ModelFiles): Promise<ModelFolder> {
  const [
    config,
    generationConfig,
    tokenizerJson,
    tokenizerConfig,
    specialTokens,
    jinja,
    templateJson,
    modules,
    pooling,
  ] = await Promise.all([
    readJson(files, 'config.json'),
    readJson(files, 'generation_config.json'),
    readJson(files, 'tokenizer.json'),
    readJson(files, 'tokenizer_config.json'),
    readJson(files, 'special_tokens_map.json'),
    readText(files, 'chat_template.jinja'),
    readJson(files, 'chat_template.json'),
    readJson<Json[]>(files, 'modules.json'),
    readJson(files, '1_Pooling/config.json'),
  ]);
  const folder: ModelFolder = {};
  if (config) folder.config = config;
  if (generationConfig) folder.generationConfig = generationConfig;
  if (tokenizerJson) folder.tokenizerJson = tokenizerJson;
  if (tokenizerConfig || specialTokens) {
    const merged: Json = { ...tokenizerConfig };
    for (const key of SPECIAL_TOKEN_KEYS) {
      if (merged[key] == null && specialTokens?.[key] != null) merged[key] = specialTokens[key];
    }
    folder.tokenizerConfig = merged;
  }
  const template =
    jinja ??
    defaultChatTemplate(tokenizerConfig?.chat_template) ??
    defaultChatTemplate(templateJson?.chat_template);
  if (template) folder.chatTemplate = template;
  if (Array.isArray(modules)) folder.modules = modules;
  if (pooling) folder.poolingConfig = pooling;
  return folder;
}

/** File-name suffixes of weight variants, as Optimum and transformers.js write them. */
export const DTYPE_SUFFIX: Record<DType, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** Preference when no dtype is asked for: full precision first, then what runs well on CPUs. */
const DTYPE_ORDER: DType[] = ['fp32', 'q8', 'int8', 'uint8', 'fp16', 'q4', 'bnb4', 'q4f16'];

/** Model file stems: single-file exports, then Optimum's merged decoders (with and without cache in one graph). */
const STEMS = ['model', 'decoder_model_merged', 'model_merged'];

/** Candidate model files for a dtype, best first: `onnx/` (Optimum, transformers.js) before the folder root. */
export function modelFileCandidates(dtype: DType): string[] {
  const suffix = DTYPE_SUFFIX[dtype];
  return STEMS.flatMap((stem) => [`onnx/${stem}${suffix}.onnx`, `${stem}${suffix}.onnx`]);
}

/**
 * Pick the model file of a folder: `modelFile` when given, else the first candidate of the asked dtype
 * (or, without one, fp32 first) that exists. Sources that cannot list files (URLs) are probed for the
 * asked dtype (fp32 by default) only.
 */
export async function findModelFile(files: ModelFiles, dtype: DType | undefined): Promise<string> {
  if (files.list) {
    const present = await files.list();
    for (const candidateDType of dtype ? [dtype] : DTYPE_ORDER) {
      const hit = modelFileCandidates(candidateDType).find((name) => present.includes(name));
      if (hit) return hit;
    }
    if (!dtype && present.length === 1) return present[0]!;
    throw new ModelLoadError(
      `${files.label}: no ${dtype ? `${dtype} ` : ''}model file found — expected ${modelFileCandidates(dtype ?? 'fp32').join(' or ')}; found ${present.length ? present.join(', ') : 'no .onnx files'}. Pass { modelFile } to choose one`,
    );
  }
  const candidates = modelFileCandidates(dtype ?? 'fp32');
  for (const name of candidates) {
    if ((await files.read(name)) !== undefined) return name;
  }
  throw new ModelLoadError(
    `${files.label}: no model file found — tried ${candidates.join(', ')}. Pass { modelFile } or an .onnx URL`,
  );
}
