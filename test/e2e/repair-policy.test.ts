// End to end: the repair policy as the daemon applies it. The budget per sweep and the cooldown
// after a repair, across two sweeps of one process (the second pinned by the cron to a known
// second a few seconds after the start, so the test knows which sweep it looks at without
// sleeping); and repair.repairMaster off, which must leave damaged masters untouched.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { cronInSeconds, readJournal, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { containerKey, startRecordingProxy } from './recording-proxy.js';
import { damagedContainers, truthProblems } from './sim-truth.js';

type RepairEntry = Extract<JournalEntry, { type: 'repair' }>;

const BUDGET = 5;

function repairsOf(journal: readonly JournalEntry[], sweepId: string): RepairEntry[] {
  const prefix = `sweep-${sweepId.slice(0, 8)}-`;
  return journal.filter((e): e is RepairEntry => e.type === 'repair' && e.reqId.startsWith(prefix));
}

function cidsWith(entries: readonly RepairEntry[], outcome: RepairEntry['outcome']): string[] {
  return entries.filter((e) => e.outcome === outcome).map((e) => e.cid).sort();
}

describe('repair policy', () => {
  it('repairs exactly maxPerSweep containers per sweep, continues in the next sweep, and leaves a recently repaired container alone', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 300, accounts: 2, damagedShare: 0.1, seed: 11, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    const total = damaged.length;
    expect(total).toBeGreaterThan(2 * BUDGET + 1);
    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    const dir = await tempDir();
    const journalPath = join(dir, 'journal.jsonl');
    // Sweep 1 at start, sweep 2 at a second pinned 6 s from now (and none for a minute after).
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir },
      { schedule: { cron: cronInSeconds(6), runAtStart: true }, repair: { maxPerSweep: BUDGET, budgetPerHour: 1000, cooldownMinutes: 60 } },
    ));
    const daemon = await startDaemon(config);

    // --- Sweep 1: the budget is spent, the rest skipped --------------------------------
    const started1 = await daemon.waitForNth('sweep started', 1);
    const done1 = await daemon.waitForNth('sweep done', 1, { timeoutMs: 30_000 });
    const m1 = await daemon.scrape();
    expect(daemon.logs('sweep started'), 'sweep 2 must not have started yet').toHaveLength(1);
    expect(done1['counts']).toMatchObject({ damagedContainers: total, repairs: { succeeded: BUDGET, skipped_budget: total - BUDGET, failed: 0, skipped_cooldown: 0 } });
    expect(m1.nonZeroByLabel('oio_repaird_repairs_total', 'outcome')).toEqual({ succeeded: BUDGET, skipped_budget: total - BUDGET });
    expect(m1.value('oio_repaird_repair_budget_remaining')).toBe(0);
    const sweep1 = repairsOf(await readJournal(journalPath), started1['sweepId'] as string);
    const repaired1 = cidsWith(sweep1, 'succeeded');
    const skipped1 = cidsWith(sweep1, 'skipped_budget');
    expect(repaired1).toHaveLength(BUDGET);
    expect(skipped1).toHaveLength(total - BUDGET);
    expect(sweep1.find((e) => e.outcome === 'skipped_budget')?.reason).toMatch(/per-sweep budget of 5/);
    // What the simulator holds agrees: 5 healthy again, the skipped ones untouched.
    const healthyNow = damaged.filter((d) => truthProblems(sim.truth(d.cid)).length === 0).map((d) => d.cid).sort();
    expect(healthyNow).toEqual(repaired1);
    const syncedKeys = new Set(recorder.calls.filter((c) => c.route === 'admin/sync').map((c) => containerKey(c.account ?? '', c.container ?? '')));
    expect(syncedKeys.size).toBe(BUDGET);

    // One of the repaired containers is damaged again, well within its cooldown.
    const again = repaired1[0] as string;
    sim.inject({ kind: 'drop-keys', cid: again, role: 'slave', keys: ['sys.m2.ctime'] });
    const injectedAt = Date.now();
    const callsBeforeSweep2 = recorder.calls.length;

    // --- Sweep 2: the next 5, the re-damaged one skipped for its cooldown ----------------
    const started2 = await daemon.waitForNth('sweep started', 2, { timeoutMs: 15_000 });
    expect(Date.parse(started2.time), 'sweep 2 started after the re-injection').toBeGreaterThan(injectedAt);
    const done2 = await daemon.waitForNth('sweep done', 2, { timeoutMs: 30_000 });
    const m2 = await daemon.scrape();
    const left = total - BUDGET;
    expect(done2['counts']).toMatchObject({
      damagedContainers: left + 1,
      repairs: { succeeded: BUDGET, skipped_cooldown: 1, skipped_budget: left - BUDGET, failed: 0 },
    });
    const sweep2 = repairsOf(await readJournal(journalPath), started2['sweepId'] as string);
    const repaired2 = cidsWith(sweep2, 'succeeded');
    // The sweep continued where the budget stopped the first: new containers, all from the skipped ones.
    expect(repaired2).toHaveLength(BUDGET);
    expect(repaired2.every((cid) => skipped1.includes(cid))).toBe(true);
    expect(cidsWith(sweep2, 'skipped_cooldown')).toEqual([again]);
    expect(sweep2.find((e) => e.cid === again)?.reason).toMatch(/repaired recently, next attempt in \d+s/);
    // Still damaged: nothing was sent to it.
    expect(truthProblems(sim.truth(again))).toContainEqual(expect.stringMatching(/lacks sys\.m2\.ctime$/));
    const againKey = containerKey(sim.truth(again)?.account ?? '', sim.truth(again)?.container ?? '');
    const mutating = recorder.calls.slice(callsBeforeSweep2).filter((c) => c.route.startsWith('admin/') && c.route !== 'admin/get_properties' && c.route !== 'admin/status' && c.route !== 'admin/has');
    expect(mutating.length).toBeGreaterThanOrEqual(BUDGET);
    expect(mutating.filter((c) => containerKey(c.account ?? '', c.container ?? '') === againKey || c.cid === again)).toEqual([]);
    expect(m2.nonZeroByLabel('oio_repaird_repairs_total', 'outcome')).toEqual({
      succeeded: 2 * BUDGET,
      skipped_budget: left + (left - BUDGET),
      skipped_cooldown: 1,
    });
    expect(m2.value('oio_repaird_repair_budget_remaining')).toBe(0);
    expect(m2.value('oio_repaird_sweeps_total', { result: 'completed' })).toBe(2);

    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });

  it('keeps cooldowns and the hourly budget across a restart of the daemon', { timeout: 45_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 120, damagedShare: 0.1, seed: 21, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(4);
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { repair: { maxPerSweep: 1000, budgetPerHour: damaged.length + 1, cooldownMinutes: 60 } },
    ));
    const first = await startDaemon(config);
    await first.waitForNth('sweep done', 1);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    const history = JSON.parse(await readFile(join(dir, 'repair-gate.json'), 'utf8')) as { hourly: number[]; attempts: unknown[] };
    expect(history.hourly).toHaveLength(damaged.length);
    expect(history.attempts).toHaveLength(damaged.length);

    // Two repaired containers break again; the restarted daemon sees them at once.
    const [a, b] = [damaged[0]!, damaged[1]!];
    for (const d of [a, b]) sim.inject({ kind: 'drop-keys', cid: d.cid, role: 'slave', keys: ['sys.m2.ctime'] });
    const second = await startDaemon(config);
    const done = await second.waitForNth('sweep done', 1);
    // Both are within their cooldown (not forgotten by the restart), and only one repair of the
    // hour's budget was left anyway.
    expect(done['counts']).toMatchObject({ repairs: { skipped_cooldown: 2, succeeded: 0 } });
    expect((await second.scrape()).value('oio_repaird_repair_budget_remaining')).toBe(1);
    expect(second.logs('repair history restored')).toHaveLength(1);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it('with repair.repairMaster off, refuses every master-damaged container and sends it nothing', { timeout: 30_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 150, damagedShare: 0.1, seed: 4, kinds: ['master:drop-keys', 'master:missing-base', 'slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    const masters = damaged.filter((d) => d.damage === 'master');
    const slaves = damaged.filter((d) => d.damage === 'slave');
    expect(masters.length).toBeGreaterThan(2);
    expect(slaves.length).toBeGreaterThan(0);
    const before = new Map(masters.map((d) => [d.cid, sim.truth(d.cid)]));
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { repair: { repairMaster: false } },
    ));
    const daemon = await startDaemon(config);
    const done = await daemon.waitForNth('sweep done', 1);
    expect(done['counts']).toMatchObject({ repairs: { refused: masters.length, succeeded: slaves.length, failed: 0 } });
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    for (const d of masters) {
      expect(sim.truth(d.cid), `${d.cid} was touched`).toEqual(before.get(d.cid));
      const entries = journal.filter((e) => e.cid === d.cid);
      expect(entries.map((e) => e.type)).toEqual(['detection', 'repair']);
      expect(entries[1]).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('repair.repairMaster is off') });
    }
    // Slaves are still repaired; no master ever left an election or was written through.
    for (const d of slaves) expect(truthProblems(sim.truth(d.cid))).toEqual([]);
    expect(sim.stats().leaveCalls).toEqual({});
    expect(sim.stats().writes).toBe(0);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
