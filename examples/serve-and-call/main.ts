/**
 * mlkit's main job end to end: load self-run ONNX models, serve them over HTTP, call them.
 *
 *   node examples/serve-and-call/main.ts        (or ./dev demo)
 *
 * 1. load   the repository's fixture models with @mlkit/onnx: an iris classifier, a tiny BERT
 *           (embeddings) and a tiny GPT (text generation)
 * 2. serve  them with @mlkit/server on 127.0.0.1, a free port, behind an API key made at start
 * 3. call   them with mlkit's OpenAI-compatible client (chat, stream, embeddings), with fetch on
 *           /predict/{name} and Open Inference Protocol v2 /v2/models/{name}/infer, and with curl
 * 4. stop   the server gracefully: in-flight requests finish, the models are disposed
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createOpenAICompatible } from '@mlkit/core';
import { loadModel } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { closeOnSignals, type Listening, listen } from '@mlkit/server/node';
import { ensureFixtures, fixturePath } from '../../test/fixtures/paths.ts';

const CURL = '/usr/bin/curl';
const irisRows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

function section(title: string): void {
  console.log(`\n== ${title}`);
}

/** Shortens model output for one line of the demo. */
function brief(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

// ---- 1. load ----------------------------------------------------------------------------------
section('1. load local ONNX models (@mlkit/onnx, onnxruntime-node)');
ensureFixtures(); // writes test/fixtures/models/* on a fresh clone
const [iris, bert, gpt] = await Promise.all([
  loadModel(fixturePath('iris-classifier'), { task: 'classification' }),
  loadModel(fixturePath('tiny-bert'), { task: 'embedding' }),
  loadModel(fixturePath('tiny-gpt'), { task: 'text-generation' }),
]);
for (const [name, model] of [
  ['iris', iris],
  ['tiny-bert', bert],
  ['tiny-gpt', gpt],
] as const) {
  const info = model.describe();
  console.log(`loaded ${name}: ${info.task} on ${info.device} in ${info.loadMs.toFixed(0)} ms`);
}
console.log(
  '(tiny test models the repository generates: iris is trained, tiny-gpt has random weights, so its words are noise)',
);

// ---- 2. serve ---------------------------------------------------------------------------------
section('2. serve them (@mlkit/server)');
// A fresh key each start; it is used below but never printed.
const apiKey = `sk-mlkit-${randomBytes(24).toString('base64url')}`;
const server = createServer({ models: { iris, 'tiny-bert': bert, 'tiny-gpt': gpt }, apiKeys: [apiKey] });
const listening: Listening = await listen(server, { port: 0, host: '127.0.0.1' });
const { url } = listening;
// Ctrl-C or SIGTERM mid-demo: drain, dispose the models, exit (a second Ctrl-C exits at once).
const stopHandlingSignals = closeOnSignals(listening, { graceMs: 5_000 });
console.log(`serving iris, tiny-bert, tiny-gpt on ${url} (API key: generated, not shown)`);

const authorization = { authorization: `Bearer ${apiKey}` };

async function postJson(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** curl with the Authorization header passed in a config on stdin, so the key is not in argv. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      CURL,
      ['--silent', '--show-error', '--fail', '--config', '-', ...args],
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin?.end(`header = "Authorization: Bearer ${apiKey}"\n`);
  });
}

let failed = false;
try {
  // ---- 3a. the mlkit client -------------------------------------------------------------------
  section('3a. call with the mlkit client (createOpenAICompatible)');
  const client = createOpenAICompatible({ name: 'local-server', baseURL: `${url}/v1`, apiKey });
  const served = await client.listModels();
  console.log(`models: ${served.map((m) => m.id).join(', ')}`);

  const chat = client.textGeneration('tiny-gpt');
  const question = { messages: [{ role: 'user' as const, content: 'Hello there' }], maxTokens: 16 };
  const reply = await chat.run(question);
  console.log(
    `chat: ${brief(reply.text)} (finishReason ${reply.finishReason}, ` +
      `${reply.usage.inputTokens} in / ${reply.usage.outputTokens} out tokens)`,
  );

  let deltas = 0;
  let streamed = '';
  for await (const chunk of chat.stream(question)) {
    if (chunk.type === 'text-delta') {
      deltas++;
      streamed += chunk.text;
    }
  }
  console.log(`stream: ${deltas} deltas, ${streamed === reply.text ? 'same text as chat' : brief(streamed)}`);

  const embedder = client.embedding('tiny-bert');
  const { embeddings, dimensions } = await embedder.run({ texts: ['a cat sat', 'a dog ran'] });
  const cosine = embeddings[0]!.reduce((sum, value, i) => sum + value * embeddings[1]![i]!, 0);
  console.log(
    `embeddings: ${embeddings.length} x ${dimensions} dimensions, cosine(a cat sat, a dog ran) = ${cosine.toFixed(3)}`,
  );

  // ---- 3b. plain fetch: /predict and OIP v2 ----------------------------------------------------
  section('3b. call with fetch: /predict/{name} and OIP v2 /v2/models/{name}/infer');
  const predicted = await postJson('/predict/iris', { data: irisRows });
  console.log(
    `predict: ${predicted.prediction.join(', ')} (confidence ${predicted.confidence
      .map((c: number) => c.toFixed(3))
      .join(', ')})`,
  );
  const inferred = await postJson('/v2/models/iris/infer', {
    inputs: [{ name: 'features', datatype: 'FP32', shape: [irisRows.length, 4], data: irisRows.flat() }],
  });
  const labels = inferred.outputs.find((output: { name: string }) => output.name === 'label');
  console.log(
    `oip v2 infer: outputs ${inferred.outputs.map((o: { name: string }) => o.name).join(', ')}; label = ${labels.data.join(', ')}`,
  );

  // ---- 3c. curl -------------------------------------------------------------------------------
  section('3c. call with curl');
  if (existsSync(CURL)) {
    console.log(`$ curl -s ${url}/v1/models -H "Authorization: Bearer $MLKIT_API_KEY"`);
    const models = JSON.parse(await curl([`${url}/v1/models`]));
    console.log(`curl models: ${models.data.map((m: { id: string }) => m.id).join(', ')}`);
    console.log(
      `$ curl -s ${url}/predict/iris -H "Authorization: Bearer $MLKIT_API_KEY" -H 'content-type: application/json' -d '{"data":[5.1,3.5,1.4,0.2]}'`,
    );
    const one = JSON.parse(
      await curl([
        `${url}/predict/iris`,
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ data: irisRows[0] }),
      ]),
    );
    console.log(`curl predict: ${one.prediction} (confidence ${one.confidence.toFixed(3)})`);
  } else {
    console.log(`curl skipped: ${CURL} is not installed`);
  }
} catch (error) {
  failed = true;
  console.error(`serve-and-call failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  // ---- 4. stop ----------------------------------------------------------------------------------
  section('4. shut down');
  stopHandlingSignals();
  await listening.close({ graceMs: 5_000 });
  console.log('server closed: requests drained, models disposed');
}
process.exitCode = failed ? 1 : 0;
