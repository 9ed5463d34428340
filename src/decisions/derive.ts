// The reason code of a probe's report or of a repair's result, for the places that hold one
// without its code (a report or result built before codes existed, a test double). The probe,
// the planner, the gate and the executor set codes themselves; this only fills the gap, from
// the verdict or the outcome, so that every decision the daemon records carries a code.
import type { ContainerReport } from '../probe/types.js';
import type { RepairOutcome, RepairResult } from '../repair/types.js';
import type { ReasonCode } from './codes.js';

const BY_VERDICT: Readonly<Record<ContainerReport['verdict'], ReasonCode>> = {
  healthy: 'HEALTHY',
  repairable: 'REPAIRABLE',
  'master-damaged': 'MASTER_DAMAGED',
  unrepairable: 'REFUSED_NO_QUORUM',
  unknown: 'PEER_UNREACHABLE',
};

const BY_OUTCOME: Readonly<Record<RepairOutcome, ReasonCode>> = {
  succeeded: 'REPAIR_SUCCEEDED',
  failed: 'REPAIR_FAILED',
  refused: 'REFUSED_NO_QUORUM',
  skipped_budget: 'SKIPPED_BUDGET',
  skipped_cooldown: 'SKIPPED_COOLDOWN',
  dry_run: 'REPAIR_DRY_RUN',
  skipped_breaker: 'BREAKER_OPEN',
  skipped_suspended: 'SKIPPED_SUSPENDED',
  skipped_blackout: 'SKIPPED_BLACKOUT',
};

/** The code of a report's verdict: its own, or the verdict's usual one (a failed probe: PROBE_FAILED). */
export function verdictCode(report: ContainerReport): ReasonCode {
  if (report.code !== undefined) return report.code;
  if (report.verdict === 'unknown' && report.error !== undefined) return 'PROBE_FAILED';
  return BY_VERDICT[report.verdict];
}

/** The code of a repair's result: its own, or the outcome's usual one. */
export function outcomeCode(result: Pick<RepairResult, 'outcome' | 'code'>): ReasonCode {
  return result.code ?? BY_OUTCOME[result.outcome];
}
