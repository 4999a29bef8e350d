import { ModelLoadError } from '@mlkit/core';
import type { Ort } from './ort.ts';

/** Whether `error` (or an error it wraps) says that `packageName` itself cannot be found. */
function isMissingPackage(error: unknown, packageName: string): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; ) {
    const message = String(e.message ?? '');
    const notFound =
      e.code === 'ERR_MODULE_NOT_FOUND' ||
      e.code === 'MODULE_NOT_FOUND' ||
      /cannot find (package|module)|failed to resolve module specifier|could not resolve/i.test(message);
    if (notFound && message.includes(packageName)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Import onnxruntime through `load` (a literal `import('onnxruntime-node')` in the runtime module, so
 * bundlers see it) and turn a failure into a ModelLoadError that names the package to install.
 *
 * @example
 * const ort = await importOrt('onnxruntime-node', () => import('onnxruntime-node'), 'run ONNX models in Node');
 */
export async function importOrt(
  packageName: 'onnxruntime-node' | 'onnxruntime-web',
  load: () => Promise<unknown>,
  purpose: string,
): Promise<Ort> {
  let module: (Partial<Ort> & { default?: Partial<Ort> }) | undefined;
  try {
    module = (await load()) as typeof module;
  } catch (error) {
    const message = isMissingPackage(error, packageName)
      ? `${packageName} is not installed: run \`npm install ${packageName}\` to ${purpose}`
      : `${packageName} could not be loaded (${String((error as Error)?.message ?? error).split('\n')[0]}): reinstall it with \`npm install ${packageName}\` (it must match this platform) to ${purpose}`;
    throw new ModelLoadError(message, { cause: error });
  }
  const ort = module?.InferenceSession ? module : module?.default;
  if (!ort?.InferenceSession || !ort.Tensor) {
    throw new ModelLoadError(
      `${packageName} loaded but exports no InferenceSession/Tensor: install a supported version (\`npm install ${packageName}@latest\`)`,
    );
  }
  return ort as Ort;
}
