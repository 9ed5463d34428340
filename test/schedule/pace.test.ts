// The adaptive pace's decision, as a table of situations: additive increase under the latency
// target, multiplicative decrease over it or on errors, always within [floor, ceiling], and no
// change on too little evidence.
import { describe, expect, it } from 'vitest';
import { AdaptivePace } from '../../src/schedule/adaptive-pace.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { nextPace, p95, type PaceObservation, type PaceReason, type PaceSettings } from '../../src/schedule/pace.js';

const S: PaceSettings = { floor: 10, ceiling: 500, targetP95Ms: 200, maxErrorRate: 0.02, increaseStep: 20, decreaseFactor: 0.5, minSamples: 20 };
const seen = (p95Ms: number | null, requests = 100, failures = 0): PaceObservation => ({ requests, failures, p95Ms });

describe('nextPace', () => {
  it.each<[string, number, PaceObservation, number, PaceReason]>([
    ['speeds up by one step well under the target', 100, seen(50), 120, 'under-target'],
    ['never above the ceiling', 490, seen(50), 500, 'under-target'],
    ['holds between 80 % of the target and the target', 100, seen(180), 100, 'near-target'],
    ['holds exactly at the target', 100, seen(200), 100, 'near-target'],
    ['halves over the target', 100, seen(201), 50, 'latency-over-target'],
    ['never below the floor', 15, seen(900), 10, 'latency-over-target'],
    ['halves when more than 2 % of requests fail, even if fast', 100, seen(20, 100, 3), 50, 'errors'],
    ['tolerates up to 2 % failures', 100, seen(20, 100, 2), 120, 'under-target'],
    ['halves when every request failed (no latency at all)', 100, seen(null, 100, 100), 50, 'errors'],
    ['keeps the rate on too few samples, however bad', 100, seen(5000, 19, 19), 100, 'too-few-samples'],
    ['keeps the rate when nothing was sent (between sweeps)', 100, seen(null, 0, 0), 100, 'too-few-samples'],
    ['brings a rate outside new bounds back inside', 900, seen(180), 500, 'near-target'],
  ])('%s', (_what, current, observation, rate, reason) => {
    expect(nextPace(current, observation, S)).toEqual({ rate, reason });
  });

  it('from the floor, reaches the ceiling in (ceiling - floor) / step intervals of good latency, and falls back to the floor in a few bad ones', () => {
    let rate = S.floor;
    let steps = 0;
    while (rate < S.ceiling) {
      rate = nextPace(rate, seen(50), S).rate;
      steps++;
    }
    expect(steps).toBe(Math.ceil((S.ceiling - S.floor) / S.increaseStep));
    let down = 0;
    while (rate > S.floor) {
      rate = nextPace(rate, seen(400), S).rate;
      down++;
    }
    expect(down).toBeLessThanOrEqual(Math.ceil(Math.log(S.ceiling / S.floor) / Math.log(1 / S.decreaseFactor)));
  });
});

describe('p95', () => {
  it('is the nearest-rank 95th percentile, null when empty', () => {
    expect(p95([])).toBeNull();
    expect(p95([7])).toBe(7);
    expect(p95(Array.from({ length: 100 }, (_, i) => 100 - i))).toBe(95);
    expect(p95(Array.from({ length: 20 }, (_, i) => i + 1))).toBe(19);
  });
});

describe('AdaptivePace', () => {
  it('starts at the floor, counts only get_properties, treats 5xx and no answer as failures, and exports rate and reason', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const pace = new AdaptivePace({ settings: { ...S, minSamples: 5 }, intervalMs: 1000, metrics });
    expect(pace.rate).toBe(10);
    for (let i = 0; i < 10; i++) pace.observe('admin/get_properties', 200, 0.01);
    for (let i = 0; i < 100; i++) pace.observe('reference/show', 503, 5);
    pace.decide();
    expect(pace.rate).toBe(30);
    expect(pace.reason).toBe('under-target');
    for (let i = 0; i < 10; i++) pace.observe('admin/get_properties', 200, 0.01);
    pace.observe('admin/get_properties', 503, 0.01);
    pace.observe('admin/get_properties', undefined, 10);
    pace.decide();
    expect(pace.rate).toBe(15);
    expect(pace.reason).toBe('errors');
    const text = await metrics.registry.metrics();
    expect(text).toContain('oio_repaird_probe_rate_allowed 15');
    expect(text).toContain('oio_repaird_probe_pace_reason{reason="errors"} 1');
    expect(text).toContain('oio_repaird_probe_pace_reason{reason="fixed"} 0');
    expect(text).toMatch(/oio_repaird_probe_pace_latency_seconds 0\.01/);
  });

  it('exports a fixed pace from the first scrape when it is off', async () => {
    const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
    expect(text).toContain('oio_repaird_probe_pace_reason{reason="fixed"} 1');
    expect(text).toContain('oio_repaird_probe_rate_allowed');
  });
});
