// The adaptive pace of container probes, as a pure decision: given the rate allowed now and what
// the last interval showed (p95 latency of the proxy's get_properties, errors and timeouts),
// the rate for the next interval and why. AIMD, as TCP congestion control and Cassandra's
// dynamic throttles: additive increase while the proxy is comfortably under its latency target,
// multiplicative decrease as soon as it is over it or errors; it converges to a fair share of
// a shared bottleneck and backs off fast when clients need the proxy. No I/O, no clock here.

export interface PaceSettings {
  /** Lowest rate the controller goes to, container probes per second. */
  readonly floor: number;
  /** Highest rate (probe.probesPerSecond). */
  readonly ceiling: number;
  /** p95 of get_properties the controller steers under, ms. */
  readonly targetP95Ms: number;
  /** Share of failed requests (errors and timeouts, 503s included) above which it backs off. */
  readonly maxErrorRate: number;
  /** Probes per second added per interval while under the target. */
  readonly increaseStep: number;
  /** Factor applied per interval while over the target or erroring (0 < f < 1). */
  readonly decreaseFactor: number;
  /** Fewer requests than this in an interval: too little to judge, the rate is kept. */
  readonly minSamples: number;
}

/** What the last interval showed. */
export interface PaceObservation {
  /** Requests observed (get_properties attempts). */
  readonly requests: number;
  /** Those that failed: HTTP errors (5xx, 503s), no answer, or timeouts. */
  readonly failures: number;
  /** p95 latency of those that were answered, ms; null when none was. */
  readonly p95Ms: number | null;
}

/**
 * Why the rate is what it is. Each is a label value of oio_repaird_probe_pace_reason; 'fixed'
 * means adaptive pacing is off (the rate is probe.probesPerSecond).
 */
export const PACE_REASONS = ['fixed', 'start', 'latency-over-target', 'errors', 'under-target', 'near-target', 'too-few-samples'] as const;
export type PaceReason = (typeof PACE_REASONS)[number];

export interface PaceDecision {
  readonly rate: number;
  readonly reason: PaceReason;
}

/** Under this share of the target the proxy has room: increase. Between it and the target: hold. */
export const HEADROOM = 0.8;

/** The rate for the next interval. */
export function nextPace(current: number, seen: PaceObservation, s: PaceSettings): PaceDecision {
  const clamp = (r: number): number => Math.min(s.ceiling, Math.max(s.floor, r));
  if (seen.requests < s.minSamples) return { rate: clamp(current), reason: 'too-few-samples' };
  const errorRate = seen.failures / seen.requests;
  if (errorRate > s.maxErrorRate) return { rate: clamp(current * s.decreaseFactor), reason: 'errors' };
  // Every request failed without one answer: judged by errors above (maxErrorRate < 1).
  if (seen.p95Ms === null) return { rate: clamp(current), reason: 'too-few-samples' };
  if (seen.p95Ms > s.targetP95Ms) return { rate: clamp(current * s.decreaseFactor), reason: 'latency-over-target' };
  if (seen.p95Ms < s.targetP95Ms * HEADROOM) return { rate: clamp(current + s.increaseStep), reason: 'under-target' };
  return { rate: clamp(current), reason: 'near-target' };
}

/** p95 of a set of values (nearest rank), or null when empty. Sorts `values` in place. */
export function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)] as number;
}
