// What the daemon would do with one container right now, and why: the probe's report, the plan,
// and every gate that could hold the repair back, each with its reason code, combined into one
// decision. Pure: the caller probes (read-only), reads the state directory and evaluates the
// gates; this decides in the daemon's order and builds what `oio-repaird explain` prints.
import type { ContainerRef } from '../oio/types.js';
import type { ContainerReport, ReplicaHealth, Role } from '../probe/types.js';
import type { RepairPlan, RepairStep } from '../repair/types.js';
import type { ReasonCode } from './codes.js';
import { verdictCode } from './derive.js';

/** One gate as it stands now, whether or not it blocks. */
export interface ExplainGate {
  /** window, breaker, suspension, blackout, repair-master, mode, hold, cooldown, budget-sweep, budget-hour, state. */
  readonly gate: string;
  /** The code it gives when it blocks. */
  readonly code: ReasonCode;
  readonly blocks: boolean;
  readonly detail: string;
  /** ISO time when it stops blocking by itself, when known. */
  readonly until?: string;
}

/** nothing: healthy; repair: the daemon would repair now; skip: a gate holds it back; refuse; wait. */
export type ExplainAction = 'nothing' | 'repair' | 'skip' | 'refuse' | 'wait';

export interface Explanation {
  /** When this was evaluated (ISO). */
  readonly at: string;
  readonly container: ContainerRef;
  readonly replicas: readonly {
    readonly peer: string;
    readonly role: Role;
    readonly health: ReplicaHealth;
    readonly missingKeys: readonly string[];
    readonly malformedKeys: readonly string[];
    readonly detail?: string;
  }[];
  readonly verdict: { readonly verdict: ContainerReport['verdict']; readonly code: ReasonCode; readonly reason: string };
  readonly plan: { readonly decision: RepairPlan['decision']; readonly code: ReasonCode; readonly reason: string; readonly steps: readonly RepairStep[] };
  readonly gates: readonly ExplainGate[];
  /** The outcome: what the daemon would do now, with the code of the first thing that decides it. */
  readonly decision: { readonly action: ExplainAction; readonly code: ReasonCode; readonly reason: string };
}

export interface ExplainInput {
  readonly report: ContainerReport;
  readonly plan: RepairPlan;
  /** In the order the daemon applies them: the first that blocks decides. */
  readonly gates: readonly ExplainGate[];
  readonly now: number;
}

export function explain(input: ExplainInput): Explanation {
  const { report, plan, gates } = input;
  return {
    at: new Date(input.now).toISOString(),
    container: report.ref,
    replicas: report.replicas.map((r) => ({
      peer: r.peer,
      role: r.role,
      health: r.health,
      missingKeys: r.missingKeys,
      malformedKeys: r.malformedKeys,
      ...(r.detail !== undefined ? { detail: r.detail } : {}),
    })),
    verdict: { verdict: report.verdict, code: verdictCode(report), reason: report.reason },
    plan: { decision: plan.decision, code: plan.code, reason: plan.reason, steps: plan.steps },
    gates,
    decision: decide(report, plan, gates),
  };
}

function decide(report: ContainerReport, plan: RepairPlan, gates: readonly ExplainGate[]): Explanation['decision'] {
  if (report.verdict === 'healthy' || plan.decision === 'nothing') return { action: 'nothing', code: plan.code, reason: plan.reason };
  if (plan.decision === 'refuse') return { action: 'refuse', code: plan.code, reason: plan.reason };
  if (plan.decision === 'wait' || plan.decision === 'stop') return { action: 'wait', code: plan.code, reason: plan.reason };
  const blocking = gates.find((g) => g.blocks);
  if (blocking) return { action: 'skip', code: blocking.code, reason: blocking.detail };
  return { action: 'repair', code: plan.code, reason: plan.reason };
}
