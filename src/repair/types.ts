// Repair plans (pure data, made by planRepair in src/repair/plan.ts) and their outcomes
// (made by the executor in src/repair/execute.ts).
import type { PeerId } from '../oio/types.js';
import type { ContainerReport } from '../probe/types.js';

export type RepairStep =
  /** Slaves re-fetch the base from the (healthy) master: `admin/sync?service_id=PEERS`. */
  | { readonly kind: 'sync'; readonly peers: readonly PeerId[] }
  /** The damaged master leaves the election: `admin/leave?service_id=MASTER`. */
  | { readonly kind: 'leave'; readonly peer: PeerId }
  /** Poll `admin/status` until one of `candidates` is the single master. */
  | { readonly kind: 'await-master'; readonly candidates: readonly PeerId[]; readonly notPeer: PeerId }
  /** Write back admin keys the healthy slaves agree on, through the master (replicates). */
  | { readonly kind: 'set-properties'; readonly values: Readonly<Record<string, string>> };

export type PlanDecision = 'nothing' | 'repair' | 'refuse' | 'wait';

export interface RepairPlan {
  readonly decision: PlanDecision;
  readonly steps: readonly RepairStep[];
  /** Why this plan (or why nothing / refuse / wait). */
  readonly reason: string;
}

export type StepResultStatus = 'done' | 'failed';

export interface StepResult {
  readonly step: RepairStep;
  readonly status: StepResultStatus;
  /** Per-peer answers for sync/leave; absent for set-properties and await-master. */
  readonly answers?: readonly { readonly peer: PeerId; readonly status: number; readonly message: string }[];
  readonly detail: string;
}

/** Outcome label as exported in oio_repaird_repairs_total{outcome}. */
export type RepairOutcome = 'succeeded' | 'failed' | 'refused' | 'skipped_budget' | 'skipped_cooldown' | 'dry_run';

export const REPAIR_OUTCOMES: readonly RepairOutcome[] = [
  'succeeded', 'failed', 'refused', 'skipped_budget', 'skipped_cooldown', 'dry_run',
];

export interface RepairResult {
  readonly outcome: RepairOutcome;
  readonly before: ContainerReport;
  /** The last probe after the repair (verification); absent when nothing was done. */
  readonly after?: ContainerReport;
  readonly rounds: readonly { readonly plan: RepairPlan; readonly results: readonly StepResult[] }[];
  readonly reason: string;
}
