// The inputs the suite brings itself: invalid inputs per built-in task, and the default tool, json
// and image calls for text generation (a model's own can replace the first two).

/** The tool of the default tool call: JSON Schema parameters, one required string. */
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The current weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', description: 'The city, e.g. "Paris"' } },
    required: ['city'],
    additionalProperties: false,
  },
};

export const DEFAULT_TOOL_INPUT = {
  messages: [{ role: 'user', content: 'What is the weather in Paris right now?' }],
  tools: [WEATHER_TOOL],
  toolChoice: { tool: WEATHER_TOOL.name },
  temperature: 0,
};

export const DEFAULT_JSON_INPUT = {
  messages: [{ role: 'user', content: 'Name a city and the country it is in.' }],
  responseFormat: {
    type: 'json',
    name: 'city',
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, country: { type: 'string' } },
      required: ['city', 'country'],
      additionalProperties: false,
    },
  },
  temperature: 0,
};

/** A user turn with an image part, for models whose capabilities say `images: false`. */
export const IMAGE_INPUT = {
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture?' },
        { type: 'image', image: 'https://example.com/cat.png' },
      ],
    },
  ],
  temperature: 0,
};

/** Inputs each built-in task's schema rejects, by task name. */
export const INVALID_INPUTS: Record<string, readonly unknown[]> = {
  'text-generation': [
    {},
    { prompt: 42 },
    { messages: [] },
    { messages: [{ role: 'bot', content: 'x' }] },
    { prompt: 'x', maxTokens: -1 },
  ],
  embedding: [{}, { texts: [] }, { texts: 'not an array' }, { texts: [1, 2] }],
  classification: [{}, { text: 7 }, { rows: [] }, { rows: [['a']] }],
  tensor: [
    {},
    { inputs: { x: { dtype: 'float32', shape: [2], data: [1, 2] } } },
    { inputs: { x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } } },
  ],
  'image-classification': [
    {},
    { image: [] },
    { image: 'file:///etc/passwd' },
    { image: { data: new Uint8Array(5), width: 2, height: 2, channels: 3 } },
    { image: 'https://example.com/cat.png', topK: 0 },
  ],
  'object-detection': [
    {},
    { image: 42 },
    { image: { data: new Uint8Array(4), width: 2, height: 2, channels: 2 } },
    { image: 'https://example.com/street.png', threshold: 1.5 },
  ],
  'speech-to-text': [
    {},
    { audio: 'not a url' },
    { audio: { pcm: [0, 0.1], sampleRate: 16000 } },
    { audio: { pcm: new Float32Array(16), sampleRate: 0 } },
    { audio: new Uint8Array(8), language: 'English' },
  ],
  'text-to-speech': [{}, { text: '' }, { text: 'hi', format: 'ogg' }, { text: 'hi', speed: 10 }],
};
