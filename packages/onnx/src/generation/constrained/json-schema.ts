/**
 * JSON Schema -> the value nodes the byte automaton walks. Only keywords that decoding can enforce
 * are read; a keyword that constrains values in a way the automaton cannot follow (pattern, format,
 * not, if/then, ...) is refused with an {@link UnsupportedSchemaError} naming it and where it is, so
 * a schema is never silently loosened.
 */
import { type ByteTrieNode, byteTrie, utf8 } from './byte-trie.ts';
import { numberMinBytes } from './numbers.ts';

/** A schema keyword decoding cannot enforce, with its JSON pointer (`#/properties/code/pattern`). */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
  /** The refused keyword (`pattern`, `format`, ...). */
  readonly keyword: string;
  /** Where in the schema, as a JSON pointer. */
  readonly path: string;
  constructor(keyword: string, path: string, message: string) {
    super(message);
    this.keyword = keyword;
    this.path = path;
  }
}

/** One property of an object node, in schema order. */
export interface PropertyNode {
  readonly name: string;
  readonly node: SchemaNode;
  readonly required: boolean;
  /** The name as JSON after its opening quote: escaped text and the closing `"`. */
  readonly keyTail: Uint8Array;
}

interface NodeBase {
  readonly id: number;
  /** Fewest bytes of a value of this node (Infinity: none exists). */
  minBytes: number;
}

export interface ObjectNode extends NodeBase {
  readonly kind: 'object';
  readonly props: PropertyNode[];
  /** Schema of keys other than `props`; null when they are not allowed. */
  readonly additional: SchemaNode | null;
  /** Every declared name (also those with schema `false`): extra keys must differ from them. */
  readonly names: string[];
}
export interface ArrayNode extends NodeBase {
  readonly kind: 'array';
  readonly prefix: SchemaNode[];
  /** Schema of items after `prefix`; null when there may be none. */
  readonly items: SchemaNode | null;
  readonly minItems: number;
  readonly maxItems: number;
}
export interface StringNode extends NodeBase {
  readonly kind: 'string';
  readonly minLength: number;
  readonly maxLength: number;
}
export interface NumberNode extends NodeBase {
  readonly kind: 'number';
  readonly integer: boolean;
  readonly minimum: number;
  readonly maximum: number;
  readonly exclusiveMinimum: boolean;
  readonly exclusiveMaximum: boolean;
}
export interface LiteralsNode extends NodeBase {
  readonly kind: 'literals';
  /** Trie of the values' JSON texts. */
  readonly trie: ByteTrieNode;
}
export interface UnionNode extends NodeBase {
  readonly kind: 'union';
  options: SchemaNode[];
}
export type SchemaNode = ObjectNode | ArrayNode | StringNode | NumberNode | LiteralsNode | UnionNode;

const ANNOTATIONS = new Set([
  'title',
  'description',
  'default',
  'examples',
  'example',
  '$comment',
  '$schema',
  '$id',
  '$anchor',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentEncoding',
  'contentMediaType',
  'discriminator',
  '$defs',
  'definitions',
  'strict',
  // OpenAPI 3.0's nullable is no JSON Schema keyword: validators (zod's too) ignore it, so decoding does.
  'nullable',
]);

const REFUSED = new Set([
  'pattern',
  'format',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'dependencies',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contains',
  'minContains',
  'maxContains',
  'multipleOf',
  'minProperties',
  'maxProperties',
  '$dynamicRef',
  '$recursiveRef',
  'contentSchema',
]);

const TYPE_KEYWORDS: Record<string, readonly string[]> = {
  object: ['properties', 'required', 'additionalProperties'],
  array: ['items', 'prefixItems', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems'],
  string: ['minLength', 'maxLength'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
};
const ALL_TYPES = ['object', 'array', 'string', 'number', 'boolean', 'null'] as const;

type Json = Record<string, unknown>;

/** The nodes of a schema: `root`, and every node (for the fixpoint of `minBytes`). */
export interface CompiledSchema {
  readonly root: SchemaNode;
  readonly nodes: readonly SchemaNode[];
}

/**
 * Compile a JSON Schema (no schema, `{}` or `true`: any JSON value) into value nodes.
 * Throws {@link UnsupportedSchemaError} for keywords decoding cannot enforce and for schemas no value satisfies.
 */
export function compileSchema(schema: unknown): CompiledSchema {
  return new SchemaCompiler(schema).compile();
}

class SchemaCompiler {
  readonly nodes: SchemaNode[] = [];
  readonly #memo = new Map<unknown, SchemaNode>();
  #any: SchemaNode | undefined;

  readonly rootSchema: unknown;

  constructor(rootSchema: unknown) {
    this.rootSchema = rootSchema;
  }

  compile(): CompiledSchema {
    const root = this.node(this.rootSchema, '#');
    checkNoEmptyLoops(this.nodes);
    fillMinBytes(this.nodes);
    if (root.minBytes === Number.POSITIVE_INFINITY) {
      throw new UnsupportedSchemaError('(schema)', '#', 'no JSON value satisfies this schema');
    }
    return { root, nodes: this.nodes };
  }

  #add<T extends SchemaNode>(node: Omit<T, 'id' | 'minBytes'>): T {
    const out = { ...node, id: this.nodes.length, minBytes: Number.POSITIVE_INFINITY } as T;
    this.nodes.push(out);
    return out;
  }

  any(): SchemaNode {
    if (this.#any) return this.#any;
    const any = this.#add<UnionNode>({ kind: 'union', options: [] });
    this.#any = any;
    any.options = [
      this.#add<ObjectNode>({ kind: 'object', props: [], additional: any, names: [] }),
      this.#add<ArrayNode>({ kind: 'array', prefix: [], items: any, minItems: 0, maxItems: Infinity }),
      this.#add<StringNode>({ kind: 'string', minLength: 0, maxLength: Infinity }),
      this.#number(false, {}, '#'),
      this.#literals([true, false, null]),
    ];
    return any;
  }

  node(schema: unknown, path: string): SchemaNode {
    if (schema === undefined || schema === true) return this.any();
    if (schema === false)
      throw new UnsupportedSchemaError(
        'false',
        path,
        `the schema at ${path} is false: no value satisfies it`,
      );
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new UnsupportedSchemaError(
        '(schema)',
        path,
        `the schema at ${path} must be an object or a boolean`,
      );
    }
    const memo = this.#memo.get(schema);
    if (memo) return memo;
    const s = schema as Json;
    for (const key of Object.keys(s)) {
      if (REFUSED.has(key) && !(key === 'uniqueItems' && s[key] !== true)) {
        throw new UnsupportedSchemaError(
          key,
          `${path}/${key}`,
          `JSON Schema keyword "${key}" at ${path}/${key} cannot be enforced while decoding; remove it from the schema`,
        );
      }
    }
    if (s.uniqueItems === true) {
      throw new UnsupportedSchemaError(
        'uniqueItems',
        `${path}/uniqueItems`,
        `JSON Schema keyword "uniqueItems" at ${path}/uniqueItems cannot be enforced while decoding; remove it from the schema`,
      );
    }
    const constraints = Object.keys(s).filter((key) => !ANNOTATIONS.has(key) && !key.startsWith('x-'));
    const alone = (keyword: string) => {
      const others = constraints.filter((key) => key !== keyword);
      if (others.length > 0) {
        throw new UnsupportedSchemaError(
          keyword,
          `${path}/${keyword}`,
          `"${keyword}" at ${path} beside ${others.map((key) => `"${key}"`).join(', ')} cannot be enforced while decoding; move those keywords into the "${keyword}" branches`,
        );
      }
    };
    if ('$ref' in s) {
      alone('$ref');
      const union = this.#add<UnionNode>({ kind: 'union', options: [] });
      this.#memo.set(schema, union);
      union.options = [this.node(this.#resolve(s.$ref, `${path}/$ref`), refPath(s.$ref))];
      return union;
    }
    if ('anyOf' in s || 'oneOf' in s) {
      const keyword = 'anyOf' in s ? 'anyOf' : 'oneOf';
      alone(keyword);
      const list = s[keyword];
      if (!Array.isArray(list) || list.length === 0) {
        throw new UnsupportedSchemaError(
          keyword,
          `${path}/${keyword}`,
          `"${keyword}" at ${path} must be a non-empty array of schemas`,
        );
      }
      const union = this.#add<UnionNode>({ kind: 'union', options: [] });
      this.#memo.set(schema, union);
      // oneOf is decoded as anyOf: a value matching two branches is not prevented (validation catches it).
      union.options = list.flatMap((option, index) =>
        option === false ? [] : [this.node(option, `${path}/${keyword}/${index}`)],
      );
      return union;
    }
    if ('allOf' in s) {
      alone('allOf');
      const list = s.allOf;
      if (!Array.isArray(list) || list.length !== 1) {
        throw new UnsupportedSchemaError(
          'allOf',
          `${path}/allOf`,
          `"allOf" at ${path} with more than one schema cannot be enforced while decoding; merge the schemas into one`,
        );
      }
      const union = this.#add<UnionNode>({ kind: 'union', options: [] });
      this.#memo.set(schema, union);
      union.options = [this.node(list[0], `${path}/allOf/0`)];
      return union;
    }
    const out = this.#typed(s, path);
    this.#memo.set(schema, out);
    return out;
  }

  #typed(s: Json, path: string): SchemaNode {
    let types: string[];
    if (typeof s.type === 'string') types = [s.type];
    else if (Array.isArray(s.type)) types = s.type.map(String);
    else if (s.type !== undefined)
      throw new UnsupportedSchemaError(
        'type',
        `${path}/type`,
        `"type" at ${path} must be a string or an array of strings`,
      );
    else {
      types = Object.entries(TYPE_KEYWORDS)
        .filter(([, keys]) => keys.some((key) => key in s))
        .map(([type]) => type);
      if (types.length === 0) types = [...ALL_TYPES];
    }
    for (const type of types) {
      if (type !== 'integer' && !(ALL_TYPES as readonly string[]).includes(type)) {
        throw new UnsupportedSchemaError(
          'type',
          `${path}/type`,
          `unknown JSON Schema type "${type}" at ${path}/type`,
        );
      }
    }
    if ('const' in s || 'enum' in s) {
      const values = 'const' in s ? [s.const] : s.enum;
      if (!Array.isArray(values))
        throw new UnsupportedSchemaError('enum', `${path}/enum`, `"enum" at ${path} must be an array`);
      const kept = values.filter((value) => types.some((type) => hasType(value, type)));
      if (kept.length === 0)
        throw new UnsupportedSchemaError(
          'enum',
          path,
          `no value of "enum"/"const" at ${path} has the schema's type`,
        );
      return this.#literals(kept);
    }
    const options: SchemaNode[] = [];
    const number = types.includes('number') ? 'number' : types.includes('integer') ? 'integer' : undefined;
    for (const type of types) {
      if (type === 'object') options.push(this.#object(s, path));
      else if (type === 'array') options.push(this.#array(s, path));
      else if (type === 'string') {
        options.push(
          this.#add<StringNode>({
            kind: 'string',
            minLength: count(s.minLength, 0, 'minLength', path),
            maxLength: count(s.maxLength, Infinity, 'maxLength', path),
          }),
        );
      } else if (type === number) options.push(this.#number(number === 'integer', s, path));
      else if (type === 'boolean') options.push(this.#literals([true, false]));
      else if (type === 'null') options.push(this.#literals([null]));
    }
    if (options.length === 1) return options[0]!;
    return this.#add<UnionNode>({ kind: 'union', options });
  }

  #object(s: Json, path: string): ObjectNode {
    const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
    const properties = (s.properties ?? {}) as Json;
    const props: PropertyNode[] = [];
    const names = Object.keys(properties);
    const node = this.#add<ObjectNode>({ kind: 'object', props, additional: null, names });
    for (const [name, sub] of Object.entries(properties)) {
      if (sub === false) {
        if (required.has(name)) {
          throw new UnsupportedSchemaError(
            'required',
            `${path}/required`,
            `property "${name}" at ${path} is required but its schema is false`,
          );
        }
        continue;
      }
      props.push(
        property(name, this.node(sub, `${path}/properties/${pointerToken(name)}`), required.has(name)),
      );
    }
    for (const name of required) {
      if (!(name in properties)) {
        props.push(property(name, this.any(), true));
        names.push(name);
      }
    }
    const additional = s.additionalProperties;
    (node as { additional: SchemaNode | null }).additional =
      additional === false ? null : this.node(additional, `${path}/additionalProperties`);
    return node;
  }

  #array(s: Json, path: string): ArrayNode {
    const tuple = Array.isArray(s.items);
    const prefixSchemas = (Array.isArray(s.prefixItems) ? s.prefixItems : tuple ? s.items : []) as unknown[];
    const rest = tuple ? s.additionalItems : s.items;
    const restPath = tuple ? `${path}/additionalItems` : `${path}/items`;
    const prefixPath = Array.isArray(s.prefixItems) ? 'prefixItems' : 'items';
    const prefix = prefixSchemas.map((sub, index) => this.node(sub, `${path}/${prefixPath}/${index}`));
    const items = rest === false ? null : this.node(rest, restPath);
    const minItems = count(s.minItems, 0, 'minItems', path);
    let maxItems = count(s.maxItems, Infinity, 'maxItems', path);
    if (!items) maxItems = Math.min(maxItems, prefix.length);
    if (minItems > maxItems) {
      throw new UnsupportedSchemaError(
        'minItems',
        `${path}/minItems`,
        `"minItems" at ${path} is more than the items the array may hold (${maxItems})`,
      );
    }
    return this.#add<ArrayNode>({ kind: 'array', prefix, items, minItems, maxItems });
  }

  #number(integer: boolean, s: Json, path: string): NumberNode {
    let minimum = bound(s.minimum, -Infinity, 'minimum', path);
    let maximum = bound(s.maximum, Infinity, 'maximum', path);
    let exclusiveMinimum = false;
    let exclusiveMaximum = false;
    // Draft 4 writes exclusiveMinimum: true beside minimum; later drafts give the bound itself.
    if (s.exclusiveMinimum === true) exclusiveMinimum = true;
    else if (s.exclusiveMinimum !== undefined && s.exclusiveMinimum !== false) {
      const value = bound(s.exclusiveMinimum, -Infinity, 'exclusiveMinimum', path);
      if (value >= minimum) {
        minimum = value;
        exclusiveMinimum = true;
      }
    }
    if (s.exclusiveMaximum === true) exclusiveMaximum = true;
    else if (s.exclusiveMaximum !== undefined && s.exclusiveMaximum !== false) {
      const value = bound(s.exclusiveMaximum, Infinity, 'exclusiveMaximum', path);
      if (value <= maximum) {
        maximum = value;
        exclusiveMaximum = true;
      }
    }
    if (integer) {
      minimum = exclusiveMinimum ? Math.floor(minimum) + 1 : Math.ceil(minimum);
      maximum = exclusiveMaximum ? Math.ceil(maximum) - 1 : Math.floor(maximum);
      exclusiveMinimum = exclusiveMaximum = false;
    }
    return this.#add<NumberNode>({
      kind: 'number',
      integer,
      minimum,
      maximum,
      exclusiveMinimum,
      exclusiveMaximum,
    });
  }

  #literals(values: readonly unknown[]): LiteralsNode {
    const texts = [...new Set(values.map((value) => JSON.stringify(value)))];
    return this.#add<LiteralsNode>({ kind: 'literals', trie: byteTrie(texts.map(utf8)) });
  }

  #resolve(ref: unknown, path: string): unknown {
    if (typeof ref !== 'string' || !ref.startsWith('#')) {
      throw new UnsupportedSchemaError(
        '$ref',
        path,
        `"$ref" at ${path} must be a local reference such as "#/$defs/Name" (got ${JSON.stringify(ref)})`,
      );
    }
    let target: unknown = this.rootSchema;
    const pointer = decodeURIComponent(ref.slice(1));
    if (pointer === '') return target;
    if (!pointer.startsWith('/')) {
      throw new UnsupportedSchemaError(
        '$ref',
        path,
        `"$ref" at ${path}: anchors are not supported, use a JSON pointer such as "#/$defs/Name" (got ${JSON.stringify(ref)})`,
      );
    }
    for (const token of pointer.slice(1).split('/')) {
      const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
      target = target && typeof target === 'object' ? (target as Json)[key] : undefined;
      if (target === undefined)
        throw new UnsupportedSchemaError('$ref', path, `"$ref" at ${path} points at nothing: ${ref}`);
    }
    return target;
  }
}

function property(name: string, node: SchemaNode, required: boolean): PropertyNode {
  return { name, node, required, keyTail: utf8(JSON.stringify(name).slice(1)) };
}

function hasType(value: unknown, type: string): boolean {
  if (type === 'null') return value === null;
  if (type === 'array') return Array.isArray(value);
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'integer') return Number.isInteger(value);
  return typeof value === type;
}

function count(value: unknown, fallback: number, keyword: string, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UnsupportedSchemaError(
      keyword,
      `${path}/${keyword}`,
      `"${keyword}" at ${path} must be a non-negative integer`,
    );
  }
  return value;
}

function bound(value: unknown, fallback: number, keyword: string, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UnsupportedSchemaError(
      keyword,
      `${path}/${keyword}`,
      `"${keyword}" at ${path} must be a number`,
    );
  }
  return value;
}

function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function refPath(ref: unknown): string {
  return String(ref);
}

/** A union that reaches itself through unions only would never consume a byte: refuse it. */
function checkNoEmptyLoops(nodes: readonly SchemaNode[]): void {
  const state = new Map<SchemaNode, 1 | 2>();
  const visit = (node: SchemaNode): void => {
    if (node.kind !== 'union') return;
    const seen = state.get(node);
    if (seen === 2) return;
    if (seen === 1)
      throw new UnsupportedSchemaError(
        '$ref',
        '#',
        'the schema refers to itself without nesting (a $ref/anyOf loop that never writes anything)',
      );
    state.set(node, 1);
    for (const option of node.options) visit(option);
    state.set(node, 2);
  };
  for (const node of nodes) visit(node);
}

/** Least bytes to finish an object from key position `i` (`comma`: a `,` must come before the next key), `}` included. */
export function objectRest(node: ObjectNode, i: number, comma: boolean): number {
  let bytes = 0;
  let count = 0;
  for (let k = i; k < node.props.length; k++) {
    const prop = node.props[k]!;
    if (!prop.required) continue;
    bytes += 1 + prop.keyTail.length + 1 + prop.node.minBytes;
    count++;
  }
  if (count === 0) return 1;
  return bytes + count - 1 + (comma ? 1 : 0) + 1;
}

/** The item node at `index` of an array (null: no item may stand there). */
export function itemAt(node: ArrayNode, index: number): SchemaNode | null {
  return index < node.prefix.length ? node.prefix[index]! : node.items;
}

/** Least bytes to finish an array after `count` items, `]` included. */
export function arrayRest(node: ArrayNode, count: number): number {
  if (count >= node.minItems) return 1;
  let bytes = 1;
  for (let k = count; k < node.minItems; k++) bytes += 1 + (itemAt(node, k)?.minBytes ?? Infinity);
  return bytes;
}

function minBytesOf(node: SchemaNode): number {
  switch (node.kind) {
    case 'object':
      return 1 + objectRest(node, 0, false);
    case 'array': {
      if (node.minItems === 0) return 2;
      let bytes = 1 + node.minItems - 1 + 1;
      for (let k = 0; k < node.minItems; k++) bytes += itemAt(node, k)?.minBytes ?? Infinity;
      return bytes;
    }
    case 'string':
      return node.minLength > node.maxLength ? Infinity : 2 + node.minLength;
    case 'number':
      return numberMinBytes(node);
    case 'literals':
      return node.trie.minDepth;
    case 'union':
      return Math.min(...node.options.map((option) => option.minBytes));
  }
}

/** `minBytes` of every node: a fixpoint, since recursive schemas refer to themselves. */
function fillMinBytes(nodes: readonly SchemaNode[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodes) {
      const bytes = minBytesOf(node);
      if (bytes < node.minBytes) {
        node.minBytes = bytes;
        changed = true;
      }
    }
  }
}
