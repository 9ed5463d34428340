import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/probe/types.js';
import { RepairGate, type RepairPolicy } from '../../src/sweep/repair-gate.js';
import { report } from './reports.js';

const policy: RepairPolicy = {
  mode: 'auto',
  maxPerSweep: 100,
  maxPerHour: 100,
  cooldownSeconds: 600,
  maxAttempts: 3,
  backoffSeconds: 60,
  backoffMaxSeconds: 3600,
};

function gateAt(overrides: Partial<RepairPolicy> = {}) {
  const clock = { t: 1_000_000_000 };
  const gate = new RepairGate({ ...policy, ...overrides }, () => clock.t);
  gate.beginSweep();
  return { gate, clock };
}

const ref = (n = 1) => ({ cid: `C${String(n).padStart(5, '0')}`.padEnd(64, '0') });
const withVerdict = (verdict: Verdict, n = 1) => report(ref(n), verdict, ['ok', 'ok', 'missing-keys']);

describe('RepairGate.decide', () => {
  it.each<[Verdict, RepairPolicy['mode'], string, string | undefined]>([
    ['healthy', 'auto', 'none', undefined],
    ['unknown', 'auto', 'none', undefined],
    ['unrepairable', 'auto', 'skip', 'refused'],
    ['unrepairable', 'report-only', 'skip', 'refused'],
    ['repairable', 'auto', 'repair', undefined],
    ['master-damaged', 'auto', 'repair', undefined],
    ['repairable', 'report-only', 'skip', 'dry_run'],
    ['master-damaged', 'report-only', 'skip', 'dry_run'],
  ])('%s in %s mode → %s %s', (verdict, mode, action, outcome) => {
    const { gate } = gateAt({ mode });
    const decision = gate.decide(withVerdict(verdict));
    expect(decision.action).toBe(action);
    if (outcome) expect(decision).toMatchObject({ outcome });
  });

  it('spends no budget in report-only mode', () => {
    const { gate } = gateAt({ mode: 'report-only', maxPerSweep: 1 });
    for (let i = 0; i < 5; i++) gate.decide(withVerdict('repairable', i));
    expect(gate.remaining()).toBe(1);
  });

  it('stops at the per-sweep budget and starts afresh with the next sweep', () => {
    const { gate } = gateAt({ maxPerSweep: 2 });
    const actions = [1, 2, 3].map((n) => gate.decide(withVerdict('repairable', n)));
    expect(actions.map((d) => (d.action === 'skip' ? d.outcome : d.action))).toEqual(['repair', 'repair', 'skipped_budget']);
    expect(gate.remaining()).toBe(0);
    gate.beginSweep();
    expect(gate.remaining()).toBe(2);
    expect(gate.decide(withVerdict('repairable', 4)).action).toBe('repair');
  });

  it('counts the per-hour budget over a sliding hour, across sweeps', () => {
    const { gate, clock } = gateAt({ maxPerHour: 2 });
    expect(gate.decide(withVerdict('repairable', 1)).action).toBe('repair');
    clock.t += 30 * 60_000;
    expect(gate.decide(withVerdict('repairable', 2)).action).toBe('repair');
    gate.beginSweep();
    expect(gate.decide(withVerdict('repairable', 3))).toMatchObject({ outcome: 'skipped_budget' });
    clock.t += 30 * 60_000; // the first attempt is now an hour old
    expect(gate.remaining()).toBe(1);
    expect(gate.decide(withVerdict('repairable', 3)).action).toBe('repair');
  });

  it('remaining() is the smaller of the per-sweep and per-hour remainders', () => {
    const { gate } = gateAt({ maxPerSweep: 5, maxPerHour: 3 });
    expect(gate.remaining()).toBe(3);
    gate.decide(withVerdict('repairable', 1));
    expect(gate.remaining()).toBe(2);
  });

  it('keeps spending and cooldowns across a policy reload', () => {
    const { gate } = gateAt({ maxPerSweep: 3 });
    gate.decide(withVerdict('repairable', 1));
    gate.recordOutcome(ref(1).cid, 'succeeded');
    gate.setPolicy({ ...policy, maxPerSweep: 2 });
    expect(gate.remaining()).toBe(1);
    expect(gate.decide(withVerdict('repairable', 1))).toMatchObject({ outcome: 'skipped_cooldown' });
    gate.setPolicy({ ...policy, mode: 'report-only' });
    expect(gate.decide(withVerdict('repairable', 2))).toMatchObject({ outcome: 'dry_run' });
  });

  it('resumes a sweep with what it had already spent', () => {
    const { gate } = gateAt({ maxPerSweep: 5 });
    gate.resumeSweep(4);
    expect(gate.remaining()).toBe(1);
  });
});

describe('RepairGate cooldown and backoff', () => {
  it('holds a container back for the cooldown after a successful repair', () => {
    const { gate, clock } = gateAt();
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
    gate.recordOutcome(ref().cid, 'succeeded');
    clock.t += 599_000;
    expect(gate.decide(withVerdict('repairable'))).toMatchObject({ action: 'skip', outcome: 'skipped_cooldown' });
    clock.t += 1_000;
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
  });

  it('backs off exponentially after failures (never below the cooldown), then gives up for the maximum', () => {
    const { gate, clock } = gateAt({ cooldownSeconds: 30, backoffSeconds: 60, backoffMaxSeconds: 200, maxAttempts: 4 });
    const cid = ref().cid;
    /** Seconds until the gate allows the next attempt (which it then reserves). */
    const secondsUntilEligible = (): number => {
      let waited = 0;
      while (gate.decide(withVerdict('repairable')).action === 'skip') {
        clock.t += 1_000;
        waited += 1;
      }
      return waited;
    };
    expect(secondsUntilEligible()).toBe(0);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      gate.recordOutcome(cid, 'failed');
      waits.push(secondsUntilEligible());
    }
    // 60, 120, min(240, 200); the 4th failure reaches maxAttempts: left alone for the maximum,
    // then a fresh history starts again at the first backoff.
    expect(waits).toEqual([60, 120, 200, 200, 60]);
  });

  it('waits at least the cooldown after a failure when the backoff is shorter', () => {
    const { gate, clock } = gateAt({ cooldownSeconds: 300, backoffSeconds: 10 });
    gate.decide(withVerdict('repairable'));
    gate.recordOutcome(ref().cid, 'failed');
    clock.t += 299_000;
    expect(gate.decide(withVerdict('repairable'))).toMatchObject({ outcome: 'skipped_cooldown' });
    clock.t += 1_000;
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
  });

  it('treats a refusal by the planner during an attempt as a failure', () => {
    const { gate, clock } = gateAt({ cooldownSeconds: 0 });
    gate.decide(withVerdict('repairable'));
    gate.recordOutcome(ref().cid, 'refused');
    expect(gate.decide(withVerdict('repairable'))).toMatchObject({ outcome: 'skipped_cooldown' });
    clock.t += 60_000;
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
  });

  it.each(['skipped_suspended', 'skipped_breaker', 'skipped_blackout'] as const)('does not count an attempt an operator control stopped (%s) as a failure: no backoff, the history as before it', (outcome) => {
    const { gate, clock } = gateAt({ cooldownSeconds: 0, backoffSeconds: 60 });
    gate.decide(withVerdict('repairable'));
    gate.recordOutcome(ref().cid, 'failed');
    clock.t += 60_000;
    // One failure behind it: the next attempt is stopped by a control, then the control lifts.
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
    gate.recordOutcome(ref().cid, outcome);
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
    // ...and the failure count did not grow: a real failure now waits the 2nd backoff (120 s), not the 3rd.
    gate.recordOutcome(ref().cid, 'failed');
    clock.t += 119_000;
    expect(gate.decide(withVerdict('repairable'))).toMatchObject({ code: 'SKIPPED_BACKOFF' });
    clock.t += 1_000;
    expect(gate.decide(withVerdict('repairable')).action).toBe('repair');
    const fresh = gateAt().gate;
    fresh.decide(withVerdict('repairable', 2));
    fresh.recordOutcome(ref(2).cid, outcome);
    expect(fresh.tracked).toBe(0);
  });

  it('forgets expired history, so its map stays bounded by recent attempts', () => {
    const { gate, clock } = gateAt({ maxPerHour: 1000, maxPerSweep: 1000 });
    for (let n = 0; n < 50; n++) {
      gate.decide(withVerdict('repairable', n));
      gate.recordOutcome(ref(n).cid, n % 2 ? 'succeeded' : 'failed');
    }
    expect(gate.tracked).toBe(50);
    clock.t += 2 * 3600_000;
    gate.beginSweep();
    expect(gate.tracked).toBe(0);
  });

  it('never lets an unrepairable container through, whatever the budget', () => {
    const { gate } = gateAt({ maxPerSweep: 1000 });
    for (let i = 0; i < 10; i++) expect(gate.decide(withVerdict('unrepairable'))).toMatchObject({ outcome: 'refused' });
    expect(gate.remaining()).toBe(100);
  });
});

describe('RepairGate.setPolicy (SIGHUP)', () => {
  it('applies a reloaded policy to the next decision and keeps what was already spent', () => {
    const { gate } = gateAt({ maxPerSweep: 2 });
    expect(gate.decide(withVerdict('repairable', 1)).action).toBe('repair');
    gate.setPolicy({ ...policy, mode: 'report-only' });
    expect(gate.decide(withVerdict('repairable', 2))).toMatchObject({ action: 'skip', outcome: 'dry_run' });
    gate.setPolicy({ ...policy, maxPerSweep: 1 });
    expect(gate.decide(withVerdict('repairable', 3))).toMatchObject({ action: 'skip', outcome: 'skipped_budget' });
    expect(gate.remaining()).toBe(0);
  });
});

describe('RepairGate with repairMaster off', () => {
  it('refuses master-damaged containers but still repairs damaged slaves', () => {
    const { gate } = gateAt({ repairMaster: false });
    expect(gate.decide(withVerdict('master-damaged', 1))).toMatchObject({ action: 'skip', outcome: 'refused', reason: expect.stringContaining('repairMaster') });
    expect(gate.decide(withVerdict('repairable', 2)).action).toBe('repair');
  });
});
