// One sweep over the namespace: enumerate containers, probe each under flow control, repair
// what the gate allows, record everything, and save a resume watermark as it goes.
// This is the entry point and the public face of src/sweep/; the parts live beside it:
// admission.ts (the admission order), execution.ts (the walk), counting.ts, checkpoints.ts,
// active-clock.ts, progress.ts, sweep-metrics.ts, result.ts.
import { SweepExecution } from './execution.js';
import type { SweepDeps, SweepOptions, SweepSummary } from './types.js';

export type { LocateFn } from './admission.js';
export { sweepResult, sweepSucceeded, type SweepResult } from './result.js';
export type { SweepDeps, SweepError, SweepOptions, SweepPause, SweepSummary } from './types.js';

export async function runSweep(deps: SweepDeps, opts: SweepOptions): Promise<SweepSummary> {
  validateOptions(opts);
  const checkpoint = await deps.state.load();
  return new SweepExecution(deps, opts, checkpoint).run();
}

function validateOptions(opts: SweepOptions): void {
  const positive = (name: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  };
  positive('concurrency', opts.concurrency);
  positive('perServiceConcurrency', opts.perServiceConcurrency);
  if (!(opts.probesPerSecond >= 0)) throw new RangeError(`probesPerSecond must be >= 0, got ${opts.probesPerSecond}`);
  if (!(opts.maxUnknownShare >= 0 && opts.maxUnknownShare <= 1)) throw new RangeError(`maxUnknownShare must be within 0..1, got ${opts.maxUnknownShare}`);
  if (!(opts.progressIntervalMs > 0)) throw new RangeError(`progressIntervalMs must be > 0, got ${opts.progressIntervalMs}`);
}
