// The peer harness stays bounded: a peer that cannot start, exits, or never gets ready fails the suite
// at once or at its readiness limit, and is not left running.
import { expect, it } from 'vitest';
import { startPeer } from './peers.ts';

const node = process.execPath;

it('fails at once, naming the cause, when the command does not exist', async () => {
  const start = startPeer({
    name: 'missing',
    command: '/nonexistent/bin/python',
    args: [],
    port: 9,
    readyPath: '/',
    readyTimeoutMs: 20_000,
  });
  await expect(start).rejects.toThrow(/missing exited .*ENOENT/s);
});

it('fails with its exit code and output when the peer exits before it is ready', async () => {
  const start = startPeer({
    name: 'crashing',
    command: node,
    args: ['-e', 'console.error("no model file"); process.exit(3)'],
    port: 9,
    readyPath: '/',
    readyTimeoutMs: 20_000,
  });
  await expect(start).rejects.toThrow(/crashing exited \(code 3\).*no model file/s);
});

it('gives up after readyTimeoutMs and kills a peer that never answers', async () => {
  const error = await startPeer({
    name: 'silent',
    command: node,
    args: ['-e', 'console.log(process.pid); setInterval(() => {}, 1000)'],
    port: 9,
    readyPath: '/',
    readyTimeoutMs: 1000,
  }).catch((reason: unknown) => reason);
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(/^silent was not ready at http:\/\/127\.0\.0\.1:9\/ within 1000 ms:/);
  const pid = Number(/ms:\n(\d+)/.exec(message)?.[1]);
  expect(pid).toBeGreaterThan(0);
  // Signal 0 only checks that the process exists: it throws (ESRCH) once the peer is gone.
  expect(() => process.kill(pid, 0)).toThrow();
});
