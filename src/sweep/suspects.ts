// Suspects: containers found damaged, unreachable (not judged) or flapping in recent probes,
// to be re-checked first by the suspects lane between full sweeps. Fed with every container's
// outcome (sweeps and the lane itself); a suspect leaves the list after `clearAfterHealthy`
// healthy checks in a row. Bounded (the least recently seen goes first), kept in
// <state.dir>/suspects.json with atomic writes; a corrupt file is moved aside like the other
// state files and the list starts empty (the next sweep finds them again).
import { systemClock } from '../clock.js';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { ContainerRef } from '../oio/types.js';
import type { ContainerOutcome } from './process-container.js';
import { readStateFile, writeFileAtomic, type BadStateFile } from './state-file.js';

export const SUSPECTS_FILE = 'suspects.json';

/** damaged: found damaged (repaired or not); unreachable: could not be judged; flapping: wrong again after a healthy check. */
export type SuspectReason = 'damaged' | 'unreachable' | 'flapping';

export interface Suspect {
  readonly account: string;
  readonly container: string;
  readonly cid: string;
  readonly reason: SuspectReason;
  /** ISO time it was first found suspect (kept while it stays on the list). */
  readonly since: string;
  /** ISO time of its last probe. */
  readonly lastSeen: string;
  /** Healthy probes in a row since it was last found wrong. */
  readonly healthyChecks: number;
}

export interface SuspectsOptions {
  readonly stateDir: string;
  readonly log: Logger;
  /** Suspects kept at most (suspects.maxEntries). */
  readonly maxEntries: number;
  /** Healthy checks in a row before a suspect leaves the list (suspects.clearAfterHealthy). */
  readonly clearAfterHealthy: number;
  readonly onBadFile?: (bad: BadStateFile) => void;
  readonly now?: () => number;
}

const suspectSchema = z.object({
  account: z.string().min(1),
  container: z.string().min(1),
  cid: z.string().regex(/^[0-9A-F]{64}$/),
  reason: z.enum(['damaged', 'unreachable', 'flapping']),
  since: z.string(),
  lastSeen: z.string(),
  healthyChecks: z.number().int().min(0),
});
const fileSchema = z.object({ version: z.literal(1), suspects: z.array(suspectSchema) });

/** Which to re-check first: damaged, then flapping, then unreachable; the longest unchecked first. */
const PRIORITY: Readonly<Record<SuspectReason, number>> = { damaged: 0, flapping: 1, unreachable: 2 };

export class Suspects {
  private readonly opts: SuspectsOptions;
  private readonly path: string;
  private readonly now: () => number;
  private readonly byCid = new Map<string, Suspect>();
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();

  constructor(opts: SuspectsOptions) {
    this.opts = opts;
    this.path = join(opts.stateDir, SUSPECTS_FILE);
    this.now = opts.now ?? systemClock.now;
  }

  get size(): number {
    return this.byCid.size;
  }

  /** Takes back the saved list (call before the first sweep). */
  async load(): Promise<void> {
    const parse = (text: string): Suspect[] => fileSchema.parse(JSON.parse(text)).suspects;
    const list = await readStateFile(this.path, parse, this.opts.log, 'suspects file', 'starting with no suspects', this.opts.onBadFile);
    for (const s of (list ?? []).slice(-this.opts.maxEntries)) this.byCid.set(s.cid, s);
  }

  /** One container's probe (and repair) ended: it becomes, stays or stops being a suspect. */
  observe(outcome: ContainerOutcome): void {
    const { ref, verdict } = outcome.report;
    if (ref.account === undefined || ref.container === undefined) return;
    const known = this.byCid.get(ref.cid);
    const at = new Date(this.now()).toISOString();
    if (verdict === 'healthy') {
      if (!known) return;
      const healthyChecks = known.healthyChecks + 1;
      if (healthyChecks >= this.opts.clearAfterHealthy) this.byCid.delete(ref.cid);
      else this.byCid.set(ref.cid, { ...known, lastSeen: at, healthyChecks });
      this.dirty = true;
      return;
    }
    // Wrong again after a healthy check (or after a repair): flapping.
    const flapped = known !== undefined && (known.healthyChecks > 0 || known.reason === 'flapping');
    const reason: SuspectReason = verdict === 'unknown' ? (known?.reason ?? 'unreachable') : flapped ? 'flapping' : 'damaged';
    this.byCid.delete(ref.cid); // re-inserted last: the map's order is least recently seen first
    this.byCid.set(ref.cid, { account: ref.account, container: ref.container, cid: ref.cid, reason, since: known?.since ?? at, lastSeen: at, healthyChecks: 0 });
    while (this.byCid.size > this.opts.maxEntries) this.byCid.delete(this.byCid.keys().next().value as string);
    this.dirty = true;
  }

  /** Up to `limit` suspects, the most urgent first (see PRIORITY). */
  next(limit: number): ContainerRef[] {
    return [...this.byCid.values()]
      .sort((a, b) => PRIORITY[a.reason] - PRIORITY[b.reason] || a.lastSeen.localeCompare(b.lastSeen))
      .slice(0, limit)
      .map((s) => ({ cid: s.cid, account: s.account, container: s.container }));
  }

  list(): readonly Suspect[] {
    return [...this.byCid.values()];
  }

  /** Writes the list if it changed since the last save (atomic; one write at a time). Throws on failure. */
  save(): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, suspects: this.list() })}\n`, this.opts.log);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    return this.saving;
  }
}
