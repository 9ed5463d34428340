// Specification of planRepair, one verdict at a time, and of when a master's missing keys may be
// written back instead of making it leave.
import { describe, expect, it } from 'vitest';
import { planRepair } from '../../src/repair/plan.js';
import type { IneffectiveAction, RepairHistory } from '../../src/repair/types.js';
import { VERDICTS } from '../../src/probe/types.js';
import type { ReplicaState } from '../../src/probe/types.js';
import { healthyTable, masterView, P1, P2, P3, replica, report, withValues, without } from '../helpers/tables.js';

const ok = (peer: string, role: 'master' | 'slave') => replica(peer, 'ok', role, { table: healthyTable() });

function masterLacking(...keys: string[]): ReplicaState {
  return replica(P2, 'missing-keys', 'master', { missingKeys: keys, table: without(healthyTable(), ...keys) });
}

describe('planRepair', () => {
  it('does nothing for a healthy container', () => {
    const plan = planRepair(report([ok(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'healthy'));
    expect(plan).toMatchObject({ decision: 'nothing', steps: [] });
  });

  it('waits, touching nothing, when the verdict is unknown', () => {
    const plan = planRepair(report([replica(P1, 'missing-keys', 'slave'), replica(P2, 'unreachable', 'unknown'), ok(P3, 'slave')], 'unknown'));
    expect(plan).toMatchObject({ decision: 'wait', steps: [] });
  });

  it('refuses an unrepairable container', () => {
    const plan = planRepair(report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), replica(P3, 'missing-base', 'slave')], 'unrepairable', masterView(P2)));
    expect(plan).toMatchObject({ decision: 'refuse', steps: [] });
  });

  it('syncs exactly the damaged slave, never the master nor a healthy slave', () => {
    const plan = planRepair(report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'repairable', masterView(P2)));
    expect(plan.decision).toBe('repair');
    expect(plan.steps).toEqual([{ kind: 'sync', peers: [P1] }]);
  });

  it('syncs every damaged slave in one step', () => {
    const peers = ['a:1', 'b:1', 'c:1', 'd:1', 'e:1'];
    const plan = planRepair(report([
      replica('a:1', 'missing-base', 'slave'), ok('b:1', 'master'), replica('c:1', 'corrupt-base', 'slave'), ok('d:1', 'slave'), ok('e:1', 'slave'),
    ], 'repairable', masterView('b:1')));
    expect(peers).toContain('b:1');
    expect(plan.steps).toEqual([{ kind: 'sync', peers: ['a:1', 'c:1'] }]);
  });

  it('waits when a "repairable" report has a damaged master (never trusts the verdict alone)', () => {
    const plan = planRepair(report([ok(P1, 'slave'), masterLacking('sys.m2.ctime'), ok(P3, 'slave')], 'repairable', masterView(P2)));
    expect(plan).toMatchObject({ decision: 'wait', steps: [] });
  });

  it('waits when the report has no election view', () => {
    const plan = planRepair(report([replica(P1, 'missing-keys', 'unknown'), ok(P2, 'slave'), ok(P3, 'slave')], 'repairable'));
    expect(plan.decision).toBe('wait');
  });

  it("writes the master's missing sys.m2.ctime back when every healthy slave agrees on it", () => {
    const plan = planRepair(report([ok(P1, 'slave'), masterLacking('sys.m2.ctime'), ok(P3, 'slave')], 'master-damaged', masterView(P2)));
    expect(plan.decision).toBe('repair');
    expect(plan.steps).toEqual([{ kind: 'set-properties', values: { 'sys.m2.ctime': '1795580730589743' } }]);
  });

  it('makes the master leave when the healthy slaves disagree on the missing value', () => {
    const other = replica(P3, 'ok', 'slave', { table: withValues(healthyTable(), { 'sys.m2.ctime': '1795580730589999' }) });
    const plan = planRepair(report([ok(P1, 'slave'), masterLacking('sys.m2.ctime'), other], 'master-damaged', masterView(P2)));
    expect(plan.steps).toEqual([
      { kind: 'leave', peer: P2 },
      { kind: 'await-master', candidates: [P1, P3], notPeer: P2 },
    ]);
  });

  it("makes the master leave when its version counters differ from the slaves' (truncated base)", () => {
    const truncated = replica(P2, 'missing-keys', 'master', {
      missingKeys: ['sys.account', 'sys.m2.ctime'],
      table: withValues(without(healthyTable(), 'sys.account', 'sys.m2.ctime'), { 'version:main.admin': '1:0' }),
    });
    const plan = planRepair(report([ok(P1, 'slave'), truncated, ok(P3, 'slave')], 'master-damaged', masterView(P2)));
    expect(plan.steps.map((s) => s.kind)).toEqual(['leave', 'await-master']);
  });

  it.each(['missing-base', 'corrupt-base', 'malformed-keys'] as const)('makes a master with %s leave', (health) => {
    const plan = planRepair(report([ok(P1, 'slave'), replica(P2, health, 'master'), ok(P3, 'slave')], 'master-damaged', masterView(P2)));
    expect(plan.steps).toEqual([
      { kind: 'leave', peer: P2 },
      { kind: 'await-master', candidates: [P1, P3], notPeer: P2 },
    ]);
  });

  it('offers only healthy slaves as candidates', () => {
    const plan = planRepair(report([
      ok('a:1', 'slave'), replica('b:1', 'missing-base', 'master'), replica('c:1', 'missing-base', 'slave'), ok('d:1', 'slave'), ok('e:1', 'slave'),
    ], 'master-damaged', masterView('b:1')));
    expect(plan.steps[1]).toEqual({ kind: 'await-master', candidates: ['a:1', 'd:1', 'e:1'], notPeer: 'b:1' });
  });

  it('never writes a version counter back', () => {
    const plan = planRepair(report([ok(P1, 'slave'), masterLacking('version:main.admin'), ok(P3, 'slave')], 'master-damaged', masterView(P2)));
    expect(plan.steps.map((s) => s.kind)).toEqual(['leave', 'await-master']);
  });

  it('has a plan for every verdict', () => {
    const decisions = new Map(VERDICTS.map((v) => [v, planRepair(report([ok(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], v, masterView(P2))).decision]));
    expect(decisions.get('healthy')).toBe('nothing');
    expect(decisions.get('unknown')).toBe('wait');
    expect(decisions.get('unrepairable')).toBe('refuse');
    // Verdicts that contradict the replicas never lead to a step.
    expect(['nothing', 'wait']).toContain(decisions.get('repairable'));
    expect(['nothing', 'wait']).toContain(decisions.get('master-damaged'));
  });
});

describe('planRepair escalates instead of repeating an action that had no effect', () => {
  const wrote = (peer: string): IneffectiveAction => ({ kind: 'set-properties', peer, round: 1, why: 'master still lacks sys.m2.ctime, version:main.admin still 2:0' });
  const left = (peer: string, round = 2): IneffectiveAction => ({ kind: 'leave', peer, round, why: `${peer} still the only master` });
  const synced = (peer: string): IneffectiveAction => ({ kind: 'sync', peer, round: 1, why: `${peer} still lacks sys.m2.ctime` });
  const masterCase = () => report([ok(P1, 'slave'), masterLacking('sys.m2.ctime'), ok(P3, 'slave')], 'master-damaged', masterView(P2));
  const slaveCase = () => report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), replica(P3, 'missing-base', 'slave'), ok('d:1', 'slave'), ok('e:1', 'slave')], 'repairable', masterView(P2));
  const leave = [{ kind: 'leave', peer: P2 }, { kind: 'await-master', candidates: [P1, P3], notPeer: P2 }];

  const cases: Array<{ name: string; build: () => ReturnType<typeof report>; history: RepairHistory; decision: string; steps: unknown[]; escalatedFrom: IneffectiveAction[] }> = [
    { name: 'damaged master, nothing tried: write-back', build: masterCase, history: [], decision: 'repair', steps: [{ kind: 'set-properties', values: { 'sys.m2.ctime': '1795580730589743' } }], escalatedFrom: [] },
    { name: 'write-back had no effect: leave', build: masterCase, history: [wrote(P2)], decision: 'repair', steps: leave, escalatedFrom: [wrote(P2)] },
    { name: 'write-back and leave had no effect: stop', build: masterCase, history: [wrote(P2), left(P2)], decision: 'stop', steps: [], escalatedFrom: [wrote(P2), left(P2)] },
    { name: 'a write-back on ANOTHER master had no effect: this master is still written', build: masterCase, history: [wrote(P1)], decision: 'repair', steps: [{ kind: 'set-properties', values: { 'sys.m2.ctime': '1795580730589743' } }], escalatedFrom: [] },
    { name: 'damaged slaves, one sync had no effect: sync only the other', build: slaveCase, history: [synced(P1)], decision: 'repair', steps: [{ kind: 'sync', peers: [P3] }], escalatedFrom: [synced(P1)] },
    { name: 'every damaged slave already synced in vain: stop', build: slaveCase, history: [synced(P1), synced(P3)], decision: 'stop', steps: [], escalatedFrom: [synced(P1), synced(P3)] },
  ];

  it.each(cases)('$name', ({ build, history, decision, steps, escalatedFrom }) => {
    const plan = planRepair(build(), history);
    expect(plan.decision).toBe(decision);
    expect(plan.steps).toEqual(steps);
    expect(plan.escalatedFrom ?? []).toEqual(escalatedFrom);
  });

  it('says why it stops, naming each action that had no effect', () => {
    const plan = planRepair(masterCase(), [wrote(P2), left(P2)]);
    expect(plan.reason).toContain(`set-properties on ${P2} in round 1 had no effect (master still lacks sys.m2.ctime`);
    expect(plan.reason).toContain(`leave on ${P2} in round 2 had no effect`);
    expect(plan.reason).toContain('needs a human');
  });

  it('a corrupt master whose leave had no effect is not written to: stop', () => {
    const plan = planRepair(report([ok(P1, 'slave'), replica(P2, 'corrupt-base', 'master'), ok(P3, 'slave')], 'master-damaged', masterView(P2)), [left(P2, 1)]);
    expect(plan).toMatchObject({ decision: 'stop', steps: [], escalatedFrom: [left(P2, 1)] });
  });

  it('never plans a sync from a damaged master, whatever the history', () => {
    for (const history of [[], [wrote(P2)], [wrote(P2), left(P2)], [synced(P1)]]) {
      expect(planRepair(masterCase(), history).steps.some((st) => st.kind === 'sync')).toBe(false);
    }
  });
});
