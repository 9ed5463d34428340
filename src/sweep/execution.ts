// One execution of a sweep in this process (a fresh sweep, or the resumption of one cut short by
// a restart): walks the listing, admits each container (admission.ts), runs it
// (process-container.ts), counts it (counting.ts), saves checkpoints (checkpoints.ts), pauses
// outside the time windows, and at the end publishes the metrics and the summary.
import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { errorInfo } from '../errors.js';
import { enumerateContainers, isPermanentFailure, type EnumeratedContainer } from '../discover/enumerate.js';
import type { Logger } from '../log.js';
import { ActiveClock } from './active-clock.js';
import { Admission } from './admission.js';
import { CheckpointSaver } from './checkpoints.js';
import { systemClock, type Clock } from '../clock.js';
import { countOutcome, type MutableCounts } from './counting.js';
import type { Release } from './limiter.js';
import { processContainer, type ContainerStepDeps } from './process-container.js';
import { progressFields, reportProgress } from './progress.js';
import { sweepResult, walkedThrough, type SweepResult } from './result.js';
import { emptyCounts, type SweepCheckpoint } from './state.js';
import { publishContainerDone, publishSweepEnd, publishSweepStart } from './sweep-metrics.js';
import type { SweepDeps, SweepError, SweepOptions, SweepPause, SweepSummary } from './types.js';
import { Watermark, type Ticket } from './watermark.js';

const OUTSIDE_WINDOWS: SweepPause = { code: 'SKIPPED_WINDOW', why: 'outside its time windows' };

export class SweepExecution {
  private readonly deps: SweepDeps;
  private readonly opts: SweepOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sweepId: string;
  private readonly startedAt: string;
  private readonly resumed: boolean;
  private readonly counts: MutableCounts;
  private readonly watermark: Watermark;
  private readonly admission: Admission;
  private readonly active: ActiveClock;
  private readonly checkpoints: CheckpointSaver;
  private readonly step: ContainerStepDeps;
  /** Containers spawned and not finished; drain() waits for none. */
  private running = 0;
  private drained: (() => void) | undefined;
  private readonly shortId: string;
  /**
   * Random per run of the sweep: a resumed sweep keeps its id and restarts its container count,
   * so without this its request ids would repeat those of the run before the restart.
   */
  private readonly runTag = randomBytes(3).toString('hex');
  /** Follows opts.signal; ours so that its listener limit fits the many waiters of a sweep. */
  private readonly stop = new AbortController();
  private admittedCount = 0;
  private doneThisRun = 0;
  private paused = false;
  private error: SweepError | undefined;

  constructor(deps: SweepDeps, opts: SweepOptions, checkpoint: SweepCheckpoint | null) {
    this.deps = deps;
    this.opts = opts;
    this.clock = deps.clock ?? systemClock;
    const now = this.clock.now();
    this.resumed = checkpoint !== null;
    this.sweepId = checkpoint?.sweepId ?? (deps.newId ?? randomUUID)();
    this.shortId = this.sweepId.slice(0, 8);
    this.startedAt = checkpoint?.startedAt ?? new Date(now).toISOString();
    this.counts = structuredClone(checkpoint?.counts ?? emptyCounts()) as MutableCounts;
    this.watermark = new Watermark(checkpoint?.position ?? null, checkpoint?.finishedAhead ?? []);
    this.log = deps.log.child({ sweepId: this.sweepId });
    this.admission = new Admission(opts, this.clock, deps.locate, this.log);
    // Every admitted container may wait on the signal at once (limiter, semaphores).
    setMaxListeners(this.admission.windowSize + 16, this.stop.signal);
    this.step = { ...deps, now: () => this.clock.now(), log: this.log };
    this.active = new ActiveClock(this.clock, this.counts.activeMs);
    this.checkpoints = new CheckpointSaver(deps.state, this.clock, this.log, () => this.checkpoint(), {
      ...(opts.checkpointEvery !== undefined ? { every: opts.checkpointEvery } : {}),
      ...(opts.checkpointIntervalMs !== undefined ? { intervalMs: opts.checkpointIntervalMs } : {}),
    });
  }

  async run(): Promise<SweepSummary> {
    const { metrics, gate } = this.deps;
    if (this.resumed) gate.resumeSweep(this.counts.repairs.succeeded + this.counts.repairs.failed, this.sweepId);
    else gate.beginSweep(this.sweepId);
    publishSweepStart(metrics, this.counts.done);
    this.log.info({ resumed: this.resumed, position: this.watermark.position(), done: this.counts.done }, this.resumed ? 'sweep resumed' : 'sweep started');

    const progressTimer = setInterval(() => this.logProgress(), this.opts.progressIntervalMs);
    progressTimer.unref();
    const onStop = (): void => this.stop.abort(this.opts.signal.reason);
    if (this.opts.signal.aborted) onStop();
    else this.opts.signal.addEventListener('abort', onStop, { once: true });
    let result: SweepResult;
    try {
      result = await this.admitAll();
      await this.drain();
      // A stop that came after the listing ended still leaves admitted containers unprocessed
      // (their waits were aborted): the sweep did not complete, and must keep its position.
      if (result === 'completed' && this.stop.signal.aborted && this.admittedCount > this.doneThisRun) result = 'interrupted';
    } finally {
      clearInterval(progressTimer);
      this.opts.signal.removeEventListener('abort', onStop);
    }
    this.active.stop();
    return this.finish(result);
  }

  /** Feeds containers to tasks until the enumeration ends, fails for good, or the sweep stops. */
  private async admitAll(): Promise<SweepResult> {
    const retries = this.opts.enumerationRetries ?? 5;
    const backoffMs = this.opts.enumerationBackoffMs ?? 1000;
    const stop = this.stop.signal;
    let failures = 0;
    for (;;) {
      const from = this.watermark.admitted();
      try {
        const listing = enumerateContainers(this.deps.accounts, this.opts.filter, {
          ...(from ? { resumeFrom: from } : {}),
          ...(this.opts.pageSize !== undefined ? { pageSize: this.opts.pageSize } : {}),
          signal: stop,
        });
        for await (const page of listing) {
          failures = 0;
          for (const container of page) {
            // Finished beyond the watermark before a restart: already counted, not probed again.
            if (this.watermark.alreadyFinished({ account: container.account, container: container.container })) continue;
            const go = this.mayGoOn();
            if (!(typeof go === 'boolean' ? go : await go)) return 'interrupted';
            // Fleet mode: only the containers of this member's buckets (src/fleet/runner.ts).
            if (this.opts.select && !this.opts.select(container.cid)) continue;
            const window = this.admission.enterWindow(stop);
            const releaseWindow = typeof window === 'function' ? window : await window;
            this.spawn(container, releaseWindow);
          }
        }
        return stop.aborted ? 'interrupted' : 'completed';
      } catch (err) {
        if (stop.aborted) return 'interrupted';
        if (isPermanentFailure(err)) {
          // Retrying cannot help (e.g. no account service registered): fail now, say it once (finish).
          this.error = { ...errorInfo(err), permanent: true };
          return 'failed';
        }
        failures += 1;
        if (failures > retries) {
          this.error = errorInfo(err);
          this.log.error({ err, failures }, 'enumeration failed, giving up on this sweep');
          return 'failed';
        }
        const delay = backoffMs * 2 ** (failures - 1);
        this.log.warn({ err, failures, retryInMs: delay }, 'enumeration failed, retrying');
        try {
          await this.clock.sleep(delay, stop);
        } catch {
          return 'interrupted';
        }
      }
    }
  }

  /**
   * Whether the sweep may take its next container: at once (no promise) when it may, or after a
   * pause while outside the time windows. False when the sweep was stopped meanwhile.
   */
  private mayGoOn(): boolean | Promise<boolean> {
    const allowed = this.opts.isAllowedNow;
    if (this.stop.signal.aborted) return false;
    if (!allowed || allowed()) return true;
    return this.pauseUntilAllowed(allowed);
  }

  private async pauseUntilAllowed(allowed: () => boolean): Promise<boolean> {
    this.paused = true;
    this.active.stop();
    const pause = this.opts.pauseReason?.() ?? OUTSIDE_WINDOWS;
    this.log.info({ code: pause.code }, `sweep paused: ${pause.why}`);
    void this.checkpoints.save();
    try {
      while (!allowed()) await this.clock.sleep(this.opts.pauseCheckMs ?? 30_000, this.stop.signal);
    } catch {
      return false;
    } finally {
      this.paused = false;
    }
    this.active.start();
    this.log.info({ code: pause.code }, `sweep resumed: no longer ${pause.why}`);
    return true;
  }

  private spawn(container: EnumeratedContainer, releaseWindow: Release): void {
    const ticket = this.watermark.admit({ account: container.account, container: container.container });
    this.admittedCount += 1;
    const reqId = `sweep-${this.shortId}-${this.runTag}-${this.admittedCount}`;
    this.running += 1;
    void this.runContainer(container, ticket, reqId, releaseWindow);
  }

  /** Never rejects: a failure is logged, and the container stays unfinished (below the watermark). */
  private async runContainer(ref: EnumeratedContainer, ticket: Ticket, reqId: string, releaseWindow: Release): Promise<void> {
    const stop = this.stop.signal;
    let release: Release | undefined;
    try {
      const admitted = await this.admission.enter(ref, reqId, stop);
      release = admitted.release;
      const peers = admitted.peers;
      // From here on the container runs to its end even if the sweep is stopped: a repair is
      // never cut in the middle, and only finished containers move the watermark.
      let outcome;
      try {
        outcome = await processContainer(this.step, ref, peers ? { reqId, peers } : { reqId });
      } finally {
        this.opts.onContainerDone?.(ref);
      }
      countOutcome(this.counts, outcome);
      this.opts.onContainerOutcome?.(outcome);
      this.watermark.complete(ticket);
      this.doneThisRun += 1;
      publishContainerDone(this.deps.metrics, this.counts.done);
      this.checkpoints.containerDone();
    } catch (err) {
      // Only waits (limiter, semaphores) throw, and only when the sweep stops: the container
      // stays unfinished, so the saved watermark stays before it.
      if (!stop.aborted) this.log.error({ err, cid: ref.cid }, 'container task failed unexpectedly');
    } finally {
      try {
        release?.();
        releaseWindow();
      } catch (err) {
        // Not expected (releases are plain counters); never an unhandled rejection.
        this.log.error({ err, cid: ref.cid }, 'releasing a container\'s slots failed');
      }
      this.running -= 1;
      if (this.running === 0) this.drained?.();
    }
  }

  private async drain(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
    });
    this.drained = undefined;
  }

  private checkpoint(): SweepCheckpoint {
    return {
      version: 1,
      sweepId: this.sweepId,
      startedAt: this.startedAt,
      position: this.watermark.position(),
      finishedAhead: this.watermark.finishedAhead(),
      counts: { ...structuredClone(this.counts), activeMs: this.active.totalMs() },
      savedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  private logProgress(): void {
    const fields = progressFields({
      sweepId: this.sweepId,
      counts: this.counts,
      doneThisRun: this.doneThisRun,
      activeMsThisRun: this.active.thisRunMs(),
      paused: this.paused,
      ...(this.opts.expectedTotal !== undefined ? { expectedTotal: this.opts.expectedTotal } : {}),
    });
    reportProgress(this.log, fields, this.opts.onProgress);
  }

  private async finish(walked: SweepResult): Promise<SweepSummary> {
    this.counts.activeMs = this.active.totalMs();
    const result = sweepResult(walked, this.counts, this.opts.maxUnknownShare);
    await this.checkpoints.settled();
    // A new sweep that ended before finishing any container leaves nothing to resume: the next
    // one starts afresh (and is not logged as "resumed").
    const nothingToResume = !this.resumed && this.counts.done === 0;
    if (walkedThrough(result) || nothingToResume) await this.checkpoints.clear();
    else await this.checkpoints.save();
    const now = this.clock.now();
    publishSweepEnd(this.deps.metrics, result, this.counts, now);
    const summary: SweepSummary = {
      sweepId: this.sweepId,
      result,
      resumed: this.resumed,
      startedAt: this.startedAt,
      endedAt: new Date(now).toISOString(),
      doneThisRun: this.doneThisRun,
      counts: structuredClone(this.counts),
      position: walkedThrough(result) || nothingToResume ? null : this.watermark.position(),
      ...(this.error ? { error: this.error } : {}),
    };
    logSweepEnd(this.log, summary, this.opts.maxUnknownShare);
    return summary;
  }
}

function logSweepEnd(log: Logger, summary: SweepSummary, maxUnknownShare: number): void {
  const { result, counts } = summary;
  const fields = { result, done: counts.done, doneThisRun: summary.doneThisRun, counts, position: summary.position };
  if (result === 'completed') log.info(fields, 'sweep done');
  else if (result === 'incomplete') {
    log.warn({ ...fields, unknown: counts.unknown, maxUnknownShare }, 'sweep incomplete: too many containers could not be judged, damage gauges not updated');
  } else if (result === 'failed') log.error({ ...fields, error: summary.error }, 'sweep failed');
  else log.info(fields, 'sweep interrupted');
}
