// The repair gate's history survives a restart: cooldowns, backoff and the hourly budget are
// saved atomically and restored, and a bad file never stops the daemon.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
    second.restore((await store.load())!);
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
    expect(await store.load()).toEqual({ version: 1, hourly: [3], attempts: [] });
  });

  it.each([
    ['no file', null],
    ['not JSON', '{"version":1,'],
    ['a wrong shape', '{"version":1,"hourly":"soon","attempts":[]}'],
    ['an unknown version', '{"version":2,"hourly":[],"attempts":[]}'],
  ])('starts without history on %s', async (_what, text) => {
    if (text !== null) await writeFile(join(dir, GATE_FILE), text);
    expect(await new FileGateStore(dir, silentLogger()).load()).toBeNull();
  });
});
