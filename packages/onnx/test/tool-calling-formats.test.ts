import { describe, expect, it } from 'vitest';
import { chatMlTemplate } from '../../../test/fixtures/generate/bpe.ts';
import { qwenToolsTemplate } from '../../../test/fixtures/generate/gpt-tools.ts';
import { compileChatTemplate, templateMessages, templateTools } from '../src/chat-template.ts';
import {
  detectToolCallFormat,
  jsonValueEnd,
  parseToolCalls,
  ToolCallScanner,
  templateTakesTools,
  toolCallFormats,
} from '../src/generation/tool-calls.ts';

const { hermes, mistral } = toolCallFormats;
const llama = toolCallFormats['llama3-json'];

describe('tool-call formats: parsing generated text', () => {
  it('reads a Hermes call and leaves the text before it as text', () => {
    const parsed = parseToolCalls(
      hermes,
      'Let me look.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    );
    expect(parsed.text).toBe('Let me look.');
    expect(parsed.calls).toEqual([
      {
        id: expect.stringMatching(/^call_[A-Za-z0-9]{24}$/),
        name: 'get_weather',
        arguments: '{"city": "Paris"}',
      },
    ]);
  });

  it('reads several Hermes calls in order, each with its own id', () => {
    const parsed = parseToolCalls(
      hermes,
      '<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n<tool_call>\n{"name": "b", "arguments": {"s": "}{"}}\n</tool_call>',
    );
    expect(parsed.calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ['a', { x: 1 }],
      ['b', { s: '}{' }],
    ]);
    expect(parsed.calls[0]!.id).not.toBe(parsed.calls[1]!.id);
    expect(parsed.text).toBe('');
  });

  it('reads Llama 3.1 JSON calls with "parameters", with or without <|python_tag|>', () => {
    const bare = parseToolCalls(llama, '{"name": "get_weather", "parameters": {"city": "Oslo"}}');
    expect(bare.calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ['get_weather', { city: 'Oslo' }],
    ]);
    const tagged = parseToolCalls(llama, '<|python_tag|>{"name": "f", "parameters": {}}');
    expect(tagged.calls.map((call) => call.name)).toEqual(['f']);
  });

  it('leaves Llama text that is not a call as text', () => {
    expect(parseToolCalls(llama, 'The weather is {"nice"}.')).toEqual({
      text: 'The weather is {"nice"}.',
      calls: [],
    });
  });

  it("reads Mistral's [TOOL_CALLS] list and gives 9-character ids", () => {
    const parsed = parseToolCalls(
      mistral,
      '[TOOL_CALLS] [{"name": "a", "arguments": {"q": [1, 2]}}, {"name": "b", "arguments": {}}]',
    );
    expect(parsed.calls.map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([
      ['a', { q: [1, 2] }],
      ['b', {}],
    ]);
    for (const call of parsed.calls) expect(call.id).toMatch(/^[A-Za-z0-9]{9}$/);
  });

  it('finds no calls in text without the trigger', () => {
    expect(parseToolCalls(hermes, 'Just text {"name": "a"}')).toEqual({
      text: 'Just text {"name": "a"}',
      calls: [],
    });
  });
});

describe('tool-call scanner: streaming a call', () => {
  it('gives the name once written, argument pieces as they grow, and the call when its arguments close', () => {
    const scanner = new ToolCallScanner(hermes);
    const pieces = [
      '\n{"na',
      'me": "get_w',
      'eather", "argu',
      'ments": {"ci',
      'ty": "Pa',
      'ris"}',
      '}\n</tool_call>',
    ];
    const events = pieces.flatMap((piece) => scanner.push(piece));
    const deltas = events.filter((event) => event.type === 'delta');
    expect(deltas.map((event) => event.argumentsDelta).join('')).toBe('{"city": "Paris"}');
    expect(new Set(deltas.map((event) => event.name))).toEqual(new Set(['get_weather']));
    expect(events.at(-1)).toMatchObject({
      type: 'call',
      index: 0,
      call: { name: 'get_weather', arguments: '{"city": "Paris"}' },
    });
    expect(scanner.open).toBe(false);
  });

  it('is open while a call has begun and its arguments have not closed', () => {
    const scanner = new ToolCallScanner(hermes);
    scanner.push('\n{"name": "f", "arguments": {"a": "b');
    expect(scanner.open).toBe(true);
    expect(scanner.calls).toEqual([]);
  });

  it('finds where a JSON value ends, strings with braces and escapes included', () => {
    expect(jsonValueEnd('{"a": "}\\"{"} tail', 0)).toBe(13);
    expect(jsonValueEnd('  [1, [2]], x', 0)).toBe(10);
    expect(jsonValueEnd('{"a": 1', 0)).toBe(-1);
    expect(jsonValueEnd('12, ', 0)).toBe(2);
  });
});

describe('tool-call formats: detection from the chat template', () => {
  it('detects Hermes from <tool_call>, Mistral from [TOOL_CALLS], Llama from <|python_tag|>', () => {
    expect(detectToolCallFormat(qwenToolsTemplate)).toBe('hermes');
    expect(detectToolCallFormat("{{ '[TOOL_CALLS]' + tool_calls | tojson }}")).toBe('mistral');
    expect(detectToolCallFormat("{%- if tools %}{{ '<|python_tag|>' }}{% endif %}")).toBe('llama3-json');
  });

  it('detects no format in a template without tools', () => {
    expect(detectToolCallFormat(chatMlTemplate)).toBeUndefined();
    expect(templateTakesTools(chatMlTemplate)).toBe(false);
    expect(templateTakesTools(qwenToolsTemplate)).toBe(true);
  });
});

describe('chat template rendering with tools', () => {
  const render = compileChatTemplate(qwenToolsTemplate, {}, 'tiny-gpt-tools');

  it('renders the tools in the system turn as the template writes them', () => {
    const tools = templateTools([
      { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } },
    ]);
    const prompt = render(templateMessages([{ role: 'user', content: 'hi' }]), tools);
    expect(prompt).toContain(
      '<tools>\n{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {}}}}\n</tools>',
    );
  });

  it("renders assistant toolCalls with object arguments (JSON text parsed) and tool results by the call's id", () => {
    const messages = templateMessages([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city": "Paris"}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: 'sunny' },
    ]);
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
      ],
    });
    expect(messages[2]).toEqual({ role: 'tool', content: 'sunny', tool_call_id: 'c1', name: 'get_weather' });
    expect(render(messages)).toContain(
      '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n',
    );
  });

  it('joins the text parts of a user message with a newline', () => {
    const [message] = templateMessages([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
    ]);
    expect(message).toEqual({ role: 'user', content: 'one\ntwo' });
  });

  it('refuses an image part by its place in the input, saying the model reads text only', () => {
    const call = () =>
      templateMessages([
        { role: 'user', content: 'first' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', image: 'https://example.com/cat.png' },
          ],
        },
      ]);
    expect(call).toThrow(
      expect.objectContaining({ code: 'unsupported', param: 'input.messages[1].content[1]' }),
    );
    expect(call).toThrow(/reads text only; vision-language models come with the vision tasks/);
  });
});
