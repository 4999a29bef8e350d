/** The providers `createModel()` knows without `registerProvider()`: the ones core ships. */
import type { ModelProvider } from '../registry.ts';
import { openaiCompatibleScheme, openaiScheme } from './openai-compatible/schemes.ts';

export const builtinProviders: readonly ModelProvider[] = [openaiScheme, openaiCompatibleScheme];
