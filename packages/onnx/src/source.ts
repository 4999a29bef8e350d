import { InvalidInputError, ModelLoadError } from '@mlkit/core';
import { download } from './download.ts';
import type { ModelFiles } from './folder.ts';
import type { ResolvedOptions } from './options.ts';
import type { Runtime } from './runtime.ts';

/** A model folder path or `.onnx` file path (Node), a URL (folder or `.onnx` file), or the model's bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** What a file is, for "answered HTML, not ..." messages. */
function expected(name: string): string {
  if (name.endsWith('.json')) return 'JSON';
  if (name.endsWith('.onnx')) return 'an ONNX model';
  return 'the file';
}

function urlFiles(url: URL, runtime: Runtime, options: ResolvedOptions): ModelFiles {
  const isFile = url.pathname.endsWith('.onnx');
  let base = new URL(isFile ? '.' : url.href.endsWith('/') ? url.href : `${url.href}/`, url);
  if (isFile && base.pathname.endsWith('/onnx/')) base = new URL('..', base);
  const cache = options.cacheDir === false ? Promise.resolve(undefined) : runtime.openCache(options.cacheDir);
  const reads = new Map<string, Promise<Uint8Array | undefined>>();
  const answeredHtml = new Map<string, string>();
  const files: ModelFiles = {
    label: url.href,
    read(name) {
      let read = reads.get(name);
      if (!read) {
        const target = new URL(name, base).href;
        read = cache
          .then((c) =>
            download(target, {
              cache: c,
              onProgress: options.onProgress,
              signal: options.signal,
              file: name,
            }),
          )
          .then((result) => {
            if ('bytes' in result) return result.bytes;
            if (result.missing === 'html') answeredHtml.set(name, target);
            return undefined;
          });
        reads.set(name, read);
      }
      return read;
    },
    whyMissing(name) {
      const target = answeredHtml.get(name);
      return target === undefined
        ? undefined
        : `${target} answered HTML, not ${expected(name)} — a dev server (Vite) answers missing files with index.html; check the path`;
    },
  };
  if (isFile) files.modelFile = decodeURIComponent(url.href.slice(base.href.length));
  return files;
}

/**
 * Limit a folder to the files a manifest (the `files` option) names: nothing else is read or
 * requested, and the model file is chosen from the list instead of probed for.
 */
function withManifest(files: ModelFiles, manifest: string[] | undefined): ModelFiles {
  if (!manifest) return files;
  const present = new Set(manifest.map((name) => name.replace(/^\.?\//, '')));
  const limited: ModelFiles = {
    ...files,
    read: (name) => (present.has(name) ? files.read(name) : Promise.resolve(undefined)),
    list: async () => [...present].filter((name) => name.endsWith('.onnx')),
  };
  return limited;
}

/** Turn a source into the files of one model. */
export async function openSource(
  source: ModelSource,
  runtime: Runtime,
  options: ResolvedOptions,
): Promise<ModelFiles> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    if (options.files) {
      throw new InvalidInputError(
        'Invalid input — options.files: lists the files of a model folder, but the source is model bytes; drop it',
        { issues: [{ path: 'options.files', message: 'only for a folder or URL source' }] },
      );
    }
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    return { label: `bytes(${bytes.byteLength})`, read: async () => undefined, bytes };
  }
  if (source instanceof URL) return withManifest(urlFiles(source, runtime, options), options.files);
  if (typeof source !== 'string' || source.length === 0) {
    throw new InvalidInputError(
      'loadModel(source): source must be a model folder or .onnx path, a URL, or the model bytes (Uint8Array)',
      { issues: [{ path: 'source', message: 'expected a path, URL or Uint8Array' }] },
    );
  }
  if (runtime.openLocal && !/^[a-z][a-z\d+.-]*:\/\//i.test(source)) {
    const local = await runtime.openLocal(source);
    if (!local) throw new ModelLoadError(`No model at ${source}: no such file or folder`);
    const { folder, modelFile } = local;
    const files: ModelFiles = {
      label: source,
      read: (name) => folder.readFile(name),
      list: () => folder.listModels(),
      pathOf: (name) => folder.pathOf(name),
    };
    if (modelFile) files.modelFile = modelFile;
    return withManifest(files, options.files);
  }
  const url = runtime.toUrl(source);
  if (!url) throw new ModelLoadError(`Cannot load "${source}": not a URL this runtime can fetch`);
  return withManifest(urlFiles(url, runtime, options), options.files);
}
