import { ModelLoadError } from '@mlkit/core';
import type { DType } from './options.ts';

type Json = Record<string, unknown>;

/** Where a model's files come from: a local folder, a URL folder, or bare bytes. */
export interface ModelFiles {
  /** Names the source in ids and errors. */
  label: string;
  /** A file of the folder by relative path; undefined when it has none. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Why `read(name)` found nothing, when there is more to say than "not there" (an HTML answer). */
  whyMissing?(name: string): string | undefined;
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
  /**
   * The image processor's or feature extractor's settings: `preprocessor_config.json`, else the
   * `image_processor` / `feature_extractor` entry of a `processor_config.json` that holds them.
   */
  preprocessorConfig?: Json;
  /** Other JSON files a task asked for by name (`FolderNeeds.json`), e.g. a CTC tokenizer's `vocab.json`. */
  json?: Record<string, Json>;
  /** Why a file that was read came back missing, by name, where the source could tell (an HTML answer). */
  missing?: Record<string, string>;
}

/** Which files beyond config.json a model needs, decided from its inputs and task. */
export interface FolderNeeds {
  /** tokenizer.json, tokenizer_config.json (and special_tokens_map.json for exports older than transformers 4.34). */
  tokenizer?: boolean;
  /** generation_config.json. */
  generation?: boolean;
  /** The chat template: tokenizer_config.json's, else chat_template.jinja, else chat_template.json. */
  chatTemplate?: boolean;
  /** sentence-transformers modules.json and its Pooling module's config.json. */
  pooling?: boolean;
  /** preprocessor_config.json (vision and audio models). */
  preprocessor?: boolean;
  /** Further JSON files by name, read into `ModelFolder.json` when present. */
  json?: string[];
}

const decoder = new TextDecoder();

async function readText(files: ModelFiles, name: string, folder?: ModelFolder): Promise<string | undefined> {
  const bytes = await files.read(name);
  if (!bytes) {
    const why = files.whyMissing?.(name);
    if (why && folder) folder.missing = { ...folder.missing, [name]: why };
    return undefined;
  }
  return decoder.decode(bytes);
}

async function readJson<T = Json>(
  files: ModelFiles,
  name: string,
  folder?: ModelFolder,
): Promise<T | undefined> {
  const text = await readText(files, name, folder);
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

/** Read config.json (optional: a folder of a bare `.onnx` file has none). */
export async function readConfig(files: ModelFiles, folder: ModelFolder): Promise<void> {
  const config = await readJson(files, 'config.json', folder);
  if (config) folder.config = config;
}

/**
 * Read the files a model needs beyond config.json into `folder`, and only those, so a URL folder
 * sees no requests for files it was never going to have. Layouts of transformers 4 and 5 and Optimum:
 * - special tokens: tokenizer_config.json; special_tokens_map.json fills the gaps only for exports
 *   older than transformers 4.34, which kept them there (see mayHaveSpecialTokensMap);
 * - chat template: tokenizer_config.json `chat_template` (a string or a list of `{name, template}`),
 *   else `chat_template.jinja` (transformers >= 4.5x and 5 write it there and leave it out of
 *   tokenizer_config.json), else the legacy `chat_template.json` (`{"chat_template": ...}`);
 * - sentence-transformers: modules.json, then the config.json of its Pooling module (`1_Pooling/`).
 */
export async function readNeededFiles(
  files: ModelFiles,
  folder: ModelFolder,
  needs: FolderNeeds,
): Promise<void> {
  const reads: Promise<void>[] = [];
  if (needs.tokenizer && !folder.tokenizerJson) {
    reads.push(
      readJson(files, 'tokenizer.json', folder).then((json) => {
        if (json) folder.tokenizerJson = json;
      }),
    );
  }
  if ((needs.tokenizer || needs.chatTemplate) && !folder.tokenizerConfig) {
    reads.push(readTokenizerConfig(files, folder));
  }
  if (needs.generation) {
    reads.push(
      readJson(files, 'generation_config.json', folder).then((json) => {
        if (json) folder.generationConfig = json;
      }),
    );
  }
  if (needs.pooling) reads.push(readPooling(files, folder));
  if (needs.preprocessor && !folder.preprocessorConfig) reads.push(readPreprocessor(files, folder));
  for (const name of needs.json ?? []) {
    reads.push(
      readJson(files, name, folder).then((json) => {
        if (json) folder.json = { ...folder.json, [name]: json };
      }),
    );
  }
  await Promise.all(reads);
  if (needs.chatTemplate && folder.chatTemplate === undefined) {
    const template =
      defaultChatTemplate(folder.tokenizerConfig?.chat_template) ??
      (await readText(files, 'chat_template.jinja', folder)) ??
      defaultChatTemplate((await readJson(files, 'chat_template.json', folder))?.chat_template);
    if (template) folder.chatTemplate = template;
  }
}

/**
 * Whether special_tokens_map.json may hold tokens tokenizer_config.json lacks: only in exports from
 * before transformers 4.34, which wrote no `added_tokens_decoder`. Transformers 5 writes no
 * special_tokens_map.json at all (nor `added_tokens_decoder` beside a tokenizer.json); it is told by
 * config.json `transformers_version` 5+, or tokenizer_config.json's `backend` / `*Backend` class.
 */
function mayHaveSpecialTokensMap(config: Json | undefined, tokenizerConfig: Json | undefined): boolean {
  if (!tokenizerConfig) return true;
  if (tokenizerConfig.added_tokens_decoder !== undefined) return false;
  const version = Number.parseInt(String(config?.transformers_version ?? ''), 10);
  const v5 =
    version >= 5 ||
    tokenizerConfig.backend !== undefined ||
    /Backend$/.test(String(tokenizerConfig.tokenizer_class ?? ''));
  return !v5;
}

async function readTokenizerConfig(files: ModelFiles, folder: ModelFolder): Promise<void> {
  const config = await readJson(files, 'tokenizer_config.json', folder);
  const specialTokens = mayHaveSpecialTokensMap(folder.config, config)
    ? await readJson(files, 'special_tokens_map.json', folder)
    : undefined;
  if (!config && !specialTokens) return;
  const merged: Json = { ...config };
  for (const key of SPECIAL_TOKEN_KEYS) {
    if (merged[key] == null && specialTokens?.[key] != null) merged[key] = specialTokens[key];
  }
  folder.tokenizerConfig = merged;
}

async function readPooling(files: ModelFiles, folder: ModelFolder): Promise<void> {
  const modules = await readJson<Json[]>(files, 'modules.json', folder);
  if (!Array.isArray(modules)) return;
  folder.modules = modules;
  const pooling = modules.find((m) => String(m?.type ?? '').endsWith('.Pooling'));
  if (!pooling) return;
  const path = typeof pooling.path === 'string' && pooling.path ? pooling.path : '1_Pooling';
  const config = await readJson(files, `${path}/config.json`, folder);
  if (config) folder.poolingConfig = config;
}

/** Everything a model of any task could need from its folder (what `loadModel` reads step by step). */
export async function readFolder(files: ModelFiles): Promise<ModelFolder> {
  const folder: ModelFolder = {};
  await readConfig(files, folder);
  await readNeededFiles(files, folder, {
    tokenizer: true,
    generation: true,
    chatTemplate: true,
    pooling: true,
  });
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
  const why = candidates.map((name) => files.whyMissing?.(name)).find((reason) => reason !== undefined);
  throw new ModelLoadError(
    `${files.label}: no model file found — tried ${candidates.join(', ')}${why ? ` (${why})` : ''}. Pass { modelFile }, { files } or an .onnx URL`,
  );
}

/**
 * preprocessor_config.json, else the image processor / feature extractor inside processor_config.json:
 * a transformers 5 processor (Wav2Vec2Processor, WhisperProcessor...) saves its tokenizer on its own and
 * every other attribute under its name in processor_config.json, with no preprocessor_config.json
 * (5.24.0 processing_utils.py save_pretrained :1222-1247, to_dict :1093; test/fixtures/hf5).
 */
async function readPreprocessor(files: ModelFiles, folder: ModelFolder): Promise<void> {
  const own = await readJson(files, 'preprocessor_config.json', folder);
  if (own) {
    folder.preprocessorConfig = own;
    return;
  }
  const processor = await readJson(files, 'processor_config.json', folder);
  const nested = processor?.image_processor ?? processor?.feature_extractor;
  if (nested && typeof nested === 'object' && !Array.isArray(nested))
    folder.preprocessorConfig = nested as Json;
}
