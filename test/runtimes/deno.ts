// The Deno job (`./dev runtimes`: deno test --no-remote --cached-only --node-modules-dir=manual, so
// nothing is fetched: '@mlkit/*' and their dependencies come from node_modules): core's conformance
// suite, the server's fetch handler under Deno.serve, @mlkit/onnx. Deno.test has no describe/it, so
// a small binding gives the suite that shape: one Deno.test per describe, one step per check, a
// check that does not apply reported as an ignored step.
import type { TestRunner } from '@mlkit/core/testing';
import { registerCoreConformance } from './core-checks.ts';
import { registerOnnxChecks } from './onnx-checks.ts';
import { registerServerChecks } from './server-checks.ts';

type Hook = () => Promise<void> | void;
type Check = (context: { skip(reason?: string): void }) => Promise<void> | void;

function denoRunner(): TestRunner {
  let group: { checks: [string, Check][]; before: Hook[]; after: Hook[] } | undefined;
  const current = () => {
    if (!group) throw new Error('register checks inside describe()');
    return group;
  };
  return {
    describe(name, body) {
      const own = { checks: [] as [string, Check][], before: [] as Hook[], after: [] as Hook[] };
      group = own;
      body();
      group = undefined;
      Deno.test({
        name,
        async fn(t) {
          try {
            for (const hook of own.before) await hook();
            for (const [checkName, check] of own.checks) {
              let skipped = false;
              let failure: { error: unknown } | undefined;
              try {
                await check({
                  skip: () => {
                    skipped = true;
                  },
                });
              } catch (error) {
                failure = { error };
              }
              await t.step({
                name: checkName,
                ignore: skipped && !failure,
                fn() {
                  if (failure) throw failure.error;
                },
              });
            }
          } finally {
            for (const hook of own.after) await hook();
          }
        },
      });
    },
    it: (name, body) => void current().checks.push([name, body]),
    beforeAll: (body) => void current().before.push(body),
    afterAll: (body) => void current().after.push(body),
  };
}

const runner = denoRunner();
const runtime = `deno ${Deno.version.deno}`;

registerCoreConformance(runner, runtime);
registerServerChecks(runner, runtime, async (server) => {
  const listening = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, server.fetch);
  return { url: `http://127.0.0.1:${listening.addr.port}`, stop: () => listening.shutdown() };
});
registerOnnxChecks(runner, runtime);
