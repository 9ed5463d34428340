// The repair-budget gauge has one setter: it reads the repair gate whenever it is scraped.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { RepairGate } from '../../src/sweep/repair-gate.js';
import { bindBudgetGauge } from '../../src/sweep/sweep-metrics.js';
import { POLICY, sample } from './harness.js';
import { damaged } from './reports.js';

describe('oio_repaird_repair_budget_remaining', () => {
  it('is what the gate allows at scrape time: after a decision, a new sweep, a reload and an hour', async () => {
    let now = 1_000_000;
    const gate = new RepairGate({ ...POLICY, maxPerSweep: 3, maxPerHour: 2 }, () => now);
    const metrics = createMetrics({ defaultMetrics: false });
    bindBudgetGauge(metrics, gate);
    expect(await sample(metrics.repairBudgetRemaining)).toBe(2);

    gate.beginSweep('s1');
    expect(gate.decide(damaged({ cid: 'A'.repeat(64) })).action).toBe('repair');
    expect(await sample(metrics.repairBudgetRemaining)).toBe(1);

    gate.setPolicy({ ...POLICY, maxPerSweep: 1, maxPerHour: 2 });
    expect(await sample(metrics.repairBudgetRemaining)).toBe(0);

    gate.beginSweep('s2');
    expect(await sample(metrics.repairBudgetRemaining)).toBe(1);

    // The hour's repair ages out between sweeps: the gauge says so without a new sweep.
    gate.setPolicy({ ...POLICY, maxPerSweep: 5, maxPerHour: 1 });
    expect(await sample(metrics.repairBudgetRemaining)).toBe(0);
    now += 3_600_001;
    expect(await sample(metrics.repairBudgetRemaining)).toBe(1);
  });
});
