import { ModelLoadError, raceAbort } from '@mlkit/core';
import { addLogitsToKeep, LOGITS_TO_KEEP_INPUTS, type LogitsToKeep } from './logits-to-keep.ts';
import { mayUseExternalData } from './onnx-graph.ts';
import type { Ort, OrtSession, OrtSessionOptions, OrtTensor } from './ort.ts';
import { RunQueue } from './queue.ts';
import { discard } from './tensors.ts';

/** What the model declares about one input or output. */
export interface ValueInfo {
  name: string;
  /** Element type ('float32', 'int64', ...); undefined for non-tensors (sequences, maps). */
  type: string | undefined;
  /** Dimensions: numbers are fixed, strings symbolic; undefined when the model does not say. */
  shape: (number | string)[] | undefined;
}

function infoOf(names: readonly string[], metadata: OrtSession['inputMetadata']): Map<string, ValueInfo> {
  const out = new Map<string, ValueInfo>();
  names.forEach((name, index) => {
    const meta = metadata?.find((m) => m.name === name) ?? metadata?.[index];
    if (!meta?.isTensor) {
      out.set(name, { name, type: meta ? undefined : 'unknown', shape: undefined });
      return;
    }
    // onnxruntime reports both a scalar and an unknown shape as []: treat [] as unknown.
    out.set(name, { name, type: meta.type, shape: meta.shape.length > 0 ? [...meta.shape] : undefined });
  });
  return out;
}

/** Describe a value as `name float32 [batch, 4]` for error messages. */
export function describeValue(info: ValueInfo): string {
  const shape = info.shape ? `[${info.shape.map((d) => (d === '' ? '?' : d)).join(', ')}]` : '[?]';
  return `${info.name} ${info.type ?? 'non-tensor'} ${shape}`;
}

/**
 * One onnxruntime session with its input/output metadata, a run queue and a run counter.
 * Every run goes through here so that a session never runs twice at once where that is not allowed.
 */
export class Session {
  readonly ort: Ort;
  readonly inputs: Map<string, ValueInfo>;
  readonly outputs: Map<string, ValueInfo>;
  /** Whether the graph takes logits_to_keep itself, mlkit added it when opening the session, or neither. */
  readonly logitsToKeep: LogitsToKeep;
  /** Runs started so far. */
  runs = 0;
  readonly #session: OrtSession;
  readonly #queue: RunQueue | undefined;

  constructor(ort: Ort, session: OrtSession, queue: boolean, addedLogitsToKeep = false) {
    this.ort = ort;
    this.#session = session;
    this.inputs = infoOf(session.inputNames, session.inputMetadata);
    this.outputs = infoOf(session.outputNames, session.outputMetadata);
    this.#queue = queue ? new RunQueue(1) : undefined;
    const native = LOGITS_TO_KEEP_INPUTS.some((name) => this.inputs.has(name));
    this.logitsToKeep = addedLogitsToKeep ? 'added' : native ? 'native' : 'none';
  }

  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Run the model; waits for its turn when the session is queued. `moved`: feeds the caller never reads
   * again (a decode step's past), which a session in a worker moves there rather than copies, and one in
   * this thread frees once the run is over.
   */
  run(
    feeds: Record<string, OrtTensor>,
    fetches?: readonly string[],
    signal?: AbortSignal,
    moved?: readonly string[],
  ) {
    if (!this.#queue)
      return signal ? raceAbort(this.#run(feeds, fetches, moved), signal) : this.#run(feeds, fetches, moved);
    return this.#queue.run(() => this.#run(feeds, fetches, moved), signal);
  }

  #run(feeds: Record<string, OrtTensor>, fetches: readonly string[] | undefined, moved?: readonly string[]) {
    this.runs++;
    if (moved?.length && this.#session.runMoving) return this.#session.runMoving(feeds, fetches, moved);
    const ran = fetches ? this.#session.run(feeds, fetches) : this.#session.run(feeds);
    if (!moved?.length) return ran;
    return ran.finally(() => {
      for (const name of moved) discard(feeds[name]);
    });
  }

  release(): Promise<void> {
    return this.#session.release();
  }
}

export interface CreateSessionOptions {
  /** Model bytes, or a file path (Node) that onnxruntime reads itself (external data included). */
  model: string | Uint8Array;
  /** Names the model in errors. */
  label: string;
  sessionOptions: OrtSessionOptions;
  queue: boolean;
  /** Added to the error when the session cannot start (device advice). */
  failureHint?: string | undefined;
  /** Opens the session somewhere else than `ort.InferenceSession.create` does (a worker thread). */
  open?: OpenSession | undefined;
  /**
   * Give a text-generation decoder without a logits_to_keep input one (logits-to-keep.ts), so a prefill
   * computes the lm_head for its last position only. `read` returns the bytes of a model given as a path
   * (read for this; a graph left alone then opens from them too, unless it keeps data in external files,
   * which onnxruntime finds by path). Undefined: the graph is used as it is.
   */
  logitsToKeep?: { kvCacheRequired: boolean; read: () => Promise<Uint8Array | undefined> } | undefined;
}

/** Opens an onnxruntime session elsewhere (Node: in a worker thread), shaped as onnxruntime's own. */
export type OpenSession = (
  ort: Ort,
  model: string | Uint8Array,
  options: OrtSessionOptions,
) => Promise<OrtSession>;

/**
 * onnxruntime's first message line without its C++ source location: `/onnxruntime_src/...cc:136
 * onnxruntime::...::<lambda()> status == Success was false. Failed to get a WebGPU adapter` becomes
 * `Failed to get a WebGPU adapter`.
 */
function readableOrtMessage(message: string): string {
  const line = message.split('\n')[0]!;
  const located = /^\S+\.(?:cc|cpp|h):\d+ .*? was false\. (.+)$/.exec(line);
  return located ? located[1]! : line;
}

/**
 * Fail at load when the model takes an input the task never feeds: every run would fail otherwise.
 * `feeds` tells whether the task supplies an input of that name.
 */
export function requireFeedableInputs(
  session: Session,
  label: string,
  task: string,
  feeds: (name: string) => boolean,
): void {
  const unfed = [...session.inputs.values()].filter((info) => !feeds(info.name));
  if (unfed.length === 0) return;
  const named = unfed.slice(0, 3).map(describeValue).join(', ');
  const more = unfed.length > 3 ? ` and ${unfed.length - 3} more` : '';
  throw new ModelLoadError(
    `${label}: the ${task} task cannot feed the model's input${unfed.length > 1 ? 's' : ''} ${named}${more}; load it as the task it was exported for, or with { task: 'tensor' } to feed every input yourself`,
  );
}

/** Create a session; a file that is not an ONNX model is a ModelLoadError naming it. */
export async function createSession(ort: Ort, options: CreateSessionOptions): Promise<Session> {
  let model = options.model;
  let added = false;
  if (options.logitsToKeep) {
    const bytes = typeof model === 'string' ? await options.logitsToKeep.read() : model;
    const rewritten = bytes && addLogitsToKeep(bytes, options.logitsToKeep);
    if (rewritten) {
      model = rewritten;
      added = true;
    } else if (bytes && typeof model === 'string' && !mayUseExternalData(bytes)) {
      // Left alone: open it from the bytes already read rather than have onnxruntime read the file again.
      // A model with external data still opens by path, where onnxruntime finds the files beside it.
      model = bytes;
    }
  }
  let session: OrtSession;
  try {
    session = options.open
      ? await options.open(ort, model, options.sessionOptions)
      : await ort.InferenceSession.create(model, options.sessionOptions);
  } catch (error) {
    const message = readableOrtMessage(String((error as Error)?.message ?? error));
    const providers = options.sessionOptions.executionProviders?.map((p) =>
      typeof p === 'string' ? p : p.name,
    );
    const hint = /protobuf|parse|load model|invalid|model_path/i.test(message)
      ? 'is not a valid ONNX model'
      : `could not be loaded (execution providers: ${providers?.join(', ') ?? 'default'})`;
    const advice = options.failureHint && !hint.startsWith('is not') ? ` — ${options.failureHint}` : '';
    throw new ModelLoadError(`${options.label} ${hint}: ${message}${advice}`, {
      cause: error,
    });
  }
  return new Session(ort, session, options.queue, added);
}
