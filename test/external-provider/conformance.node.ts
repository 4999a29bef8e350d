// The external provider under node:test, with nothing but the published packages: scripts/
// check-packages.ts copies this folder's provider.ts and this file into an empty folder where
// '@mlkit/core' and '@mlkit/core/testing' are the packed tarball, and runs `node conformance.node.ts`
// (node:test sets a failing exit code when a check fails).
import { after, before, describe, it } from 'node:test';
import { textGeneration } from '@mlkit/core';
import { runConformance } from '@mlkit/core/testing';
import { createShout, shoutBackend } from './provider.ts';

runConformance(
  'shout, a provider outside the repository (node:test)',
  {
    task: textGeneration,
    create: async () => {
      const { backend, calls } = shoutBackend();
      return { model: createShout(backend), backendCalls: calls };
    },
    inputs: [{ prompt: 'hello there world', temperature: 0 }],
  },
  { describe, it, beforeAll: before, afterAll: after },
);
