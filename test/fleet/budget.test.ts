// The fleet budget's decision: one repair more per reservation, never past the hour's or the
// epoch's limit, whatever the members wrote before.
import { describe, expect, it } from 'vitest';
import { budgetRemaining, emptyBudget, parseBudget, reserveRepair, type FleetBudgetState } from '../../src/fleet/budget.js';

const NOW = 10_000_000;
const limits = { maxPerHour: 3, maxPerSweep: 2 };
const state = (hourly: number[], epoch: number, epochUsed: number): FleetBudgetState => ({ version: 1, hourly, epoch, epochUsed });

describe('reserveRepair', () => {
  it.each([
    ['an empty budget', emptyBudget(), 1, true, ''],
    ['one spent in this epoch', state([NOW - 10], 1, 1), 1, true, ''],
    ['the epoch spent', state([NOW - 10, NOW - 5], 1, 2), 1, false, 'per-sweep budget of 2 spent'],
    ['the epoch spent, but a new epoch', state([NOW - 10, NOW - 5], 1, 2), 2, true, ''],
    ['the hour spent', state([NOW - 30, NOW - 20, NOW - 10], 0, 0), 1, false, 'per-hour budget of 3 spent'],
    ['the hour spent more than an hour ago', state([NOW - 3_600_001, NOW - 3_600_000, NOW - 10], 0, 0), 1, true, ''],
  ])('with %s: ok=%s', (_what, s, epoch, ok, reason) => {
    const r = reserveRepair(s, limits, epoch, NOW);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.reason).toContain(reason);
    else {
      expect(r.next.hourly.at(-1)).toBe(NOW);
      expect(r.next.epoch).toBe(Math.max(epoch, s.epoch));
    }
  });

  it('never lets reservations in a row pass the smaller limit', () => {
    let s = emptyBudget();
    let granted = 0;
    for (let i = 0; i < 10; i++) {
      const r = reserveRepair(s, limits, 1, NOW + i);
      if (r.ok) {
        granted += 1;
        s = r.next;
      }
    }
    expect(granted).toBe(2);
    expect(budgetRemaining(s, limits, 1, NOW + 10)).toBe(0);
  });

  it('reads a damaged node as an empty budget (never a crash)', () => {
    expect(parseBudget(Buffer.from('{not json'))).toEqual(emptyBudget());
    expect(parseBudget(Buffer.from('{"hourly":"x"}'))).toEqual(emptyBudget());
  });
});
