// explain() decides as the daemon would: the verdict and the plan first (nothing, refuse, wait),
// then the first gate that blocks, in order; otherwise the plan's repair.
import { describe, expect, it } from 'vitest';
import { explain, type ExplainGate } from '../../src/decisions/explain.js';
import type { ContainerReport } from '../../src/probe/types.js';
import { planRepair } from '../../src/repair/plan.js';
import { healthyTable, masterView, P1, P2, P3, replica, report } from '../helpers/tables.js';

const ok = (peer: string, role: 'master' | 'slave') => replica(peer, 'ok', role, { table: healthyTable() });
const repairable = report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'repairable', masterView(P2));
const open = (gate: string, code: ExplainGate['code']): ExplainGate => ({ gate, code, blocks: false, detail: `${gate} open` });
const shut = (gate: string, code: ExplainGate['code']): ExplainGate => ({ gate, code, blocks: true, detail: `${gate} shut`, until: '2026-12-02T18:00:00.000Z' });

const cases: { name: string; report: ContainerReport; gates: ExplainGate[]; action: string; code: string; reason?: string }[] = [
  { name: 'healthy: nothing, whatever the gates', report: report([ok(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'healthy'), gates: [shut('window', 'SKIPPED_WINDOW')], action: 'nothing', code: 'HEALTHY' },
  { name: 'no quorum: refused before any gate', report: report([replica(P1, 'missing-keys', 'slave'), ok(P2, 'master'), replica(P3, 'missing-base', 'slave')], 'unrepairable', masterView(P2)), gates: [shut('cooldown', 'SKIPPED_COOLDOWN')], action: 'refuse', code: 'REFUSED_NO_QUORUM' },
  { name: 'a replica unseen: wait', report: report([replica(P1, 'missing-keys', 'slave'), replica(P2, 'unreachable', 'unknown'), ok(P3, 'slave')], 'unknown'), gates: [], action: 'wait', code: 'PEER_UNREACHABLE' },
  { name: 'every gate open: repair with the plan', report: repairable, gates: [open('window', 'SKIPPED_WINDOW'), open('cooldown', 'SKIPPED_COOLDOWN')], action: 'repair', code: 'PLAN_SYNC' },
  { name: 'the first gate that blocks decides', report: repairable, gates: [open('window', 'SKIPPED_WINDOW'), shut('cooldown', 'SKIPPED_COOLDOWN'), shut('budget-hour', 'SKIPPED_BUDGET')], action: 'skip', code: 'SKIPPED_COOLDOWN', reason: 'cooldown shut' },
];

describe('explain', () => {
  it.each(cases)('$name', (c) => {
    const e = explain({ report: c.report, plan: planRepair(c.report), gates: c.gates, now: Date.parse('2026-12-02T15:00:00Z') });
    expect(e.decision).toMatchObject({ action: c.action, code: c.code, ...(c.reason ? { reason: c.reason } : {}) });
    expect(e.gates).toEqual(c.gates);
    expect(e.at).toBe('2026-12-02T15:00:00.000Z');
  });
});
