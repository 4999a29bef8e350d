// The messages between a WorkerSession (main thread) and its session worker.
import type { OrtData, OrtSessionOptions, OrtValueMetadata } from '../ort.ts';

/** A tensor as it crosses threads: onnxruntime's Tensor class does not survive structured cloning. */
export interface WireTensor {
  type: string;
  data: OrtData;
  dims: readonly number[];
}

export type ToWorker =
  | { type: 'create'; id: number; model: string | Uint8Array; options: OrtSessionOptions }
  | { type: 'run'; id: number; feeds: Record<string, WireTensor>; fetches: readonly string[] | undefined }
  | { type: 'release'; id: number };

export type FromWorker =
  | {
      type: 'created';
      id: number;
      inputNames: string[];
      outputNames: string[];
      inputMetadata: OrtValueMetadata[] | undefined;
      outputMetadata: OrtValueMetadata[] | undefined;
    }
  | { type: 'ran'; id: number; outputs: Record<string, WireTensor> }
  | { type: 'released'; id: number }
  | { type: 'failed'; id: number; error: { message: string; name: string } };
