// What the status page shows, gathered as the daemon runs: the running sweep's progress, the
// recent journal entries and unrepairable containers (RecentJournal), and the sweep history.
// The Daemon feeds it; src/http/status-page.ts renders it. Holds no decisions.
import { systemClock } from '../clock.js';
import { readJournal } from '../journal/read.js';
import { RECENT_KEPT, RecentJournal, type UnrepairableContainer } from '../journal/recent.js';
import type { JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import type { StatusView } from '../http/status-page.js';
import type { SweepRecord } from '../sweep/history.js';
import type { ProgressFields } from '../sweep/progress.js';
import { sweepSucceeded, type SweepSummary } from '../sweep/sweep.js';

export type StatusContext = Omit<StatusView, 'sweep' | 'recent' | 'unrepairable' | 'lastSweeps' | 'now' | 'safety'>;

export class StatusBoard {
  /** The sink repairs and detections go through (the journal file, remembered on the way). */
  readonly journal: RecentJournal;
  private running: { startedAt: string; progress: ProgressFields | null } | null = null;

  constructor(journal: JournalSink) {
    this.journal = new RecentJournal(journal);
  }

  /** Seeds the recent entries from the journal file's tail (a restart keeps the page useful). */
  async restore(journalPath: string, unrepairable: readonly UnrepairableContainer[], log: Logger): Promise<void> {
    try {
      this.journal.seed(await readJournal(journalPath, { types: ['detection', 'repair'], limit: RECENT_KEPT }));
    } catch (err) {
      log.warn({ err, journal: journalPath }, 'could not read the journal back for the status page');
    }
    this.journal.restoreUnrepairable(unrepairable);
  }

  sweepStarted(now = new Date(systemClock.now())): void {
    this.running = { startedAt: now.toISOString(), progress: null };
    this.journal.beginSweep();
  }

  progress(fields: ProgressFields): void {
    if (this.running) this.running.progress = fields;
  }

  /** Returns the unrepairable containers the history should keep for this sweep. */
  sweepEnded(summary: SweepSummary): readonly UnrepairableContainer[] {
    this.running = null;
    if (sweepSucceeded(summary.result)) this.journal.completeSweep();
    return this.journal.unrepairable();
  }

  view(context: StatusContext, lastSweeps: readonly SweepRecord[], safety: readonly string[] | null = null, now = new Date(systemClock.now())): StatusView {
    return {
      ...context,
      now,
      sweep: this.running ? { ...this.running } : null,
      lastSweeps,
      recent: this.journal.recent(),
      unrepairable: this.journal.unrepairable(),
      safety,
    };
  }
}
