import { abortErrorOf, InvalidInputError, ModelLoadError, OverloadedError } from '@mlkit/core';
import type { OrtTensor } from '../ort.ts';
import type { Session } from '../session.ts';
import { discard, floatSlice } from '../tensors.ts';

/** One `past_key_values.N.key|value` input and the `present.N.*` output that feeds it. */
export interface KvSlot {
  input: string;
  output: string;
  type: string;
  heads: number;
  headDim: number;
}

export interface ContinuousBatcherOptions {
  session: Session;
  /** The model's KV cache inputs and outputs (at least one). */
  slots: readonly KvSlot[];
  /** Names the model in errors. */
  label: string;
  /** Most sequences decoding at once. */
  maxBatch: number;
  /** Most KV tokens (prompt plus tokens to generate, summed over the admitted sequences). */
  maxKvTokens: number;
  /** Most sequences that may wait for admission; one more is an OverloadedError. */
  maxQueue: number;
}

/** What a batcher holds now and the most it ever held, for tests and `describe()`-style inspection. */
export interface ContinuousBatchingStats {
  /** Sequences admitted and not yet left (decoding, or waiting for their prefill). */
  sequences: number;
  /** Sequences waiting for admission. */
  waiting: number;
  /** Tokens in the KV cache of the admitted sequences (their real lengths, padding not counted). */
  kvTokens: number;
  /** KV tokens reserved by the admitted sequences (prompt + maxTokens each, the admission budget). */
  reservedKvTokens: number;
  /** Most sequences admitted at once so far. */
  peakSequences: number;
  /** Most KV tokens reserved at once so far. */
  peakReservedKvTokens: number;
  /** Batched decode steps run so far. */
  steps: number;
  /** Prefill runs so far (newcomers go together, see #prefillGroup). */
  prefills: number;
  /** Most rows of one decode step so far. */
  peakRows: number;
}

/**
 * One sequence's place in the batch, as the decoder loop sees it: `next(sequence)` resolves with the
 * logits row for the token after `sequence`. `leave()` frees the place; calling it twice is harmless.
 */
export interface Lane {
  next(sequence: readonly number[], reservedKvTokens: number, signal: AbortSignal): Promise<Float32Array>;
  leave(): void;
}

type TypedArray = Float32Array | Uint16Array;

/**
 * Placeholder columns a row may gather (a slow reader's skipped steps) before the next step repacks
 * the batch: the padded KV then never exceeds the rows' real lengths by more than this per row.
 */
const MAX_SKIPPED = 16;

/** Run `job` once the current event-loop turn's I/O is done: setImmediate where the runtime has it (Node). */
const nextTurn: (job: () => void) => void =
  typeof globalThis.setImmediate === 'function' ? (job) => setImmediate(job) : (job) => setTimeout(job, 0);

/** The KV of prefilled newcomers, until each one's row is copied into the batch (its first `length` columns). */
interface PrefillKv {
  presents: Record<string, OrtTensor>;
  rows: number;
  columns: number;
}

interface Member {
  reserved: number;
  /** Tokens in its KV cache (the whole sequence but the last token, which the next step feeds). */
  length: number;
  left: boolean;
  signal: AbortSignal;
  /** The prompt, until it is prefilled. */
  prompt: number[] | undefined;
  /** The token to feed at the next step, once the sequence chose it. */
  pending: number | undefined;
  resolve: ((row: Float32Array) => void) | undefined;
  reject: ((error: unknown) => void) | undefined;
  /** Its prefill's KV and its row there, until it is merged into the batch. */
  prefilled: { kv: PrefillKv; row: number; length: number } | undefined;
  /** Its attention mask over the batch's columns once merged (0 for padding and skipped steps). */
  mask: number[] | undefined;
  /** Masked placeholder columns since its last regroup (steps it was not ready for). */
  skipped: number;
}

/**
 * Continuous batching of concurrent generations over one decoder with a KV cache. Sequences join
 * and leave a running batch between decode steps: a newcomer is prefilled (with the other newcomers,
 * right-padded, see #prefill), then its KV row is copied into the batch, left-padded: every
 * row ends at the batch's last column, the attention mask zeroes the padding and each row feeds its
 * own position_ids. While the membership stays the same, the presents of one step are the next
 * step's past without a copy; a join or a leave copies the rows once, dropping the columns that
 * only padding fills. A step runs as soon as every running sequence chose its next token, or one
 * timer tick after the first one did: a sequence not ready by then (a slow stream reader) is fed a
 * masked dummy token and keeps its place; after MAX_SKIPPED of those the rows are repacked, so the
 * padded KV stays within MAX_SKIPPED columns of the longest row. Running sequences wait for at most one prefill per step.
 *
 * Admission is FIFO and bounded by `maxBatch` sequences and `maxKvTokens` reserved (prompt +
 * maxTokens each, so a sequence never runs out of room mid-way); past `maxQueue` waiting, calls are
 * refused with an OverloadedError.
 */
export class ContinuousBatcher {
  readonly #options: ContinuousBatcherOptions;
  readonly #waiting: Member[] = [];
  readonly #admitted = new Set<Member>();
  /** Rows of the batch in order; their KV is `#past` (rows × heads × columns × headDim). */
  #rows: Member[] = [];
  #past: Record<string, OrtTensor> | undefined;
  readonly #pastNames: readonly string[];
  #columns = 0;
  #reserved = 0;
  #busy = false;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set while a round waits for the end of the event-loop turn (newcomers to prefill). */
  #turn = false;
  #stats = { peakSequences: 0, peakReservedKvTokens: 0, steps: 0, prefills: 0, peakRows: 0 };

  constructor(options: ContinuousBatcherOptions) {
    const inputs = options.session.inputs;
    if (options.slots.length === 0 || !inputs.has('attention_mask') || !inputs.has('position_ids')) {
      throw new ModelLoadError(
        `${options.label}: continuousBatching needs a decoder with a KV cache (past_key_values.N.key|value inputs) and attention_mask and position_ids inputs, which pad rows of different lengths; load it without continuousBatching`,
      );
    }
    this.#options = options;
    this.#pastNames = options.slots.map((slot) => slot.input);
  }

  stats(): ContinuousBatchingStats {
    let kvTokens = 0;
    for (const member of this.#admitted) kvTokens += member.length;
    return {
      sequences: this.#admitted.size,
      waiting: this.#waiting.length,
      kvTokens,
      reservedKvTokens: this.#reserved,
      ...this.#stats,
    };
  }

  /** A place for one generation; `leave()` it in a `finally`. */
  lane(): Lane {
    let member: Member | undefined;
    return {
      next: (sequence, reservedKvTokens, signal) => {
        if (signal.aborted) return Promise.reject(abortErrorOf(signal));
        if (!member) {
          member = this.#member(sequence, reservedKvTokens, signal);
          return this.#join(member);
        }
        return this.#submit(member, sequence[sequence.length - 1]!);
      },
      leave: () => {
        if (member) this.#leave(member);
      },
    };
  }

  #member(sequence: readonly number[], reserved: number, signal: AbortSignal): Member {
    return {
      reserved,
      length: 0,
      left: false,
      signal,
      prompt: [...sequence],
      pending: undefined,
      resolve: undefined,
      reject: undefined,
      prefilled: undefined,
      mask: undefined,
      skipped: 0,
    };
  }

  #join(member: Member): Promise<Float32Array> {
    const { maxKvTokens, maxQueue } = this.#options;
    if (member.reserved > maxKvTokens) {
      const message = `the prompt and maxTokens need ${member.reserved} KV tokens; continuousBatching.maxKvTokens is ${maxKvTokens} — lower maxTokens, shorten the prompt or raise maxKvTokens`;
      return Promise.reject(
        new InvalidInputError(`Invalid input — input.maxTokens: ${message}`, {
          issues: [{ path: 'input.maxTokens', message }],
        }),
      );
    }
    const result = this.#wait(member);
    if (this.#fits(member) && this.#waiting.length === 0) this.#enter(member);
    else if (this.#waiting.length >= maxQueue) {
      member.left = true;
      member.reject!(
        new OverloadedError(
          `${this.#options.label} is busy: ${this.#admitted.size} generations run and ${this.#waiting.length} wait (continuousBatching maxBatch ${this.#options.maxBatch}, maxKvTokens ${maxKvTokens}, maxQueue ${maxQueue}); retry later`,
        ),
      );
    } else this.#waiting.push(member);
    return result;
  }

  #fits(member: Member): boolean {
    return (
      this.#admitted.size < this.#options.maxBatch &&
      this.#reserved + member.reserved <= this.#options.maxKvTokens
    );
  }

  #enter(member: Member): void {
    this.#admitted.add(member);
    this.#reserved += member.reserved;
    this.#stats.peakSequences = Math.max(this.#stats.peakSequences, this.#admitted.size);
    this.#stats.peakReservedKvTokens = Math.max(this.#stats.peakReservedKvTokens, this.#reserved);
    this.#kick();
  }

  /** The promise of the member's next logits row; its signal rejects it at once and makes it leave. */
  #wait(member: Member): Promise<Float32Array> {
    return new Promise<Float32Array>((resolve, reject) => {
      const onAbort = () => {
        this.#leave(member);
        reject(abortErrorOf(member.signal));
      };
      member.signal.addEventListener('abort', onAbort, { once: true });
      member.resolve = (row) => {
        member.signal.removeEventListener('abort', onAbort);
        member.resolve = member.reject = undefined;
        resolve(row);
      };
      member.reject = (error) => {
        member.signal.removeEventListener('abort', onAbort);
        member.resolve = member.reject = undefined;
        reject(error);
      };
    });
  }

  #submit(member: Member, token: number): Promise<Float32Array> {
    if (member.left) return Promise.reject(new Error('unreachable: a sequence stepped after it left'));
    member.pending = token;
    const result = this.#wait(member);
    this.#kick();
    return result;
  }

  #leave(member: Member): void {
    if (member.left) return;
    member.left = true;
    member.reject?.(abortErrorOf(member.signal));
    const queued = this.#waiting.indexOf(member);
    if (queued >= 0) this.#waiting.splice(queued, 1);
    if (this.#admitted.delete(member)) this.#reserved -= member.reserved;
    member.prefilled = undefined;
    // Admit whoever now fits, in arrival order; its row joins at the next step.
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!)) this.#enter(this.#waiting.shift()!);
    this.#dropIfIdle();
    this.#kick();
  }

  /** Free the batch's KV once nobody is admitted (rather than keep it until the next step). */
  #dropIfIdle(): void {
    if (this.#busy || this.#admitted.size > 0) return;
    this.#rows = [];
    this.#freePast();
    this.#past = undefined;
    this.#columns = 0;
  }

  /** Frees the batch's past now, not at a later collection: only when no run has it (between rounds). */
  #freePast(): void {
    for (const slot of this.#options.slots) discard(this.#past?.[slot.output]);
  }

  /** The batch's rows that still decode (a row that left stays until the next step drops it). */
  #live(): Member[] {
    const live = this.#rows.filter((row) => !row.left);
    for (const member of this.#admitted) if (member.prefilled && !member.left) live.push(member);
    return live;
  }

  /**
   * Start a round once everyone is ready, else after one timer tick (see the class comment). A newcomer
   * waits for the end of the event-loop turn, so that the calls made in one tick share their prefill.
   */
  #kick(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#busy) return;
      const live = this.#live();
      const prefill = [...this.#admitted].some((member) => member.prompt && !member.left);
      const ready = live.filter((row) => row.pending !== undefined).length;
      if (prefill) {
        if (!this.#turn) {
          this.#turn = true;
          nextTurn(() => {
            this.#turn = false;
            if (!this.#busy) void this.#round();
          });
        }
      } else if (ready > 0 && ready === live.length) {
        void this.#round();
      } else if (ready > 0 && !this.#timer) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          if (!this.#busy) void this.#round();
        }, 0);
      }
    });
  }

  async #round(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#busy = true;
    try {
      const group = this.#prefillGroup();
      if (group.length > 0) await this.#prefill(group);
      if (this.#live().some((row) => row.pending !== undefined)) await this.#step();
    } finally {
      this.#busy = false;
    }
    this.#dropIfIdle();
    this.#kick();
  }

  /**
   * The newcomers to prefill in one run, in arrival order: those of the first one's prompt length, and,
   * where each row's last position's logits can come back (every position's, or a logits_to_keep mlkit
   * added, fed to keep from the shortest prompt's last position on), others too while the padding stays
   * under a third of the run. A graph's own logits_to_keep is only fed 1, as its export was tested with.
   */
  #prefillGroup(): Member[] {
    const newcomers = [...this.#admitted].filter((member) => member.prompt && !member.left);
    const first = newcomers[0];
    if (!first) return [];
    const mixed = this.#options.session.logitsToKeep !== 'native';
    const group: Member[] = [];
    let longest = 0;
    let tokens = 0;
    for (const member of newcomers) {
      const length = member.prompt!.length;
      if (!mixed && length !== first.prompt!.length) continue;
      const widest = Math.max(longest, length);
      if ((group.length + 1) * widest > 1.5 * (tokens + length)) continue;
      group.push(member);
      longest = widest;
      tokens += length;
    }
    return group;
  }

  /**
   * Whole-prompt runs of newcomers, together; each gets the logits row of its last prompt token. Prompts
   * of different lengths are RIGHT-padded: causal attention never lets a real token see the padding after
   * it, so each row's real KV and logits are those of its prompt alone (left padding here would leave the
   * padding's own queries with nothing to attend to, which some exports turn into NaN).
   */
  async #prefill(group: Member[]): Promise<void> {
    const { session, slots } = this.#options;
    const ort = session.ort;
    const rows = group.length;
    const lengths = group.map((member) => member.prompt!.length);
    const columns = Math.max(...lengths);
    const ids = new BigInt64Array(rows * columns);
    const positions = new BigInt64Array(rows * columns);
    group.forEach((member, row) => {
      const prompt = member.prompt!;
      for (let column = 0; column < columns; column++) {
        ids[row * columns + column] = BigInt(prompt[Math.min(column, prompt.length - 1)]!);
        positions[row * columns + column] = BigInt(column);
      }
      member.prompt = undefined;
    });
    const feeds: Record<string, OrtTensor> = {
      input_ids: new ort.Tensor('int64', ids, [rows, columns]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(rows * columns).fill(1n), [rows, columns]),
      position_ids: new ort.Tensor('int64', positions, [rows, columns]),
    };
    for (const slot of slots) {
      const empty = slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      feeds[slot.input] = new ort.Tensor(slot.type, empty, [rows, slot.heads, 0, slot.headDim]);
    }
    // With logits_to_keep, only the positions from the shortest prompt's last on come back (1 when all match).
    const kept = session.logitsToKeep === 'none' ? columns : columns - Math.min(...lengths) + 1;
    this.#scalars(feeds, false, kept);
    this.#stats.prefills++;
    let outputs: Record<string, OrtTensor>;
    try {
      outputs = await session.run(feeds, this.#fetches());
    } catch (error) {
      for (const member of group) this.#fail(member, error);
      return;
    }
    const kv: PrefillKv = { presents: outputs, rows, columns };
    group.forEach((member, row) => {
      if (member.left) return;
      const length = lengths[row]!;
      member.length = length;
      member.prefilled = { kv, row, length };
      member.resolve?.(this.#logitsRow(outputs.logits!, row, length - 1 - (columns - kept)));
    });
  }

  /** One decode step of every live row: rows not ready get a masked dummy token. */
  async #step(): Promise<void> {
    const { session, slots } = this.#options;
    const ort = session.ort;
    const joining = [...this.#admitted].filter((member) => member.prefilled && member.pending !== undefined);
    const regroup = this.#rows.some((row) => row.left || row.skipped > MAX_SKIPPED);
    if (joining.length > 0 || regroup) this.#regroup(joining);
    const rows = this.#rows;
    const batch = rows.length;
    const columns = this.#columns + 1;
    const ids = new BigInt64Array(batch);
    const positions = new BigInt64Array(batch);
    const mask = new BigInt64Array(batch * columns);
    const stepping = rows.map((row) => row.pending !== undefined);
    rows.forEach((row, index) => {
      ids[index] = BigInt(row.pending ?? 0);
      positions[index] = BigInt(row.length);
      const offset = index * columns;
      row.mask!.forEach((bit, column) => {
        if (bit) mask[offset + column] = 1n;
      });
      if (stepping[index]) mask[offset + columns - 1] = 1n;
    });
    const feeds: Record<string, OrtTensor> = {
      input_ids: new ort.Tensor('int64', ids, [batch, 1]),
      attention_mask: new ort.Tensor('int64', mask, [batch, columns]),
      position_ids: new ort.Tensor('int64', positions, [batch, 1]),
    };
    const past = this.#past;
    for (const slot of slots) {
      feeds[slot.input] =
        past?.[slot.output] ??
        new ort.Tensor(slot.type, slot.type === 'float16' ? new Uint16Array(0) : new Float32Array(0), [
          batch,
          slot.heads,
          0,
          slot.headDim,
        ]);
    }
    this.#scalars(feeds, true);
    this.#stats.steps++;
    this.#stats.peakRows = Math.max(this.#stats.peakRows, batch);
    const fed = rows.map((row, index) => (stepping[index] ? row.pending : undefined));
    for (const row of rows) row.pending = undefined;
    let outputs: Record<string, OrtTensor>;
    try {
      // The past is read no more once fed: the next step's is this one's presents.
      outputs = await session.run(feeds, this.#fetches(), undefined, past && this.#pastNames);
    } catch (error) {
      for (const row of rows) this.#fail(row, error);
      this.#rows = [];
      this.#past = undefined;
      this.#columns = 0;
      return;
    }
    this.#past = outputs;
    this.#columns = columns;
    rows.forEach((row, index) => {
      const stepped = fed[index] !== undefined;
      row.mask!.push(stepped ? 1 : 0);
      if (!stepped) row.skipped++;
      if (!stepped || row.left) return;
      row.length++;
      row.resolve?.(this.#logitsRow(outputs.logits!, index));
    });
  }

  /**
   * Copy the rows that stay and the newcomers that join into a new past: each row's real columns only
   * (its padding and skipped steps dropped; attention does not depend on the order of the cached
   * columns, each carries its own position), ending at the last column.
   */
  #regroup(joining: Member[]): void {
    const { session, slots } = this.#options;
    const staying = this.#rows.filter((row) => !row.left);
    const columns = Math.max(
      0,
      ...staying.map((row) => row.length),
      ...joining.map((member) => member.prefilled!.length),
    );
    const rows = [...staying, ...joining];
    /** Per staying row: [start, end) runs of its real columns in the old past. */
    const runs = staying.map((row) => {
      const found: [number, number][] = [];
      row.mask!.forEach((bit, column) => {
        if (!bit) return;
        const last = found[found.length - 1];
        if (last && last[1] === column) last[1]++;
        else found.push([column, column + 1]);
      });
      return found;
    });
    const past: Record<string, OrtTensor> = {};
    for (const slot of slots) {
      const { heads, headDim } = slot;
      const template = (this.#past?.[slot.output] ?? joining[0]!.prefilled!.kv.presents[slot.output]!)
        .data as TypedArray;
      const out = new (template.constructor as new (length: number) => TypedArray)(
        rows.length * heads * columns * headDim,
      );
      /** Copy `sourceRuns` of one source row into `row`, packed and ending at the last column. */
      const copy = (
        source: TypedArray,
        sourceRow: number,
        sourceColumns: number,
        sourceRuns: readonly [number, number][],
        length: number,
        row: number,
      ) => {
        for (let head = 0; head < heads; head++) {
          const base = (sourceRow * heads + head) * sourceColumns;
          let to = ((row * heads + head) * columns + columns - length) * headDim;
          for (const [start, end] of sourceRuns) {
            out.set(source.subarray((base + start) * headDim, (base + end) * headDim), to);
            to += (end - start) * headDim;
          }
        }
      };
      staying.forEach((row, index) => {
        const source = this.#past![slot.output]!.data as TypedArray;
        copy(source, this.#rows.indexOf(row), this.#columns, runs[index]!, row.length, index);
      });
      joining.forEach((member, index) => {
        const { kv, row, length } = member.prefilled!;
        const source = kv.presents[slot.output]!.data as TypedArray;
        copy(source, row, kv.columns, [[0, length]], length, staying.length + index);
      });
      past[slot.output] = new session.ort.Tensor(slot.type, out, [rows.length, heads, columns, headDim]);
    }
    for (const row of rows) {
      row.mask = [
        ...new Array<number>(columns - row.length).fill(0),
        ...new Array<number>(row.length).fill(1),
      ];
      row.skipped = 0;
      row.prefilled = undefined;
    }
    this.#freePast(); // copied out, read no more
    this.#rows = rows;
    this.#past = rows.length > 0 ? past : undefined;
    this.#columns = columns;
  }

  #fail(member: Member, error: unknown): void {
    member.reject?.(error);
    this.#leave(member);
  }

  /** The logits of one row at `position` among those that came back (default: its last). */
  #logitsRow(logits: OrtTensor, row: number, position?: number): Float32Array {
    const vocab = logits.dims[logits.dims.length - 1]!;
    const perRow = logits.data.length / vocab / logits.dims[0]!;
    const at = position === undefined || perRow === 1 ? perRow - 1 : position;
    return floatSlice(logits, (row * perRow + at) * vocab, vocab);
  }

  #fetches(): string[] {
    return ['logits', ...this.#options.slots.map((slot) => slot.output)];
  }

  #scalars(feeds: Record<string, OrtTensor>, cached: boolean, kept = 1): void {
    const { session } = this.#options;
    const ort = session.ort;
    if (session.inputs.has('use_cache_branch'))
      feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([cached ? 1 : 0]), [1]);
    for (const name of ['num_logits_to_keep', 'logits_to_keep']) {
      if (session.inputs.has(name))
        feeds[name] = new ort.Tensor('int64', new BigInt64Array([BigInt(kept)]), []);
    }
  }
}
