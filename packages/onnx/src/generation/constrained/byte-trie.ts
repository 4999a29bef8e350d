/**
 * A small trie over byte strings: the fixed texts a grammar may write at one point (enum and const
 * values, `true`/`false`/`null`, an object's property names, literal grammar parts).
 */

let nextId = 0;

/** One node: the strings that start with the bytes on the path here. */
export class ByteTrieNode {
  /** Unique across tries, so automaton states can name the node. */
  readonly id = nextId++;
  readonly children = new Map<number, ByteTrieNode>();
  /** A whole string ends here. */
  terminal = false;
  /** What the string ending here stands for (a property index), when terminal. */
  value = -1;
  /** Fewest bytes from here to the end of a string. */
  minDepth = Number.POSITIVE_INFINITY;
}

/** A trie of `texts` (with `values[i]` stored at the end of `texts[i]`), with `minDepth` filled in. */
export function byteTrie(texts: readonly Uint8Array[], values?: readonly number[]): ByteTrieNode {
  const root = new ByteTrieNode();
  texts.forEach((bytes, index) => {
    let node = root;
    for (const byte of bytes) {
      let child = node.children.get(byte);
      if (!child) {
        child = new ByteTrieNode();
        node.children.set(byte, child);
      }
      node = child;
    }
    node.terminal = true;
    node.value = values?.[index] ?? index;
  });
  fillDepth(root);
  return root;
}

function fillDepth(node: ByteTrieNode): number {
  let least = node.terminal ? 0 : Number.POSITIVE_INFINITY;
  for (const child of node.children.values()) least = Math.min(least, 1 + fillDepth(child));
  node.minDepth = least;
  return least;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a text. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
