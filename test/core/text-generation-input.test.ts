// The text-generation input contract: what every model accepts, and the path it names when it refuses.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError, type TextGenerationInput, textGeneration } from '../../src/index.ts';
import { parseInput } from '../../src/validate.ts';

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_BASE64 = 'iVBORw0KGgo=';

function parse(input: unknown) {
  return parseInput(textGeneration.input, input);
}

/** The InvalidInputError that `input` is refused with. */
function refusal(input: unknown): InvalidInputError {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error(`input was accepted: ${JSON.stringify(input)}`);
}

function paths(input: unknown): string[] {
  return refusal(input).issues.map((issue) => issue.path);
}

const userImage = (part: Record<string, unknown>): TextGenerationInput =>
  ({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', ...part },
        ],
      },
    ],
  }) as TextGenerationInput;

const weather = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('text-generation input: what stays valid', () => {
  it('accepts a plain prompt', () => {
    expect(parse({ prompt: 'Hello' })).toEqual({ prompt: 'Hello' });
  });

  it('accepts messages with string content', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Bye' },
    ];
    expect(parse({ messages })).toEqual({ messages });
  });
});

describe('text-generation input: content parts', () => {
  it('accepts text parts in a user turn', () => {
    const content = [
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
    ];
    expect(parse({ messages: [{ role: 'user', content }] })).toEqual({
      messages: [{ role: 'user', content }],
    });
  });

  it('accepts an image by https URL string', () => {
    expect(() => parse(userImage({ image: 'https://example.com/cat.png' }))).not.toThrow();
  });

  it('accepts an image by data: URL without a mediaType', () => {
    expect(() => parse(userImage({ image: `data:image/png;base64,${PNG_BASE64}` }))).not.toThrow();
  });

  it('accepts an image by URL object', () => {
    const parsed = parse(userImage({ image: new URL('https://example.com/cat.png') })) as any;
    expect(parsed.messages[0].content[1].image).toBeInstanceOf(URL);
  });

  it('accepts image bytes with a mediaType, keeping the same bytes', () => {
    const parsed = parse(userImage({ image: PNG_BYTES, mediaType: 'image/png' })) as any;
    expect(parsed.messages[0].content[1].image).toBe(PNG_BYTES);
  });

  it('accepts an ArrayBuffer with a mediaType', () => {
    expect(() => parse(userImage({ image: PNG_BYTES.buffer, mediaType: 'image/png' }))).not.toThrow();
  });

  it('accepts base64 text with a mediaType', () => {
    expect(() => parse(userImage({ image: PNG_BASE64, mediaType: 'image/png' }))).not.toThrow();
  });

  it('refuses base64 text without a mediaType, naming the mediaType path', () => {
    const error = refusal(userImage({ image: PNG_BASE64 }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['input.messages[0].content[1].mediaType']);
    expect(error.message).toMatch(/mediaType such as "image\/png"/);
  });

  it('refuses image bytes without a mediaType', () => {
    expect(paths(userImage({ image: PNG_BYTES }))).toEqual(['input.messages[0].content[1].mediaType']);
  });

  it('refuses a string that is neither a URL nor base64, naming the image path', () => {
    const error = refusal(userImage({ image: 'not a picture!', mediaType: 'image/png' }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['input.messages[0].content[1].image']);
    expect(error.message).toMatch(/http\(s\): or data: URL, or base64/);
  });

  it('refuses a mediaType that is not an image type', () => {
    expect(paths(userImage({ image: PNG_BYTES, mediaType: 'text/plain' }))).toEqual([
      'input.messages[0].content[1].mediaType',
    ]);
  });

  it('refuses a URL object that is not http(s) or data:', () => {
    expect(paths(userImage({ image: new URL('file:///etc/passwd') }))).toEqual([
      'input.messages[0].content[1].image',
    ]);
  });

  it('refuses an empty list of parts', () => {
    expect(paths({ messages: [{ role: 'user', content: [] }] })).toEqual(['input.messages[0].content']);
  });
});

describe('text-generation input: tool turns', () => {
  it('accepts an assistant turn with toolCalls and the tool turn that answers it', () => {
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', toolCallId: 'call_1', content: '{"celsius":21}' },
    ];
    const parsed = parse({ messages, tools: [weather] }) as any;
    expect(parsed.messages[1]).toEqual({ ...messages[1], content: '' });
    expect(parsed.messages[2]).toEqual(messages[2]);
  });

  it('refuses a tool turn without toolCallId', () => {
    expect(paths({ messages: [{ role: 'tool', content: 'x' }] })).toEqual(['input.messages[0].toolCallId']);
  });

  it('refuses an assistant turn with an empty toolCalls list', () => {
    expect(paths({ messages: [{ role: 'assistant', content: '', toolCalls: [] }] })).toEqual([
      'input.messages[0].toolCalls',
    ]);
  });
});

describe('text-generation input: tools and toolChoice', () => {
  it('accepts a tool with JSON Schema parameters, keeping them as given', () => {
    const parsed = parse({ prompt: 'x', tools: [weather] }) as any;
    expect(parsed.tools[0].parameters).toBe(weather.parameters);
  });

  it('accepts a tool with zod parameters, keeping the same zod schema', () => {
    const parameters = z.object({ city: z.string() });
    const parsed = parse({ prompt: 'x', tools: [{ name: 'get_weather', parameters }] }) as any;
    expect(parsed.tools[0].parameters).toBe(parameters);
  });

  it('gives a tool without parameters an empty object schema', () => {
    const parsed = parse({ prompt: 'x', tools: [{ name: 'now' }] }) as any;
    expect(parsed.tools[0].parameters).toEqual({
      type: 'object',
      properties: {},
      additionalProperties: false,
    });
  });

  it('refuses parameters that are neither a JSON Schema object nor a zod schema', () => {
    expect(paths({ prompt: 'x', tools: [{ name: 't', parameters: 'object' }] })).toEqual([
      'input.tools[0].parameters',
    ]);
  });

  it('refuses a tool name with spaces', () => {
    expect(paths({ prompt: 'x', tools: [{ name: 'get weather' }] })).toEqual(['input.tools[0].name']);
  });

  it('refuses two tools of the same name, naming the second', () => {
    const error = refusal({ prompt: 'x', tools: [weather, { ...weather, description: 'again' }] });
    expect(error.issues.map((issue) => issue.path)).toEqual(['input.tools[1].name']);
    expect(error.message).toMatch(/"get_weather" is defined twice/);
  });

  it('refuses a toolChoice naming an unknown tool, listing the tools', () => {
    const error = refusal({ prompt: 'x', tools: [weather], toolChoice: { tool: 'get_time' } });
    expect(error.issues.map((issue) => issue.path)).toEqual(['input.toolChoice.tool']);
    expect(error.message).toMatch(/no tool is named "get_time" \(tools: get_weather\)/);
  });

  it('refuses toolChoice required without tools', () => {
    const error = refusal({ prompt: 'x', toolChoice: 'required' });
    expect(error.issues.map((issue) => issue.path)).toEqual(['input.toolChoice']);
    expect(error.message).toMatch(/pass tools/);
  });

  it('refuses a toolChoice naming a tool when tools is empty', () => {
    expect(paths({ prompt: 'x', tools: [], toolChoice: { tool: 'get_weather' } })).toEqual([
      'input.toolChoice',
    ]);
  });

  it('accepts toolChoice none without tools', () => {
    expect(parse({ prompt: 'x', toolChoice: 'none' })).toEqual({ prompt: 'x', toolChoice: 'none' });
  });

  it('accepts toolChoice naming a defined tool, and parallelToolCalls', () => {
    const input = {
      prompt: 'x',
      tools: [weather],
      toolChoice: { tool: 'get_weather' },
      parallelToolCalls: false,
    };
    expect(parse(input)).toMatchObject({ toolChoice: { tool: 'get_weather' }, parallelToolCalls: false });
  });
});

describe('text-generation input: responseFormat', () => {
  it('accepts json without a schema', () => {
    expect(parse({ prompt: 'x', responseFormat: { type: 'json' } })).toEqual({
      prompt: 'x',
      responseFormat: { type: 'json' },
    });
  });

  it('accepts json with a JSON Schema, a name and a description', () => {
    const responseFormat = {
      type: 'json',
      name: 'city',
      description: 'A city',
      schema: { type: 'object', properties: { city: { type: 'string' } } },
    };
    expect((parse({ prompt: 'x', responseFormat }) as any).responseFormat).toEqual(responseFormat);
  });

  it('accepts json with a zod schema, keeping the same schema', () => {
    const schema = z.object({ city: z.string() });
    const parsed = parse({ prompt: 'x', responseFormat: { type: 'json', schema } }) as any;
    expect(parsed.responseFormat.schema).toBe(schema);
  });

  it('refuses a schema name with spaces', () => {
    expect(paths({ prompt: 'x', responseFormat: { type: 'json', name: 'a city' } })).toEqual([
      'input.responseFormat.name',
    ]);
  });

  it('refuses an unknown responseFormat type', () => {
    expect(paths({ prompt: 'x', responseFormat: { type: 'xml' } })).toEqual(['input.responseFormat.type']);
  });
});
