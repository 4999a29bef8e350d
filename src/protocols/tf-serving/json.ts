/**
 * TF Serving writes float NaN and infinities as the bare tokens `NaN`, `Infinity` and `-Infinity`
 * (https://www.tensorflow.org/tfx/serving/api_rest#json_conformance), which JSON.parse rejects.
 */

// A marker no JSON text sends by accident: a NUL character (always escaped in JSON) and a tag.
const MARKER = '\u0000mlkit:';
const VALUES: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/**
 * `text` with every bare NaN / Infinity / -Infinity outside strings replaced by a marker string,
 * or undefined when it has none. String contents are skipped character by character (escapes
 * included), so a string that says "NaN" is left as it is.
 */
function markNonFinite(text: string): string | undefined {
  const parts: string[] = [];
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (char !== 'N' && char !== 'I' && char !== '-') continue;
    const token = text.startsWith('NaN', i)
      ? 'NaN'
      : text.startsWith('Infinity', i)
        ? 'Infinity'
        : text.startsWith('-Infinity', i)
          ? '-Infinity'
          : undefined;
    if (!token) continue;
    parts.push(text.slice(copiedTo, i), JSON.stringify(MARKER + token));
    i += token.length - 1;
    copiedTo = i + 1;
  }
  if (parts.length === 0) return undefined;
  parts.push(text.slice(copiedTo));
  return parts.join('');
}

/** JSON.parse that also reads TF Serving's bare `NaN`, `Infinity` and `-Infinity` as numbers. */
export function parseTfServingJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const marked = markNonFinite(text);
    if (marked === undefined) throw error;
    return JSON.parse(marked, (_key, value) =>
      typeof value === 'string' && value.startsWith(MARKER) ? VALUES[value.slice(MARKER.length)] : value,
    );
  }
}

/** JSON.stringify that writes non-finite numbers as TF Serving's bare tokens (for its server half and test fakes). */
export function stringifyTfServingJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, item) =>
    typeof item === 'number' && !Number.isFinite(item) ? MARKER + String(item) : item,
  );
  return text.replace(/"\\u0000mlkit:(NaN|Infinity|-Infinity)"/g, '$1');
}
