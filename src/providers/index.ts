/** The providers `createModel()` knows without `registerProvider()`: the ones core ships. */

import { oipScheme } from './oip/schemes.ts';
import { openaiCompatibleScheme, openaiScheme } from './openai-compatible/schemes.ts';
import { predictScheme } from './predict/schemes.ts';
import { tfServingScheme } from './tf-serving/schemes.ts';
import type { ModelProvider } from './types.ts';

export const builtinProviders: readonly ModelProvider[] = [
  openaiScheme,
  openaiCompatibleScheme,
  predictScheme,
  tfServingScheme,
  oipScheme,
];
