import * as ortNode from 'onnxruntime-node';
import { vi } from 'vitest';

/** What onnxruntime itself saw of one session: created with which options, run and released how often. */
export interface SessionRecord {
  /** The options object `InferenceSession.create` was called with. */
  options: Record<string, unknown> | undefined;
  /** `session.run` calls that reached onnxruntime. */
  runs: number;
  /** `session.release` calls that reached onnxruntime. */
  releases: number;
  /** Called with the feeds of every `session.run` that reaches onnxruntime; set it in `afterCreate`. */
  onRun?: (feeds: Record<string, { dims: readonly number[] }>) => void;
  /** Called with the outputs of every such run once onnxruntime returns them; set it in `afterCreate`. */
  onOutputs?: (outputs: Record<string, { dims: readonly number[]; data: unknown }>) => void;
}

interface RawSession {
  run(...args: unknown[]): Promise<unknown>;
  release(): Promise<void>;
}
type Create = (...args: unknown[]) => Promise<RawSession>;

const module = ortNode as unknown as {
  InferenceSession?: { create: Create };
  default?: { InferenceSession: { create: Create } };
};
/** onnxruntime-node's InferenceSession: the very object the package under test imports. */
const InferenceSession = (module.InferenceSession ?? module.default!.InferenceSession) as { create: Create };

/**
 * Record every onnxruntime-node session created while `during` runs, counting the runs and releases
 * that reach onnxruntime itself (not the package's own counters). `afterCreate` runs once a session exists.
 *
 * @example
 * const { result: model, sessions } = await recordSessions(() => loadModel(path));
 * await model.run(input);
 * expect(sessions[0].runs).toBe(1);
 */
export async function recordSessions<R>(
  during: () => Promise<R>,
  afterCreate?: (record: SessionRecord) => void,
): Promise<{ result: R; sessions: SessionRecord[] }> {
  const sessions: SessionRecord[] = [];
  const create = InferenceSession.create;
  const spy = vi.spyOn(InferenceSession, 'create').mockImplementation(async function (
    this: unknown,
    ...args: unknown[]
  ) {
    const session = await create.apply(this, args);
    const last = args.at(-1);
    const record: SessionRecord = {
      options:
        typeof last === 'object' && !(last instanceof Uint8Array)
          ? (last as Record<string, unknown>)
          : undefined,
      runs: 0,
      releases: 0,
    };
    const run = session.run.bind(session);
    const release = session.release.bind(session);
    session.run = (...runArgs: unknown[]) => {
      record.runs++;
      record.onRun?.(runArgs[0] as Record<string, { dims: readonly number[] }>);
      return run(...runArgs).then((outputs) => {
        record.onOutputs?.(outputs as Record<string, { dims: readonly number[]; data: unknown }>);
        return outputs;
      });
    };
    session.release = () => {
      record.releases++;
      return release();
    };
    sessions.push(record);
    afterCreate?.(record);
    return session;
  });
  try {
    return { result: await during(), sessions };
  } finally {
    spy.mockRestore();
  }
}
