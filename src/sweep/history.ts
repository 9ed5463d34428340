// The last sweeps' outcomes (`<state.dir>/sweep-history.json`), so what the metrics say "as of
// the last completed sweep" (success timestamp, damage and unrepairable gauges) survives a
// restart instead of falling back to 0 (which would fire the stale-sweep alert and resolve the
// damage alerts on every deploy), and so the status page can list recent sweeps.
// Not the resume position (state.ts) and not the repair history (gate-store.ts).
import { join } from 'node:path';
import { z } from 'zod';
import type { UnrepairableContainer } from '../journal/recent.js';
import type { Logger } from '../log.js';
import { DAMAGE_KINDS, type DamageKind } from '../probe/types.js';
import { REPAIR_OUTCOMES, type RepairOutcome } from '../repair/types.js';
import { readStateFile, writeFileAtomic } from './state-file.js';
import { sweepSucceeded, type SweepResult, type SweepSummary } from './sweep.js';

export const HISTORY_FILE = 'sweep-history.json';
/** Sweeps kept (newest last); enough for a status page, small enough to rewrite each time. */
export const HISTORY_KEPT = 20;

/** One ended sweep, as the metrics and the status page need it. */
export interface SweepRecord {
  readonly sweepId: string;
  readonly result: SweepResult;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly done: number;
  readonly activeMs: number;
  readonly damagedContainers: number;
  readonly damagedReplicas: Readonly<Record<DamageKind, number>>;
  readonly unrepairable: number;
  readonly probeErrors: number;
  readonly repairs: Readonly<Record<RepairOutcome, number>>;
  /** Which containers were unrepairable (a bounded list; the count is `unrepairable`). */
  readonly unrepairableContainers: readonly UnrepairableContainer[];
}

const count = z.number().int().nonnegative();
const recordSchema = z.object({
  sweepId: z.string().min(1),
  result: z.enum(['completed', 'incomplete', 'failed', 'interrupted']),
  startedAt: z.string(),
  endedAt: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not a date'),
  done: count,
  activeMs: z.number().nonnegative(),
  damagedContainers: count,
  damagedReplicas: z.partialRecord(z.enum(DAMAGE_KINDS), count),
  unrepairable: count,
  probeErrors: count,
  repairs: z.partialRecord(z.enum(REPAIR_OUTCOMES as [RepairOutcome, ...RepairOutcome[]]), count),
  unrepairableContainers: z.array(z.object({
    cid: z.string(), account: z.string().exactOptional(), container: z.string().exactOptional(), reason: z.string(), ts: z.string(),
  })).default([]),
});
const historySchema = z.object({ version: z.literal(1), sweeps: z.array(recordSchema) });

export function recordOf(summary: SweepSummary, unrepairableContainers: readonly UnrepairableContainer[] = []): SweepRecord {
  const c = summary.counts;
  return {
    sweepId: summary.sweepId,
    result: summary.result,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    done: c.done,
    activeMs: c.activeMs,
    damagedContainers: c.damagedContainers,
    damagedReplicas: { ...c.damagedReplicas },
    unrepairable: c.unrepairable,
    probeErrors: c.probeErrors,
    repairs: { ...c.repairs },
    unrepairableContainers: [...unrepairableContainers],
  };
}

/** The newest sweep whose result counts as a success (sweepSucceeded), or undefined. */
export function lastSuccess(sweeps: readonly SweepRecord[]): SweepRecord | undefined {
  for (let i = sweeps.length - 1; i >= 0; i--) {
    const s = sweeps[i] as SweepRecord;
    if (sweepSucceeded(s.result)) return s;
  }
  return undefined;
}

export function parseHistory(text: string): SweepRecord[] {
  const raw = historySchema.parse(JSON.parse(text));
  const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  return raw.sweeps.map((s) => ({
    ...s,
    damagedReplicas: { ...zeros(DAMAGE_KINDS), ...s.damagedReplicas },
    repairs: { ...zeros(REPAIR_OUTCOMES), ...s.repairs },
  }));
}

export class FileSweepHistory {
  readonly path: string;
  private readonly log: Logger;
  private sweeps: SweepRecord[] = [];

  constructor(stateDir: string, log: Logger) {
    this.path = join(stateDir, HISTORY_FILE);
    this.log = log;
  }

  /** Reads the file (missing or unreadable: an empty history, logged). Returns the records. */
  async load(): Promise<readonly SweepRecord[]> {
    this.sweeps = (await readStateFile(this.path, parseHistory, this.log, 'sweep history', 'starting without it')) ?? [];
    return this.sweeps;
  }

  /** Oldest first. */
  list(): readonly SweepRecord[] {
    return this.sweeps;
  }

  /** Appends and writes (fsynced). A write failure is logged, never thrown into the daemon. */
  async record(summary: SweepSummary, unrepairableContainers: readonly UnrepairableContainer[] = []): Promise<void> {
    this.sweeps = [...this.sweeps, recordOf(summary, unrepairableContainers)].slice(-HISTORY_KEPT);
    try {
      await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, sweeps: this.sweeps })}\n`, this.log);
    } catch (err) {
      this.log.error({ err, path: this.path }, 'saving the sweep history failed');
    }
  }
}
