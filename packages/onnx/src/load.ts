import {
  abortErrorOf,
  defineModel,
  type Model,
  type ModelImplementation,
  ModelLoadError,
  type Task,
  type TaskByName,
  type TaskName,
  TensorDType,
  type TensorSignature,
  UnsupportedError,
} from '@mlkit/core';
import { findModelFile, type ModelFiles, type ModelFolder, readConfig, readNeededFiles } from './folder.ts';
import { inferTask } from './infer-task.ts';
import type { LogitsToKeep } from './logits-to-keep.ts';
import { classifierLabels, externalDataFiles } from './onnx-graph.ts';
import { type LoadOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import type { Runtime } from './runtime.ts';
import {
  type CreateSessionOptions,
  createSession,
  type OpenSession,
  type Session,
  type ValueInfo,
} from './session.ts';
import { type ModelSource, openSource } from './source.ts';
import { classificationRunner } from './tasks/classification.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './tasks/context.ts';
import { embeddingRunner } from './tasks/embedding.ts';
import { imageClassificationRunner } from './tasks/image-classification.ts';
import { objectDetectionRunner } from './tasks/object-detection.ts';
import { speechToTextRunner } from './tasks/speech-to-text.ts';
import { tensorRunner } from './tasks/tensor.ts';
import { textGenerationRunner } from './tasks/text-generation.ts';
import { textToSpeechRunner } from './tasks/text-to-speech.ts';

/** What `describe()` tells about a loaded model: where it came from, where it runs and why. */
export interface OnnxModelInfo {
  id: string;
  task: TaskName;
  /** The model file inside its folder, when it came from one. */
  modelFile: string | undefined;
  device: string;
  /** Why this device was chosen, e.g. "auto: WASM because navigator.gpu is not available". */
  deviceReason: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Milliseconds from `loadModel()` to a ready session. */
  loadMs: number;
  /** Session runs so far (of all its sessions, for a model of several files). */
  runs: number;
  /** Micro-batched runs so far (classification, embedding). */
  batches: number;
  /**
   * How prefills get the last position's logits only: the graph's own logits_to_keep input (`native`), one
   * mlkit added to a decoder export that lacked it (`added`; `logitsToKeep: false` turns that off), or
   * neither, so every position's logits are computed (`none`; always for models that are not decoders).
   */
  logitsToKeep: LogitsToKeep;
  /** What the continuous batcher holds now and the most it held; only on a model loaded with `continuousBatching`. */
  continuousBatching?: {
    /** Generations admitted to the batch and not yet left (decoding, or waiting for their prefill). */
    active: number;
    /** Generations waiting for admission (at most `maxQueue`). */
    waiting: number;
    /** Tokens in the KV cache of the active generations (their real lengths, padding not counted). */
    kvTokens: number;
    /** Most generations active at once so far (at most `maxBatch`). */
    peakActive: number;
    /** Most KV tokens reserved at once so far (prompt + maxTokens per generation, at most `maxKvTokens`). */
    peakKvTokens: number;
  };
}

/** A Model of this package: the mlkit contract plus `describe()`. */
export type OnnxModel<T extends Task = Task> = Model<T> & {
  /** Where the model came from, where it runs and why, and its inputs and outputs. */
  describe(): OnnxModelInfo;
};

/** Each built-in task's local runner (a missing one is a type error). */
const RUNNERS: { [N in TaskName]: LocalRunner<TaskByName<N>> } = {
  tensor: tensorRunner,
  classification: classificationRunner,
  embedding: embeddingRunner,
  'text-generation': textGenerationRunner,
  'image-classification': imageClassificationRunner,
  'object-detection': objectDetectionRunner,
  'speech-to-text': speechToTextRunner,
  'text-to-speech': textToSpeechRunner,
};

/** A model whose task was read from its folder: narrow it with `model.task === 'embedding'`, say. */
export type AnyOnnxModel = { [N in TaskName]: OnnxModel<TaskByName<N>> }[TaskName];

/** The signature of `loadModel`, bound to a runtime by index.node.ts / index.web.ts. */
export interface LoadModel {
  /** Load as `task` (typed); fails with a ModelLoadError when the model cannot serve it. */
  <N extends TaskName>(
    source: ModelSource,
    options: LoadOptions & { task: N },
  ): Promise<OnnxModel<TaskByName<N>>>;
  /** Load with the task read from config.json / the graph; the result is a union to narrow by `task`. */
  (source: ModelSource, options?: LoadOptions & { task?: TaskName }): Promise<AnyOnnxModel>;
}

/** A runtime that can also open sessions in worker threads (Node). */
export type LoaderRuntime = Runtime & { openWorkerSession?: OpenSession };

/** Build `loadModel` for one runtime. */
export function createLoader(runtime: LoaderRuntime): LoadModel {
  return async function loadModel(source: ModelSource, rawOptions?: LoadOptions): Promise<never> {
    const started = performance.now();
    const options = resolveOptions(rawOptions);
    const signal = options.signal;
    const checkAbort = () => {
      if (signal?.aborted) throw abortErrorOf(signal);
    };
    checkAbort();
    if (options.worker && !runtime.openWorkerSession) {
      throw new UnsupportedError(
        'options.worker: worker threads are for onnxruntime-node; in a browser run the model inside a Web Worker of your own, or leave worker off',
        { param: 'worker' },
      );
    }
    const files = await openSource(source, runtime, options);
    const folder: ModelFolder = {};
    let modelFile: string | undefined;
    let model: string | Uint8Array;
    const externalData: { path: string; data: Uint8Array }[] = [];
    if (files.bytes) {
      model = files.bytes;
    } else {
      // config.json and the model file first; the rest once the model's inputs and task tell what it needs.
      const [, chosen] = await Promise.all([
        readConfig(files, folder),
        options.modelFile ?? files.modelFile ?? findModelFile(files, options.dtype),
      ]);
      modelFile = chosen;
      if (files.pathOf) {
        model = files.pathOf(modelFile); // onnxruntime reads the file and its external data itself
      } else {
        model = await readModel(files, modelFile);
        externalData.push(...(await readExternalData(files, modelFile, model)));
      }
    }
    checkAbort();
    const ort = await runtime.loadOrt();
    const choice = await runtime.chooseDevice(options.device);
    const open = (
      bytesOrPath: string | Uint8Array,
      data: { path: string; data: Uint8Array }[],
      logitsToKeep?: CreateSessionOptions['logitsToKeep'],
    ) =>
      createSession(ort, {
        logitsToKeep,
        model: bytesOrPath,
        label: files.label,
        queue: runtime.concurrentRuns ? options.queue : true,
        failureHint: choice.failureHint,
        open: options.worker ? runtime.openWorkerSession : undefined,
        sessionOptions: {
          executionProviders: choice.executionProviders,
          graphOptimizationLevel: options.graphOptimizationLevel,
          ...runtime.threadOptions(ort, options.threads),
          ...(data.length > 0 ? { externalData: data } : {}),
        },
      });
    const decoder = decoderSession(options, folder);
    const session = await open(
      model,
      externalData,
      decoder && { ...decoder, read: async () => (modelFile ? files.read(modelFile) : undefined) },
    );
    /** Sessions a runner opened besides the main one (an encoder beside its decoder); released with it. */
    const moreSessions: Session[] = [];
    const openSession = async (name: string): Promise<Session> => {
      checkAbort();
      if (files.bytes) {
        throw new ModelLoadError(
          `${files.label}: this model needs a second file (${name}) beside the one given as bytes; load its folder instead`,
        );
      }
      let other: string | Uint8Array;
      const data: { path: string; data: Uint8Array }[] = [];
      if (files.pathOf && (!files.list || (await files.list()).includes(name))) {
        other = files.pathOf(name);
      } else {
        other = await readModel(files, name);
        data.push(...(await readExternalData(files, name, other)));
      }
      const opened = await open(other, data);
      moreSessions.push(opened);
      return opened;
    };
    const releaseAll = () =>
      Promise.all([session, ...moreSessions].map((each) => each.release())).then(() => undefined);
    let runner: TaskRunner<Task>;
    try {
      checkAbort();
      if (!files.bytes) {
        const needsTokenizer = options.task !== undefined && RUNNERS[options.task].needs(options).tokenizer;
        if (session.inputs.has('input_ids') || needsTokenizer) {
          await readNeededFiles(files, folder, { tokenizer: true });
        }
      }
      const task = options.task ?? inferTask(folder, session);
      if (!files.bytes) {
        // The tokenizer was read above, before the task was inferred from it.
        await readNeededFiles(files, folder, { ...RUNNERS[task].needs(options), tokenizer: false });
        checkAbort();
      }
      const context: TaskContext = {
        session,
        folder,
        options,
        label: files.label,
        device: choice.device,
        modelFile,
        openSession,
        decodeAudio: runtime.decodeAudio,
        images: runtime.images,
      };
      // A scikit-learn export names its classes only inside the graph; text models never do.
      if (
        task === 'classification' &&
        !options.labels &&
        !folder.config?.id2label &&
        !session.inputs.has('input_ids')
      ) {
        const bytes = typeof model === 'string' ? await files.read(modelFile!) : model;
        if (bytes) context.classifierLabels = classifierLabels(bytes);
      }
      runner = (await RUNNERS[task].build(context)) as unknown as TaskRunner<Task>;
    } catch (error) {
      await releaseAll().catch(() => undefined);
      throw error;
    }
    return buildModel(runner, session, moreSessions, {
      id: `onnx:${files.label}`,
      modelFile,
      device: choice.device,
      deviceReason: choice.reason,
      loadMs: performance.now() - started,
    }) as never;
  };
}

/**
 * Whether the main session may get a logits_to_keep input (session.ts): when it is loaded as text
 * generation, or config.json names a causal LM; without a config's word, only a graph with a KV cache
 * (a token classifier also has input_ids and 3-d logits). Never for another task, nor with the option off.
 */
function decoderSession(
  options: ResolvedOptions,
  folder: ModelFolder,
): { kvCacheRequired: boolean } | undefined {
  if (!options.logitsToKeep) return undefined;
  if (options.task !== undefined)
    return options.task === 'text-generation' ? { kvCacheRequired: false } : undefined;
  const architectures = folder.config?.architectures;
  const architecture =
    Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : undefined;
  if (architecture === undefined) return { kvCacheRequired: true };
  return /(LMHeadModel|ForCausalLM)$/.test(architecture) ? { kvCacheRequired: false } : undefined;
}

async function readModel(files: ModelFiles, modelFile: string): Promise<Uint8Array> {
  const bytes = await files.read(modelFile);
  if (bytes) return bytes;
  const why = files.whyMissing?.(modelFile);
  throw new ModelLoadError(`${files.label}: no model file ${modelFile}${why ? ` — ${why}` : ''}`);
}

/**
 * The external data files the model names (models over 2 GB keep their weights beside the graph,
 * Optimum: `model.onnx_data`), read from beside the model file: the graph says which, so none is probed.
 */
async function readExternalData(
  files: ModelFiles,
  modelFile: string,
  model: Uint8Array,
): Promise<{ path: string; data: Uint8Array }[]> {
  const folderOfModel = modelFile.includes('/') ? modelFile.slice(0, modelFile.lastIndexOf('/') + 1) : '';
  return Promise.all(
    externalDataFiles(model).map(async (location) => {
      const name = `${folderOfModel}${location}`;
      const data = await files.read(name);
      if (!data) {
        const why = files.whyMissing?.(name);
        throw new ModelLoadError(
          `${files.label}: ${modelFile} keeps its weights in ${location} (external data), but ${name} is missing${why ? ` — ${why}` : ''}`,
        );
      }
      return { path: location, data };
    }),
  );
}

/** The graph's inputs or outputs as the Model contract's `capabilities.signature` says them. */
function signatureOf(values: Iterable<ValueInfo>): TensorSignature[] {
  return [...values].map(({ name, type, shape }) => {
    const dtype = TensorDType.safeParse(type);
    return { name, ...(dtype.success && { dtype: dtype.data }), ...(shape && { shape }) };
  });
}

/** The batcher's counters for `describe()`, when the runner has one. */
function continuousBatchingOf(runner: TaskRunner<Task>): Pick<OnnxModelInfo, 'continuousBatching'> {
  const stats = runner.continuousBatching?.();
  if (!stats) return {};
  const { sequences, waiting, kvTokens, peakSequences, peakReservedKvTokens } = stats;
  return {
    continuousBatching: {
      active: sequences,
      waiting,
      kvTokens,
      peakActive: peakSequences,
      peakKvTokens: peakReservedKvTokens,
    },
  };
}

function buildModel(
  runner: TaskRunner<Task>,
  session: Session,
  /** Further sessions of the model (an encoder beside its decoder): released and counted with it. */
  moreSessions: readonly Session[],
  info: { id: string; modelFile: string | undefined; device: string; deviceReason: string; loadMs: number },
): OnnxModel {
  // The model file's own inputs: a logits_to_keep mlkit added is told by describe().logitsToKeep instead.
  const inputs = [...session.inputs.values()].filter(
    (value) => session.logitsToKeep !== 'added' || value.name !== 'logits_to_keep',
  );
  const implementation: ModelImplementation<Task> = {
    id: info.id,
    task: runner.task,
    capabilities: {
      ...runner.capabilities,
      local: true,
      device: info.device,
      signature: { inputs: signatureOf(inputs), outputs: signatureOf(session.outputs.values()) },
    },
    run: runner.run,
    dispose: () =>
      Promise.all([session, ...moreSessions].map((each) => each.release())).then(() => undefined),
  };
  if (runner.stream) implementation.stream = runner.stream;
  const model = defineModel(implementation);
  return Object.assign(model, {
    describe: (): OnnxModelInfo => ({
      ...info,
      task: runner.task.name as TaskName,
      inputs,
      outputs: [...session.outputs.values()],
      runs: moreSessions.reduce((sum, each) => sum + each.runs, session.runs),
      batches: runner.batches?.() ?? 0,
      logitsToKeep: session.logitsToKeep,
      ...continuousBatchingOf(runner),
    }),
  });
}
