// Tool-call answers real providers sent (recorded by the Vercel AI SDK; see
// test/fixtures/recorded/README.md), replayed through mlkit's client and through the official
// openai SDK against the same mock server: both must read the same tool calls. Before tool calls
// were read, the xAI stream came out as finishReason 'other' with empty text and no calls.
import { readFileSync } from 'node:fs';
import { HttpResponse, http } from 'msw';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createOpenAICompatible, type TextGenerationChunk, type Tool } from '../../../src/index.ts';
import { BASE_URL, collect, mockServer, sseResponse } from './support.ts';

const server = mockServer();

const recorded = (name: string) =>
  readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

/** `*.chunks.txt` holds one payload a line; `*.sse` is the raw event-stream body. */
function serveStream(name: string) {
  const body = recorded(name);
  const parts = name.endsWith('.sse')
    ? [body]
    : body
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => `data: ${line}\n\n`);
  server.use(http.post(`${BASE_URL}/chat/completions`, () => sseResponse(parts)));
}

function serveJson(name: string) {
  const body = recorded(name);
  server.use(
    http.post(
      `${BASE_URL}/chat/completions`,
      () => new HttpResponse(body, { headers: { 'content-type': 'application/json' } }),
    ),
  );
}

const tools: Tool[] = [
  {
    name: 'weather',
    description: 'Get the weather in a location',
    parameters: { type: 'object', properties: { location: { type: 'string' } } },
  },
  {
    name: 'read_file',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];
const messages = [{ role: 'user' as const, content: 'What is the weather in San Francisco?' }];
const ours = () =>
  createOpenAICompatible({ name: 'recorded', baseURL: BASE_URL, maxRetries: 0 }).textGeneration('m');
const sdk = () => new OpenAI({ baseURL: BASE_URL, apiKey: 'sk-test-0123456789', maxRetries: 0 });
const sdkTools = tools.map((tool) => ({
  type: 'function' as const,
  function: { name: tool.name, parameters: tool.parameters as Record<string, unknown> },
}));

type SdkMessage = OpenAI.Chat.Completions.ChatCompletionMessage;

/** The SDK's tool calls as mlkit's: id, name, and the arguments parsed the SDK user's way. */
function sdkCalls(message: SdkMessage) {
  // The SDK keeps the server's index as the array position, so a first call at index 1 leaves a hole.
  return (message.tool_calls ?? [])
    .filter((call) => call !== undefined)
    .map((call) => {
      if (call.type !== 'function') throw new Error(`unexpected ${call.type} call`);
      return {
        id: call.id,
        name: call.function.name,
        arguments: JSON.parse(call.function.arguments || '{}'),
      };
    });
}

/** mlkit's stream folded into what a caller keeps: text, calls, finish. */
function fold(chunks: TextGenerationChunk[]) {
  const text = chunks.map((c) => (c.type === 'text-delta' ? c.text : '')).join('');
  const calls = chunks.flatMap((c) =>
    c.type === 'tool-call' ? [{ id: c.id, name: c.name, arguments: c.arguments }] : [],
  );
  const finish = chunks.at(-1) as Extract<TextGenerationChunk, { type: 'finish' }>;
  return { text, calls, finish };
}

/**
 * The SDK's own accumulation (`chat.completions.stream(...).finalChatCompletion()`), or, where
 * that helper fails, the loop OpenAI's docs show over `create({ stream: true })`: content
 * appended, tool calls built up by `index`.
 */
async function sdkStream(how: 'helper' | 'loop') {
  if (how === 'helper') {
    const final = await sdk()
      .chat.completions.stream({ model: 'm', messages, tools: sdkTools })
      .finalChatCompletion();
    return { choice: final.choices[0]!, usage: final.usage };
  }
  const message: SdkMessage = { role: 'assistant', content: null, refusal: null };
  const calls: OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall[] = [];
  let finishReason: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  const events = await sdk().chat.completions.create({ model: 'm', messages, tools: sdkTools, stream: true });
  for await (const event of events) {
    if (event.usage) usage = event.usage;
    const choice = event.choices[0];
    if (!choice) continue;
    if (choice.delta.content) message.content = (message.content ?? '') + choice.delta.content;
    for (const piece of choice.delta.tool_calls ?? []) {
      calls[piece.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
      const call = calls[piece.index]!;
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.function.name = piece.function.name;
      if (piece.function?.arguments) call.function.arguments += piece.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  message.tool_calls = calls;
  return { choice: { message, finish_reason: finishReason }, usage };
}

async function bothStreams(name: string, how: 'helper' | 'loop' = 'helper') {
  serveStream(name);
  const mine = fold(await collect(ours().stream({ messages, tools })));
  serveStream(name);
  const { choice, usage } = await sdkStream(how);
  return { mine, theirs: choice, usage };
}

describe('recorded tool-call streams: mlkit reads what the openai SDK reads', () => {
  it('xAI grok-3-mini (the whole call in one delta, no [DONE]) gives the SDK’s call', async () => {
    const { mine, theirs, usage } = await bothStreams('xai-tool-call.chunks.txt');
    expect(mine.calls).toEqual(sdkCalls(theirs.message));
    expect(mine.calls).toEqual([
      { id: 'call_55117580', name: 'weather', arguments: { location: 'San Francisco' } },
    ]);
    expect(mine.text).toBe(theirs.message.content ?? '');
    expect(mine.finish).toMatchObject({ finishReason: 'tool-calls', rawFinishReason: theirs.finish_reason });
    expect(mine.finish.usage.inputTokens).toBe(usage?.prompt_tokens);
    expect(mine.finish.usage.totalTokens).toBe(usage?.total_tokens);
  });

  it('OpenAI gpt-4o (text, then the call with its arguments in a later delta) gives the SDK’s text and call', async () => {
    const { mine, theirs } = await bothStreams('openai-gpt-4o-tool-call.chunks.txt');
    expect(mine.calls).toEqual(sdkCalls(theirs.message));
    expect(mine.calls).toEqual([{ id: 'call_NZa7xqfefoaMI2YYHowVXVlU', name: 'weather', arguments: {} }]);
    expect(mine.text).toBe(theirs.message.content);
    expect(mine.text).toBe('PRE_TOOL');
    expect(mine.finish.finishReason).toBe('tool-calls');
  });

  it('xAI grok-3-mini gives the same call as the documented SDK accumulation loop', async () => {
    const { mine, theirs } = await bothStreams('xai-tool-call.chunks.txt', 'loop');
    expect(mine.calls).toEqual(sdkCalls(theirs.message));
    expect(mine.finish.rawFinishReason).toBe(theirs.finish_reason);
  });

  // openai 7.57's stream helper throws on a first call at index 1 ("Cannot read properties of
  // undefined (reading 'id')"), so the SDK side is the documented accumulation loop.
  it('Claude through a gateway (a first call at index 1, arguments split mid-key) gives the SDK’s call', async () => {
    const { mine, theirs } = await bothStreams('anthropic-fallback-tool-call.sse', 'loop');
    expect(mine.calls).toEqual(sdkCalls(theirs.message));
    expect(mine.calls).toEqual([{ id: 'toolu_sanitized', name: 'read_file', arguments: { path: 'a.txt' } }]);
    expect(mine.text).toBe(theirs.message.content);
    expect(mine.finish.finishReason).toBe('tool-calls');
  });
});

describe('recorded tool-call answers: mlkit reads what the openai SDK reads', () => {
  it('xAI grok-3-mini (no stream) gives the SDK’s call, text and finish reason', async () => {
    serveJson('xai-tool-call.json');
    const mine = await ours().run({ messages, tools });
    serveJson('xai-tool-call.json');
    const theirs = await sdk().chat.completions.create({ model: 'm', messages, tools: sdkTools });
    const choice = theirs.choices[0]!;
    expect(mine.toolCalls).toEqual(sdkCalls(choice.message));
    expect(mine.toolCalls).toEqual([
      { id: 'call_93562515', name: 'weather', arguments: { location: 'San Francisco' } },
    ]);
    expect(mine.text).toBe(choice.message.content);
    expect(mine.finishReason).toBe('tool-calls');
    expect(mine.rawFinishReason).toBe(choice.finish_reason);
    expect(mine.usage.outputTokens).toBe(theirs.usage?.completion_tokens);
  });
});
