// Reading numbers out of config.json / generation_config.json, whose fields vary by architecture and
// transformers version (an int or a list of ints, one of several names).

/** Ids from a config value that is an int or a list of ints (generation_config eos_token_id is either). */
export function idsOf(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

/** The first finite number among `values` (a field under its several names), else undefined. */
export function numberOf(...values: unknown[]): number | undefined {
  for (const value of values) if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}
