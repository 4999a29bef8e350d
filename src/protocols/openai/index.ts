/**
 * The OpenAI wire format: chat completions (text generation, streamed), completions and
 * responses (server), embeddings, audio (transcriptions, translations, speech), model listing and
 * error bodies, both directions.
 */
import type { Protocol } from '../types.ts';
import { speech, transcriptions } from './audio.ts';
import { chatCompletions } from './chat.ts';
import { embeddings } from './embeddings.ts';

export * from './audio.ts';
export * from './chat.ts';
export * from './completions.ts';
export * from './embeddings.ts';
export * from './errors.ts';
export * from './models.ts';
export * from './responses.ts';
export * from './schemas.ts';

/** The tasks OpenAI's API carries, each with its mapping (adding a task adds a row). */
export const openaiProtocol = {
  name: 'openai',
  tasks: {
    'text-generation': chatCompletions,
    embedding: embeddings,
    'speech-to-text': transcriptions,
    'text-to-speech': speech,
  },
} as const satisfies Protocol;
