// examples/structured/main.ts as a user runs it: a JSON answer and a tool call, hosted or local, one code path.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureFixtures } from '../fixtures/paths.ts';
import { type ExampleRun, runExample } from './run-example.ts';

// What the example promises its caller, restated here so that a looser schema in the example fails this test.
const WeatherReport = z.strictObject({
  city: z.string().min(1).max(12),
  unit: z.enum(['celsius', 'fahrenheit']),
  temperature: z.number().int().min(-50).max(50),
  sunny: z.boolean(),
});
const GetWeatherArguments = z.strictObject({
  city: z.string().min(1).max(12),
  unit: z.enum(['celsius', 'fahrenheit']),
});

interface StructuredResult {
  config: string;
  model: string;
  json: { object: unknown; text: string; finishReason: string };
  tools: {
    toolCalls: { id: string; name: string; arguments: unknown }[];
    finishReason: string;
    rawFinishReason: string | null;
  };
  final: { text: string; finishReason: string };
}

/** Every key path of a JSON value with the type at its end: the value's shape. */
function shapeOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => shapeOf(item, `${path}[]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => shapeOf(inner, path ? `${path}.${key}` : key));
  }
  return [`${path}: ${value === null ? 'null' : typeof value}`];
}

describe('examples/structured: a validated object and tool call, hosted or local by configuration', () => {
  let example: ExampleRun;
  let results: StructuredResult[];

  beforeAll(async () => {
    ensureFixtures();
    example = await runExample('structured', { MLKIT_MODEL: undefined });
    results = example.stdout
      .split('\n')
      .filter((line) => line.startsWith('RESULT '))
      .map((line) => JSON.parse(line.slice('RESULT '.length)) as StructuredResult);
  }, 90_000);

  it('exits 0 and prints one RESULT line per configuration, hosted then local', () => {
    expect(example.code, example.stderr).toBe(0);
    expect(results.map((r) => r.config)).toEqual(['hosted', 'local']);
  });

  it('differs only in the model string: openai-compatible: against the server, onnx: locally', () => {
    const [hosted, local] = results as [StructuredResult, StructuredResult];
    expect(hosted.model).toBe('openai-compatible:tiny-gpt-tools');
    expect(local.model).toMatch(/^onnx:.*tiny-gpt-tools$/);
    expect(example.stdout).toContain('[hosted] MLKIT_BASE_URL=http://127.0.0.1:');
    expect(example.stdout).toContain('[local] MLKIT_BASE_URL=(unset)');
  });

  it('gives both configurations a JSON object that validates against the schema, equal to the text it parses', () => {
    for (const result of results) {
      const check = WeatherReport.safeParse(result.json.object);
      expect(check.success, `${result.config}: ${JSON.stringify(check.error?.issues)}`).toBe(true);
      expect(JSON.parse(result.json.text)).toEqual(result.json.object);
      expect(result.json.finishReason).toBe('stop');
    }
  });

  it('gives both configurations a get_weather call whose arguments validate, finishing with tool-calls', () => {
    for (const result of results) {
      expect(result.tools.toolCalls.length).toBeGreaterThan(0);
      for (const call of result.tools.toolCalls) {
        expect(call.name).toBe('get_weather');
        expect(call.id).toMatch(/\S/);
        const check = GetWeatherArguments.safeParse(call.arguments);
        expect(check.success, `${result.config}: ${JSON.stringify(check.error?.issues)}`).toBe(true);
      }
      expect(result.tools.finishReason).toBe('tool-calls');
      expect(result.tools.rawFinishReason).toBe('tool_calls');
    }
  });

  it('answers the tool results with a final text turn in both configurations', () => {
    for (const result of results) {
      expect(result.final.text.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(result.final.finishReason);
    }
  });

  it('prints results of the same shape for both configurations', () => {
    const [hosted, local] = results as [StructuredResult, StructuredResult];
    expect(shapeOf(local)).toEqual(shapeOf(hosted));
  });

  it('gives the same greedy object and calls hosted as locally, since the server runs the same decoder', () => {
    const [hosted, local] = results as [StructuredResult, StructuredResult];
    const withoutIds = (result: StructuredResult) =>
      result.tools.toolCalls.map(({ name, arguments: args }) => ({ name, arguments: args }));
    expect(local.json).toEqual(hosted.json);
    expect(withoutIds(local)).toEqual(withoutIds(hosted));
    expect(example.stdout).toContain('greedy object and tool calls identical (ids aside): yes');
  });

  it('never prints the generated API key', () => {
    expect(example.stdout).toContain('MLKIT_API_KEY=(set, not shown)');
    expect(`${example.stdout}${example.stderr}`).not.toMatch(/sk-demo-[0-9a-f]/);
  });
});
