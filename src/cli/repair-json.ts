// The one shape `oio-repaird repair --json` prints, whatever happened: the container, what was
// seen before, the plan, the rounds run, what was seen after, and `outcome` and `reason`, always
// present. Built here, in the CLI, from the probe and the executor's result, so that a script
// reads the same keys for a healthy container, one left to wait, and every executor outcome.
import type { ReasonCode } from '../decisions/codes.js';
import { outcomeCode } from '../decisions/derive.js';
import type { ContainerRef } from '../oio/types.js';
import type { ContainerReport } from '../probe/types.js';
import type { RepairOutcome, RepairPlan, RepairResult } from '../repair/types.js';

/**
 * `healthy`: nothing to do. `wait`: not touched until the picture is clear (a replica unseen, no
 * single healthy master). Then the executor's outcomes, as in the journal and the metrics:
 * `succeeded` (repaired and verified), `refused`, `failed`, `dry_run`.
 */
export type RepairJsonOutcome = 'healthy' | 'wait' | Exclude<RepairOutcome, 'skipped_budget' | 'skipped_cooldown'>;

export interface RepairJson {
  readonly outcome: RepairJsonOutcome;
  /** The reason code of the outcome (src/decisions/codes.ts), e.g. REPAIR_SUCCEEDED, PEER_UNREACHABLE. */
  readonly code: ReasonCode;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly container: ContainerRef;
  /** The probe before anything was done. */
  readonly before: ContainerReport;
  /** The plan made from `before`. */
  readonly plan: RepairPlan;
  /** Each round the executor ran: its plan and each step's result (empty when nothing was run). */
  readonly rounds: RepairResult['rounds'];
  /** The last verification probe; null when nothing was changed. */
  readonly after: ContainerReport | null;
}

/** The document for a container the executor was not called for: healthy, or a plan that says wait. */
export function untouchedJson(before: ContainerReport, plan: RepairPlan, dryRun: boolean): RepairJson {
  return {
    outcome: before.verdict === 'healthy' ? 'healthy' : 'wait',
    code: plan.code,
    reason: plan.reason,
    dryRun,
    container: before.ref,
    before,
    plan,
    rounds: [],
    after: null,
  };
}

/** The document for what the executor did. */
export function executedJson(result: RepairResult, plan: RepairPlan, dryRun: boolean): RepairJson {
  return {
    outcome: executorOutcome(result.outcome),
    code: outcomeCode(result),
    reason: result.reason,
    dryRun,
    container: result.before.ref,
    before: result.before,
    plan,
    rounds: result.rounds,
    after: result.after ?? null,
  };
}

function executorOutcome(outcome: RepairOutcome): RepairJsonOutcome {
  // The CLI has no repair gate: a skip cannot come back; were it to, it would mean "not done".
  return outcome === 'skipped_budget' || outcome === 'skipped_cooldown' ? 'failed' : outcome;
}
