// The repair gate's reservation (budget, cooldown) is on disk before the first mutating request
// of a repair, and a reservation that cannot be saved means nothing is sent at all.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { ContainerRef } from '../../src/oio/types.js';
import type { RepairResult } from '../../src/repair/types.js';
import { processContainer, type ContainerStepDeps, type RepairFn } from '../../src/sweep/process-container.js';
import { RepairGate, type GateSnapshot } from '../../src/sweep/repair-gate.js';
import { POLICY, RecordingJournal } from './harness.js';
import { damaged } from './reports.js';

const ref: ContainerRef = { cid: 'A'.repeat(64), account: 'acct', container: 'c1' };

function setup(persist: (s: GateSnapshot) => Promise<void>) {
  const events: string[] = [];
  const journal = new RecordingJournal();
  const gate = new RepairGate(POLICY, { persist });
  // Stands for the executor: the hook is awaited before the first mutating request.
  const repair: RepairFn = async (report, ctx) => {
    await ctx.beforeFirstMutation?.();
    events.push('mutation sent');
    return { outcome: 'succeeded', before: report, rounds: [], reason: 'synced' } satisfies RepairResult;
  };
  const deps: ContainerStepDeps = {
    probe: async () => damaged(ref),
    repair,
    journal,
    metrics: createMetrics({ defaultMetrics: false }),
    log: silentLogger(),
    gate,
    now: () => Date.now(),
  };
  return { deps, events, journal, gate };
}

describe('the repair reservation', () => {
  it('is saved before the first mutating request is sent', async () => {
    let release!: () => void;
    const saves: GateSnapshot[] = [];
    const { deps, events } = setup((s) => {
      saves.push(s);
      events.push(`saving (${s.attempts.length} cooldown, ${s.hourly.length} of the hour)`);
      return new Promise<void>((resolve) => (release = () => {
        events.push('saved');
        resolve();
      }));
    });
    const done = processContainer(deps, ref, { reqId: 'r1' });
    for (let i = 0; i < 50 && saves.length === 0; i++) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['saving (1 cooldown, 1 of the hour)']);
    release();
    const outcome = await done;
    expect(outcome.repairOutcome).toBe('succeeded');
    expect(events.slice(0, 3)).toEqual(['saving (1 cooldown, 1 of the hour)', 'saved', 'mutation sent']);
  });

  it('sends nothing when it cannot be saved (disk full), and says why', async () => {
    const { deps, events, journal, gate } = setup(async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const outcome = await processContainer(deps, ref, { reqId: 'r1' });
    expect(events).toEqual([]);
    expect(outcome.repairOutcome).toBe('failed');
    const entry = journal.entries.find((e) => e.type === 'repair');
    expect(entry).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('could not be saved, nothing sent: ENOSPC') });
    // The reservation stays spent in memory: a full disk never frees budget.
    expect(gate.remaining()).toBe(POLICY.maxPerSweep - 1);
  });
});
