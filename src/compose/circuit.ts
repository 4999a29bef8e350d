/** The circuit breaker of `fallback`: members that keep failing are skipped for a while. */
import { InvalidInputError } from '../errors.ts';
import type { ModelEvent } from '../model.ts';

/** When a member's circuit opens and how long it stays open. */
export interface CircuitOptions {
  /**
   * Consecutive failures of one member that open its circuit (skip it). A connection error (refused,
   * reset or closed before any response: the member is down, not merely slow) opens it at once.
   */
  failureThreshold: number;
  /** Milliseconds an open member is skipped; the next call after it probes the member once (half-open). */
  cooldownMs: number;
}

/** `failures`: consecutive failures so far. */
type State =
  | { kind: 'closed'; failures: number }
  | { kind: 'open'; failures: number; until: number }
  | { kind: 'half-open'; failures: number };

/** One member's circuit; `modelId` and `member` name it in events. */
export class Circuit {
  #state: State = { kind: 'closed', failures: 0 };
  readonly #options: CircuitOptions;
  readonly #modelId: string;
  readonly #member: string;

  constructor(options: CircuitOptions, modelId: string, member: string) {
    this.#options = options;
    this.#modelId = modelId;
    this.#member = member;
  }

  /**
   * Whether this call may use the member: yes when closed; after the cool-down, yes for one probe
   * (half-open); otherwise no, and a `circuit-skip` event says for how long still.
   */
  allow(emit: (event: ModelEvent) => void): boolean {
    const state = this.#state;
    if (state.kind === 'closed') return true;
    const now = Date.now();
    if (state.kind === 'open' && now >= state.until) {
      this.#state = { kind: 'half-open', failures: state.failures };
      emit({ type: 'circuit-half-open', modelId: this.#modelId, member: this.#member });
      return true;
    }
    // Open, or half-open with its one probe in flight.
    const retryInMs = state.kind === 'open' ? state.until - now : 0;
    emit({ type: 'circuit-skip', modelId: this.#modelId, member: this.#member, retryInMs });
    return false;
  }

  /** Milliseconds until this member may be tried again (0 when it may now). */
  retryInMs(): number {
    return this.#state.kind === 'open' ? Math.max(0, this.#state.until - Date.now()) : 0;
  }

  succeeded(emit: (event: ModelEvent) => void): void {
    if (this.#state.kind !== 'closed') {
      emit({ type: 'circuit-close', modelId: this.#modelId, member: this.#member });
    }
    this.#state = { kind: 'closed', failures: 0 };
  }

  /**
   * The member failed. `'connection'`: it refused or dropped the connection before answering, so it is
   * down and its circuit opens now, whatever `failureThreshold` says (later calls skip it until the probe).
   */
  failed(emit: (event: ModelEvent) => void, kind: 'connection' | 'other' = 'other'): void {
    const state = this.#state;
    const failures = state.failures + 1;
    if (state.kind === 'closed' && kind === 'other' && failures < this.#options.failureThreshold) {
      this.#state = { kind: 'closed', failures };
      return;
    }
    const { cooldownMs } = this.#options;
    this.#state = { kind: 'open', failures, until: Date.now() + cooldownMs };
    emit({ type: 'circuit-open', modelId: this.#modelId, member: this.#member, failures, cooldownMs });
  }
}

/** Check `fallback`'s `circuit` option. */
export function checkCircuitOptions(options: CircuitOptions): void {
  const { failureThreshold, cooldownMs } = options;
  if (!(Number.isInteger(failureThreshold) && failureThreshold > 0)) {
    throw new InvalidInputError(
      `fallback: circuit.failureThreshold must be a positive integer (got ${String(failureThreshold)})`,
      { issues: [{ path: 'options.circuit.failureThreshold', message: 'expected an integer > 0' }] },
    );
  }
  if (!(typeof cooldownMs === 'number' && cooldownMs >= 0 && Number.isFinite(cooldownMs))) {
    throw new InvalidInputError(
      `fallback: circuit.cooldownMs must be a number of milliseconds >= 0 (got ${String(cooldownMs)})`,
      { issues: [{ path: 'options.circuit.cooldownMs', message: 'expected a finite number >= 0' }] },
    );
  }
}
