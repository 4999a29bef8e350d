// OIP v2 generate carries one prompt (`text_input`) and sampling parameters: tools, a json response
// format and images are refused, naming the field, before any request is sent.
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenInference, type TextGenerationInput, UnsupportedError } from '../../../src/index.ts';
import { mockServer } from '../openai-compatible/support.ts';

const BASE_URL = 'http://triton.test:8000';
const server = mockServer();

/** The generate model, with handlers on both endpoints that count the requests they get. */
function generateModel() {
  const requests: string[] = [];
  server.use(
    http.post(`${BASE_URL}/v2/models/llm/generate`, async ({ request }) => {
      requests.push(await request.text());
      return HttpResponse.json({ model_name: 'llm', text_output: 'answer' });
    }),
    http.post(`${BASE_URL}/v2/models/llm/generate_stream`, async ({ request }) => {
      requests.push(await request.text());
      return new HttpResponse('data: {"model_name":"llm","text_output":"answer"}\n\n', {
        headers: { 'content-type': 'text/event-stream' },
      });
    }),
  );
  const model = createOpenInference({ baseURL: BASE_URL, maxRetries: 0 }).textGeneration('llm');
  return { model, requests };
}

async function refusal(promise: Promise<unknown>): Promise<UnsupportedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsupportedError);
  return error as UnsupportedError;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}

const weatherTool = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('OIP v2 generate: what text_input cannot carry', () => {
  it('declares no tools, no json schema and no images in its capabilities', () => {
    const { capabilities } = generateModel().model;
    expect(capabilities).toMatchObject({ tools: false, jsonSchema: false, images: false });
  });

  it('refuses tools with UnsupportedError naming tools, sending no request', async () => {
    const { model, requests } = generateModel();
    const error = await refusal(model.run({ prompt: 'Weather in Paris?', tools: [weatherTool] }));
    expect(error.param).toBe('tools');
    expect(error.message).toMatch(/tools/);
    expect(requests).toHaveLength(0);
  });

  it('refuses tools in a stream before the generate_stream request', async () => {
    const { model, requests } = generateModel();
    const input: TextGenerationInput = { prompt: 'Weather?', tools: [weatherTool], toolChoice: 'required' };
    const error = await refusal(drain(model.stream(input)));
    expect(error.param).toBe('tools');
    expect(requests).toHaveLength(0);
  });

  it('refuses a json responseFormat with a schema, naming responseFormat, sending no request', async () => {
    const { model, requests } = generateModel();
    const error = await refusal(
      model.run({
        prompt: 'A city?',
        responseFormat: { type: 'json', schema: z.object({ city: z.string() }) },
      }),
    );
    expect(error.param).toBe('responseFormat');
    expect(requests).toHaveLength(0);
  });

  it('refuses a json responseFormat without a schema too', async () => {
    const { model, requests } = generateModel();
    const error = await refusal(model.run({ prompt: 'A city?', responseFormat: { type: 'json' } }));
    expect(error.param).toBe('responseFormat');
    expect(requests).toHaveLength(0);
  });

  it('refuses an image part, naming its place in the message, sending no request', async () => {
    const { model, requests } = generateModel();
    const error = await refusal(
      model.run({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', image: new URL('https://example.com/cat.png') },
            ],
          },
        ],
      }),
    );
    expect(error.param).toBe('messages[0].content[1]');
    expect(error.message).toMatch(/images/);
    expect(requests).toHaveLength(0);
  });

  it('sends text parts of a user turn as one text_input, a line per part', async () => {
    const { model, requests } = generateModel();
    await model.run({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello' },
            { type: 'text', text: 'world' },
          ],
        },
      ],
    });
    expect(requests.map((body) => JSON.parse(body).text_input)).toEqual(['Hello\nworld']);
  });

  it('still sends a responseFormat of type text as a plain prompt', async () => {
    const { model, requests } = generateModel();
    const output = await model.run({ prompt: 'Hi', responseFormat: { type: 'text' } });
    expect(output.text).toBe('answer');
    expect(JSON.parse(requests[0]!)).toEqual({ text_input: 'Hi' });
  });
});
