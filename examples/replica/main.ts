/**
 * One stateless replica of @mlkit/server, as a container or a process behind a load balancer runs it.
 *
 *   node examples/replica/main.ts                    (the repository's fixture models: iris, tiny-gpt)
 *   MLKIT_CONFIG=/etc/mlkit/models.json PORT=8080 HOST=0.0.0.0 node examples/replica/main.ts
 *
 * MLKIT_CONFIG   a JSON file: { "<served name>": <a createModelFromConfig() configuration>, ... }, e.g.
 *                { "iris": { "task": "classification", "model": "onnx:/models/iris" } }. Relative
 *                `onnx:` paths are read from the working directory. Without it: the fixtures iris
 *                (classification) and tiny-gpt (text generation), made by `node scripts/fixtures.ts`.
 * PORT, HOST     where it listens (listen()'s defaults: 8080, 127.0.0.1; 0.0.0.0 in a container).
 * MLKIT_DRAIN_DELAY_MS, MLKIT_GRACE_MS
 *                close()'s drainDelayMs and graceMs on SIGTERM/SIGINT (the server's defaults otherwise).
 *
 * It prints one JSON line once it listens: {"listening":"http://127.0.0.1:8080","port":8080,"models":[...]}.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModelFromConfig, InvalidInputError, type Model, type ModelConfigInput } from '@mlkit/core';
import '@mlkit/onnx'; // registers the onnx: scheme
import { createServer } from '@mlkit/server';
import { closeOnSignals, listen } from '@mlkit/server/node';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'models');

/** The replica's models when MLKIT_CONFIG is not set: two of the repository's fixtures. */
const defaultConfig: Record<string, ModelConfigInput> = {
  iris: { task: 'classification', model: `onnx:${join(fixtures, 'iris-classifier')}` },
  'tiny-gpt': { task: 'text-generation', model: `onnx:${join(fixtures, 'tiny-gpt')}` },
};

/** The served name -> configuration object of MLKIT_CONFIG's file, or the default. */
function readConfig(file: string | undefined): Record<string, ModelConfigInput> {
  if (!file) return defaultConfig;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new InvalidInputError(`MLKIT_CONFIG=${file} must name a readable JSON file`, {
      cause,
      issues: [{ path: 'MLKIT_CONFIG', message: 'expected a JSON file' }],
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.keys(parsed).length) {
    throw new InvalidInputError(
      `MLKIT_CONFIG=${file} must hold an object of served name -> model configuration, e.g. {"iris": {"task": "classification", "model": "onnx:/models/iris"}}`,
      { issues: [{ path: 'MLKIT_CONFIG', message: 'expected an object with at least one model' }] },
    );
  }
  return parsed as Record<string, ModelConfigInput>;
}

/** A non-negative integer of milliseconds from the environment, or undefined when unset. */
function millisecondsFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new InvalidInputError(`${name} must be a whole number of milliseconds (got "${value}")`, {
      issues: [{ path: name, message: 'expected an integer >= 0' }],
    });
  }
  return ms;
}

const drainDelayMs = millisecondsFromEnv('MLKIT_DRAIN_DELAY_MS');
const graceMs = millisecondsFromEnv('MLKIT_GRACE_MS');
const config = readConfig(process.env.MLKIT_CONFIG);

const models: Record<string, Model> = {};
for (const [name, entry] of Object.entries(config)) models[name] = await createModelFromConfig(entry);

const server = createServer({ models });
const listening = await listen(server); // PORT and HOST, else 8080 and 127.0.0.1
closeOnSignals(listening, {
  ...(drainDelayMs === undefined ? {} : { drainDelayMs }),
  ...(graceMs === undefined ? {} : { graceMs }),
});
console.log(JSON.stringify({ listening: listening.url, port: listening.port, models: Object.keys(models) }));
