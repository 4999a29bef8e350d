/**
 * Tools and structured output, one code path hosted or local: a JSON answer checked against a zod
 * schema, then a required tool call whose arguments are checked against the tool's zod schema, the
 * tool's result sent back, and the model's final turn.
 *
 *   MLKIT_MODEL=openai:gpt-4o-mini OPENAI_API_KEY=sk-... node examples/structured/main.ts
 *   MLKIT_MODEL=openai-compatible:qwen2.5 MLKIT_BASE_URL=http://127.0.0.1:8000/v1 node examples/structured/main.ts
 *   MLKIT_MODEL=onnx:./models/qwen2.5-0.5b-instruct node examples/structured/main.ts
 *
 * Hosted, the answer is enforced by the provider's strict `json_schema` (and tool schemas); local,
 * by constrained decoding over the model's vocabulary; either way mlkit validates it before `run()`
 * returns, and a model that breaks the schema is an InvalidOutputError, never a silent pass.
 *
 * With MLKIT_MODEL unset it runs `structured()` twice as a demo: "hosted" is @mlkit/server on
 * 127.0.0.1 serving the repository's tiny-gpt-tools decoder (random weights, a Qwen2.5-style chat
 * template with tools) behind an OpenAI-compatible API and an API key, called over HTTP; "local"
 * loads the same folder in-process. The weights are random, so the values are arbitrary: what both
 * guarantee is the shape. Each run prints one `RESULT {...}` JSON line.
 */
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import {
  createModel,
  type Model,
  registerProvider,
  type TextGenerationTask,
  type ToolCall,
} from '@mlkit/core';
import { loadModel, onnxProvider } from '@mlkit/onnx';
import { createServer } from '@mlkit/server';
import { listen } from '@mlkit/server/node';
import { z } from 'zod';
import { ensureFixtures, fixturePath } from '../../test/fixtures/paths.ts';

registerProvider(onnxProvider); // makes 'onnx:<folder>' resolvable by createModel()

/** The answer the app wants back as JSON. Bounded lengths keep any model's answer short. */
const WeatherReport = z.object({
  city: z.string().min(1).max(12),
  unit: z.enum(['celsius', 'fahrenheit']),
  temperature: z.number().int().min(-50).max(50),
  sunny: z.boolean(),
});

/** The arguments of the app's one tool. */
const GetWeatherArguments = z.object({
  city: z.string().min(1).max(12),
  unit: z.enum(['celsius', 'fahrenheit']),
});

const tools = [
  {
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: GetWeatherArguments,
  },
];

/** The tool itself: what the app runs when the model calls it. */
function getWeather(args: z.infer<typeof GetWeatherArguments>) {
  return { city: args.city, unit: args.unit, temperature: args.unit === 'celsius' ? 21 : 70, sunny: true };
}

/** The configuration the app reads: environment variables, or the demo's stand-ins for them. */
interface StructuredConfig {
  /** 'scheme:id' of the model, e.g. 'openai:gpt-4o-mini' or 'onnx:./models/qwen2.5-0.5b-instruct'. */
  MLKIT_MODEL?: string | undefined;
  /** Server URL for 'openai-compatible:' (and an OpenAI proxy for 'openai:'). */
  MLKIT_BASE_URL?: string | undefined;
  /** API key for the server; 'openai:' also reads OPENAI_API_KEY. */
  MLKIT_API_KEY?: string | undefined;
}

/** What one configuration produced: the same shape whichever backend ran. */
interface StructuredResult {
  config: string;
  model: string;
  json: { object: unknown; text: string; finishReason: string };
  tools: { toolCalls: ToolCall[]; finishReason: string; rawFinishReason: string | null };
  final: { text: string; finishReason: string };
}

/**
 * The application code. Nothing in it knows whether the model is hosted or self-run: the model
 * spec and the provider options come from the configuration.
 */
async function structured(label: string, config: StructuredConfig): Promise<StructuredResult> {
  const modelSpec = config.MLKIT_MODEL ?? 'openai:gpt-4o-mini';
  const model: Model<TextGenerationTask> = await createModel(modelSpec, {
    task: 'text-generation',
    ...(config.MLKIT_BASE_URL ? { baseURL: config.MLKIT_BASE_URL } : {}),
    ...(config.MLKIT_API_KEY ? { apiKey: config.MLKIT_API_KEY } : {}),
  });
  try {
    // (a) A JSON answer: `object` is the parsed document, already checked against WeatherReport.
    const answer = await model.run({
      messages: [{ role: 'user', content: 'Report the weather in Paris as JSON.' }],
      responseFormat: { type: 'json', name: 'weather_report', schema: WeatherReport },
      maxTokens: 160,
      temperature: 0,
    });
    say(label, `json    object ${JSON.stringify(answer.object)}, finishReason ${answer.finishReason}`);

    // (b) A tool call the model must make: `toolCalls[].arguments` are checked against GetWeatherArguments.
    const question = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
    const called = await model.run({
      messages: question,
      tools,
      toolChoice: 'required',
      maxTokens: 200,
      temperature: 0,
    });
    const toolCalls = called.toolCalls ?? [];
    for (const call of toolCalls) {
      say(label, `tools   ${call.name}(${JSON.stringify(call.arguments)}) id ${call.id}`);
    }
    say(label, `tools   finishReason ${called.finishReason} (raw ${called.rawFinishReason ?? 'none'})`);

    // Run the tools, answer each call by its id, and let the model answer in text.
    const results = toolCalls.map((call) => ({
      role: 'tool' as const,
      toolCallId: call.id,
      content: JSON.stringify(getWeather(GetWeatherArguments.parse(call.arguments))),
    }));
    const final = await model.run({
      messages: [...question, { role: 'assistant', content: called.text, toolCalls }, ...results],
      tools,
      toolChoice: 'none',
      maxTokens: 24,
      temperature: 0,
    });
    say(label, `final   text ${JSON.stringify(final.text)}, finishReason ${final.finishReason}`);

    return {
      config: label,
      model: modelSpec,
      json: { object: answer.object, text: answer.text, finishReason: answer.finishReason },
      tools: {
        toolCalls,
        finishReason: called.finishReason,
        rawFinishReason: called.rawFinishReason ?? null,
      },
      final: { text: final.text, finishReason: final.finishReason },
    };
  } finally {
    await model.dispose();
  }
}

function say(label: string, line: string): void {
  console.log(`[${label}] ${line}`);
}

function printConfig(label: string, config: StructuredConfig): void {
  say(label, `MLKIT_MODEL=${config.MLKIT_MODEL ?? '(unset: openai:gpt-4o-mini)'}`);
  say(label, `MLKIT_BASE_URL=${config.MLKIT_BASE_URL ?? '(unset)'}`);
  say(label, `MLKIT_API_KEY=${config.MLKIT_API_KEY ? '(set, not shown)' : '(unset)'}`);
}

/** A fixture folder as an 'onnx:' spec, relative to the working directory when it lies under it. */
function onnxSpec(folder: string): string {
  const path = relative(process.cwd(), folder);
  return `onnx:${path.startsWith('..') || isAbsolute(path) ? folder : `./${path}`}`;
}

async function demo(): Promise<void> {
  ensureFixtures();
  const folder = fixturePath('tiny-gpt-tools');

  // The "hosted" side: the fixture decoder behind @mlkit/server's OpenAI-compatible API.
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;
  const served = await loadModel(folder, { task: 'text-generation' });
  const server = createServer({ models: { 'tiny-gpt-tools': served }, apiKeys: [apiKey] });
  const listening = await listen(server, { port: 0, host: '127.0.0.1' });
  console.log('MLKIT_MODEL is unset: running structured() under two configurations.');
  console.log(`hosted = @mlkit/server on ${listening.url} (OpenAI-compatible API, API key required)`);
  console.log('local  = the same fixture folder in this process with onnxruntime-node\n');

  const configs: [string, StructuredConfig][] = [
    [
      'hosted',
      {
        MLKIT_MODEL: 'openai-compatible:tiny-gpt-tools',
        MLKIT_BASE_URL: `${listening.url}/v1`,
        MLKIT_API_KEY: apiKey,
      },
    ],
    ['local', { MLKIT_MODEL: onnxSpec(folder) }],
  ];
  const results: StructuredResult[] = [];
  try {
    for (const [label, config] of configs) {
      printConfig(label, config);
      const result = await structured(label, config);
      results.push(result);
      console.log(`RESULT ${JSON.stringify(result)}\n`);
    }
  } finally {
    await listening.close({ graceMs: 1000 }); // also disposes the served model
  }

  const [hosted, local] = results as [StructuredResult, StructuredResult];
  const rows = [
    ['', 'hosted', 'local'],
    ['model', hosted.model, local.model],
    ['json object', JSON.stringify(hosted.json.object), JSON.stringify(local.json.object)],
    ['tool calls', callsOf(hosted), callsOf(local)],
    ['tools finish', hosted.tools.finishReason, local.tools.finishReason],
    ['final turn', JSON.stringify(hosted.final.text), JSON.stringify(local.final.text)],
  ];
  const width = (column: number) => Math.max(...rows.map((row) => row[column]!.length));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(width(i))).join('  '));
  const withoutIds = (result: StructuredResult) =>
    JSON.stringify([result.json, result.tools.toolCalls.map(({ name, arguments: args }) => [name, args])]);
  console.log(
    '\nBoth configurations ran the same function, structured(config); only the configuration strings differ.',
  );
  console.log(
    `greedy object and tool calls identical (ids aside): ${withoutIds(hosted) === withoutIds(local) ? 'yes' : 'NO'}`,
  );
}

function callsOf(result: StructuredResult): string {
  return result.tools.toolCalls.map((call) => `${call.name}(${JSON.stringify(call.arguments)})`).join(', ');
}

const env = process.env;
try {
  if (env.MLKIT_MODEL) {
    const label = 'env';
    printConfig(label, env);
    console.log(`RESULT ${JSON.stringify(await structured(label, env))}`);
  } else {
    await demo();
  }
} catch (error) {
  console.error(
    `structured failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exitCode = 1;
}
