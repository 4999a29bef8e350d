// The worker side of `loadModel(source, { worker: true })`: one onnxruntime-node session per worker,
// run on this thread so that the main thread's event loop never waits on a native run. It imports
// nothing of this package but types, so it runs from sources (vitest) and from dist alike.
import { parentPort, workerData } from 'node:worker_threads';
import type { Ort, OrtSession, OrtSessionOptions, OrtTensor } from '../ort.ts';
import type { FromWorker, ToWorker, WireTensor } from './wire.ts';

const port = parentPort!;
const { ortUrl } = workerData as { ortUrl: string };
let session: OrtSession | undefined;
let ort: Ort | undefined;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    // onnxruntime may hand back buffers that cannot be detached: send a copy then.
    port.postMessage(message);
  }
}

function errorOf(error: unknown): { message: string; name: string } {
  return {
    message: String((error as Error)?.message ?? error),
    name: String((error as Error)?.name ?? 'Error'),
  };
}

async function create(model: string | Uint8Array, options: OrtSessionOptions): Promise<void> {
  const module = (await import(ortUrl)) as Ort & { default?: Ort };
  ort = module.InferenceSession ? module : module.default!;
  session = await ort.InferenceSession.create(model, options);
}

async function run(feeds: Record<string, WireTensor>, fetches: readonly string[] | undefined) {
  const tensors: Record<string, OrtTensor> = {};
  for (const name in feeds) {
    const { type, data, dims } = feeds[name]!;
    tensors[name] = new ort!.Tensor(type, data, dims);
  }
  const results = fetches ? await session!.run(tensors, fetches) : await session!.run(tensors);
  const outputs: Record<string, WireTensor> = {};
  const transfer = new Set<ArrayBuffer>();
  for (const name in results) {
    const { type, data, dims } = results[name]!;
    outputs[name] = { type, data, dims: [...dims] };
    const buffer = (data as ArrayBufferView).buffer;
    if (buffer instanceof ArrayBuffer) transfer.add(buffer);
  }
  return { outputs, transfer: [...transfer] };
}

port.on('message', async (message: ToWorker) => {
  try {
    if (message.type === 'create') {
      await create(message.model, message.options);
      const s = session!;
      send({
        type: 'created',
        id: message.id,
        inputNames: [...s.inputNames],
        outputNames: [...s.outputNames],
        inputMetadata: s.inputMetadata ? structuredClone([...s.inputMetadata]) : undefined,
        outputMetadata: s.outputMetadata ? structuredClone([...s.outputMetadata]) : undefined,
      });
    } else if (message.type === 'run') {
      const { outputs, transfer } = await run(message.feeds, message.fetches);
      send({ type: 'ran', id: message.id, outputs }, transfer);
    } else {
      await session?.release();
      session = undefined;
      send({ type: 'released', id: message.id });
    }
  } catch (error) {
    send({ type: 'failed', id: message.id, error: errorOf(error) });
  }
});
