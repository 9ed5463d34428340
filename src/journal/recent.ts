// The journal's recent past, kept in memory for the status page: the last detections and
// repair outcomes, and the containers found unrepairable by the last completed sweep. Wraps the
// real sink (the file stays the record; this is only a view) and is seeded from the file's tail
// at start-up, so the page is not empty after a restart.
import type { JournalEntry, JournalSink } from './types.js';

/** Entries the page lists, newest last. */
export const RECENT_KEPT = 30;
/** Unrepairable containers listed at most (the gauge has the full count). */
export const UNREPAIRABLE_KEPT = 100;

export type RecentEntry = Extract<JournalEntry, { type: 'detection' | 'repair' }>;

export interface UnrepairableContainer {
  readonly cid: string;
  readonly account?: string;
  readonly container?: string;
  readonly reason: string;
  readonly ts: string;
}

export class RecentJournal implements JournalSink {
  private entries: RecentEntry[] = [];
  private current = new Map<string, UnrepairableContainer>();
  private published: UnrepairableContainer[] = [];

  constructor(private readonly sink: JournalSink) {}

  async append(entry: JournalEntry): Promise<void> {
    await this.sink.append(entry);
    this.remember(entry);
  }

  /** Takes entries read back from the file (oldest first), e.g. its tail at start-up. */
  seed(entries: readonly JournalEntry[]): void {
    for (const e of entries) this.remember(e);
  }

  /** A sweep starts: unrepairable containers are collected afresh. */
  beginSweep(): void {
    this.current = new Map();
  }

  /** The sweep completed: its unrepairable containers become the published list. */
  completeSweep(): void {
    this.published = [...this.current.values()];
  }

  /** Replaces the published list (restored from the sweep history at start-up). */
  restoreUnrepairable(list: readonly UnrepairableContainer[]): void {
    this.published = [...list];
  }

  recent(): readonly RecentEntry[] {
    return this.entries;
  }

  unrepairable(): readonly UnrepairableContainer[] {
    return this.published;
  }

  private remember(entry: JournalEntry): void {
    if (entry.type !== 'detection' && entry.type !== 'repair') return;
    this.entries.push(entry);
    if (this.entries.length > RECENT_KEPT) this.entries = this.entries.slice(-RECENT_KEPT);
    if (entry.type === 'detection' && entry.verdict === 'unrepairable' && this.current.size < UNREPAIRABLE_KEPT) {
      this.current.set(entry.cid, {
        cid: entry.cid,
        ...(entry.account !== undefined ? { account: entry.account } : {}),
        ...(entry.container !== undefined ? { container: entry.container } : {}),
        reason: entry.reason,
        ts: entry.ts,
      });
    }
  }
}
