import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Ort, OrtSession, OrtSessionOptions, OrtTensor, OrtValueMetadata } from '../ort.ts';
import { soleBuffer } from '../tensors.ts';
import type { FromWorker, ToWorker, WireTensor } from './wire.ts';

// The worker entry sits beside this file in the sources and in dist/ beside the chunk this file is bundled into.
const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './session-worker.ts' : './session-worker.js',
  import.meta.url,
);

interface Pending {
  resolve(message: FromWorker): void;
  reject(error: Error): void;
}

/**
 * An onnxruntime session that lives in a `node:worker_threads` Worker, shaped as onnxruntime's own
 * session: the main thread only posts feeds and receives outputs (transferred, not copied), so a long
 * run never blocks its event loop. Feeds are copied, since a caller may still hold them (a tensor task's
 * input), except those `runMoving` is told the caller is done with (a decode step's past KV cache):
 * their buffers are transferred.
 */
class WorkerSession implements OrtSession {
  inputNames: readonly string[] = [];
  outputNames: readonly string[] = [];
  inputMetadata: readonly OrtValueMetadata[] | undefined;
  outputMetadata: readonly OrtValueMetadata[] | undefined;
  readonly #ort: Ort;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Why the worker can take no more work (it exited, crashed or was released). */
  #gone: Error | undefined;

  constructor(ort: Ort, worker: Worker) {
    this.#ort = ort;
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return; // an aborted caller's run: its result is dropped
      this.#pending.delete(message.id);
      this.#idle();
      if (message.type === 'failed') {
        const error = new Error(message.error.message);
        error.name = message.error.name;
        pending.reject(error);
      } else pending.resolve(message);
    });
    worker.on('error', (error) => this.#end(error));
    worker.on('exit', (code) => this.#end(new Error(`the session worker exited (code ${code})`)));
    worker.unref();
  }

  #end(error: Error): void {
    this.#gone ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#gone);
    this.#pending.clear();
  }

  /** The worker keeps the process alive only while a call waits on it. */
  #idle(): void {
    if (this.#pending.size === 0) this.#worker.unref();
  }

  #call(
    message: ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never,
    transfer: ArrayBuffer[] = [],
  ) {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ ...message, id }, transfer);
    });
  }

  async create(model: string | Uint8Array, options: OrtSessionOptions): Promise<void> {
    const created = await this.#call({ type: 'create', model, options });
    if (created.type !== 'created') return;
    this.inputNames = created.inputNames;
    this.outputNames = created.outputNames;
    this.inputMetadata = created.inputMetadata;
    this.outputMetadata = created.outputMetadata;
  }

  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>> {
    return this.runMoving(feeds, fetches, []);
  }

  async runMoving(
    feeds: Record<string, OrtTensor>,
    fetches: readonly string[] | undefined,
    moved: readonly string[],
  ): Promise<Record<string, OrtTensor>> {
    const wire: Record<string, WireTensor> = {};
    const transfer = new Set<ArrayBuffer>();
    for (const name in feeds) {
      const { type, data, dims } = feeds[name]!;
      wire[name] = { type, data, dims: [...dims] };
      const buffer = moved.includes(name) ? soleBuffer(data) : undefined;
      if (buffer) transfer.add(buffer);
    }
    const ran = await this.#call({ type: 'run', feeds: wire, fetches }, [...transfer]);
    const outputs: Record<string, OrtTensor> = {};
    if (ran.type !== 'ran') return outputs;
    for (const name in ran.outputs) {
      const { type, data, dims } = ran.outputs[name]!;
      outputs[name] = new this.#ort.Tensor(type, data, dims);
    }
    return outputs;
  }

  async release(): Promise<void> {
    if (this.#gone) return;
    try {
      await this.#call({ type: 'release' });
    } finally {
      this.#end(new Error('the session was released (model disposed)'));
      await this.#worker.terminate();
    }
  }
}

/**
 * The options a session in a worker opens with: `options`, plus two defaults that leave the main thread
 * a core, since the point of the worker is that the event loop keeps turning while a run computes.
 * onnxruntime's own default takes every core (one intra-op thread per physical core, spinning between
 * parallel sections), which on a machine of few cores puts the main thread behind the run again.
 * - intra-op threads: `availableParallelism() - 1`, at least 1 (`threads` of loadModel sets them);
 * - spinning (`session.intra_op.allow_spinning`): off, so that idle intra-op threads sleep rather than
 *   hold cores between runs and between a run's parallel sections; an `extra` entry of the options wins.
 */
export function workerSessionOptions(
  options: OrtSessionOptions,
  cores: number = availableParallelism(),
): OrtSessionOptions {
  const extra = (options.extra ?? {}) as { session?: Record<string, unknown> };
  const session = (extra.session ?? {}) as { intra_op?: Record<string, unknown> };
  return {
    ...options,
    intraOpNumThreads: options.intraOpNumThreads ?? Math.max(1, cores - 1),
    extra: {
      ...extra,
      session: { ...session, intra_op: { allow_spinning: '0', ...session.intra_op } },
    },
  };
}

/**
 * Start a session worker and create the session in it. Rejects with onnxruntime's own message when the
 * model cannot load (createSession makes that a ModelLoadError), and the worker is gone then.
 */
export async function openWorkerSession(
  ort: Ort,
  model: string | Uint8Array,
  options: OrtSessionOptions,
): Promise<OrtSession> {
  const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
  const worker = new Worker(workerUrl, { workerData: { ortUrl } });
  const session = new WorkerSession(ort, worker);
  try {
    await session.create(model, workerSessionOptions(options));
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return session;
}
