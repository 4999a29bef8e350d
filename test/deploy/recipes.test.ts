// The deployment recipes (Dockerfile, deploy/kubernetes, deploy/kserve) against the server they run:
// probe paths and ports are routes the server answers, the drain numbers fit each other and the
// server's defaults, and the Dockerfile copies only what exists or its build stage makes. No Docker
// engine or cluster runs here: these are checks of the files, with the server in-process.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createServer } from '../../packages/server/src/index.ts';
import { resolveOptions } from '../../packages/server/src/options.ts';
import { fakeClassifier, get } from '../../packages/server/test/fakes.ts';
import { repoRoot } from '../fixtures/paths.ts';

type Yaml = Record<string, any>;

/** Every document of every YAML file under deploy/, with the file it came from. */
function recipes(): { file: string; doc: Yaml }[] {
  const out: { file: string; doc: Yaml }[] = [];
  for (const folder of ['kubernetes', 'kserve']) {
    for (const name of readdirSync(join(repoRoot, 'deploy', folder)).filter((each) =>
      each.endsWith('.yaml'),
    )) {
      const file = `deploy/${folder}/${name}`;
      for (const parsed of parseAllDocuments(readFileSync(join(repoRoot, file), 'utf8'))) {
        if ('errors' in parsed && parsed.errors.length)
          throw new Error(`${file}: ${parsed.errors[0]!.message}`);
        out.push({ file, doc: parsed.toJS() as Yaml });
      }
    }
  }
  return out;
}

const docs = recipes();
const byKind = (kind: string) => docs.find(({ doc }) => doc.kind === kind)?.doc;
const deployment = byKind('Deployment')!;
const runtime = byKind('ClusterServingRuntime')!;
const inferenceService = byKind('InferenceService')!;
const service = byKind('Service')!;

/** The containers that run the replica, with the pod's kill deadline (seconds) that applies to them. */
const replicaContainers: { where: string; container: Yaml; terminationGracePeriodSeconds: number }[] = [
  {
    where: 'deploy/kubernetes Deployment',
    container: deployment.spec.template.spec.containers[0],
    terminationGracePeriodSeconds: deployment.spec.template.spec.terminationGracePeriodSeconds,
  },
  {
    where: 'deploy/kserve ClusterServingRuntime + InferenceService',
    container: runtime.spec.containers[0],
    terminationGracePeriodSeconds: inferenceService.spec.predictor.terminationGracePeriodSeconds,
  },
];

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
/** Dockerfile instructions with their continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trimStart().startsWith('#'))
  .map((line) => line.trim());
const imagePort = Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]);

function envOf(container: Yaml, name: string): string | undefined {
  return (container.env as { name: string; value?: string }[] | undefined)?.find((each) => each.name === name)
    ?.value;
}

/** A probe's port as a number (a named port is looked up in the container's ports). */
function probePort(container: Yaml, port: number | string): number {
  if (typeof port === 'number') return port;
  return (container.ports as { name?: string; containerPort: number }[]).find((each) => each.name === port)!
    .containerPort;
}

function probes(container: Yaml): { kind: string; path: string; port: number }[] {
  return ['startupProbe', 'readinessProbe', 'livenessProbe']
    .filter((kind) => container[kind])
    .map((kind) => ({
      kind,
      path: container[kind].httpGet.path,
      port: probePort(container, container[kind].httpGet.port),
    }));
}

function servedIris() {
  return createServer({ models: { iris: fakeClassifier().model }, logger: { error() {} } });
}

describe('deployment recipes: Kubernetes and KServe', () => {
  it('parses every YAML document under deploy/ and finds a Deployment, a Service, a ServingRuntime and an InferenceService', () => {
    expect(docs.map(({ doc }) => doc.kind).sort()).toEqual([
      'ClusterServingRuntime',
      'Deployment',
      'InferenceService',
      'Service',
    ]);
  });

  for (const { where, container } of replicaContainers) {
    it(`${where}: every probe asks a path the server answers 200 on the image's port`, async () => {
      const server = servedIris();
      const seen = probes(container);
      expect(seen.map((probe) => probe.kind)).toEqual(
        expect.arrayContaining(['readinessProbe', 'livenessProbe']),
      );
      for (const probe of seen) {
        expect(probe.port, `${probe.kind} port`).toBe(imagePort);
        const response = await get(server, probe.path);
        expect(response.status, `${probe.kind} GET ${probe.path}`).toBe(200);
      }
      await server.close({ drainDelayMs: 0 });
    });

    it(`${where}: readiness turns 503 on the drain while liveness stays 200`, async () => {
      const server = servedIris();
      const readiness = container.readinessProbe.httpGet.path;
      const liveness = container.livenessProbe.httpGet.path;
      expect((await get(server, readiness)).status).toBe(200); // probed, so close() drains
      const closing = server.close({ drainDelayMs: 1_000 });
      expect((await get(server, readiness)).status).toBe(503);
      expect((await get(server, liveness)).status).toBe(200);
      await closing;
    });

    it(`${where}: the kill deadline covers preStop + drain + grace, also with the server's default drain`, () => {
      const preStop = container.lifecycle.preStop.exec.command as string[];
      expect(preStop[0]).toBe('sleep');
      const preStopMs = Number(preStop[1]) * 1000;
      const drainDelayMs = Number(envOf(container, 'MLKIT_DRAIN_DELAY_MS'));
      const graceMs = Number(envOf(container, 'MLKIT_GRACE_MS'));
      const defaultDrainDelayMs = resolveOptions({ models: { iris: fakeClassifier().model } }).drainDelayMs;
      const deadlineMs =
        replicaContainers.find((each) => each.container === container)!.terminationGracePeriodSeconds * 1000;
      expect([preStopMs, drainDelayMs, graceMs].every(Number.isFinite)).toBe(true);
      expect(deadlineMs).toBeGreaterThan(preStopMs + drainDelayMs + graceMs);
      expect(deadlineMs).toBeGreaterThan(preStopMs + defaultDrainDelayMs + graceMs);
    });

    it(`${where}: the drain lasts longer than the readiness probe takes to fail`, () => {
      const { periodSeconds, failureThreshold } = container.readinessProbe;
      const drainDelayMs = Number(envOf(container, 'MLKIT_DRAIN_DELAY_MS'));
      expect(drainDelayMs).toBeGreaterThanOrEqual(periodSeconds * failureThreshold * 1000);
    });

    it(`${where}: listens on 0.0.0.0 and the image's port`, () => {
      expect(envOf(container, 'HOST')).toBe('0.0.0.0');
      expect(Number(envOf(container, 'PORT'))).toBe(imagePort);
      expect((container.ports as { containerPort: number }[]).map((port) => port.containerPort)).toEqual([
        imagePort,
      ]);
    });
  }

  it('the Service sends to the Deployment pods on their http port', () => {
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe('http');
  });

  it('the InferenceService runs the mlkit runtime with OIP v2, which the runtime declares', () => {
    const model = inferenceService.spec.predictor.model;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(model.protocolVersion).toBe('v2');
    expect(runtime.spec.protocolVersions).toContain('v2');
    expect(runtime.spec.supportedModelFormats.map((format: { name: string }) => format.name)).toContain(
      model.modelFormat.name,
    );
  });
});

describe('Dockerfile', () => {
  it('builds on Node 24 slim and runs as a non-root user', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:24-slim\b/);
    const user = instructions.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.slice('USER '.length).split(':')[0]);
  });

  it('listens on 0.0.0.0 on the port it exposes, and stops with SIGTERM', () => {
    expect(instructions).toContain(`ENV NODE_ENV=production HOST=0.0.0.0 PORT=${imagePort}`);
    expect(imagePort).toBe(8080);
    expect(instructions).toContain('STOPSIGNAL SIGTERM');
  });

  it('its HEALTHCHECK fetches a route the server answers 200', async () => {
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    const path = /\/v2\/health\/\w+/.exec(healthcheck ?? '')?.[0];
    expect(healthcheck).toContain('fetch(');
    expect(path).toBe('/v2/health/live');
    const server = servedIris();
    expect((await get(server, path!)).status).toBe(200);
    await server.close();
  });

  it('copies only files that exist here or that its build stage makes', () => {
    const made = new Map([
      ['node_modules', 'RUN npm ci'],
      ['dist', 'npm run build'],
      ['packages/onnx/dist', 'npm run build'],
      ['packages/server/dist', 'npm run build'],
      ['test/fixtures/models', 'node scripts/fixtures.ts'],
    ]);
    const copies = instructions.filter((line) => line.startsWith('COPY '));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const words = copy.split(/\s+/).slice(1);
      const fromBuild = words[0] === '--from=build';
      const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        const path = fromBuild ? source.replace(/^\/app\//, '') : source;
        if (fromBuild && made.has(path)) {
          expect(dockerfile, `${path} comes from "${made.get(path)}"`).toContain(made.get(path));
        } else {
          expect(existsSync(join(repoRoot, path)), `${copy}: ${path}`).toBe(true);
        }
      }
    }
  });

  it('runs the replica program, which exists', () => {
    const cmd = instructions.find((line) => line.startsWith('CMD '))!;
    expect(JSON.parse(cmd.slice('CMD '.length))).toEqual(['node', 'examples/replica/main.ts']);
    expect(readFileSync(join(repoRoot, 'examples/replica/main.ts'), 'utf8')).toContain('listen(');
  });

  it('.dockerignore keeps node_modules, .venv, .toolchain and built files out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const path of ['node_modules', '.venv', '.toolchain', 'dist', 'test/fixtures/models'])
      expect(ignored).toContain(path);
  });
});
