/**
 * The vocabulary as a trie over token bytes, in flat typed arrays: computing a mask walks it once,
 * depth first, and drops a whole subtree as soon as its prefix leaves the grammar.
 */

/** A token trie: node 0 is the root; a node's edges and the tokens ending at it are contiguous ranges. */
export interface TokenTrie {
  readonly nodeCount: number;
  /** Edges of node n: indices edgeStart[n] .. edgeStart[n + 1] - 1. */
  readonly edgeStart: Int32Array;
  readonly edgeByte: Uint8Array;
  readonly edgeChild: Int32Array;
  /** Tokens ending at node n: tokenIds[tokenStart[n] .. tokenStart[n + 1] - 1]. */
  readonly tokenStart: Int32Array;
  readonly tokenIds: Int32Array;
}

interface BuildNode {
  children: Map<number, BuildNode>;
  tokens: number[];
  index: number;
}

/** The trie of `tokens` (id and non-empty bytes each). */
export function tokenTrie(tokens: readonly { id: number; bytes: Uint8Array }[]): TokenTrie {
  const root: BuildNode = { children: new Map(), tokens: [], index: 0 };
  for (const { id, bytes } of tokens) {
    let node = root;
    for (const byte of bytes) {
      let child = node.children.get(byte);
      if (!child) {
        child = { children: new Map(), tokens: [], index: 0 };
        node.children.set(byte, child);
      }
      node = child;
    }
    node.tokens.push(id);
  }
  // Breadth-first numbering, so each node's children are numbered together.
  const order: BuildNode[] = [root];
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    node.index = i;
    for (const byte of [...node.children.keys()].sort((a, b) => a - b)) order.push(node.children.get(byte)!);
  }
  const nodeCount = order.length;
  const edgeStart = new Int32Array(nodeCount + 1);
  const edgeByte = new Uint8Array(Math.max(0, nodeCount - 1));
  const edgeChild = new Int32Array(Math.max(0, nodeCount - 1));
  const tokenStart = new Int32Array(nodeCount + 1);
  const tokenIds = new Int32Array(tokens.length);
  let edges = 0;
  let ids = 0;
  for (let n = 0; n < nodeCount; n++) {
    const node = order[n]!;
    edgeStart[n] = edges;
    tokenStart[n] = ids;
    for (const byte of [...node.children.keys()].sort((a, b) => a - b)) {
      edgeByte[edges] = byte;
      edgeChild[edges++] = node.children.get(byte)!.index;
    }
    for (const id of node.tokens) tokenIds[ids++] = id;
  }
  edgeStart[nodeCount] = edges;
  tokenStart[nodeCount] = ids;
  return { nodeCount, edgeStart, edgeByte, edgeChild, tokenStart, tokenIds };
}
