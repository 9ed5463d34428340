// Repair plans (pure data, made by planRepair in src/repair/plan.ts) and their outcomes
// (made by the executor in src/repair/execute.ts).
import type { ReasonCode } from '../decisions/codes.js';
import type { ContainerRef, PeerId } from '../oio/types.js';
import type { ContainerReport, ReplicaHealth, Role } from '../probe/types.js';

export type RepairStep =
  /** Slaves re-fetch the base from the (healthy) master: `admin/sync?service_id=PEERS`. */
  | { readonly kind: 'sync'; readonly peers: readonly PeerId[] }
  /** The damaged master leaves the election: `admin/leave?service_id=MASTER`. */
  | { readonly kind: 'leave'; readonly peer: PeerId }
  /**
   * Poll `admin/status` until the election settled on one master other than `notPeer` (any peer:
   * the next round decides from a re-read whether it is healthy). `candidates` are the peers that
   * were healthy at the probe, for the record. This step is the proof of the leave before it.
   */
  | { readonly kind: 'await-master'; readonly candidates: readonly PeerId[]; readonly notPeer: PeerId }
  /** Write back admin keys the healthy slaves agree on, through the master (replicates). */
  | { readonly kind: 'set-properties'; readonly values: Readonly<Record<string, string>> };

/**
 * nothing: healthy; repair: run the steps; refuse: unsafe, never touched; wait: cannot be judged
 * now; stop: every safe action left already had no effect (see RepairPlan.escalatedFrom).
 */
export type PlanDecision = 'nothing' | 'repair' | 'refuse' | 'wait' | 'stop';

/** A mutating action that was proven (by re-reading the replicas) to have had no effect. */
export interface IneffectiveAction {
  readonly kind: 'sync' | 'set-properties' | 'leave';
  /** The synced slave, the master written through, or the peer that left. */
  readonly peer: PeerId;
  /** The round it was sent in. */
  readonly round: number;
  /** What the re-read showed, e.g. "still lacks sys.m2.ctime, version:main.admin still 2:0". */
  readonly why: string;
}

/** What earlier rounds of the same repair proved useless: planRepair never repeats those. */
export type RepairHistory = readonly IneffectiveAction[];

export interface RepairPlan {
  readonly decision: PlanDecision;
  /** The plan's reason code: PLAN_* for a repair, else why nothing is sent (src/decisions/codes.ts). */
  readonly code: ReasonCode;
  readonly steps: readonly RepairStep[];
  /** Why this plan (or why nothing / refuse / wait / stop). */
  readonly reason: string;
  /** Actions the plan would have chosen but skipped because they already had no effect. */
  readonly escalatedFrom?: readonly IneffectiveAction[];
}

/** done: proven by a re-read; no-effect: accepted but the re-read shows no change; failed: refused or errored. */
export type StepResultStatus = 'done' | 'no-effect' | 'failed';

/** One replica as re-read for a step's evidence: its health and role and the keys in question. */
export interface ReplicaSnapshot {
  /** Absent for election steps, which read roles only. */
  readonly health?: ReplicaHealth;
  readonly role: Role;
  /** Values of the keys the step is about (null: absent); empty for election steps. */
  readonly keys: Readonly<Record<string, string | null>>;
}

/** What one replica held before a step and when re-read after it. */
export interface PeerEvidence {
  readonly peer: PeerId;
  readonly before: ReplicaSnapshot;
  /** Absent when the replica could not be re-read. */
  readonly after?: ReplicaSnapshot;
}

export interface StepResult {
  readonly step: RepairStep;
  readonly status: StepResultStatus;
  /** Per-peer answers for sync/leave; absent for set-properties and await-master. */
  readonly answers?: readonly { readonly peer: PeerId; readonly status: number; readonly message: string }[];
  /** Per-replica proof: before and after, for the keys in question (or the roles, for elections). */
  readonly evidence?: readonly PeerEvidence[];
  /** What the next plans must not repeat (each synced slave still damaged, the master not written…). */
  readonly ineffective?: readonly IneffectiveAction[];
  readonly detail: string;
}

/**
 * What the executor records as it goes, in its own terms: src/journal/entries.ts turns each into
 * a journal line (replicas summarized, time and container added). A step's start is recorded
 * before its first request is sent.
 */
export type RepairEvent =
  | {
      readonly type: 'step-start';
      readonly round: number;
      readonly step: RepairStep;
      readonly dryRun: boolean;
      /** The latest read of the container before the step. */
      readonly before: ContainerReport;
      /** 2 and up for a retry of the same request within the step (e.g. a sync after 511). */
      readonly attempt?: number;
      /** Why this attempt is sent (retries only). */
      readonly why?: string;
    }
  | {
      readonly type: 'step-end';
      readonly round: number;
      readonly step: RepairStep;
      readonly status: StepResultStatus;
      readonly detail: string;
      readonly answers?: NonNullable<StepResult['answers']>;
      readonly evidence?: readonly PeerEvidence[];
    }
  /** Before a step that overwrites replicas: what each one held (the latest read). */
  | { readonly type: 'evidence'; readonly round: number; readonly step: RepairStep; readonly before: ContainerReport }
  | { readonly type: 'escalate'; readonly code: ReasonCode; readonly round: number; readonly from: readonly IneffectiveAction[]; readonly to: readonly RepairStep[]; readonly reason: string }
  /** A verification read (its verdict, reason and code are the record's). */
  | { readonly type: 'verify'; readonly round: number; readonly after: ContainerReport }
  | { readonly type: 'repair'; readonly code: ReasonCode; readonly outcome: RepairOutcome; readonly reason: string };

/** Where the executor records its events; record() resolves once the record is on stable storage. */
export interface RepairRecorder {
  record(ref: ContainerRef, reqId: string, event: RepairEvent): Promise<void>;
}

/** Outcome label as exported in oio_repaird_repairs_total{outcome}. */
export type RepairOutcome =
  | 'succeeded' | 'failed' | 'refused' | 'skipped_budget' | 'skipped_cooldown' | 'dry_run'
  /** Held back by an operator control (src/controls/gates.ts): breaker open, suspended, blackout. */
  | 'skipped_breaker' | 'skipped_suspended' | 'skipped_blackout';

export const REPAIR_OUTCOMES: readonly RepairOutcome[] = [
  'succeeded', 'failed', 'refused', 'skipped_budget', 'skipped_cooldown', 'dry_run',
  'skipped_breaker', 'skipped_suspended', 'skipped_blackout',
];

export interface RepairResult {
  readonly outcome: RepairOutcome;
  /** The outcome's reason code (the executor always sets it; outcomeCode() fills it in otherwise). */
  readonly code?: ReasonCode;
  readonly before: ContainerReport;
  /** The last probe after the repair (verification); absent when nothing was done. */
  readonly after?: ContainerReport;
  readonly rounds: readonly { readonly plan: RepairPlan; readonly results: readonly StepResult[] }[];
  readonly reason: string;
}
