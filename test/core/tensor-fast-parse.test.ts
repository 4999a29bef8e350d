// The tensor task validates well-formed input with a hand-written fast path (src/tasks/tensor.ts) and
// falls back to zod for anything else. Both must agree: same parsed output (key order, data identity,
// copied shapes) for valid input, and the same error message for invalid input, as zod alone gives.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TensorInput } from '../../src/tasks/tensor.ts';
import { parseInput } from '../../src/validate.ts';

// biome-ignore-start lint/suspicious/noSparseArray: sparse arrays are among the cases on purpose
const zodOnly = z.strictObject({
  inputs: (TensorInput as any).shape.inputs,
  outputs: (TensorInput as any).shape.outputs,
});
const f = (n: number) => new Float32Array(n);
const T = (o: any) => ({ dtype: 'float32', shape: [1, 2], data: f(2), ...o });
const polluted = Object.create({ extra: 1 });
polluted.inputs = { a: T({}) };
const nullRec = Object.create(null);
nullRec.a = T({});
const sym = { a: T({}), [Symbol('s')]: T({}) };
const nonEnumSym = { a: T({}) };
Object.defineProperty(nonEnumSym, Symbol('x'), { value: 1, enumerable: false });
const protoKey = JSON.parse('{"__proto__": 1}');
protoKey.a = T({});
class Cls {
  dtype = 'float32';
  shape = [2];
  data = f(2);
  extra = 1;
}
const inheritedOutputs = Object.create({ outputs: ['x'] });
inheritedOutputs.inputs = { a: T({}) };
const cases: any[] = [
  { inputs: { a: T({}) } },
  { inputs: { a: T({}) }, outputs: undefined },
  { inputs: { a: T({}) }, outputs: ['x', 'y'] },
  { inputs: {} },
  { inputs: { a: T({}), b: { dtype: 'int64', shape: [3], data: new BigInt64Array(3) } } },
  { inputs: { a: { dtype: 'string', shape: [2], data: ['a', 'b'] } } },
  { inputs: { a: { dtype: 'string', shape: [2], data: ['a', 1] } } },
  { inputs: { a: { dtype: 'bool', shape: [2], data: new Uint8Array(2) } } },
  { inputs: { a: { dtype: 'bool', shape: [2], data: new Int8Array(2) } } },
  { inputs: { a: { dtype: 'float16', shape: [2], data: new Uint16Array(2) } } },
  { inputs: { a: { dtype: 'uint8', shape: [2], data: Buffer.alloc(2) } } },
  { inputs: { a: T({ shape: [], data: f(1) }) } },
  { inputs: { a: T({ shape: [0, 3], data: f(0) }) } },
  { inputs: { a: T({ shape: [-0, 3], data: f(0) }) } },
  { inputs: { a: T({ shape: [1.5], data: f(2) }) } },
  { inputs: { a: T({ shape: [-1], data: f(2) }) } },
  { inputs: { a: T({ shape: [NaN], data: f(2) }) } },
  { inputs: { a: T({ shape: [2 ** 60], data: f(0) }) } },
  { inputs: { a: T({ shape: ['2'], data: f(2) }) } },
  { inputs: { a: T({ shape: [3], data: f(2) }) } },
  { inputs: { a: T({ extra: 1 }) } },
  { inputs: { a: T({ dtype: 'float64' }) } },
  { inputs: { a: T({ dtype: 'nope' }) } },
  { inputs: { a: T({ dtype: 'constructor' }) } },
  { inputs: { a: T({ dtype: undefined }) } },
  { inputs: { a: T({ data: [1, 2] }) } },
  { inputs: { a: null } },
  { inputs: { a: [] } },
  { inputs: [] },
  { inputs: null },
  { inputs: { a: T({}) }, extra: 1 },
  { inputs: { a: T({}) }, outputs: 'x' },
  { inputs: { a: T({}) }, outputs: [1] },
  {},
  null,
  undefined,
  1,
  'x',
  [],
  polluted,
  { inputs: nullRec },
  { inputs: sym },
  { inputs: nonEnumSym },
  { inputs: protoKey },
  { inputs: { a: new Cls() } },
  inheritedOutputs,
  { inputs: { 2: T({}), 1: T({}), b: T({}) } },
  { inputs: new Map() },
  { inputs: { a: T({ shape: [1, , 2] }) } },
  { inputs: { a: { dtype: 'string', shape: [2], data: ['a', ,] } } },
  { inputs: { constructor: T({}) } },
  { inputs: { a: T({ data: new Float32Array(new ArrayBuffer(16), 4, 2) }) } },
];
// biome-ignore-end lint/suspicious/noSparseArray: sparse arrays are among the cases on purpose

function agree(c: any): boolean {
  const zr = zodOnly.safeParse(c);
  let ours: any;
  let err: any;
  try {
    ours = parseInput(TensorInput, c);
  } catch (e) {
    err = e;
  }
  let zerr: any;
  try {
    parseInput(zodOnly, c);
  } catch (e) {
    zerr = e;
  }
  if (!zr.success) return Boolean(err) && err.message === zerr?.message;
  const keys = (o: object) => JSON.stringify(Object.keys(o));
  return (
    !err &&
    isDeepStrictEqual(ours, zr.data) &&
    keys(ours) === keys(zr.data) &&
    keys(ours.inputs) === keys(zr.data.inputs) &&
    Object.keys(ours.inputs).every(
      (k) =>
        (ours.inputs[k].data === c.inputs[k].data ||
          (Array.isArray(c.inputs[k].data) && ours.inputs[k].data !== c.inputs[k].data)) &&
        ours.inputs[k].shape !== c.inputs[k].shape &&
        keys(ours.inputs[k]) === keys(zr.data.inputs[k]),
    )
  );
}

describe('tensor input fast path', () => {
  it('agrees with zod on every edge case: output, key order, data identity and error messages', () => {
    const mismatches = cases.map((c, i) => (agree(c) ? -1 : i)).filter((i) => i >= 0);
    expect(cases.length).toBeGreaterThan(50);
    expect(mismatches).toEqual([]);
  });
});
