// The sweep's own metrics, set at its start, after each container and at its end.
import type { Metrics } from '../metrics/metrics.js';
import { publishCompletedSweep } from './gauges.js';
import type { SweepCounts } from './state.js';
import { sweepSucceeded, type SweepResult } from './result.js';

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
