// Every plan carries the reason code of its decision: PLAN_* when it sends something, else the
// code of why it does not (the verdict's wait, a refusal, or a stop after actions without effect).
import { describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../src/decisions/codes.js';
import { reasonKind } from '../../src/decisions/codes.js';
import type { ContainerReport } from '../../src/probe/types.js';
import { planRepair } from '../../src/repair/plan.js';
import type { RepairHistory } from '../../src/repair/types.js';
import { healthyTable, masterView, P1, P2, P3, replica, report, without } from '../helpers/tables.js';

const ok = (peer: string, role: 'master' | 'slave') => replica(peer, 'ok', role, { table: healthyTable() });
const masterLacking = () => replica(P2, 'missing-keys', 'master', { missingKeys: ['sys.m2.ctime'], table: without(healthyTable(), 'sys.m2.ctime') });
const withCode = (r: ContainerReport, code: ReasonCode): ContainerReport => ({ ...r, code });

const cases: { name: string; report: ContainerReport; history?: RepairHistory; code: ReasonCode }[] = [
  { name: 'healthy: nothing to do', report: report([ok(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'healthy'), code: 'HEALTHY' },
  { name: 'unknown: waits with the verdict\'s own code', report: withCode(report([replica(P1, 'missing-keys', 'slave'), replica(P2, 'ok', 'none'), ok(P3, 'slave')], 'unknown'), 'WAIT_ELECTION'), code: 'WAIT_ELECTION' },
  { name: 'unknown without a code: a replica unseen', report: report([replica(P1, 'missing-keys', 'slave'), replica(P2, 'unreachable', 'unknown'), ok(P3, 'slave')], 'unknown'), code: 'PEER_UNREACHABLE' },
  { name: 'unrepairable: refused, no quorum', report: report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), replica(P3, 'missing-base', 'slave')], 'unrepairable', masterView(P2)), code: 'REFUSED_NO_QUORUM' },
  { name: 'damaged slave, healthy master: sync', report: report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'repairable', masterView(P2)), code: 'PLAN_SYNC' },
  { name: 'repairable but no election view: wait for the election', report: report([replica(P1, 'missing-keys', 'unknown'), ok(P2, 'slave'), ok(P3, 'slave')], 'repairable'), code: 'WAIT_ELECTION' },
  { name: 'repairable but the master is damaged: never sync from it', report: report([ok(P1, 'slave'), masterLacking(), ok(P3, 'slave')], 'repairable', masterView(P2)), code: 'WAIT_MASTER_NOT_HEALTHY' },
  { name: 'master lacking a key the slaves agree on: write back', report: report([ok(P1, 'slave'), masterLacking(), ok(P3, 'slave')], 'master-damaged', masterView(P2)), code: 'PLAN_WRITE_BACK' },
  { name: 'master with a malformed key: leave', report: report([ok(P1, 'slave'), replica(P2, 'malformed-keys', 'master'), ok(P3, 'slave')], 'master-damaged', masterView(P2)), code: 'PLAN_LEAVE' },
  { name: 'damaged master, no healthy slave: refused', report: report([replica(P1, 'missing-base', 'slave'), masterLacking(), replica(P3, 'unreachable', 'unknown')], 'master-damaged', masterView(P2)), code: 'REFUSED_NO_HEALTHY_SLAVE' },
  {
    name: 'every action already without effect: stop',
    report: report([ok(P1, 'slave'), masterLacking(), ok(P3, 'slave')], 'master-damaged', masterView(P2)),
    history: [{ kind: 'set-properties', peer: P2, round: 1, why: 'no change' }, { kind: 'leave', peer: P2, round: 2, why: 'still master' }],
    code: 'STOPPED_NO_EFFECT',
  },
];

describe('plan reason codes', () => {
  it.each(cases)('$name → $code', (c) => {
    expect(planRepair(c.report, c.history).code).toBe(c.code);
  });

  it('gives a PLAN_* code exactly when the plan sends something', () => {
    for (const c of cases) {
      const plan = planRepair(c.report, c.history);
      expect(reasonKind(plan.code) === 'plan', c.name).toBe(plan.decision === 'repair');
    }
  });
});
