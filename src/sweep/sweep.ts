// One sweep over the namespace: enumerate containers, probe each under flow control, repair
// what the gate allows, record everything, and save a resume watermark as it goes.
//
// Admission order of a container (why a slow meta2 service cannot stall the sweep):
//   1. an admission-window slot (bounds the containers in flight, hence memory),
//   2. a rate-limiter token (probes per second),
//   3. locate (one cheap proxy call, not gated per service: the peers are not known before it),
//   4. the per-service slots of ALL its peers (sorted order: no deadlock),
//   5. a global concurrency slot, held only while probing/repairing.
// A container queued behind a busy service holds no global slot (step 5 comes last), so other
// containers keep probing; only the admission window (default 4 × concurrency) can fill up with
// containers of one slow service, and then the sweep runs at that service's pace, not stops.
// Without an injected `locate`, step 3 and 4 are skipped (global limits only).
import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { enumerateContainers, isPermanentFailure, type AccountFilter, type EnumeratedContainer, type SweepPosition } from '../discover/enumerate.js';
import type { Logger } from '../log.js';
import type { AccountApi, ContainerRef, PeerId } from '../oio/types.js';
import { DAMAGE_KINDS } from '../probe/types.js';
import { systemClock, type Clock } from './clock.js';
import { publishCompletedSweep } from './gauges.js';
import { KeyedSemaphore, RateLimiter, unlimitedRate, type Release } from './limiter.js';
import { processContainer, type ContainerOutcome, type ContainerStepDeps } from './process-container.js';
import { progressFields, type ProgressFields } from './progress.js';
import { emptyCounts, type SweepCheckpoint, type SweepCounts, type SweepStateStore } from './state.js';
import { Watermark, type Ticket } from './watermark.js';

export type LocateFn = (ref: ContainerRef, ctx: { readonly reqId: string }) => Promise<readonly PeerId[]>;

/** What one container needs (probe, repair, journal, metrics, gate…) plus what the walk needs. */
export interface SweepDeps extends Omit<ContainerStepDeps, 'now'> {
  readonly accounts: AccountApi;
  /** The container's meta2 peers, for per-service gating (e.g. `(ref, c) => proxy.locate(ref, c)`). */
  readonly locate?: LocateFn;
  readonly state: SweepStateStore;
  readonly clock?: Clock;
  /** Sweep ids (default: random UUIDs). */
  readonly newId?: () => string;
}

export interface SweepOptions {
  readonly filter: AccountFilter;
  /** Containers probed/repaired at once. */
  readonly concurrency: number;
  /** Container probes started per second; 0 means unlimited. */
  readonly probesPerSecond: number;
  /** Containers probed at once that have a replica on the same meta2 service. */
  readonly perServiceConcurrency: number;
  readonly progressIntervalMs: number;
  /** Stop: take no new container, let in-flight probes and repairs finish, save the position. */
  readonly signal: AbortSignal;
  /** Time windows: while false the sweep pauses (takes no new container) and keeps its position. */
  readonly isAllowedNow?: () => boolean;
  /** How often a paused sweep checks its window again (default 30 s). */
  readonly pauseCheckMs?: number;
  /** Containers admitted but not finished, at most (default 4 × concurrency). */
  readonly admissionWindow?: number;
  /** Account-service page size. */
  readonly pageSize?: number;
  /** Save the position every this many finished containers (default 500)… */
  readonly checkpointEvery?: number;
  /** …or this often (default 10 s), whichever comes first. */
  readonly checkpointIntervalMs?: number;
  /** Consecutive enumeration failures retried before the sweep fails (default 5). */
  readonly enumerationRetries?: number;
  /** First retry delay, doubled each time (default 1 s). */
  readonly enumerationBackoffMs?: number;
  /** Containers expected (e.g. the previous sweep's count), for the ETA in progress lines. */
  readonly expectedTotal?: number;
  /**
   * Share (0..1) of the containers that may end `unknown` (could not be judged: a replica unseen,
   * the probe failed, the election unclear) before a walked-through sweep is `incomplete`
   * (configuration: probe.maxUnknownShare).
   */
  readonly maxUnknownShare: number;
  /** Called with each progress line's fields (the daemon forwards them to systemd's STATUS=). */
  readonly onProgress?: (fields: ProgressFields) => void;
  /** Called when a container's probe/repair has ended, whatever the outcome (the stall watch). */
  readonly onContainerDone?: (ref: ContainerRef) => void;
}

/**
 * `completed`: every container was listed and at most `maxUnknownShare` of them could not be
 * judged; the damage gauges and the success timestamp are its.
 * `incomplete`: every container was listed, but more of them than `maxUnknownShare` allows ended
 * `unknown` (e.g. one meta2 service down: every container with a replica on it), so the sweep
 * did not see the namespace: the "as of the last completed sweep" gauges and the success
 * timestamp are left as they were. `failed`: the enumeration failed. `interrupted`: stopped.
 */
export type SweepResult = 'completed' | 'incomplete' | 'failed' | 'interrupted';

/**
 * Whether a sweep's picture of the namespace is trusted: the one place that decides which
 * results refresh the success timestamp and the "as of the last completed sweep" gauges (here,
 * and when the daemon restores them from the sweep history after a restart).
 */
export function sweepSucceeded(result: SweepResult): boolean {
  return result === 'completed';
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly result: SweepResult;
  readonly resumed: boolean;
  /** When the sweep first started (before any restart). */
  readonly startedAt: string;
  readonly endedAt: string;
  /** Containers finished by this run (a resumed sweep's earlier runs excluded). */
  readonly doneThisRun: number;
  /** Counts over the whole sweep, earlier runs included. */
  readonly counts: SweepCounts;
  /** Saved resume position (null when completed or nothing was done). */
  readonly position: SweepPosition | null;
  /** Why the sweep failed (enumeration); `permanent` when no retry can fix it (configuration). */
  readonly error?: SweepError;
}

export interface SweepError {
  readonly code: string;
  readonly message: string;
  readonly permanent?: boolean;
}

export async function runSweep(deps: SweepDeps, opts: SweepOptions): Promise<SweepSummary> {
  validateOptions(opts);
  const checkpoint = await deps.state.load();
  return new SweepRun(deps, opts, checkpoint).run();
}

function validateOptions(opts: SweepOptions): void {
  const positive = (name: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  };
  positive('concurrency', opts.concurrency);
  positive('perServiceConcurrency', opts.perServiceConcurrency);
  if (!(opts.probesPerSecond >= 0)) throw new RangeError(`probesPerSecond must be >= 0, got ${opts.probesPerSecond}`);
  if (!(opts.maxUnknownShare >= 0 && opts.maxUnknownShare <= 1)) throw new RangeError(`maxUnknownShare must be within 0..1, got ${opts.maxUnknownShare}`);
  if (!(opts.progressIntervalMs > 0)) throw new RangeError(`progressIntervalMs must be > 0, got ${opts.progressIntervalMs}`);
}

type MutableCounts = { -readonly [K in keyof SweepCounts]: SweepCounts[K] extends number ? number : { -readonly [J in keyof SweepCounts[K]]: number } };

const ADMISSION = 'admission';
const GLOBAL = 'global';

class SweepRun {
  private readonly deps: SweepDeps;
  private readonly opts: SweepOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sweepId: string;
  private readonly startedAt: string;
  private readonly resumed: boolean;
  private readonly counts: MutableCounts;
  private readonly watermark: Watermark;
  private readonly limiter: Pick<RateLimiter, 'take'>;
  private readonly services: KeyedSemaphore;
  private readonly slots: KeyedSemaphore;
  private readonly admission: KeyedSemaphore;
  private readonly step: ContainerStepDeps;
  private readonly inflight = new Set<Promise<void>>();
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
  private activeBaseMs: number;
  private activeSince: number | null;
  private activeMsThisRun = 0;
  private paused = false;
  private doneSinceSave = 0;
  private lastSaveAt: number;
  private saveChain: Promise<void> = Promise.resolve();
  private saveQueued = false;
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
    this.limiter = opts.probesPerSecond > 0 ? new RateLimiter(opts.probesPerSecond, { clock: this.clock }) : unlimitedRate;
    this.services = new KeyedSemaphore(opts.perServiceConcurrency);
    this.slots = new KeyedSemaphore(opts.concurrency);
    const window = Math.max(opts.concurrency, opts.admissionWindow ?? opts.concurrency * 4);
    this.admission = new KeyedSemaphore(window);
    // Every admitted container may wait on the signal at once (limiter, semaphores).
    setMaxListeners(window + 16, this.stop.signal);
    this.step = { ...deps, now: () => this.clock.now(), log: this.log };
    this.activeBaseMs = this.counts.activeMs;
    this.activeSince = now;
    this.lastSaveAt = now;
  }

  async run(): Promise<SweepSummary> {
    const { metrics, gate } = this.deps;
    if (this.resumed) gate.resumeSweep(this.counts.repairs.succeeded + this.counts.repairs.failed, this.sweepId);
    else gate.beginSweep(this.sweepId);
    metrics.sweepInProgress.set(1);
    metrics.sweepProgress.set(this.counts.done);
    metrics.repairBudgetRemaining.set(gate.remaining());
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
    this.stopActiveClock();
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
        for await (const container of listing) {
          failures = 0;
          // Finished beyond the watermark before a restart: already counted, not probed again.
          if (this.watermark.alreadyFinished({ account: container.account, container: container.container })) continue;
          if (!(await this.waitUntilAllowed())) return 'interrupted';
          const releaseAdmission = await this.admission.acquire([ADMISSION], stop);
          this.spawn(container, releaseAdmission);
        }
        return stop.aborted ? 'interrupted' : 'completed';
      } catch (err) {
        if (stop.aborted) return 'interrupted';
        if (isPermanentFailure(err)) {
          // Retrying cannot help (e.g. no account service registered): fail now, say it once (finish).
          this.error = { ...describe(err), permanent: true };
          return 'failed';
        }
        failures += 1;
        if (failures > retries) {
          this.error = describe(err);
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

  /** Pauses while outside the time windows. False when the sweep was stopped meanwhile. */
  private async waitUntilAllowed(): Promise<boolean> {
    const allowed = this.opts.isAllowedNow;
    if (this.stop.signal.aborted) return false;
    if (!allowed || allowed()) return true;
    this.paused = true;
    this.stopActiveClock();
    this.log.info('sweep paused: outside its time windows');
    void this.requestSave();
    try {
      while (!allowed()) await this.clock.sleep(this.opts.pauseCheckMs ?? 30_000, this.stop.signal);
    } catch {
      return false;
    } finally {
      this.paused = false;
    }
    this.activeSince = this.clock.now();
    this.log.info('sweep resumed: inside its time windows');
    return true;
  }

  private spawn(container: EnumeratedContainer, releaseAdmission: Release): void {
    const ticket = this.watermark.admit({ account: container.account, container: container.container });
    this.admittedCount += 1;
    const reqId = `sweep-${this.shortId}-${this.runTag}-${this.admittedCount}`;
    const task: Promise<void> = this.runContainer(container, ticket, reqId).finally(() => {
      releaseAdmission();
      this.inflight.delete(task);
    });
    this.inflight.add(task);
  }

  private async runContainer(ref: EnumeratedContainer, ticket: Ticket, reqId: string): Promise<void> {
    const stop = this.stop.signal;
    const releases: Release[] = [];
    try {
      await this.limiter.take(stop);
      const peers = await this.locate(ref, reqId);
      if (peers) releases.push(await this.services.acquire(peers, stop));
      releases.push(await this.slots.acquire([GLOBAL], stop));
      // From here on the container runs to its end even if the sweep is stopped: a repair is
      // never cut in the middle, and only finished containers move the watermark.
      const outcome = await processContainer(this.step, ref, { reqId, ...(peers ? { peers } : {}) }).finally(() => this.opts.onContainerDone?.(ref));
      this.account(outcome);
      this.watermark.complete(ticket);
      this.afterContainer();
    } catch (err) {
      // Only waits (limiter, semaphores) throw, and only when the sweep stops: the container
      // stays unfinished, so the saved watermark stays before it.
      if (!stop.aborted) this.log.error({ err, cid: ref.cid }, 'container task failed unexpectedly');
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Peers for per-service gating; undefined when not configured or locate failed (the probe will say why). */
  private async locate(ref: EnumeratedContainer, reqId: string): Promise<readonly PeerId[] | undefined> {
    if (!this.deps.locate) return undefined;
    try {
      return await this.deps.locate(ref, { reqId });
    } catch (err) {
      this.log.debug({ err, cid: ref.cid }, 'locate failed, probing without per-service gate');
      return undefined;
    }
  }

  private account(outcome: ContainerOutcome): void {
    const c = this.counts;
    const { report, final } = outcome;
    c.done += 1;
    if (report.error) c.probeErrors += 1;
    if (report.verdict === 'unknown') c.unknown += 1;
    if (report.verdict !== 'healthy' && report.verdict !== 'unknown') c.damagedContainers += 1;
    if (final.verdict === 'unrepairable') c.unrepairable += 1;
    for (const replica of final.replicas) {
      if ((DAMAGE_KINDS as readonly string[]).includes(replica.health)) {
        c.damagedReplicas[replica.health as keyof typeof c.damagedReplicas] += 1;
      }
    }
    if (outcome.repairOutcome) c.repairs[outcome.repairOutcome] += 1;
  }

  private afterContainer(): void {
    this.doneThisRun += 1;
    this.doneSinceSave += 1;
    this.deps.metrics.sweepContainers.inc();
    this.deps.metrics.sweepProgress.set(this.counts.done);
    const every = this.opts.checkpointEvery ?? 500;
    const intervalMs = this.opts.checkpointIntervalMs ?? 10_000;
    if (this.doneSinceSave >= every || this.clock.now() - this.lastSaveAt >= intervalMs) void this.requestSave();
  }

  private async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Saves the current checkpoint; coalesces requests made while a save is running. */
  private requestSave(): Promise<void> {
    if (this.saveQueued) return this.saveChain;
    this.saveQueued = true;
    this.saveChain = this.saveChain.then(async () => {
      this.saveQueued = false;
      this.doneSinceSave = 0;
      this.lastSaveAt = this.clock.now();
      try {
        await this.deps.state.save(this.checkpoint());
      } catch (err) {
        this.log.error({ err }, 'saving the sweep position failed');
      }
    });
    return this.saveChain;
  }

  private checkpoint(): SweepCheckpoint {
    return {
      version: 1,
      sweepId: this.sweepId,
      startedAt: this.startedAt,
      position: this.watermark.position(),
      finishedAhead: this.watermark.finishedAhead(),
      counts: { ...structuredClone(this.counts), activeMs: this.activeMs() },
      savedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  private activeMs(): number {
    const running = this.activeSince === null ? 0 : this.clock.now() - this.activeSince;
    return this.activeBaseMs + this.activeMsThisRun + running;
  }

  private stopActiveClock(): void {
    if (this.activeSince === null) return;
    this.activeMsThisRun += this.clock.now() - this.activeSince;
    this.activeSince = null;
  }

  private logProgress(): void {
    const running = this.activeSince === null ? 0 : this.clock.now() - this.activeSince;
    const fields = progressFields({
      sweepId: this.sweepId,
      counts: this.counts,
      doneThisRun: this.doneThisRun,
      activeMsThisRun: this.activeMsThisRun + running,
      paused: this.paused,
      ...(this.opts.expectedTotal !== undefined ? { expectedTotal: this.opts.expectedTotal } : {}),
    });
    // The sweep's child logger already carries sweepId: log it once.
    const { sweepId: _sweepId, ...rest } = fields;
    this.log.info(rest, 'sweep progress');
    try {
      this.opts.onProgress?.(fields);
    } catch (err) {
      this.log.debug({ err }, 'progress hook failed');
    }
  }

  private async finish(walked: SweepResult): Promise<SweepSummary> {
    const { metrics, gate, state } = this.deps;
    this.counts.activeMs = this.activeMs();
    const result = sweepResult(walked, this.counts, this.opts.maxUnknownShare);
    await this.saveChain;
    // A new sweep that ended before finishing any container leaves nothing to resume: the next
    // one starts afresh (and is not logged as "resumed").
    const nothingToResume = !this.resumed && this.counts.done === 0;
    if (result === 'completed' || result === 'incomplete' || nothingToResume) {
      try {
        await state.clear();
      } catch (err) {
        this.log.error({ err }, 'clearing the sweep position failed');
      }
    } else {
      await this.requestSave();
    }
    const now = this.clock.now();
    metrics.sweepsTotal.inc({ result });
    metrics.sweepInProgress.set(0);
    metrics.repairBudgetRemaining.set(gate.remaining());
    if (result === 'completed' || result === 'incomplete') {
      // Walked through: how much of it could not be judged, and whether that was too much.
      metrics.unknownContainers.set(this.counts.unknown);
      metrics.sweepIncomplete.set(result === 'incomplete' ? 1 : 0);
    }
    if (sweepSucceeded(result)) {
      publishCompletedSweep(metrics, { damagedReplicas: this.counts.damagedReplicas, unrepairable: this.counts.unrepairable, endedAtMs: now });
      metrics.sweepDuration.observe(this.counts.activeMs / 1000);
    }
    const summary: SweepSummary = {
      sweepId: this.sweepId,
      result,
      resumed: this.resumed,
      startedAt: this.startedAt,
      endedAt: new Date(now).toISOString(),
      doneThisRun: this.doneThisRun,
      counts: structuredClone(this.counts),
      position: result === 'completed' || result === 'incomplete' || nothingToResume ? null : this.watermark.position(),
      ...(this.error ? { error: this.error } : {}),
    };
    const fields = { result, done: summary.counts.done, doneThisRun: summary.doneThisRun, counts: summary.counts, position: summary.position };
    if (result === 'completed') this.log.info(fields, 'sweep done');
    else if (result === 'incomplete') {
      this.log.warn({ ...fields, unknown: this.counts.unknown, maxUnknownShare: this.opts.maxUnknownShare }, 'sweep incomplete: too many containers could not be judged, damage gauges not updated');
    }
    else if (result === 'failed') this.log.error({ ...fields, error: this.error }, 'sweep failed');
    else this.log.info(fields, 'sweep interrupted');
    return summary;
  }
}

/** The result of a sweep that ended `walked`: a walk-through with too many unknown containers is `incomplete`. */
export function sweepResult(walked: SweepResult, counts: Pick<SweepCounts, 'done' | 'unknown'>, maxUnknownShare: number): SweepResult {
  if (walked !== 'completed') return walked;
  return counts.unknown > maxUnknownShare * counts.done ? 'incomplete' : 'completed';
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : err.name, message: err.message };
  }
  return { code: 'UNKNOWN', message: String(err) };
}
