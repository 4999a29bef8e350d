// Client overhead of mlkit's OpenAI-compatible provider vs the official `openai` SDK, both calling the
// same loopback OpenAI-compatible server (test/support/openai-server.ts, on its own thread) in the same
// run: non-streaming requests/s and streamed chunks/s with a fixed number of calls in flight. Same
// prompt, same API key, no retries; rounds alternate (ours, peer, ours, ...) after a warm-up of each,
// and the medians are compared. The table also shows the client thread's CPU time per call, which
// other processes on a busy machine disturb less than throughput.
// BENCH_DURATION_S (default 8): measured seconds per client and mode; the run takes about 5 times that.
import OpenAI from 'openai';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import { createOpenAICompatible } from '../src/providers/openai-compatible/index.ts';
import { echoReply } from '../test/support/openai-server.ts';
import { startOpenAIServerInWorker } from './support/openai-server-worker.ts';

const CONCURRENCY = 16;
const ROUNDS = 10;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUND_MS = (DURATION_S * 1000) / ROUNDS;
const API_KEY = 'sk-bench-0123456789';
const MODEL = 'echo-1';
// 60 words: the echo server streams one chunk per word plus a few, so chunk parsing dominates a stream.
const PROMPT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
const expected = echoReply(PROMPT);

/** One call; resolves with the units it delivered (1 for a request, its text chunks for a stream). */
type Call = () => Promise<number>;

interface Round {
  /** Units per second. */
  rate: number;
  /** CPU time of this (the client's) thread per call, in µs. */
  cpuUsPerCall: number;
}

interface Rounds {
  ours: Round[];
  peer: Round[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** CONCURRENCY calls in flight until `ms` have passed; the calls then in flight finish and count. */
async function round(call: Call, ms: number): Promise<Round> {
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  const end = started + ms;
  let units = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        // Not `units += await call()`: that reads `units` before the await and loses the other workers' counts.
        const delivered = await call();
        units += delivered;
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.threadCpuUsage(cpuBefore);
  return { rate: units / seconds, cpuUsPerCall: (cpu.user + cpu.system) / calls };
}

async function compare(ours: Call, peer: Call): Promise<Rounds> {
  await round(ours, ROUND_MS);
  await round(peer, ROUND_MS);
  const rounds: Rounds = { ours: [], peer: [] };
  for (let i = 0; i < ROUNDS; i++) {
    rounds.ours.push(await round(ours, ROUND_MS));
    rounds.peer.push(await round(peer, ROUND_MS));
  }
  return rounds;
}

const server = await startOpenAIServerInWorker({ apiKey: API_KEY });
let measured: { requests: Rounds; stream: Rounds };
let served: number;
try {
  const model = createOpenAICompatible({
    name: 'bench',
    baseURL: server.url,
    apiKey: API_KEY,
    maxRetries: 0,
  }).textGeneration(MODEL);
  const client = new OpenAI({ baseURL: server.url, apiKey: API_KEY, maxRetries: 0 });
  const messages = [{ role: 'user' as const, content: PROMPT }];

  const oursRequest = async () => ((await model.run({ prompt: PROMPT })).text ? 1 : 0);
  const peerRequest = async () => {
    const completion = await client.chat.completions.create({ model: MODEL, messages });
    return completion.choices[0]?.message.content ? 1 : 0;
  };
  // A chunk is one streamed text delta; both clients receive the same number per reply.
  // Both ask for the usage chunk (mlkit always does).
  const oursStream = async () => {
    let chunks = 0;
    for await (const chunk of model.stream({ prompt: PROMPT })) if (chunk.type === 'text-delta') chunks++;
    return chunks;
  };
  const peerStream = async () => {
    let chunks = 0;
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) chunks++;
    return chunks;
  };

  // Both clients must get the whole reply, or the comparison means nothing.
  const texts: Record<string, string | null | undefined> = {
    'mlkit run': (await model.run({ prompt: PROMPT })).text,
    'openai run': (await client.chat.completions.create({ model: MODEL, messages })).choices[0]?.message
      .content,
    'mlkit stream': '',
    'openai stream': '',
  };
  for await (const chunk of model.stream({ prompt: PROMPT })) {
    if (chunk.type === 'text-delta') texts['mlkit stream'] += chunk.text;
  }
  const check = await client.chat.completions.create({ model: MODEL, messages, stream: true });
  for await (const chunk of check) texts['openai stream'] += chunk.choices[0]?.delta?.content ?? '';
  for (const [name, text] of Object.entries(texts)) {
    if (text !== expected.text)
      throw new Error(`${name} did not return the echo reply: ${JSON.stringify(text)}`);
  }

  measured = {
    requests: await compare(oursRequest, peerRequest),
    stream: await compare(oursStream, peerStream),
  };
} finally {
  // Never leave the server running, whatever failed.
  served = (await server.close()).requests;
}

const modes = [
  ['requests', 'req/s', measured.requests],
  ['stream', 'chunks/s', measured.stream],
] as const;
console.log(
  `\n${CONCURRENCY} calls in flight, ${ROUNDS} alternating rounds of ${(ROUND_MS / 1000).toFixed(1)} s each after a warm-up; ` +
    `a 60-word prompt, ${expected.pieces.length} text chunks per streamed reply; ${served} HTTP requests served`,
);
console.log('mode      client                        median            client CPU/call   rounds');
for (const [mode, unit, rounds] of modes) {
  for (const [client, results] of [
    ['mlkit openai-compatible', rounds.ours],
    [`openai SDK ${OPENAI_VERSION}`, rounds.peer],
  ] as const) {
    const rate = median(results.map((r) => r.rate));
    const cpu = median(results.map((r) => r.cpuUsPerCall));
    console.log(
      `${mode.padEnd(9)} ${client.padEnd(25)} ${rate.toFixed(0).padStart(8)} ${unit.padEnd(9)} ${cpu.toFixed(0).padStart(8)} µs     ${results.map((r) => r.rate.toFixed(0)).join(' ')}`,
    );
  }
}
for (const [mode, unit, rounds] of modes) {
  const ours = median(rounds.ours.map((r) => r.rate));
  const peer = median(rounds.peer.map((r) => r.rate));
  console.log(
    JSON.stringify({
      bench: `openai-compatible.${mode}`,
      ours: Math.round(ours),
      peer: Math.round(peer),
      unit,
      ratio: Math.round((ours / peer) * 100) / 100,
      goal: 1,
    }),
  );
}
