// How a sweep ended, and which endings are trusted: the one place that decides which results
// refresh the success timestamp and the "as of the last completed sweep" gauges (when a sweep
// ends, and when the daemon restores them from the sweep history after a restart).
import type { SweepCounts } from './state.js';

/**
 * `completed`: every container was listed and at most `maxUnknownShare` of them could not be
 * judged; the damage gauges and the success timestamp are its.
 * `incomplete`: every container was listed, but more of them than `maxUnknownShare` allows ended
 * `unknown` (e.g. one meta2 service down: every container with a replica on it), so the sweep
 * did not see the namespace: the "as of the last completed sweep" gauges and the success
 * timestamp are left as they were. `failed`: the enumeration failed. `interrupted`: stopped.
 */
export type SweepResult = 'completed' | 'incomplete' | 'failed' | 'interrupted';

/** Whether a sweep's picture of the namespace is trusted. */
export function sweepSucceeded(result: SweepResult): boolean {
  return result === 'completed';
}

/** The result of a sweep that ended `walked`: a walk-through with too many unknown containers is `incomplete`. */
export function sweepResult(walked: SweepResult, counts: Pick<SweepCounts, 'done' | 'unknown'>, maxUnknownShare: number): SweepResult {
  if (walked !== 'completed') return walked;
  return counts.unknown > maxUnknownShare * counts.done ? 'incomplete' : 'completed';
}

/** Whether a sweep that ended with `result` walked the whole listing (nothing left to resume). */
export function walkedThrough(result: SweepResult): boolean {
  return result === 'completed' || result === 'incomplete';
}
