// The repair gate's history survives a restart: cooldowns, backoff and the hourly budget are
// saved atomically and restored, and a bad file never stops the daemon.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { FileGateStore, GATE_FILE } from '../../src/sweep/gate-store.js';
import { RepairGate } from '../../src/sweep/repair-gate.js';
import { POLICY } from './harness.js';
import { report } from './reports.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gate-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ref = (n: number) => ({ cid: `C${String(n).padStart(5, '0')}`.padEnd(64, '0') });
const damagedReport = (n: number) => report(ref(n), 'repairable', ['ok', 'ok', 'missing-keys']);

describe('FileGateStore with RepairGate', () => {
  it('a restarted gate keeps the cooldown of a repaired container and the hour\'s spent budget', async () => {
    const clock = { t: 1_000_000_000 };
    const store = new FileGateStore(dir, silentLogger());
    const first: RepairGate = new RepairGate({ ...POLICY, maxPerHour: 2 }, { now: () => clock.t, onChange: () => void store.save(first.snapshot()) });
    first.beginSweep();
    expect(first.decide(damagedReport(1)).action).toBe('repair');
    first.recordOutcome(ref(1).cid, 'succeeded');
    await store.flush();

    // The daemon restarts a minute later.
    clock.t += 60_000;
    const second = new RepairGate({ ...POLICY, maxPerHour: 2 }, { now: () => clock.t });
    const loaded = await store.load();
    if (loaded.kind !== 'restored') throw new Error(`expected a history, got ${loaded.kind}`);
    second.restore(loaded.snapshot);
    second.beginSweep();
    expect(second.decide(damagedReport(1))).toMatchObject({ action: 'skip', outcome: 'skipped_cooldown' });
    expect(second.remaining()).toBe(1);
    expect(second.decide(damagedReport(2)).action).toBe('repair');
    expect(second.decide(damagedReport(3))).toMatchObject({ action: 'skip', outcome: 'skipped_budget' });
  });

  it('forgets what has expired when restoring', async () => {
    const clock = { t: 5_000_000_000 };
    const gate = new RepairGate(POLICY, { now: () => clock.t });
    gate.restore({ version: 1, hourly: [clock.t - 3_700_000, clock.t - 10_000], attempts: [['OLD', { failures: 1, notBefore: 0, expiresAt: clock.t - 1 }], ['NEW', { failures: 0, notBefore: clock.t + 1000, expiresAt: clock.t + 1000 }]] });
    expect(gate.snapshot()).toEqual({ version: 1, hourly: [clock.t - 10_000], attempts: [['NEW', { failures: 0, notBefore: clock.t + 1000, expiresAt: clock.t + 1000 }]] });
  });

  it('writes the latest snapshot when saves pile up, and reads back what it wrote', async () => {
    const store = new FileGateStore(dir, silentLogger());
    const saves = [1, 2, 3].map((n) => store.save({ version: 1, hourly: [n], attempts: [] }));
    await Promise.all(saves);
    expect(JSON.parse(await readFile(join(dir, GATE_FILE), 'utf8'))).toEqual({ version: 1, hourly: [3], attempts: [] });
    expect(await store.load()).toEqual({ kind: 'restored', snapshot: { version: 1, hourly: [3], attempts: [] } });
  });

  it('starts without history when there is no file', async () => {
    expect(await new FileGateStore(dir, silentLogger()).load()).toEqual({ kind: 'none' });
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['a wrong shape', '{"version":1,"hourly":"soon","attempts":[]}'],
    ['an unknown version', '{"version":2,"hourly":[],"attempts":[]}'],
  ])('reports %s as a bad history and keeps the file aside, renamed, not deleted', async (_what, text) => {
    await writeFile(join(dir, GATE_FILE), text);
    const loaded = await new FileGateStore(dir, silentLogger()).load();
    expect(loaded).toMatchObject({ kind: 'bad', bad: { problem: 'corrupt', keptAs: expect.stringMatching(/repair-gate\.json\.corrupt-/) } });
    if (loaded.kind !== 'bad' || !loaded.bad.keptAs) throw new Error('unreachable');
    expect(await readFile(loaded.bad.keptAs, 'utf8')).toBe(text);
    expect(await readdir(dir)).not.toContain(GATE_FILE);
  });

  it('a repair decision is saved with its cooldown before the outcome: a crash during the repair gives nothing back', async () => {
    const clock = { t: 2_000_000_000 };
    const store = new FileGateStore(dir, silentLogger());
    const policy = { ...POLICY, maxPerHour: 3, maxPerSweep: 2 };
    const first = new RepairGate(policy, { now: () => clock.t, persist: (s) => store.save(s) });
    first.beginSweep('sweep-a');
    expect(first.decide(damagedReport(1)).action).toBe('repair');
    await first.saved();
    // SIGKILL here: no recordOutcome. The daemon restarts and resumes the same sweep, whose
    // checkpoint had not counted the repair yet.
    clock.t += 5_000;
    const loaded = await store.load();
    if (loaded.kind !== 'restored') throw new Error(`expected a history, got ${loaded.kind}`);
    const second = new RepairGate(policy, { now: () => clock.t });
    second.restore(loaded.snapshot);
    second.resumeSweep(0, 'sweep-a');
    expect(second.decide(damagedReport(1))).toMatchObject({ action: 'skip', outcome: 'skipped_cooldown' });
    expect(second.remaining()).toBe(1); // the sweep's budget of 2 minus the reservation
    expect(second.decide(damagedReport(2)).action).toBe('repair');
    expect(second.decide(damagedReport(3))).toMatchObject({ action: 'skip', outcome: 'skipped_budget', reason: expect.stringMatching(/per-sweep/) });
  });

  it('rejects a save that did not reach the disk, retries on its own, and resolves later saves once the disk is back', async () => {
    const stateDir = join(dir, 'state');
    await writeFile(stateDir, 'a file where the directory should be');
    const failures: unknown[] = [];
    let saved = 0;
    const store = new FileGateStore(stateDir, silentLogger(), { retryMinMs: 10, retryMaxMs: 20, onSaveFailed: (e) => failures.push(e), onSaved: () => (saved += 1) });
    await expect(store.save({ version: 1, hourly: [1], attempts: [] })).rejects.toThrow();
    expect(store.unhealthy).toBe(true);
    await rm(stateDir);
    await mkdir(stateDir, { recursive: true }); // a retry may have created it meanwhile
    for (let i = 0; i < 1000 && saved === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(saved).toBeGreaterThan(0);
    expect(store.unhealthy).toBe(false);
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(join(stateDir, GATE_FILE), 'utf8'))).toEqual({ version: 1, hourly: [1], attempts: [] });
    await store.close();
  });
});
