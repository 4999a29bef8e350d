/**
 * The slice of the onnxruntime API (onnxruntime-common, shared by onnxruntime-node and -web) that this
 * package uses, typed structurally so that the published declarations never name onnxruntime: either
 * runtime (or a newer version) fits.
 */

/** onnxruntime's element types (`Tensor.Type`). */
export type OrtDType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'int4'
  | 'uint4';

/** Element data of an onnxruntime tensor on the CPU. */
export type OrtData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint32Array
  | BigUint64Array
  | string[]
  | ArrayLike<number>;

export interface OrtTensor {
  readonly type: OrtDType | string;
  readonly dims: readonly number[];
  readonly data: OrtData;
  readonly location?: string;
  dispose?(): void;
}

/** `session.inputMetadata[i]` / `outputMetadata[i]` (onnxruntime >= 1.21). */
export type OrtValueMetadata =
  | { readonly name: string; readonly isTensor: false }
  | {
      readonly name: string;
      readonly isTensor: true;
      readonly type: OrtDType | string;
      /** Numbers for fixed dimensions, strings for symbolic ones; empty when unknown. */
      readonly shape: ReadonlyArray<number | string>;
    };

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  /**
   * A session in a worker thread (mlkit's, not onnxruntime's): `run`, moving the buffers of the feeds named
   * in `moved` to the worker instead of copying them; the caller never reads those tensors again.
   */
  runMoving?(
    feeds: Record<string, OrtTensor>,
    fetches: readonly string[] | undefined,
    moved: readonly string[],
  ): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtSessionOptions {
  executionProviders?: readonly (string | { name: string; [key: string]: unknown })[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  externalData?: readonly { path: string; data: Uint8Array | string }[];
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  [option: string]: unknown;
}

/** The module object of `onnxruntime-node` or `onnxruntime-web`. */
export interface Ort {
  readonly InferenceSession: {
    create(model: string | Uint8Array, options?: OrtSessionOptions): Promise<OrtSession>;
  };
  readonly Tensor: new (type: string, data: OrtData, dims: readonly number[]) => OrtTensor;
  readonly env: { wasm?: { numThreads?: number; [key: string]: unknown }; [key: string]: unknown };
}
