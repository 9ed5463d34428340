// Fleet sweeps: what a member walks and when. The leader starts epochs (on the schedule, and
// the first one when none exists); every member walks the namespace listing for the current
// epoch, probing only the containers of buckets it owns and that are not yet done, and records
// as done the buckets whose every container it probed in that walk. A member that inherits a
// dead member's buckets finds them not done and walks again. A walk pauses while the member
// is fenced (session lost or suspended) and is cut short when the epoch changes.
import { systemClock } from '../clock.js';
import type { Logger } from '../log.js';
import type { SweepSummary } from '../sweep/sweep.js';
import { bucketOf } from './buckets.js';
import type { FleetMember, WalkCounts } from './member.js';

export interface FleetWalk {
  readonly epoch: number;
  readonly signal: AbortSignal;
  /** Whether to probe this container (its bucket is ours now and not yet done in the epoch). */
  readonly select: (cid: string) => boolean;
  /** False while fenced: the walk takes no new container. */
  readonly allowed: () => boolean;
}

export type RunWalk = (walk: FleetWalk) => Promise<SweepSummary>;

export interface FleetSweepsOptions {
  readonly member: FleetMember;
  readonly runWalk: RunWalk;
  readonly log: Logger;
  /** Called after every change of the fleet view and every walk (metrics). */
  readonly onChange?: () => void;
  /** Wait after a failed walk before the next (default 5 s). */
  readonly retryMs?: number;
}

export class FleetSweeps {
  private stopped = false;
  private readonly stopCtl = new AbortController();
  private loop: Promise<void> | null = null;
  /** Walks made by this member (for tests and the status page). */
  walks = 0;
  walking = false;

  constructor(private readonly opts: FleetSweepsOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** The schedule fired: the leader starts the next epoch if the current one is complete. */
  async onSchedule(): Promise<void> {
    try {
      await this.opts.member.startEpoch();
    } catch (err) {
      this.opts.log.warn({ err }, 'fleet: starting an epoch failed');
    }
  }

  private hasWork(): boolean {
    const m = this.opts.member;
    if (!m.epoch) return false;
    for (const b of m.ownedBuckets()) if (!m.isDone(b)) return true;
    return false;
  }

  private async run(): Promise<void> {
    const m = this.opts.member;
    while (!this.stopped) {
      this.opts.onChange?.();
      if (m.isLeader) {
        try {
          if (!m.epoch) await m.startEpoch();
          else await m.summarizeIfComplete();
        } catch (err) {
          this.opts.log.debug({ err }, 'fleet: leader duty failed (retried)');
        }
      }
      if (!m.mayMutate() || !this.hasWork()) {
        await m.changed(1000);
        continue;
      }
      const ok = await this.walk();
      // A stop cuts the wait short; the loop then sees `stopped`.
      if (!ok && !this.stopped) await systemClock.sleep(this.opts.retryMs ?? 5000, this.stopCtl.signal).catch(() => undefined);
    }
  }

  /** One walk for the current epoch; false when it failed (retry later). */
  private async walk(): Promise<boolean> {
    const m = this.opts.member;
    const epoch = m.epoch?.epoch ?? 0;
    const skipped = new Set<number>();
    const cut = new AbortController();
    const onChange = (): void => {
      if (m.epoch?.epoch !== epoch) cut.abort(new Error(`epoch ${epoch} ended`));
    };
    m.on('change', onChange);
    this.walking = true;
    this.walks += 1;
    let summary: SweepSummary;
    try {
      this.opts.log.info({ epoch, owned: m.ownedBuckets().size, done: m.doneBuckets() }, 'fleet: walk started');
      summary = await this.opts.runWalk({
        epoch,
        signal: AbortSignal.any([cut.signal, this.stopCtl.signal]),
        select: (cid) => {
          const b = bucketOf(cid);
          if (m.isDone(b)) return false;
          if (m.owns(cid)) return true;
          skipped.add(b);
          return false;
        },
        allowed: () => m.mayMutate(),
      });
    } finally {
      m.off('change', onChange);
      this.walking = false;
    }
    if (summary.result !== 'completed' && summary.result !== 'incomplete') return summary.result === 'interrupted';
    // Done: the buckets owned now of which no container was passed over in this walk.
    const done = [...m.ownedBuckets()].filter((b) => !skipped.has(b) && !m.isDone(b));
    const c = summary.counts;
    const counts: WalkCounts = { probed: summary.doneThisRun, damaged: c.damagedContainers, unknown: c.unknown, repairs: c.repairs.succeeded + c.repairs.failed };
    try {
      await m.markDone(epoch, done, counts);
      this.opts.log.info({ epoch, marked: done.length, skippedBuckets: skipped.size, ...counts }, 'fleet: walk done, buckets recorded');
    } catch (err) {
      this.opts.log.warn({ err, epoch }, 'fleet: recording the walk\'s buckets failed: they will be walked again');
      return false;
    }
    this.opts.onChange?.();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCtl.abort(new Error('stopping'));
    await this.loop;
  }
}
