// The adaptive pace at run time: watches every admin/get_properties attempt (latency, failure),
// and every interval asks the pure controller (pace.ts) for the next probe rate, which it sets on
// the rate limiter the sweep takes its tokens from, and exports (allowed rate, reason, p95).
// Only container probes are paced: a repair already decided runs its election calls outside
// this limiter (bounded by repair.maxPerSweep / budgetPerHour), so backing off never starves it.
import { systemClock } from '../clock.js';
import type { Metrics } from '../metrics/metrics.js';
import { RateLimiter } from '../sweep/limiter.js';
import { PACE_REASONS, nextPace, p95, type PaceReason, type PaceSettings } from './pace.js';

/** The route whose latency is the proxy's health signal: the sweep's own hot request. */
export const PACED_ROUTE = 'admin/get_properties';
/** Latencies kept per interval, at most (the newest overwrite the oldest beyond it). */
const MAX_SAMPLES = 20_000;

/** Decisions kept in AdaptivePace.history. */
const HISTORY = 1000;

export interface PaceRecord {
  /** Epoch ms of the decision. */
  readonly at: number;
  readonly rate: number;
  readonly reason: PaceReason;
  readonly p95Ms: number | null;
  readonly requests: number;
  readonly failures: number;
}

export interface AdaptivePaceOptions {
  readonly settings: PaceSettings;
  /** How often the rate is reconsidered, ms. */
  readonly intervalMs: number;
  readonly metrics?: Metrics;
  /** Called after each decision (logs, the benchmark's curve). */
  readonly onDecision?: (d: PaceRecord) => void;
}

export class AdaptivePace {
  readonly limiter: RateLimiter;
  private settings: PaceSettings;
  private readonly intervalMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly onDecision: AdaptivePaceOptions['onDecision'];
  private readonly latenciesMs: number[] = [];
  private next = 0;
  private requests = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastReason: PaceReason = 'start';
  /** The last decisions, oldest first (at most HISTORY): the benchmark's curves, a status page. */
  readonly history: PaceRecord[] = [];

  constructor(opts: AdaptivePaceOptions) {
    this.settings = opts.settings;
    this.intervalMs = opts.intervalMs;
    this.metrics = opts.metrics;
    this.onDecision = opts.onDecision;
    // Start low and earn the way up: a daemon restarted during a busy day must not hit the proxy at the ceiling first.
    this.limiter = new RateLimiter(opts.settings.floor);
    this.export('start', null);
  }

  /** The rate allowed now, container probes per second. */
  get rate(): number {
    return this.limiter.rate;
  }

  get reason(): PaceReason {
    return this.lastReason;
  }

  /** New bounds (a configuration reload); the current rate is brought inside them. */
  configure(settings: PaceSettings): void {
    this.settings = settings;
    const rate = Math.min(settings.ceiling, Math.max(settings.floor, this.limiter.rate));
    if (rate !== this.limiter.rate) this.limiter.setRate(rate);
    this.export(this.lastReason, null);
  }

  /** A proxy request attempt (the RequestObserver of src/oio/http.ts feeds it). Cheap: on every request. */
  observe(route: string, httpStatus: number | undefined, seconds: number): void {
    if (route !== PACED_ROUTE) return;
    this.requests++;
    // No answer (refused, timed out) or a 5xx (the proxy's 503s: deadline, queue, unavailable).
    if (httpStatus === undefined || httpStatus >= 500) {
      this.failures++;
      return;
    }
    if (this.latenciesMs.length < MAX_SAMPLES) this.latenciesMs.push(seconds * 1000);
    else this.latenciesMs[this.next++ % MAX_SAMPLES] = seconds * 1000;
  }

  /** Decides on what was seen since the last decision, and starts a new interval. */
  decide(): void {
    const seen = { requests: this.requests, failures: this.failures, p95Ms: p95(this.latenciesMs) };
    this.latenciesMs.length = 0;
    this.next = 0;
    this.requests = 0;
    this.failures = 0;
    const d = nextPace(this.limiter.rate, seen, this.settings);
    if (d.rate !== this.limiter.rate) this.limiter.setRate(d.rate);
    this.export(d.reason, seen.p95Ms);
    const record = { at: systemClock.now(), rate: d.rate, reason: d.reason, ...seen };
    this.history.push(record);
    if (this.history.length > HISTORY) this.history.shift();
    this.onDecision?.(record);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.decide(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private export(reason: PaceReason, p95Ms: number | null): void {
    this.lastReason = reason;
    const m = this.metrics;
    if (!m) return;
    m.probeRateAllowed.set(this.limiter.rate);
    for (const r of PACE_REASONS) m.probePaceReason.set({ reason: r }, r === reason ? 1 : 0);
    if (p95Ms !== null) m.probePaceP95.set(p95Ms / 1000);
  }
}

/** With adaptive pacing off: the fixed rate, and the reason `fixed`. */
export function exportFixedPace(metrics: Metrics, probesPerSecond: number): void {
  metrics.probeRateAllowed.set(probesPerSecond);
  for (const r of PACE_REASONS) metrics.probePaceReason.set({ reason: r }, r === 'fixed' ? 1 : 0);
  metrics.probePaceP95.set(0);
}
