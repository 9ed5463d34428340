// The mass-damage circuit breaker's counting and trip rule. A tally counts the containers judged
// (any verdict but `unknown`) and those found damaged (repairable, master-damaged, unrepairable),
// over the running sweep or, with breaker.windowMinutes, over a sliding window (per-minute
// buckets: memory is bounded by the window, not the namespace). breakerTrip() is the pure rule:
// past maxDamagedContainers, or past maxDamagedShare once minContainers were judged, it opens.
import type { Verdict } from '../probe/types.js';
import type { BreakerReason } from './types.js';

export interface BreakerThresholds {
  /** Damaged containers (in the sweep or window) beyond which it opens; null: no count limit. */
  readonly maxDamagedContainers: number | null;
  /** Share of judged containers found damaged beyond which it opens; null: no share limit. */
  readonly maxDamagedShare: number | null;
  /** The share is judged only once this many containers were judged (small samples lie). */
  readonly minContainers: number;
}

export interface Tally {
  readonly judged: number;
  readonly damaged: number;
}

export interface Trip {
  readonly reason: BreakerReason;
  readonly detail: string;
}

const DAMAGED: ReadonlySet<Verdict> = new Set<Verdict>(['repairable', 'master-damaged', 'unrepairable']);

/** Whether the verdict counts: judged (anything but unknown) and damaged. */
export function classifyVerdict(verdict: Verdict): { judged: boolean; damaged: boolean } {
  return { judged: verdict !== 'unknown', damaged: DAMAGED.has(verdict) };
}

/** Why the breaker opens on this tally, or null. Count first: it needs no sample size. */
export function breakerTrip(t: Tally, th: BreakerThresholds): Trip | null {
  if (th.maxDamagedContainers !== null && t.damaged > th.maxDamagedContainers) {
    return { reason: 'damaged_count', detail: `${t.damaged} damaged containers of ${t.judged} judged, more than breaker.maxDamagedContainers (${th.maxDamagedContainers})` };
  }
  if (th.maxDamagedShare !== null && t.judged >= th.minContainers && t.judged > 0 && t.damaged / t.judged > th.maxDamagedShare) {
    const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
    return { reason: 'damaged_share', detail: `${t.damaged} damaged containers of ${t.judged} judged (${pct(t.damaged / t.judged)}), more than breaker.maxDamagedShare (${pct(th.maxDamagedShare)})` };
  }
  return null;
}

const MINUTE_MS = 60_000;

/** Counts verdicts over the sweep (windowMs null: until reset()) or a sliding window. */
export class BreakerTally {
  private buckets: { minute: number; judged: number; damaged: number }[] = [];

  constructor(private windowMs: number | null) {}

  /** A new window length (reload); counts are kept. */
  setWindow(windowMs: number | null): void {
    this.windowMs = windowMs;
  }

  observe(verdict: Verdict, now: number): void {
    const { judged, damaged } = classifyVerdict(verdict);
    if (!judged) return;
    const minute = this.windowMs === null ? 0 : Math.floor(now / MINUTE_MS);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.minute !== minute) {
      last = { minute, judged: 0, damaged: 0 };
      this.buckets.push(last);
    }
    last.judged += 1;
    if (damaged) last.damaged += 1;
    this.prune(now);
  }

  tally(now: number): Tally {
    this.prune(now);
    let judged = 0;
    let damaged = 0;
    for (const b of this.buckets) {
      judged += b.judged;
      damaged += b.damaged;
    }
    return { judged, damaged };
  }

  /** Forgets everything (a new sweep when counting per sweep; a breaker reset). */
  reset(): void {
    this.buckets = [];
  }

  get perSweep(): boolean {
    return this.windowMs === null;
  }

  private prune(now: number): void {
    if (this.windowMs === null) return;
    const oldest = Math.floor((now - this.windowMs) / MINUTE_MS);
    while (this.buckets.length > 0 && (this.buckets[0]?.minute ?? 0) <= oldest) this.buckets.shift();
  }
}
