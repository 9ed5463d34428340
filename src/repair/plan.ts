// Pure repair planning: a probe's report (and what earlier rounds proved useless) → the steps
// that repair it, or why nothing is done. The one rule that must never break: no `sync` while the
// master is not healthy (a sync copies the master's base to every replica, which spread a damaged
// master's base on a real namespace). The planner re-checks the report itself rather than
// trusting its verdict alone, and never repeats an action the history says had no effect: it
// escalates along write-back → leave (→ wait for a master → sync the old master) or stops.
import type { ReasonCode } from '../decisions/codes.js';
import { verdictCode } from '../decisions/derive.js';
import type { PeerId } from '../oio/types.js';
import type { ContainerReport, ReplicaState } from '../probe/types.js';
import type { IneffectiveAction, RepairHistory, RepairPlan, RepairStep } from './types.js';

const DAMAGED = new Set(['missing-keys', 'malformed-keys', 'missing-base', 'corrupt-base']);

function plan(
  decision: RepairPlan['decision'],
  code: ReasonCode,
  reason: string,
  steps: readonly RepairStep[] = [],
  escalatedFrom: readonly IneffectiveAction[] = [],
): RepairPlan {
  return { decision, code, steps, reason, ...(escalatedFrom.length > 0 ? { escalatedFrom } : {}) };
}

/** The history entry saying `kind` on `peer` already had no effect, if any. */
function tried(history: RepairHistory, kind: IneffectiveAction['kind'], peer: PeerId): IneffectiveAction | undefined {
  return history.find((a) => a.kind === kind && a.peer === peer);
}

/** "set-properties on P in round 1 had no effect (why)", for reasons. */
export function describeIneffective(a: IneffectiveAction): string {
  return `${a.kind} on ${a.peer} in round ${a.round} had no effect (${a.why})`;
}

/**
 * The master the report agrees on: the election's single master, matching every replica that
 * claims the master role. Any disagreement gives null (and the planner waits).
 */
export function agreedMaster(report: ContainerReport): ReplicaState | null {
  const claimed = new Set(report.replicas.filter((r) => r.role === 'master').map((r) => r.peer));
  const elected = report.election?.master ?? null;
  if (report.election?.problem) return null;
  if (elected !== null) claimed.add(elected);
  if (claimed.size !== 1) return null;
  const [peer] = claimed;
  return report.replicas.find((r) => r.peer === peer) ?? null;
}

/**
 * Repair plan for one report. Pure: same report and history, same plan. `history` lists the
 * actions earlier rounds of this repair proved to have had no effect; they are never planned again.
 */
export function planRepair(report: ContainerReport, history: RepairHistory = []): RepairPlan {
  switch (report.verdict) {
    case 'healthy':
      return plan('nothing', 'HEALTHY', `nothing to repair: ${report.reason}`);
    case 'unknown':
      return plan('wait', verdictCode(report), `not touched until every replica and the master are seen: ${report.reason}`);
    case 'unrepairable':
      return plan('refuse', 'REFUSED_NO_QUORUM', `refused, no healthy majority to repair from: ${report.reason}`);
    case 'repairable':
      return planSlaveSync(report, history);
    case 'master-damaged':
      return planMasterRepair(report, history);
  }
}

function planSlaveSync(report: ContainerReport, history: RepairHistory): RepairPlan {
  const master = agreedMaster(report);
  if (!master) return plan('wait', 'WAIT_ELECTION', `the report does not agree on one master; not touched (${report.reason})`);
  if (master.health !== 'ok') return plan('wait', 'WAIT_MASTER_NOT_HEALTHY', `master ${master.peer} is not healthy (${master.health}); never sync from it`);
  const targets = report.replicas.filter((r) => r.peer !== master.peer && r.role !== 'master' && DAMAGED.has(r.health));
  if (targets.length === 0) return plan('nothing', 'HEALTHY', `no damaged slave to sync: ${report.reason}`);
  const useless = targets.map((r) => tried(history, 'sync', r.peer)).filter((a): a is IneffectiveAction => a !== undefined);
  const peers = targets.map((r) => r.peer).filter((p) => !useless.some((a) => a.peer === p));
  if (peers.length === 0) {
    const why = useless.map(describeIneffective).join('; ');
    return plan('stop', 'STOPPED_NO_EFFECT', `stopped: ${why}; no other safe action repairs a damaged slave, it needs a human: ${report.reason}`, [], useless);
  }
  return plan('repair', 'PLAN_SYNC', `sync ${peers.join(', ')} from the healthy master ${master.peer}: ${report.reason}`, [
    { kind: 'sync', peers },
  ], useless);
}

function planMasterRepair(report: ContainerReport, history: RepairHistory): RepairPlan {
  const master = agreedMaster(report);
  if (!master) return plan('wait', 'WAIT_ELECTION', `the report does not agree on one master; not touched (${report.reason})`);
  if (!DAMAGED.has(master.health)) return plan('wait', 'WAIT_MASTER_NOT_HEALTHY', `master ${master.peer} is ${master.health}, not damaged; probe again (${report.reason})`);
  const healthySlaves = report.replicas.filter((r) => r.peer !== master.peer && r.health === 'ok');
  if (healthySlaves.length === 0) return plan('refuse', 'REFUSED_NO_HEALTHY_SLAVE', `no healthy slave to take over from master ${master.peer}`);
  const values = keysToWriteBack(master, healthySlaves);
  const wroteInVain = tried(history, 'set-properties', master.peer);
  if (values && !wroteInVain) {
    const keys = Object.keys(values).join(', ');
    return plan('repair', 'PLAN_WRITE_BACK', `write ${keys} back through master ${master.peer}, as every healthy slave holds them: ${report.reason}`, [
      { kind: 'set-properties', values },
    ]);
  }
  const skipped = values && wroteInVain ? [wroteInVain] : [];
  const leftInVain = tried(history, 'leave', master.peer);
  if (leftInVain) {
    const why = [...skipped, leftInVain].map(describeIneffective).join('; ');
    return plan('stop', 'STOPPED_NO_EFFECT', `stopped: ${why}; no other safe action for damaged master ${master.peer}, it needs a human: ${report.reason}`, [], [...skipped, leftInVain]);
  }
  const candidates: PeerId[] = healthySlaves.map((r) => r.peer);
  const after = skipped.length > 0 ? `${describeIneffective(skipped[0] as IneffectiveAction)}, so ` : '';
  return plan('repair', 'PLAN_LEAVE', `${after}master ${master.peer} leaves the election so that a healthy slave (${candidates.join(', ')}) takes over: ${report.reason}`, [
    { kind: 'leave', peer: master.peer },
    { kind: 'await-master', candidates, notPeer: master.peer },
  ], skipped);
}

/** `version:main.*` counters of a table; equal counters mean the same history of writes. */
function versions(system: Readonly<Record<string, string>>): string {
  return Object.keys(system)
    .filter((k) => k.startsWith('version:'))
    .sort()
    .map((k) => `${k}=${system[k]}`)
    .join(',');
}

/**
 * The missing keys' values when writing them through the master is safe: the master only lacks
 * keys (nothing malformed), none of them is a version counter or a service-added stat, its version
 * counters equal every healthy slave's (rows deleted behind the service's back, not a truncated or
 * re-initialised base, whose content would be lost), and every healthy slave holds the same value.
 * Otherwise null (the master must leave instead).
 */
export function keysToWriteBack(master: ReplicaState, healthySlaves: readonly ReplicaState[]): Record<string, string> | null {
  if (master.health !== 'missing-keys' || master.malformedKeys.length > 0 || master.missingKeys.length === 0) return null;
  if (!master.table || healthySlaves.length === 0) return null;
  if (master.missingKeys.some((k) => k.startsWith('version:') || k.startsWith('stats.'))) return null;
  const masterVersions = versions(master.table.system);
  if (masterVersions === '') return null;
  const values: Record<string, string> = {};
  for (const slave of healthySlaves) {
    if (!slave.table || versions(slave.table.system) !== masterVersions) return null;
  }
  for (const key of master.missingKeys) {
    const seen = new Set(healthySlaves.map((s) => s.table?.system[key]));
    const [value] = seen;
    if (seen.size !== 1 || value === undefined) return null;
    values[key] = value;
  }
  return values;
}
