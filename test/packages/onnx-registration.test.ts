import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registeredSchemes } from '../../src/index.ts';
import { repoRoot } from '../fixtures/paths.ts';

describe('@mlkit/onnx registers its scheme when imported', () => {
  it('makes onnx: known to createModel on import, with no registerProvider call', async () => {
    expect(registeredSchemes()).not.toContain('onnx');
    const onnx = await import('@mlkit/onnx');
    expect(registeredSchemes()).toContain('onnx');
    expect(onnx.onnxProvider.scheme).toBe('onnx');
  });

  it('lists every entry file in package.json sideEffects, so bundlers keep the registration', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', 'onnx', 'package.json'), 'utf8'));
    const { types: _types, ...targets } = manifest.exports['.'] as Record<string, string>;
    expect(Object.values(targets).length).toBeGreaterThan(0);
    for (const entry of new Set(Object.values(targets))) expect(manifest.sideEffects).toContain(entry);
  });
});
