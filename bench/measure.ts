// Shared by the in-process benchmarks: many short time-boxed rounds that alternate ours and the peer (ABBA order),
// throughput per round, medians over the rounds. Short rounds keep the two sides' samples close in time, so
// swings in machine load hit both alike: on a busy 2-core machine one side against itself (A/A) reads
// 1.00 ± 0.01 with 300 rounds of 20 ms, but anywhere in 0.97-1.09 with 24 rounds of 250 ms.

/** One side of a comparison: `step()` does some work and resolves with how many units it did. */
export interface Side {
  name: string;
  step(): Promise<number>;
}

export interface RoundsOptions {
  /** Rounds per side (each side runs once per round). */
  rounds: number;
  /** Milliseconds each side runs per round. */
  roundMs: number;
  /** Milliseconds of warm-up per side before the first round. */
  warmupMs: number;
}

export interface Measured {
  /** Median units per second over the rounds. */
  median: number;
  /** Units per second of every round. */
  perRound: number[];
}

/** Run `side.step()` back to back for `ms`; units per second. */
async function timeBox(side: Side, ms: number): Promise<number> {
  let units = 0;
  const started = performance.now();
  const until = started + ms;
  let now = started;
  while (now < until) {
    units += await side.step();
    now = performance.now();
  }
  return (units * 1000) / (now - started);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Warm both sides up, then alternate time-boxed rounds; medians of units per second. */
export async function alternate(
  ours: Side,
  peer: Side,
  options: RoundsOptions,
): Promise<{ ours: Measured; peer: Measured }> {
  await timeBox(ours, options.warmupMs);
  await timeBox(peer, options.warmupMs);
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      mine.push(await timeBox(ours, options.roundMs));
      theirs.push(await timeBox(peer, options.roundMs));
    } else {
      theirs.push(await timeBox(peer, options.roundMs));
      mine.push(await timeBox(ours, options.roundMs));
    }
  }
  return {
    ours: { median: median(mine), perRound: mine },
    peer: { median: median(theirs), perRound: theirs },
  };
}

/** The line `bench/run.ts` collects: ratio = our throughput / the peer's. */
export function resultLine(bench: string, ours: number, peer: number, unit: string, goal: number): string {
  return JSON.stringify({ bench, ours, peer, unit, ratio: ours / peer, goal });
}
