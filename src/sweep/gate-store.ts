// Persists the repair gate's history (cooldowns, backoff, the last hour's repairs, the budget
// reserved by the running sweep) in `<state.dir>/repair-gate.json`, so budgets and cooldowns
// survive restarts, crashes and crash loops. Saves are coalesced (one write at a time, the latest
// snapshot wins); a save's promise says whether that snapshot (or a later one) reached the disk,
// because the gate's reservations must be on disk before a repair sends anything. A failed save
// is retried on its own until it succeeds. A corrupt file is kept aside, never overwritten.
import { z } from 'zod';
import type { Logger } from '../log.js';
import { JsonStateFile, type NamedStateFileLoad } from './state-file.js';
import type { GateSnapshot } from './repair-gate.js';

export const GATE_FILE = 'repair-gate.json';

const ms = z.number().finite().nonnegative();
const snapshotSchema = z.object({
  version: z.literal(1),
  hourly: z.array(ms),
  attempts: z.array(z.tuple([z.string().min(1), z.object({ failures: z.number().int().nonnegative(), notBefore: ms, expiresAt: ms })])),
  sweep: z.object({ id: z.string().min(1), used: z.number().int().nonnegative() }).optional(),
  noRepairsBefore: ms.optional(),
});

/** Parses the file's text (throws when it is not a valid history); also used by `explain`, read-only. */
export function parseGateSnapshot(text: string): GateSnapshot {
  return snapshotSchema.parse(JSON.parse(text)) as GateSnapshot;
}

/** `bad`: the file exists but could not be used (a corrupt one was moved aside): "budget unknown". */
export type GateLoad = NamedStateFileLoad<'snapshot', GateSnapshot>;

export interface GateStoreEvents {
  /** A save reached the disk. */
  readonly onSaved?: () => void;
  /** A save failed (it will be retried). */
  readonly onSaveFailed?: (err: unknown) => void;
}

interface Waiter {
  readonly gen: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class FileGateStore {
  private readonly file: JsonStateFile<GateSnapshot>;
  private readonly log: Logger;
  private readonly events: GateStoreEvents;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private latest: GateSnapshot | null = null;
  private latestGen = 0;
  private writtenGen = 0;
  private waiters: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private failing = false;
  private closed = false;

  constructor(stateDir: string, log: Logger, opts: GateStoreEvents & { retryMinMs?: number; retryMaxMs?: number } = {}) {
    this.file = new JsonStateFile(stateDir, GATE_FILE, { parse: parseGateSnapshot, what: 'repair history', otherwise: 'no repairs until the budget window has passed' }, log);
    this.log = log;
    this.events = opts;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.retryDelayMs = this.retryMinMs;
  }

  /**
   * The saved history. A file that exists but cannot be used (corrupt: moved aside; unreadable)
   * is `bad`: what the last hour spent is unknown, and the caller must assume the worst.
   */
  async load(): Promise<GateLoad> {
    const loaded = await this.file.load();
    return loaded.kind === 'restored' ? { kind: 'restored', snapshot: loaded.value } : loaded;
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * Queues a save of `snapshot`. Resolves when it (or a later snapshot) is on disk; rejects when
   * the write that carried it failed (a retry follows on its own).
   */
  save(snapshot: GateSnapshot): Promise<void> {
    this.latest = snapshot;
    const gen = ++this.latestGen;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ gen, resolve, reject }));
    this.writing ??= this.drain();
    return done;
  }

  /** Resolves once every queued save was attempted (never rejects). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Stops retrying (the daemon is stopping); queued saves are still written. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.flush();
  }

  /** True while the last save failed. */
  get unhealthy(): boolean {
    return this.failing;
  }

  private async drain(): Promise<void> {
    while (this.latest && this.latestGen > this.writtenGen) {
      const gen = this.latestGen;
      const snapshot = this.latest;
      try {
        await this.file.save(snapshot);
        this.writtenGen = gen;
        if (this.failing) this.log.info({ path: this.path }, 'repair history saved again');
        this.failing = false;
        this.settle(gen, null);
        this.retryDelayMs = this.retryMinMs;
        this.events.onSaved?.();
      } catch (err) {
        if (!this.failing) this.log.error({ err, path: this.path }, 'saving the repair history failed: no repair until it can be saved; retrying');
        this.failing = true;
        this.settle(gen, err instanceof Error ? err : new Error(String(err)));
        this.events.onSaveFailed?.(err);
        this.scheduleRetry(gen);
        break;
      }
    }
    this.writing = null;
  }

  private settle(gen: number, err: Error | null): void {
    const left: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.gen > gen) left.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters = left;
  }

  private scheduleRetry(failedGen: number): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      // A newer snapshot may be queued already; otherwise write the one that failed again.
      if (this.latestGen === failedGen) this.latestGen += 1;
      this.writing ??= this.drain();
    }, delay);
    this.retryTimer.unref();
  }
}
