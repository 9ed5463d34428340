// The gauges that describe the namespace "as of the last completed sweep": damaged replicas by
// kind, unrepairable containers and the success timestamp. Set in one place, both when a sweep
// succeeds and when the daemon restores them from the sweep history at start-up.
import type { Metrics } from '../metrics/metrics.js';
import { DAMAGE_KINDS, type DamageKind } from '../probe/types.js';

export interface CompletedSweepFacts {
  readonly damagedReplicas: Readonly<Record<DamageKind, number>>;
  readonly unrepairable: number;
  /** When the sweep ended, in milliseconds since the epoch. */
  readonly endedAtMs: number;
}

export function publishCompletedSweep(metrics: Metrics, facts: CompletedSweepFacts): void {
  for (const kind of DAMAGE_KINDS) metrics.damagedReplicas.set({ kind }, facts.damagedReplicas[kind]);
  metrics.unrepairableContainers.set(facts.unrepairable);
  metrics.lastSweepSuccess.set(facts.endedAtMs / 1000);
}
