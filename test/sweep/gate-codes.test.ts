// The repair gate names each skip with its reason code, and lists every check (blocking or not)
// without spending anything: what `explain` shows is what decide() acts on.
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/probe/types.js';
import { RepairGate, type RepairPolicy } from '../../src/sweep/repair-gate.js';
import { report } from './reports.js';

const policy: RepairPolicy = { mode: 'auto', maxPerSweep: 2, maxPerHour: 3, cooldownSeconds: 600, maxAttempts: 3, backoffSeconds: 60, backoffMaxSeconds: 3600 };
const T0 = 1_000_000_000_000;
const ref = (n: number) => ({ cid: `C${String(n).padStart(5, '0')}`.padEnd(64, '0') });
const damaged = (n: number, verdict: Verdict = 'repairable') => report(ref(n), verdict, ['ok', 'ok', 'missing-keys']);

function gateAt(overrides: Partial<RepairPolicy> = {}) {
  const clock = { t: T0 };
  const gate = new RepairGate({ ...policy, ...overrides }, () => clock.t);
  gate.beginSweep('s1');
  return { gate, clock };
}

describe('repair gate reason codes', () => {
  it.each<{ name: string; setup: (g: RepairGate, c: { t: number }) => void; verdict?: Verdict; policy?: Partial<RepairPolicy>; code: string; outcome: string }>([
    { name: 'unrepairable', setup: () => undefined, verdict: 'unrepairable', code: 'REFUSED_NO_QUORUM', outcome: 'refused' },
    { name: 'master repair off', setup: () => undefined, verdict: 'master-damaged', policy: { repairMaster: false }, code: 'REFUSED_MASTER_REPAIR_OFF', outcome: 'refused' },
    { name: 'report-only', setup: () => undefined, policy: { mode: 'report-only' }, code: 'SKIPPED_REPORT_ONLY', outcome: 'dry_run' },
    { name: 'held after a corrupt history', setup: (g, c) => g.holdRepairsUntil(c.t + 3_600_000, 'history corrupt'), code: 'SKIPPED_HOLD', outcome: 'skipped_budget' },
    { name: 'repaired recently', setup: (g) => { g.decide(damaged(1)); g.recordOutcome(ref(1).cid, 'succeeded'); }, code: 'SKIPPED_COOLDOWN', outcome: 'skipped_cooldown' },
    { name: 'failed recently', setup: (g) => { g.decide(damaged(1)); g.recordOutcome(ref(1).cid, 'failed'); }, code: 'SKIPPED_BACKOFF', outcome: 'skipped_cooldown' },
    { name: 'per-sweep budget spent', setup: (g) => { g.decide(damaged(2)); g.decide(damaged(3)); }, code: 'SKIPPED_BUDGET', outcome: 'skipped_budget' },
  ])('$name → $code', (c) => {
    const { gate, clock } = gateAt(c.policy);
    c.setup(gate, clock);
    expect(gate.decide(damaged(1, c.verdict))).toMatchObject({ action: 'skip', code: c.code, outcome: c.outcome });
  });

  it('lists every check without reserving anything, with the end time of what blocks', () => {
    const { gate, clock } = gateAt();
    gate.decide(damaged(1));
    gate.recordOutcome(ref(1).cid, 'succeeded');
    const before = gate.remaining();
    const checks = gate.checks(damaged(1));
    expect(checks.map((c) => [c.gate, c.code, c.blocks])).toEqual([
      ['mode', 'SKIPPED_REPORT_ONLY', false],
      ['hold', 'SKIPPED_HOLD', false],
      ['cooldown', 'SKIPPED_COOLDOWN', true],
      ['budget-sweep', 'SKIPPED_BUDGET', false],
      ['budget-hour', 'SKIPPED_BUDGET', false],
    ]);
    expect(checks.find((c) => c.gate === 'cooldown')?.until).toBe(clock.t + 600_000);
    expect(checks.find((c) => c.gate === 'budget-sweep')?.detail).toBe('1 of 2 repairs of this sweep used');
    expect(gate.remaining()).toBe(before);
    expect(gate.checks(damaged(2)).some((c) => c.blocks)).toBe(false);
  });

  it('says when the hourly budget frees up', () => {
    const { gate, clock } = gateAt({ maxPerSweep: 10 });
    for (const n of [1, 2, 3]) {
      gate.decide(damaged(n));
      clock.t += 60_000;
    }
    const hour = gate.checks(damaged(4)).find((c) => c.gate === 'budget-hour');
    expect(hour).toMatchObject({ blocks: true, code: 'SKIPPED_BUDGET', until: T0 + 3_600_000 });
  });
});
