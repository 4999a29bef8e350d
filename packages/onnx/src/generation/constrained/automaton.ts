/**
 * The byte-level pushdown automaton of a grammar. A configuration is a stack of frames (the value being
 * written on top, the containers it sits in below), interned so equal stacks are one object; a step
 * maps a configuration and a byte to the configurations that can follow (several where anyOf branches
 * or a number's end are still open). Every configuration knows the fewest bytes that complete the
 * document from it (`cost`), which is what lets the matcher keep generation inside a token budget.
 */
import { type ByteTrieNode, byteTrie } from './byte-trie.ts';
import {
  type ArrayNode,
  arrayRest,
  itemAt,
  type NumberNode,
  type ObjectNode,
  objectRest,
  type SchemaNode,
  type StringNode,
} from './json-schema.ts';
import {
  NUMBER_START,
  type NumberPosition,
  numberEndable,
  numberKey,
  numberMinBytes,
  numberStep,
} from './numbers.ts';
import { CHARACTER_DONE, pendingBytes, STRING_PLAIN, stringByte } from './strings.ts';

/** A grammar with its parts compiled: JSON values as schema nodes, literal texts as tries. */
export type GrammarNode =
  | { readonly kind: 'value'; readonly id: number; readonly minBytes: number; readonly node: SchemaNode }
  | { readonly kind: 'literal'; readonly id: number; readonly minBytes: number; readonly trie: ByteTrieNode }
  | {
      readonly kind: 'sequence';
      readonly id: number;
      readonly minBytes: number;
      readonly items: GrammarNode[];
      /** Least bytes of the items after each index. */
      readonly rest: number[];
    }
  | {
      readonly kind: 'choice';
      readonly id: number;
      readonly minBytes: number;
      readonly options: GrammarNode[];
    };
type SequenceGrammar = Extract<GrammarNode, { kind: 'sequence' }>;

const OPEN = 0;
const AFTER_COMMA = 1;
const AFTER_VALUE = 2;
const COLON = 3;
const VALUE = 4;

type Frame =
  /** Before a value (`ws` whitespace bytes of this gap already written). */
  | { t: 'V'; key: string; node: SchemaNode; ws: number }
  /** In an object: `at` is the next property index, or for COLON/VALUE the property written (-1: an extra key). */
  | { t: 'O'; key: string; node: ObjectNode; phase: number; at: number; ws: number }
  /** In a declared property name (after its opening quote). */
  | { t: 'K'; key: string; node: ObjectNode; trie: ByteTrieNode }
  /** In an extra property name; `shadow` follows the declared names it still equals. */
  | { t: 'X'; key: string; node: ObjectNode; sub: number; shadow: ByteTrieNode | null }
  | { t: 'A'; key: string; node: ArrayNode; phase: number; count: number; ws: number }
  | { t: 'S'; key: string; node: StringNode; count: number; sub: number }
  | { t: 'N'; key: string; node: NumberNode; position: NumberPosition }
  /** In a fixed text; `grammar`: a literal part of the grammar (not a JSON value). */
  | { t: 'L'; key: string; trie: ByteTrieNode; grammar: boolean }
  | { t: 'Q'; key: string; grammar: SequenceGrammar; index: number }
  | { t: 'R'; key: string }
  | { t: 'E'; key: string };

/** An interned stack of frames. */
export interface Config {
  readonly id: number;
  readonly frame: Frame;
  readonly parent: Config | null;
  /** Fewest bytes that complete the document from here. */
  readonly cost: number;
  /** As a parent: the bytes its frame and those below still need once the child is done. */
  readonly chain: number;
  /** Memo of `isComplete`. */
  complete?: boolean;
}

interface ObjectTables {
  keyTries: (ByteTrieNode | null | undefined)[];
  keyCosts: Map<ByteTrieNode, number>;
  names: ByteTrieNode;
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
const QUOTE = 0x22;

/** The automaton of one compiled grammar. */
export class Automaton {
  readonly #configs = new Map<string, Config | null>();
  readonly #objects = new Map<ObjectNode, ObjectTables>();
  readonly #maxWhitespace: number;
  readonly #root: GrammarNode;
  #nextId = 0;
  readonly #end: Config;

  constructor(root: GrammarNode, maxWhitespace: number) {
    this.#root = root;
    this.#maxWhitespace = maxWhitespace;
    this.#end = this.#config({ t: 'E', key: 'E' }, null)!;
  }

  /** Configurations interned so far (the matcher drops its caches past a limit). */
  get size(): number {
    return this.#configs.size;
  }

  /** Forget interned configurations (live ones keep working; new ones are built afresh). */
  clear(): void {
    this.#configs.clear();
    this.#configs.set(this.#end.frame.key, this.#end);
  }

  /** The configurations before the first byte. */
  initial(): Config[] {
    const out: Config[] = [];
    const root = this.#config({ t: 'R', key: 'R' }, null);
    if (root) this.#start(this.#root, root, out);
    return out;
  }

  /** Append to `out` the configurations after `byte`. */
  step(config: Config, byte: number, out: Config[]): void {
    const frame = config.frame;
    const parent = config.parent;
    const maxWs = this.#maxWhitespace;
    switch (frame.t) {
      case 'V':
        if (isSpace(byte)) {
          if (frame.ws < maxWs)
            this.#push(out, { t: 'V', key: '', node: frame.node, ws: frame.ws + 1 }, parent);
          return;
        }
        this.#startValue(frame.node, byte, parent, out);
        return;
      case 'O':
        this.#objectStep(frame, byte, parent, out);
        return;
      case 'K': {
        const child = frame.trie.children.get(byte);
        if (!child) return;
        if (child.terminal) this.#push(out, objectFrame(frame.node, COLON, child.value, 0), parent);
        else this.#push(out, { t: 'K', key: '', node: frame.node, trie: child }, parent);
        return;
      }
      case 'X': {
        if (frame.sub === STRING_PLAIN && byte === QUOTE) {
          // The name would equal a declared one: it must differ.
          if (frame.shadow?.children.has(QUOTE)) return;
          this.#push(out, objectFrame(frame.node, COLON, -1, 0), parent);
          return;
        }
        if (frame.sub === STRING_PLAIN && byte === 0x5c) return; // no escapes in extra names (see X's cost)
        const next = stringByte(frame.sub, byte, true);
        if (next < 0) return;
        const shadow = frame.shadow?.children.get(byte) ?? null;
        this.#push(out, { t: 'X', key: '', node: frame.node, sub: next & 0xff, shadow }, parent);
        return;
      }
      case 'A':
        this.#arrayStep(frame, byte, parent, out);
        return;
      case 'S': {
        const { node, count, sub } = frame;
        if (sub === STRING_PLAIN) {
          if (byte === QUOTE) {
            if (count >= node.minLength) this.#afterChild(parent!, out);
            return;
          }
          if (count >= node.maxLength) return;
        }
        const bounded = node.minLength > 0 || node.maxLength < Infinity;
        const next = stringByte(sub, byte, !bounded);
        if (next < 0) return;
        const done = next & CHARACTER_DONE ? 1 : 0;
        const cap = node.maxLength < Infinity ? node.maxLength : node.minLength;
        this.#push(
          out,
          { t: 'S', key: '', node, count: Math.min(count + done, cap), sub: next & 0xff },
          parent,
        );
        return;
      }
      case 'N': {
        const position = numberStep(frame.node, frame.position, byte);
        if (position) this.#push(out, { t: 'N', key: '', node: frame.node, position }, parent);
        if (numberEndable(frame.node, frame.position)) this.#stepAfterChild(parent!, byte, out);
        return;
      }
      case 'L': {
        const child = frame.trie.children.get(byte);
        if (child) this.#enterLiteral(child, frame.grammar, parent, out);
        if (frame.trie.terminal) this.#stepAfterChild(parent!, byte, out);
        return;
      }
      default:
        return;
    }
  }

  /** The document may end here: nothing but optional bytes stand between this configuration and the end. */
  isComplete(config: Config): boolean {
    if (config.complete !== undefined) return config.complete;
    const frame = config.frame;
    let complete = false;
    if (frame.t === 'E') complete = true;
    else if (
      (frame.t === 'L' && frame.trie.terminal) ||
      (frame.t === 'N' && numberEndable(frame.node, frame.position))
    ) {
      const next: Config[] = [];
      this.#afterChild(config.parent!, next);
      complete = next.some((c) => this.isComplete(c));
    }
    config.complete = complete;
    return complete;
  }

  /** The top of the stack is a literal part of the grammar (where added tokens such as `<tool_call>` may be used). */
  inGrammarLiteral(config: Config): boolean {
    return config.frame.t === 'L' && config.frame.grammar;
  }

  #stepAfterChild(parent: Config, byte: number, out: Config[]): void {
    const next: Config[] = [];
    this.#afterChild(parent, next);
    for (const config of next) this.step(config, byte, out);
  }

  #startValue(node: SchemaNode, byte: number, parent: Config | null, out: Config[]): void {
    switch (node.kind) {
      case 'union':
        for (const option of node.options) this.#startValue(option, byte, parent, out);
        return;
      case 'object':
        if (byte === 0x7b) this.#push(out, objectFrame(node, OPEN, 0, 0), parent);
        return;
      case 'array':
        if (byte === 0x5b) this.#push(out, arrayFrame(node, OPEN, 0, 0), parent);
        return;
      case 'string':
        if (byte === QUOTE) this.#push(out, { t: 'S', key: '', node, count: 0, sub: STRING_PLAIN }, parent);
        return;
      case 'number': {
        const position = numberStep(node, NUMBER_START, byte);
        if (position) this.#push(out, { t: 'N', key: '', node, position }, parent);
        return;
      }
      case 'literals': {
        const child = node.trie.children.get(byte);
        if (child) this.#enterLiteral(child, false, parent, out);
        return;
      }
    }
  }

  #enterLiteral(trie: ByteTrieNode, grammar: boolean, parent: Config | null, out: Config[]): void {
    if (trie.terminal && trie.children.size === 0) this.#afterChild(parent!, out);
    else this.#push(out, { t: 'L', key: '', trie, grammar }, parent);
  }

  #objectStep(frame: Extract<Frame, { t: 'O' }>, byte: number, parent: Config | null, out: Config[]): void {
    const { node, phase, at } = frame;
    if (phase === VALUE) return;
    if (isSpace(byte)) {
      if (frame.ws < this.#maxWhitespace) this.#push(out, objectFrame(node, phase, at, frame.ws + 1), parent);
      return;
    }
    switch (phase) {
      case OPEN:
      case AFTER_VALUE:
        if (byte === 0x7d && !requiredFrom(node, at)) this.#afterChild(parent!, out);
        else if (phase === OPEN && byte === QUOTE) this.#keyStart(node, at, parent, out);
        else if (phase === AFTER_VALUE && byte === 0x2c && this.#moreKeys(node, at)) {
          this.#push(out, objectFrame(node, AFTER_COMMA, at, 0), parent);
        }
        return;
      case AFTER_COMMA:
        if (byte === QUOTE) this.#keyStart(node, at, parent, out);
        return;
      case COLON: {
        if (byte !== 0x3a) return;
        const valueParent = this.#config(objectFrame(node, VALUE, at, 0), parent);
        const value = at < 0 ? node.additional! : node.props[at]!.node;
        if (valueParent) this.#push(out, { t: 'V', key: '', node: value, ws: 0 }, valueParent);
        return;
      }
    }
  }

  #keyStart(node: ObjectNode, at: number, parent: Config | null, out: Config[]): void {
    const trie = this.#keyTrie(node, at);
    if (trie) this.#push(out, { t: 'K', key: '', node, trie }, parent);
    if (extraAllowed(node, at)) {
      this.#push(out, { t: 'X', key: '', node, sub: STRING_PLAIN, shadow: this.#tables(node).names }, parent);
    }
  }

  #moreKeys(node: ObjectNode, at: number): boolean {
    return this.#keyTrie(node, at) !== null || extraAllowed(node, at);
  }

  #arrayStep(frame: Extract<Frame, { t: 'A' }>, byte: number, parent: Config | null, out: Config[]): void {
    const { node, phase, count } = frame;
    if (phase === VALUE) return;
    if (isSpace(byte)) {
      if (frame.ws < this.#maxWhitespace)
        this.#push(out, arrayFrame(node, phase, count, frame.ws + 1), parent);
      return;
    }
    if (phase === AFTER_VALUE) {
      if (byte === 0x2c && count < node.maxItems && itemAt(node, count)) {
        this.#push(out, arrayFrame(node, AFTER_COMMA, count, 0), parent);
      } else if (byte === 0x5d && count >= node.minItems) this.#afterChild(parent!, out);
      return;
    }
    if (phase === OPEN && byte === 0x5d) {
      if (node.minItems === 0) this.#afterChild(parent!, out);
      return;
    }
    const item = itemAt(node, count);
    if (!item || count >= node.maxItems) return;
    const itemParent = this.#config(arrayFrame(node, VALUE, count, 0), parent);
    if (itemParent) this.#startValue(item, byte, itemParent, out);
  }

  /** What follows once the child of `parent` is complete. */
  #afterChild(parent: Config, out: Config[]): void {
    const frame = parent.frame;
    switch (frame.t) {
      case 'O':
        this.#push(
          out,
          objectFrame(frame.node, AFTER_VALUE, frame.at < 0 ? frame.node.props.length : frame.at + 1, 0),
          parent.parent,
        );
        return;
      case 'A':
        this.#push(
          out,
          arrayFrame(frame.node, AFTER_VALUE, capCount(frame.node, frame.count + 1), 0),
          parent.parent,
        );
        return;
      case 'Q': {
        const { grammar, index } = frame;
        if (index + 1 < grammar.items.length) {
          const next = this.#config({ t: 'Q', key: '', grammar, index: index + 1 }, parent.parent);
          if (next) this.#start(grammar.items[index + 1]!, next, out);
        } else this.#afterChild(parent.parent!, out);
        return;
      }
      case 'R':
        out.push(this.#end);
        return;
      default:
        throw new Error(`constrained decoding: a ${frame.t} frame has no children (internal error)`);
    }
  }

  /** Configurations ready to write grammar part `grammar` under `parent`. */
  #start(grammar: GrammarNode, parent: Config, out: Config[]): void {
    switch (grammar.kind) {
      case 'value':
        this.#push(out, { t: 'V', key: '', node: grammar.node, ws: 0 }, parent);
        return;
      case 'literal':
        if (grammar.trie.terminal) this.#afterChild(parent, out);
        else this.#push(out, { t: 'L', key: '', trie: grammar.trie, grammar: true }, parent);
        return;
      case 'sequence': {
        if (grammar.items.length === 0) {
          this.#afterChild(parent, out);
          return;
        }
        const next = this.#config({ t: 'Q', key: '', grammar, index: 0 }, parent);
        if (next) this.#start(grammar.items[0]!, next, out);
        return;
      }
      case 'choice':
        for (const option of grammar.options) this.#start(option, parent, out);
        return;
    }
  }

  #push(out: Config[], frame: Frame, parent: Config | null): void {
    const config = this.#config(frame, parent);
    if (config) out.push(config);
  }

  /** The interned configuration of `frame` on `parent`; null when it cannot complete (infinite cost). */
  #config(frame: Frame, parent: Config | null): Config | null {
    if (frame.key === '') frame.key = frameKey(frame);
    const key = parent ? `${frame.key}|${parent.id}` : frame.key;
    const known = this.#configs.get(key);
    if (known !== undefined) return known;
    const below = parent ? parent.chain : 0;
    const chain = this.#continuation(frame) + below;
    const cost = isParentFrame(frame) ? chain : this.#cost(frame) + below;
    const config: Config | null =
      cost === Number.POSITIVE_INFINITY || Number.isNaN(cost)
        ? null
        : { id: this.#nextId++, frame, parent, cost, chain };
    this.#configs.set(key, config);
    return config;
  }

  /** Fewest bytes that finish the top frame itself. */
  #cost(frame: Frame): number {
    switch (frame.t) {
      case 'V':
        return frame.node.minBytes;
      case 'O': {
        const { node, phase, at } = frame;
        if (phase === OPEN) return objectRest(node, 0, false);
        if (phase === AFTER_VALUE) return objectRest(node, at, true);
        if (phase === COLON) {
          const value = at < 0 ? node.additional! : node.props[at]!.node;
          return 1 + value.minBytes + objectRest(node, at < 0 ? node.props.length : at + 1, true);
        }
        // AFTER_COMMA: a key must follow.
        let least = Number.POSITIVE_INFINITY;
        const trie = this.#keyTrie(node, at);
        if (trie) least = 1 + this.#keyCost(node, trie);
        if (extraAllowed(node, at))
          least = Math.min(least, 1 + this.#extraCost(node, STRING_PLAIN, this.#tables(node).names));
        return least;
      }
      case 'K':
        return this.#keyCost(frame.node, frame.trie);
      case 'X':
        return this.#extraCost(frame.node, frame.sub, frame.shadow);
      case 'A': {
        const { node, phase, count } = frame;
        if (phase === OPEN)
          return node.minItems === 0 ? 1 : (itemAt(node, 0)?.minBytes ?? Infinity) + arrayRest(node, 1);
        if (phase === AFTER_VALUE) return arrayRest(node, count);
        return (itemAt(node, count)?.minBytes ?? Infinity) + arrayRest(node, capCount(node, count + 1));
      }
      case 'S': {
        const { node, count, sub } = frame;
        const pending = pendingBytes(sub);
        return pending + Math.max(0, node.minLength - count - (pending > 0 ? 1 : 0)) + 1;
      }
      case 'N':
        return numberMinBytes(frame.node, frame.position);
      case 'L':
        return frame.trie.minDepth;
      case 'E':
        return 0;
      default:
        return 0;
    }
  }

  /** As a parent: bytes needed after the child is done. */
  #continuation(frame: Frame): number {
    switch (frame.t) {
      case 'O':
        return frame.phase === VALUE
          ? objectRest(frame.node, frame.at < 0 ? frame.node.props.length : frame.at + 1, true)
          : 0;
      case 'A':
        return frame.phase === VALUE ? arrayRest(frame.node, capCount(frame.node, frame.count + 1)) : 0;
      case 'Q':
        return frame.grammar.rest[frame.index]!;
      default:
        return 0;
    }
  }

  #extraCost(node: ObjectNode, sub: number, shadow: ByteTrieNode | null): number {
    // Closing now would repeat a declared name: one more character first.
    const close = sub === STRING_PLAIN && shadow?.children.has(QUOTE) ? 2 : 1;
    return (
      pendingBytes(sub) + close + 1 + node.additional!.minBytes + objectRest(node, node.props.length, true)
    );
  }

  #tables(node: ObjectNode): ObjectTables {
    let tables = this.#objects.get(node);
    if (!tables) {
      const names = byteTrie(
        node.names.map((name) => new TextEncoder().encode(JSON.stringify(name).slice(1))),
      );
      tables = { keyTries: [], keyCosts: new Map(), names };
      this.#objects.set(node, tables);
    }
    return tables;
  }

  /** Trie of the declared names that may come next at `at`: the optional ones up to and including the next required one. */
  #keyTrie(node: ObjectNode, at: number): ByteTrieNode | null {
    const tables = this.#tables(node);
    const known = tables.keyTries[at];
    if (known !== undefined) return known;
    const texts: Uint8Array[] = [];
    const indices: number[] = [];
    for (let k = at; k < node.props.length; k++) {
      const prop = node.props[k]!;
      texts.push(prop.keyTail);
      indices.push(k);
      if (prop.required) break;
    }
    const trie = texts.length > 0 ? byteTrie(texts, indices) : null;
    tables.keyTries[at] = trie;
    return trie;
  }

  /** Fewest bytes from a point in a key trie: the rest of a name, `:`, its value, and the object's rest. */
  #keyCost(node: ObjectNode, trie: ByteTrieNode): number {
    const costs = this.#tables(node).keyCosts;
    const known = costs.get(trie);
    if (known !== undefined) return known;
    let least = Number.POSITIVE_INFINITY;
    if (trie.terminal) {
      const at = trie.value;
      least = 1 + node.props[at]!.node.minBytes + objectRest(node, at + 1, true);
    }
    for (const child of trie.children.values()) least = Math.min(least, 1 + this.#keyCost(node, child));
    costs.set(trie, least);
    return least;
  }
}

function objectFrame(node: ObjectNode, phase: number, at: number, ws: number): Frame {
  return { t: 'O', key: '', node, phase, at, ws };
}

function arrayFrame(node: ArrayNode, phase: number, count: number, ws: number): Frame {
  return { t: 'A', key: '', node, phase, count, ws };
}

function isParentFrame(frame: Frame): boolean {
  return (
    frame.t === 'Q' || frame.t === 'R' || ((frame.t === 'O' || frame.t === 'A') && frame.phase === VALUE)
  );
}

function requiredFrom(node: ObjectNode, at: number): boolean {
  for (let k = at; k < node.props.length; k++) if (node.props[k]!.required) return true;
  return false;
}

function extraAllowed(node: ObjectNode, at: number): boolean {
  return node.additional !== null && !requiredFrom(node, at);
}

/** Item counts past the last one that matters (min, max, prefix) are all the same state. */
function capCount(node: ArrayNode, count: number): number {
  const cap = node.maxItems < Infinity ? node.maxItems : Math.max(node.minItems, node.prefix.length);
  return Math.min(count, cap);
}

function frameKey(frame: Frame): string {
  switch (frame.t) {
    case 'V':
      return `V${frame.node.id},${frame.ws}`;
    case 'O':
      return `O${frame.node.id},${frame.phase},${frame.at},${frame.ws}`;
    case 'K':
      return `K${frame.trie.id}`;
    case 'X':
      return `X${frame.node.id},${frame.sub},${frame.shadow?.id ?? -1}`;
    case 'A':
      return `A${frame.node.id},${frame.phase},${frame.count},${frame.ws}`;
    case 'S':
      return `S${frame.node.id},${frame.count},${frame.sub}`;
    case 'N':
      return `N${frame.node.id},${numberKey(frame.node, frame.position)}`;
    case 'L':
      return `L${frame.trie.id},${frame.grammar ? 1 : 0}`;
    case 'Q':
      return `Q${frame.grammar.id},${frame.index}`;
    default:
      return frame.t;
  }
}
