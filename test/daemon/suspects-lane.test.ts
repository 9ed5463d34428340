// The suspects lane is paced by the sweeps' probe limiter (probe.probesPerSecond): one token per
// container re-checked, whatever the lane's own concurrency, so sweep and lane together never
// probe faster than the proxy was promised. Time is a manual clock: no wall-clock assertion.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SuspectsLane } from '../../src/daemon/suspects-lane.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { cidFromName } from '../../src/oio/cid.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { RateLimiter } from '../../src/sweep/limiter.js';
import type { ContainerStepDeps } from '../../src/sweep/process-container.js';
import { RepairGate } from '../../src/sweep/repair-gate.js';
import { Suspects } from '../../src/sweep/suspects.js';
import { ManualClock } from '../sweep/manual-clock.js';
import { damaged, healthy } from '../sweep/reports.js';

const log = createLogger({ journald: false, level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'repaird-lane-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const ref = (i: number): ContainerRef => ({ cid: cidFromName('acct', `c${i}`), account: 'acct', container: `c${i}` });

/** A step whose probe finds every container healthy (and tells `onProbe`); a repair would fail the test. */
function healthyStep(clock: ManualClock, metrics: ReturnType<typeof createMetrics>, onProbe: (r: ContainerRef) => void): ContainerStepDeps {
  return {
    probe: async (r) => {
      onProbe(r);
      return healthy(r);
    },
    repair: () => Promise.reject(new Error('no repair expected')),
    journal: { append: async () => undefined },
    metrics,
    log,
    gate: new RepairGate({ mode: 'auto', maxPerSweep: 10, maxPerHour: 10, cooldownSeconds: 0, maxAttempts: 3, backoffSeconds: 1, backoffMaxSeconds: 10 }),
    now: () => clock.now(),
  };
}

describe('SuspectsLane', () => {
  it('takes one token of the shared probe limiter per container: 2 per second at probesPerSecond 2, with 4 workers', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 2));
    const metrics = createMetrics({ defaultMetrics: false });
    const suspects = new Suspects({ stateDir: dir, log, maxEntries: 100, clearAfterHealthy: 2, now: () => clock.now() });
    for (let i = 0; i < 6; i++) suspects.observe({ report: damaged(ref(i)), final: damaged(ref(i)) });
    const probed: string[] = [];
    const step = healthyStep(clock, metrics, (r) => probed.push(r.cid));
    const limiter = new RateLimiter(2, { clock, burst: 1 });
    let asked = 0;
    const lane = new SuspectsLane({
      suspects, intervalMs: 0, maxPerRun: 6, concurrency: 4, step: () => step, busy: () => false, metrics, log,
      limiter: () => {
        asked += 1;
        return limiter;
      },
    });
    const turn = lane.runOnce();
    const seen: number[] = [];
    for (let t = 0; t < 6; t++) {
      await clock.advance(t === 0 ? 0 : 500);
      seen.push(probed.length);
    }
    // The burst of 1 at once, then one every 500 ms: never more than rate × T + burst.
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await turn).toBe(6);
    expect(asked).toBe(1);
  });

  it('stops waiting for tokens at stop(): the containers not yet paced are not checked', async () => {
    const clock = new ManualClock(0);
    const metrics = createMetrics({ defaultMetrics: false });
    const suspects = new Suspects({ stateDir: dir, log, maxEntries: 100, clearAfterHealthy: 2, now: () => clock.now() });
    for (let i = 0; i < 3; i++) suspects.observe({ report: damaged(ref(i)), final: damaged(ref(i)) });
    let probes = 0;
    const step = healthyStep(clock, metrics, () => {
      probes += 1;
    });
    const limiter = new RateLimiter(1, { clock, burst: 1 });
    const lane = new SuspectsLane({ suspects, intervalMs: 0, maxPerRun: 3, concurrency: 1, step: () => step, busy: () => false, metrics, log, limiter: () => limiter });
    const turn = lane.runOnce();
    await clock.advance(0);
    await lane.stop();
    expect(await turn).toBe(1);
    expect(probes).toBe(1);
  });
});
