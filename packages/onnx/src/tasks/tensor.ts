import { InvalidInputError, ModelLoadError, type Tensor, type TensorTask, tensor } from '@mlkit/core';
import type { OrtTensor } from '../ort.ts';
import { describeValue, type ValueInfo } from '../session.ts';
import { fromOrtTensor, toOrtTensor } from '../tensors.ts';
import type { LocalRunner, TaskContext, TaskRunner } from './context.ts';

/** Why `given` does not fit the model's declared input, or undefined when it fits. */
export function tensorMismatch(info: ValueInfo, given: Tensor): string | undefined {
  if (info.type !== undefined && info.type !== 'unknown' && info.type !== given.dtype) {
    return `expected ${info.type}, got ${given.dtype}`;
  }
  const shape = info.shape;
  if (!shape) return undefined;
  if (shape.length !== given.shape.length) {
    return `expected ${shape.length} dimensions [${shape.map((d) => (typeof d === 'number' ? d : d || '?')).join(', ')}], got [${given.shape.join(', ')}]`;
  }
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i];
    if (typeof dim === 'number' && dim >= 0 && dim !== given.shape[i]) {
      return `dimension ${i} must be ${dim}, got ${given.shape[i]} (shape [${given.shape.join(', ')}])`;
    }
  }
  return undefined;
}

/** The `tensor` task: named tensors in and out, checked against the model's input metadata first. */
export function tensorTask({ session, label, device }: TaskContext): TaskRunner<TensorTask> {
  const inputs = [...session.inputs.values()];
  if (inputs.length === 0) throw new ModelLoadError(`${label}: the model declares no inputs`);
  const known = inputs.map(describeValue).join(', ');
  const outputNames = session.outputNames;
  // onnxruntime cannot hand back sequences or maps (skl2onnx's ZipMap output_probability): a run
  // fetches only the tensor outputs unless told otherwise.
  const tensorOutputs = outputNames.filter((name) => session.outputs.get(name)?.type !== undefined);
  const allTensors = tensorOutputs.length === outputNames.length;

  function feedsOf(given: Record<string, Tensor>): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {};
    const issues: { path: string; message: string }[] = [];
    let fed = 0;
    for (const name in given) {
      const info = session.inputs.get(name);
      if (!info) {
        issues.push({
          path: `input.inputs.${name}`,
          message: `the model has no input "${name}"; its inputs: ${known}`,
        });
        continue;
      }
      const value = given[name]!;
      const mismatch = tensorMismatch(info, value);
      if (mismatch)
        issues.push({
          path: `input.inputs.${name}`,
          message: `${mismatch} (model input ${describeValue(info)})`,
        });
      else {
        feeds[name] = toOrtTensor(session.ort, value);
        fed++;
      }
    }
    // Every input given and known: none can be missing.
    if (fed === inputs.length && issues.length === 0) return feeds;
    for (const info of inputs) {
      if (!(info.name in given)) {
        issues.push({
          path: `input.inputs.${info.name}`,
          message: `missing; the model needs ${describeValue(info)}`,
        });
      }
    }
    if (issues.length > 0) {
      throw new InvalidInputError(
        `Invalid input — ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        {
          issues,
        },
      );
    }
    return feeds;
  }

  return {
    task: tensor,
    capabilities: { streaming: false, batching: false },
    async run(input, context) {
      // The call's signal fires only when the caller passed one or a timeout (CallContext): without
      // either the run cannot be aborted, and the run queue need not watch it.
      const { options } = context;
      const signal =
        options.signal !== undefined || options.timeoutMs !== undefined ? context.signal : undefined;
      const feeds = feedsOf(input.inputs);
      let fetches: readonly string[] | undefined = allTensors ? undefined : tensorOutputs;
      if (input.outputs) {
        const unknown = input.outputs.filter((name) => !outputNames.includes(name));
        if (unknown.length > 0) {
          throw new InvalidInputError(
            `Invalid input — input.outputs: the model has no output ${unknown.map((n) => `"${n}"`).join(', ')}; its outputs: ${outputNames.join(', ')}`,
            { issues: [{ path: 'input.outputs', message: `unknown output ${unknown.join(', ')}` }] },
          );
        }
        const nonTensor = input.outputs.filter((name) => !tensorOutputs.includes(name));
        if (nonTensor.length > 0) {
          const message = `${nonTensor.map((n) => `"${n}"`).join(', ')} ${nonTensor.length > 1 ? 'are not tensors' : 'is not a tensor'} (a sequence or map, e.g. a scikit-learn ZipMap), which onnxruntime cannot return; outputs that can be requested: ${tensorOutputs.join(', ') || 'none'}`;
          throw new InvalidInputError(`Invalid input — input.outputs: ${message}`, {
            issues: [{ path: 'input.outputs', message }],
          });
        }
        fetches = input.outputs;
      }
      const started = performance.now();
      const results = await session.run(feeds, fetches, signal);
      const durationMs = performance.now() - started;
      const outputs: Record<string, Tensor> = {};
      for (const name in results) outputs[name] = fromOrtTensor(name, results[name]!);
      return { outputs, usage: { durationMs, device } };
    },
  };
}

/** The tensor task's local runner. */
export const tensorRunner: LocalRunner<TensorTask> = {
  needs: () => ({}),
  build: tensorTask,
};
