// The periodic "sweep progress" log line, computed as a pure function of the sweep's counters
// so its arithmetic (rate, ETA) is testable without timers; and its emission (log + hook).
import type { Logger } from '../log.js';
import type { SweepCounts } from './state.js';

export interface ProgressInput {
  readonly sweepId: string;
  readonly counts: SweepCounts;
  /** Containers done in THIS run (a resumed sweep's rate counts only what this run did). */
  readonly doneThisRun: number;
  /** Milliseconds this run has been active (pauses excluded). */
  readonly activeMsThisRun: number;
  /** Containers the sweep is expected to cover, when known (e.g. the previous sweep's count). */
  readonly expectedTotal?: number;
  readonly paused: boolean;
}

export interface ProgressFields {
  readonly sweepId: string;
  readonly done: number;
  /** Containers per second in this run. */
  readonly rate: number;
  readonly damaged: number;
  readonly unrepairable: number;
  readonly probeErrors: number;
  /** Containers that could not be judged so far. */
  readonly unknown: number;
  readonly repairs: number;
  readonly paused: boolean;
  readonly total?: number;
  readonly etaSeconds?: number;
}

export function progressFields(input: ProgressInput): ProgressFields {
  const c = input.counts;
  const seconds = input.activeMsThisRun / 1000;
  const rate = seconds > 0 ? input.doneThisRun / seconds : 0;
  const fields: ProgressFields = {
    sweepId: input.sweepId,
    done: c.done,
    rate: Math.round(rate * 100) / 100,
    damaged: c.damagedContainers,
    unrepairable: c.unrepairable,
    probeErrors: c.probeErrors,
    unknown: c.unknown,
    repairs: c.repairs.succeeded + c.repairs.failed,
    paused: input.paused,
  };
  const total = input.expectedTotal;
  if (total === undefined || total <= 0) return fields;
  const left = Math.max(0, total - c.done);
  return rate > 0 ? { ...fields, total, etaSeconds: Math.round(left / rate) } : { ...fields, total };
}

/** Logs one progress line (`log` already carries the sweep id) and hands the fields to `hook`. */
export function reportProgress(log: Logger, fields: ProgressFields, hook?: (fields: ProgressFields) => void): void {
  const { sweepId: _sweepId, ...rest } = fields;
  log.info(rest, 'sweep progress');
  try {
    hook?.(fields);
  } catch (err) {
    log.debug({ err }, 'progress hook failed');
  }
}
