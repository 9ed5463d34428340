import { describe, expect, it } from 'vitest';
import { progressFields } from '../../src/sweep/progress.js';
import { emptyCounts } from '../../src/sweep/state.js';

const counts = { ...emptyCounts(), done: 1500, damagedContainers: 4, repairs: { ...emptyCounts().repairs, succeeded: 3, failed: 1, dry_run: 9 } };

describe('progressFields', () => {
  it('reports this run’s rate and an ETA when the total is known', () => {
    const f = progressFields({ sweepId: 's', counts, doneThisRun: 1000, activeMsThisRun: 50_000, expectedTotal: 3500, paused: false });
    expect(f).toMatchObject({ done: 1500, rate: 20, damaged: 4, repairs: 4, total: 3500, etaSeconds: 100 });
  });

  it('omits the ETA without a total, and the rate is 0 before any time has passed', () => {
    const f = progressFields({ sweepId: 's', counts, doneThisRun: 0, activeMsThisRun: 0, paused: true });
    expect(f.rate).toBe(0);
    expect(f).not.toHaveProperty('etaSeconds');
    expect(f).not.toHaveProperty('total');
    expect(f.paused).toBe(true);
  });
});
