// The sweep's own metrics, set at its start, after each container and at its end; and the
// repair-budget gauge, read from the repair gate whenever it is scraped (its one setter).
import type { Metrics } from '../metrics/metrics.js';
import { publishCompletedSweep } from './gauges.js';
import type { RepairGate } from './repair-gate.js';
import type { SweepCounts } from './state.js';
import { sweepSucceeded, type SweepResult } from './result.js';

/**
 * oio_repaird_repair_budget_remaining follows `gate` from now on: it is read at every scrape,
 * so it is current whatever changed the budget (a decision, an outcome, a new sweep, a reload,
 * an hour's repairs ageing out). Call once, where the gate is created.
 */
export function bindBudgetGauge(metrics: Metrics, gate: Pick<RepairGate, 'remaining'>): void {
  const gauge = metrics.repairBudgetRemaining;
  (gauge as { collect?: () => void }).collect = () => gauge.set(gate.remaining());
}

export function publishSweepStart(metrics: Metrics, done: number): void {
  metrics.sweepInProgress.set(1);
  metrics.sweepProgress.set(done);
}

export function publishContainerDone(metrics: Metrics, done: number): void {
  metrics.sweepContainers.inc();
  metrics.sweepProgress.set(done);
}

export function publishSweepEnd(metrics: Metrics, result: SweepResult, counts: SweepCounts, endedAtMs: number): void {
  metrics.sweepsTotal.inc({ result });
  metrics.sweepInProgress.set(0);
  if (result === 'completed' || result === 'incomplete') {
    // Walked through: how much of it could not be judged, and whether that was too much.
    metrics.unknownContainers.set(counts.unknown);
    metrics.sweepIncomplete.set(result === 'incomplete' ? 1 : 0);
  }
  if (sweepSucceeded(result)) {
    publishCompletedSweep(metrics, { damagedReplicas: counts.damagedReplicas, unrepairable: counts.unrepairable, endedAtMs });
    metrics.sweepDuration.observe(counts.activeMs / 1000);
  }
}
