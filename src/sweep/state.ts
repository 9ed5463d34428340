// The saved state of an unfinished sweep (`<stateDir>/sweep-position.json`): its id, start
// time, resume watermark and the counts so far, so a restarted daemon continues the sweep
// instead of starting over. Written atomically (temp file, fsync, rename, fsync of the
// directory); a missing or unreadable file means "start a new sweep", never a crash.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SweepPosition } from '../discover/enumerate.js';
import type { Logger } from '../log.js';
import { DAMAGE_KINDS, type DamageKind } from '../probe/types.js';
import { REPAIR_OUTCOMES, type RepairOutcome } from '../repair/types.js';
import { readStateFile, syncDir, writeFileAtomic, type BadStateFile } from './state-file.js';

export const STATE_FILE = 'sweep-position.json';

/** What a sweep has counted so far (carried across restarts of the same sweep). */
export interface SweepCounts {
  /** Containers fully processed (probe, journal, repair decision). */
  readonly done: number;
  /** Containers whose verdict was neither healthy nor unknown. */
  readonly damagedContainers: number;
  /** Damaged replicas by kind, from each container's final state (after a successful repair). */
  readonly damagedReplicas: Readonly<Record<DamageKind, number>>;
  /** Containers left unrepairable (final state). */
  readonly unrepairable: number;
  /** Containers whose probe failed (verdict unknown with an error). */
  readonly probeErrors: number;
  /** Containers that could not be judged (verdict unknown: probe errors included). */
  readonly unknown: number;
  readonly repairs: Readonly<Record<RepairOutcome, number>>;
  /** Milliseconds the sweep has been running, over all its runs (pauses and downtime excluded). */
  readonly activeMs: number;
}

export interface SweepCheckpoint {
  readonly version: 1;
  readonly sweepId: string;
  /** ISO-8601 time the sweep first started. */
  readonly startedAt: string;
  /** Last container such that it and every container before it are done; null: none yet. */
  readonly position: SweepPosition | null;
  /**
   * Containers finished beyond `position` (they finished before slower ones admitted earlier):
   * already in `counts`, so the resumed sweep skips them instead of probing and counting them
   * again. Bounded by the admission window. Absent in older files: none.
   */
  readonly finishedAhead: readonly SweepPosition[];
  readonly counts: SweepCounts;
  readonly savedAt: string;
}

export interface SweepStateStore {
  /** The saved checkpoint, or null when there is none or it cannot be read (logged). */
  load(): Promise<SweepCheckpoint | null>;
  save(checkpoint: SweepCheckpoint): Promise<void>;
  /** Forgets the checkpoint (the sweep completed). */
  clear(): Promise<void>;
}

export function emptyCounts(): SweepCounts {
  return {
    done: 0,
    damagedContainers: 0,
    damagedReplicas: Object.fromEntries(DAMAGE_KINDS.map((k) => [k, 0])) as Record<DamageKind, number>,
    unrepairable: 0,
    probeErrors: 0,
    unknown: 0,
    repairs: Object.fromEntries(REPAIR_OUTCOMES.map((o) => [o, 0])) as Record<RepairOutcome, number>,
    activeMs: 0,
  };
}

const count = z.number().int().nonnegative();
const positionSchema = z.object({ account: z.string(), container: z.string() });
const checkpointSchema = z.object({
  version: z.literal(1),
  sweepId: z.string().min(1),
  startedAt: z.string(),
  position: positionSchema.nullable(),
  finishedAhead: z.array(positionSchema).default([]),
  counts: z.object({
    done: count,
    damagedContainers: count,
    damagedReplicas: z.partialRecord(z.enum(DAMAGE_KINDS), count),
    unrepairable: count,
    probeErrors: count,
    unknown: count.default(0),
    repairs: z.partialRecord(z.enum(REPAIR_OUTCOMES as [RepairOutcome, ...RepairOutcome[]]), count),
    activeMs: z.number().nonnegative(),
  }),
  savedAt: z.string(),
});

/** Parses a checkpoint; throws a ZodError (or SyntaxError) on anything else. */
export function parseCheckpoint(text: string): SweepCheckpoint {
  const raw = checkpointSchema.parse(JSON.parse(text));
  const base = emptyCounts();
  return {
    ...raw,
    counts: {
      ...raw.counts,
      damagedReplicas: { ...base.damagedReplicas, ...raw.counts.damagedReplicas },
      repairs: { ...base.repairs, ...raw.counts.repairs },
    },
  };
}

export class FileSweepStateStore implements SweepStateStore {
  readonly path: string;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly onBad: ((bad: BadStateFile) => void) | undefined;

  /** `onBad`: told when the file exists but cannot be used (a corrupt one is moved aside). */
  constructor(stateDir: string, log: Logger, onBad?: (bad: BadStateFile) => void) {
    this.dir = stateDir;
    this.path = join(stateDir, STATE_FILE);
    this.log = log;
    this.onBad = onBad;
  }

  load(): Promise<SweepCheckpoint | null> {
    return readStateFile(this.path, parseCheckpoint, this.log, 'sweep position', 'starting a new sweep', this.onBad);
  }

  async save(checkpoint: SweepCheckpoint): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(checkpoint)}\n`, this.log);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
    await syncDir(this.dir, this.log);
  }
}

/** Keeps the checkpoint in memory: for tests and for one-shot sweeps without a state dir. */
export class MemorySweepStateStore implements SweepStateStore {
  checkpoint: SweepCheckpoint | null = null;
  saves = 0;

  async load(): Promise<SweepCheckpoint | null> {
    return this.checkpoint;
  }

  async save(checkpoint: SweepCheckpoint): Promise<void> {
    this.saves += 1;
    this.checkpoint = structuredClone(checkpoint);
  }

  async clear(): Promise<void> {
    this.checkpoint = null;
  }
}
