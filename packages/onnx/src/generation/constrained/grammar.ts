/** The grammars constrained decoding follows, and their compilation into automaton parts. */
import type { JsonSchema } from '@mlkit/core';
import type { GrammarNode } from './automaton.ts';
import { byteTrie, utf8 } from './byte-trie.ts';
import { compileSchema } from './json-schema.ts';

/**
 * What the generated text must be: a JSON document (matching `schema`; no schema: any JSON object),
 * an exact text, parts one after another, or one of several grammars.
 *
 * @example
 * { type: 'sequence', items: [{ type: 'literal', text: '<tool_call>\n' }, { type: 'json', schema }, { type: 'literal', text: '\n</tool_call>' }] }
 */
export type Grammar =
  | { type: 'json'; schema?: JsonSchema | boolean }
  | { type: 'literal'; text: string }
  | { type: 'sequence'; items: Grammar[] }
  | { type: 'choice'; options: Grammar[] };

/** Compile a grammar's parts (JSON schemas into value nodes). Throws UnsupportedSchemaError for keywords it cannot enforce. */
export function grammarNode(grammar: Grammar): GrammarNode {
  let nextId = 0;
  const build = (g: Grammar): GrammarNode => {
    const id = nextId++;
    switch (g.type) {
      case 'json': {
        const { root } = compileSchema(g.schema === undefined ? { type: 'object' } : g.schema);
        return { kind: 'value', id, minBytes: root.minBytes, node: root };
      }
      case 'literal':
        return { kind: 'literal', id, minBytes: utf8(g.text).length, trie: byteTrie([utf8(g.text)]) };
      case 'sequence': {
        const items = g.items.map(build);
        const rest = items.map((_, i) => items.slice(i + 1).reduce((sum, item) => sum + item.minBytes, 0));
        const minBytes = items.reduce((sum, item) => sum + item.minBytes, 0);
        return { kind: 'sequence', id, minBytes, items, rest };
      }
      case 'choice': {
        if (g.options.length === 0)
          throw new Error('constrained decoding: a choice grammar needs at least one option');
        const options = g.options.map(build);
        return { kind: 'choice', id, minBytes: Math.min(...options.map((o) => o.minBytes)), options };
      }
      default:
        throw new Error(
          `constrained decoding: unknown grammar type ${JSON.stringify((g as { type?: unknown }).type)}`,
        );
    }
  };
  return build(grammar);
}
