// The types both entry points export.
export type { AnyOnnxModel, LoadModel, OnnxModel, OnnxModelInfo } from './load.ts';
export type { DType, LoadOptions, ProgressEvent } from './options.ts';
export type { Device } from './runtime.ts';
export type { ValueInfo } from './session.ts';
export type { ModelSource } from './source.ts';
