// Notices a sweep that no longer makes progress: no container finished for the stall time while
// at least one was in flight. Only the containers in flight since before the last progress are
// blamed (never one merely queued behind them, e.g. waiting for the shared proxy check). Then
// readiness goes false with the reason, a gauge, a counter and an error line say so, and the
// daemon withholds its watchdog pings so that systemd restarts it. The containers held
// responsible are counted in a state file (written before the restart can happen); a container
// that stalled `skipAfter` sweeps in a row is skipped (probed as `unknown`, journaled, counted)
// instead of stalling the resumed sweep again for ever.
import { systemClock } from '../clock.js';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ContainerRef } from '../oio/types.js';
import type { ContainerReport } from '../probe/types.js';
import { readStateFile, writeFileAtomic } from '../sweep/state-file.js';

export const STALL_FILE_NAME = 'stalled-containers.json';

interface StallFile {
  readonly version: 1;
  /** `account/container` → sweeps it stalled. */
  readonly containers: Record<string, number>;
}

export interface StallWatchOptions {
  readonly stallMs: number;
  readonly skipAfter: number;
  readonly stateDir: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
}

/** The stall counts of a stalled-containers file (`account/container` → sweeps); throws when it is not one. */
export function parseStallFile(text: string): Record<string, number> {
  const containers = (JSON.parse(text) as Partial<StallFile> | null)?.containers;
  if (typeof containers !== 'object' || containers === null) throw new Error('no "containers" map');
  return Object.fromEntries(Object.entries(containers).filter(([, n]) => Number.isInteger(n) && n > 0));
}

export const keyOf = (ref: ContainerRef): string => `${ref.account}/${ref.container}`;

export class StallWatch {
  private readonly opts: StallWatchOptions;
  private readonly now: () => number;
  private readonly path: string;
  /** `account/container` → the sequence number of its start (starts and ends are numbered). */
  private readonly inflight = new Map<string, number>();
  private attempts: Record<string, number> = {};
  /** Last progress: a container finished, or one started while none was in flight. */
  private progressAt: number;
  /** Sequence number of the last progress: a start numbered at most this one predates it. */
  private progressSeq = 0;
  private seq = 0;
  private stalledReason: string | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(opts: StallWatchOptions) {
    this.opts = opts;
    this.now = opts.now ?? systemClock.now;
    this.path = join(opts.stateDir, STALL_FILE_NAME);
    this.progressAt = this.now();
  }

  /** Takes back the counts of earlier runs (call before the first sweep). */
  async load(): Promise<void> {
    const file = await readStateFile(this.path, parseStallFile, this.opts.log, 'stalled containers file', 'counting stalls afresh');
    this.attempts = file ?? {};
  }

  /** Null while sweeps progress; otherwise why the sweep is considered stuck. */
  get stalled(): string | null {
    return this.stalledReason;
  }

  /** True when this container stalled `skipAfter` sweeps already: do not touch it this time. */
  shouldSkip(ref: ContainerRef): boolean {
    return (this.attempts[keyOf(ref)] ?? 0) >= this.opts.skipAfter;
  }

  /** The report of a skipped container: unknown, never probed, never repaired. */
  skippedReport(ref: ContainerRef): ContainerReport {
    const key = keyOf(ref);
    const times = this.attempts[key] ?? 0;
    delete this.attempts[key];
    void this.save();
    this.opts.metrics.stalledContainersSkipped.inc();
    const reason = `skipped: it stalled the sweep ${times} times (sweep.stallSkipAfter is ${this.opts.skipAfter}); tried again next sweep`;
    this.opts.log.warn({ cid: ref.cid, account: ref.account, container: ref.container, stalls: times }, 'container skipped: it stalled the sweep too often');
    return { ref, peers: [], replicas: [], verdict: 'unknown', code: 'SKIPPED_STALLED', reason, requests: 0, error: { code: 'REPAIRD_STALLED_SKIPPED', message: reason } };
  }

  /** A container's probe began (it holds its slots from now on). */
  started(ref: ContainerRef): void {
    if (this.inflight.has(keyOf(ref))) return; // probed again within its own run: same start
    this.seq += 1;
    // Time spent with nothing in flight is not a stall: the clock starts with this container.
    if (this.inflight.size === 0) this.progress(this.now());
    this.inflight.set(keyOf(ref), this.seq);
  }

  /** A container ended, whatever its outcome: the sweep progresses. */
  done(ref: ContainerRef): void {
    const key = keyOf(ref);
    this.seq += 1;
    this.inflight.delete(key);
    this.progress(this.now());
    if (this.attempts[key] !== undefined) {
      delete this.attempts[key];
      void this.save();
    }
    if (this.stalledReason !== null) this.recovered();
  }

  /** A sweep ended (any result): nothing is in flight any more. */
  sweepEnded(): void {
    this.inflight.clear();
    this.progress(this.now());
    if (this.stalledReason !== null) this.recovered();
  }

  /** Called periodically: detects a stall once, with its side effects. */
  check(): void {
    if (this.stalledReason !== null) return;
    const now = this.now();
    if (this.inflight.size === 0 || now - this.progressAt <= this.opts.stallMs) return;
    const stuck = this.blamed();
    const seconds = Math.round((now - this.progressAt) / 1000);
    this.stalledReason = `sweep stalled: no container finished for ${seconds}s (stuck: ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ', …' : ''})`;
    for (const key of stuck) this.attempts[key] = (this.attempts[key] ?? 0) + 1;
    void this.save();
    this.opts.metrics.sweepStalled.set(1);
    this.opts.metrics.sweepStalls.inc();
    this.opts.log.error(
      { stuck, stalls: Object.fromEntries(stuck.map((k) => [k, this.attempts[k]])), stallSeconds: this.opts.stallMs / 1000 },
      'sweep stalled: withholding watchdog pings so that systemd restarts the daemon',
    );
  }

  /** Resolves once the counts written so far are on disk. */
  flush(): Promise<void> {
    return this.saving;
  }

  /**
   * The containers in flight since before the last progress: those that hold the sweep. One
   * started later got its slot while the sweep still moved and may only wait behind them.
   */
  private blamed(): string[] {
    const entries = [...this.inflight];
    const before = entries.filter(([, seq]) => seq <= this.progressSeq);
    if (before.length > 0) return before.map(([key]) => key);
    // Not reachable (one in flight always predates the last progress); the oldest, to be safe.
    const oldest = Math.min(...entries.map(([, seq]) => seq));
    return entries.filter(([, seq]) => seq === oldest).map(([key]) => key);
  }

  private progress(at: number): void {
    this.progressAt = at;
    this.progressSeq = this.seq;
  }

  private recovered(): void {
    this.stalledReason = null;
    this.opts.metrics.sweepStalled.set(0);
    this.opts.log.info('sweep progressing again');
  }

  private save(): Promise<void> {
    const file: StallFile = { version: 1, containers: { ...this.attempts } };
    this.saving = this.saving.then(() =>
      writeFileAtomic(this.path, `${JSON.stringify(file)}\n`, this.opts.log).catch((err: unknown) => {
        this.opts.log.error({ err, path: this.path }, 'saving the stalled containers failed');
      }),
    );
    return this.saving;
  }
}
