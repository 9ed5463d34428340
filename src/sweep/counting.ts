// The sweep's counters: what each finished container adds to them (done, unknown, damaged
// containers and replicas by kind, unrepairable, repairs by outcome). Pure: no metrics, no log.
import { DAMAGE_KINDS } from '../probe/types.js';
import type { ContainerOutcome } from './process-container.js';
import type { SweepCounts } from './state.js';

export type MutableCounts = { -readonly [K in keyof SweepCounts]: SweepCounts[K] extends number ? number : { -readonly [J in keyof SweepCounts[K]]: number } };

/** Adds one finished container's outcome to `c`. */
export function countOutcome(c: MutableCounts, outcome: ContainerOutcome): void {
  const { report, final } = outcome;
  c.done += 1;
  if (report.error) c.probeErrors += 1;
  if (report.verdict === 'unknown') c.unknown += 1;
  if (report.verdict !== 'healthy' && report.verdict !== 'unknown') c.damagedContainers += 1;
  if (final.verdict === 'unrepairable') c.unrepairable += 1;
  for (const replica of final.replicas) {
    if ((DAMAGE_KINDS as readonly string[]).includes(replica.health)) {
      c.damagedReplicas[replica.health as keyof typeof c.damagedReplicas] += 1;
    }
  }
  if (outcome.repairOutcome) c.repairs[outcome.repairOutcome] += 1;
}
