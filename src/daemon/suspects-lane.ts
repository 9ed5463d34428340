// The suspects lane: between full sweeps, every suspects.intervalSeconds, re-checks the most
// urgent suspects (at most suspects.maxPerRun, suspects.concurrency at a time) exactly as a sweep
// checks a container (probe, gate, repair, journal), so damage that comes back is repaired in
// minutes instead of at the next sweep, for the cost of a few containers' probes. It yields to a
// full sweep (which re-checks everything anyway), goes through the same repair gate (budget,
// cooldown, and whatever else the gate refuses), and takes a token of the sweep's own probe
// limiter (probe.probesPerSecond, or the adaptive pace) before each container: sweep and lane
// together never probe faster than the proxy was promised.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ContainerRef } from '../oio/types.js';
import { processContainer, type ContainerOutcome, type ContainerStepDeps } from '../sweep/process-container.js';
import type { RateLimiter } from '../sweep/limiter.js';
import type { Suspects } from '../sweep/suspects.js';

export interface SuspectsLaneOptions {
  readonly suspects: Suspects;
  readonly intervalMs: number;
  readonly maxPerRun: number;
  readonly concurrency: number;
  /** What one container needs; null when the lane must not run now (e.g. the proxy is refused). */
  readonly step: () => ContainerStepDeps | null;
  /** True while a full sweep runs or the daemon stops: the lane skips its turn. */
  readonly busy: () => boolean;
  /** The probe limiter shared with the sweeps: one token per container checked. */
  readonly limiter: () => Pick<RateLimiter, 'take'>;
  /** Every outcome, also given to the suspects list (per-service health). */
  readonly onOutcome?: (outcome: ContainerOutcome) => void;
  /** Saving the list failed (storage health). */
  readonly onSaveFailed?: (err: unknown) => void;
  readonly onSaved?: () => void;
  readonly metrics: Pick<Metrics, 'suspects' | 'suspectChecks'>;
  readonly log: Logger;
}

export class SuspectsLane {
  private readonly opts: SuspectsLaneOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private stopped = false;
  private readonly runTag = randomBytes(3).toString('hex');
  private checks = 0;
  /** Aborts the lane's waits for a limiter token at stop(). */
  private readonly stopping = new AbortController();

  constructor(opts: SuspectsLaneOptions) {
    this.opts = opts;
    opts.metrics.suspects.set(opts.suspects.size);
  }

  /** Arms the timer (no-op when intervalMs is 0: the lane is off). */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce().finally(() => this.start());
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** No further runs; waits for the one in flight (its containers run to their end). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort(new Error('suspects lane stopped'));
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One turn of the lane: re-checks up to maxPerRun suspects. Returns how many were checked. */
  runOnce(): Promise<number> {
    this.running ??= this.turn().finally(() => (this.running = null));
    return this.running;
  }

  private async turn(): Promise<number> {
    const { suspects, log } = this.opts;
    if (this.stopped || this.opts.busy() || suspects.size === 0) return 0;
    const step = this.opts.step();
    if (!step) return 0;
    const refs = suspects.next(this.opts.maxPerRun);
    log.info({ suspects: suspects.size, checking: refs.length }, 'suspects lane: re-checking suspects');
    const limiter = this.opts.limiter();
    let index = 0;
    let checked = 0;
    const worker = async (): Promise<void> => {
      while (index < refs.length && !this.stopped) {
        const ref = refs[index++] as ContainerRef;
        try {
          await limiter.take(this.stopping.signal);
        } catch {
          return; // stopped while waiting for its turn: not checked
        }
        await this.check(step, ref);
        checked += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, refs.length) }, worker));
    await this.save();
    return checked;
  }

  private async check(step: ContainerStepDeps, ref: ContainerRef): Promise<void> {
    this.checks += 1;
    const reqId = `suspect-${this.runTag}-${this.checks}`;
    const outcome = await processContainer(step, ref, { reqId });
    this.opts.metrics.suspectChecks.inc({ verdict: outcome.report.verdict });
    this.opts.suspects.observe(outcome);
    this.opts.metrics.suspects.set(this.opts.suspects.size);
    try {
      this.opts.onOutcome?.(outcome);
    } catch (err) {
      this.opts.log.debug({ err }, 'suspects lane: outcome hook failed');
    }
  }

  /** Saves the list (after a turn, and after each sweep); a failure is logged and reported. */
  async save(): Promise<void> {
    this.opts.metrics.suspects.set(this.opts.suspects.size);
    try {
      await this.opts.suspects.save();
      this.opts.onSaved?.();
    } catch (err) {
      this.opts.log.error({ err }, 'saving the suspects list failed');
      this.opts.onSaveFailed?.(err);
    }
  }
}
