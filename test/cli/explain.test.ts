// `oio-repaird explain`: what the daemon would do with one container now and why, with every
// gate read from the configuration and the state directory, each with its reason code, and
// without changing anything: only read requests reach the simulator, the state directory is
// left as it was. Run in process against the simulator.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Explanation } from '../../src/decisions/explain.js';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { CONTROLS_FILE } from '../../src/controls/store.js';
import { STALL_FILE_NAME } from '../../src/daemon/stall-watch.js';
import { GATE_FILE } from '../../src/sweep/gate-store.js';
import type { GateSnapshot } from '../../src/sweep/repair-gate.js';
import { runInProcess } from '../helpers/cli-io.js';

const [S1, S2, S3] = ['127.0.0.1:6171', '127.0.0.1:6172', '127.0.0.1:6173'] as const;
/** Routes that change a base; explain must never send one. */
const MUTATING = ['admin/sync', 'admin/leave', 'admin/set_properties', 'admin/drop_cache', 'admin/copy', 'admin/remove'];

let sim: Simulator;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'explain-'));
  sim = await startSimulator({
    scenario: {
      namespace: 'OPENIO',
      services: [S1, S2, S3],
      containers: ['healthy', 'slave-lacks-key', 'two-of-three', 'no-master', 'master-lacks-key'].map((name) => ({ account: 'a', name, peers: [S1, S2, S3], master: S1 })),
      faults: [
        { kind: 'drop-keys', account: 'a', container: 'slave-lacks-key', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: 'a', container: 'two-of-three', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'missing-base', account: 'a', container: 'two-of-three', peer: S3 },
        { kind: 'drop-keys', account: 'a', container: 'no-master', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'no-master', account: 'a', container: 'no-master' },
        { kind: 'drop-keys', account: 'a', container: 'master-lacks-key', peer: S1, keys: ['sys.m2.ctime'] },
      ],
    },
  });
});

afterAll(async () => {
  await sim.close();
});

let n = 0;
/** A configuration file for the simulator with its own state directory, plus `settings`. */
async function setup(settings: Record<string, unknown> = {}, gate?: GateSnapshot): Promise<{ config: string; stateDir: string }> {
  const dir = join(root, `case-${++n}`);
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  if (gate) await writeFile(join(stateDir, GATE_FILE), `${JSON.stringify(gate)}\n`);
  const config = join(dir, 'config.yaml');
  await writeFile(config, stringify({ proxy: { url: sim.url, namespace: 'OPENIO' }, state: { dir: stateDir }, ...settings }));
  return { config, stateDir };
}

async function explainJson(container: string, config: string): Promise<{ code: number; doc: Explanation }> {
  const out = await runInProcess(['explain', `a/${container}`, '--config', config, '--json']);
  expect(out.stderr).toBe('');
  return { code: out.code, doc: JSON.parse(out.stdout) as Explanation };
}

const gate = (doc: Explanation, name: string) => doc.gates.find((g) => g.gate === name);
const HOUR = 3_600_000;

describe('explain', () => {
  it('shows each replica, the verdict, the plan, every gate open, and that it would repair now', async () => {
    const { config } = await setup();
    const { code, doc } = await explainJson('slave-lacks-key', config);
    expect(code).toBe(1);
    expect(doc.container).toMatchObject({ account: 'a', container: 'slave-lacks-key' });
    expect(doc.replicas.find((r) => r.peer === S2)).toMatchObject({ role: 'slave', health: 'missing-keys', missingKeys: ['sys.m2.ctime'] });
    expect(doc.replicas.find((r) => r.peer === S1)).toMatchObject({ role: 'master', health: 'ok' });
    expect(doc.verdict).toMatchObject({ verdict: 'repairable', code: 'REPAIRABLE' });
    expect(doc.plan).toMatchObject({ decision: 'repair', code: 'PLAN_SYNC', steps: [{ kind: 'sync', peers: [S2] }] });
    expect(doc.gates.map((g) => [g.gate, g.code, g.blocks])).toEqual([
      ['window', 'SKIPPED_WINDOW', false],
      ['stalled', 'SKIPPED_STALLED', false],
      ['mode', 'SKIPPED_REPORT_ONLY', false],
      ['breaker', 'BREAKER_OPEN', false],
      ['suspension', 'SKIPPED_SUSPENDED', false],
      ['blackout', 'SKIPPED_BLACKOUT', false],
      ['hold', 'SKIPPED_HOLD', false],
      ['cooldown', 'SKIPPED_COOLDOWN', false],
      ['budget-sweep', 'SKIPPED_BUDGET', false],
      ['budget-hour', 'SKIPPED_BUDGET', false],
    ]);
    expect(doc.decision).toMatchObject({ action: 'repair', code: 'PLAN_SYNC' });
  });

  it('names the cooldown with its end time when the container was repaired recently', async () => {
    const cid = cidFromName('a', 'slave-lacks-key');
    const until = Date.now() + 5 * HOUR;
    const { config } = await setup({}, { version: 1, hourly: [Date.now() - 60_000], attempts: [[cid, { failures: 0, notBefore: until, expiresAt: until }]] });
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(gate(doc, 'cooldown')).toMatchObject({ blocks: true, code: 'SKIPPED_COOLDOWN', until: new Date(until).toISOString() });
    expect(gate(doc, 'budget-hour')).toMatchObject({ blocks: false, detail: '1 of 100 repairs of the last hour used' });
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_COOLDOWN' });
  });

  it('names the backoff after failed attempts', async () => {
    const cid = cidFromName('a', 'slave-lacks-key');
    const until = Date.now() + HOUR;
    const { config } = await setup({}, { version: 1, hourly: [], attempts: [[cid, { failures: 2, notBefore: until, expiresAt: until + HOUR }]] });
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_BACKOFF', reason: expect.stringMatching(/^2 failed attempt\(s\), next attempt in \d+s$/) });
  });

  it('says when the per-hour budget frees up', async () => {
    const t = Date.now();
    const { config } = await setup({ repair: { budgetPerHour: 2 } }, { version: 1, hourly: [t - 50 * 60_000, t - 10 * 60_000], attempts: [] });
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(gate(doc, 'budget-hour')).toMatchObject({ blocks: true, code: 'SKIPPED_BUDGET', until: new Date(t - 50 * 60_000 + HOUR).toISOString() });
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_BUDGET', reason: 'per-hour budget of 2 spent' });
  });

  it('shows a time window that is closed now', async () => {
    const h = new Date().getUTCHours();
    const at = (k: number) => `${String((h + k) % 24).padStart(2, '0')}:00`;
    const { config } = await setup({ schedule: { timezone: 'UTC', windows: [{ start: at(3), end: at(4) }] } });
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(gate(doc, 'window')).toMatchObject({ blocks: true, code: 'SKIPPED_WINDOW' });
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_WINDOW' });
  });

  it('shows that the next sweep skips a container that stalled too many sweeps', async () => {
    const { config, stateDir } = await setup({ sweep: { stallSkipAfter: 2 } });
    await writeFile(join(stateDir, STALL_FILE_NAME), JSON.stringify({ version: 1, containers: { 'a/slave-lacks-key': 2 } }));
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(gate(doc, 'stalled')).toMatchObject({ blocks: true, code: 'SKIPPED_STALLED' });
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_STALLED' });
  });

  it('shows a suspension with who, why and until when, and an open circuit breaker', async () => {
    const until = Date.now() + 2 * HOUR;
    const suspended = await setup();
    await writeFile(join(suspended.stateDir, CONTROLS_FILE), JSON.stringify({ version: 1, suspension: { since: Date.now(), until, reason: 'freeze', by: 'alice' }, breaker: null }));
    const s = (await explainJson('slave-lacks-key', suspended.config)).doc;
    expect(gate(s, 'suspension')).toMatchObject({ blocks: true, code: 'SKIPPED_SUSPENDED', until: new Date(until).toISOString(), detail: expect.stringContaining('alice') });
    expect(s.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_SUSPENDED' });
    const broken = await setup();
    const breaker = { openedAt: Date.now() - 60_000, reason: 'damaged_share', detail: '30% damaged', damaged: 300, judged: 1000, coolOffUntil: null };
    await writeFile(join(broken.stateDir, CONTROLS_FILE), JSON.stringify({ version: 1, suspension: null, breaker }));
    const b = (await explainJson('slave-lacks-key', broken.config)).doc;
    expect(gate(b, 'breaker')).toMatchObject({ blocks: true, code: 'BREAKER_OPEN' });
    expect(b.decision).toMatchObject({ action: 'skip', code: 'BREAKER_OPEN' });
  });

  it('shows a blackout in force', async () => {
    const day = (k: number) => new Date(Date.now() + k * 24 * HOUR).toISOString().slice(0, 10);
    const { config } = await setup({ schedule: { timezone: 'UTC', blackouts: [{ from: day(-1), to: day(1), reason: 'freeze' }] } });
    const { doc } = await explainJson('slave-lacks-key', config);
    expect(gate(doc, 'blackout')).toMatchObject({ blocks: true, code: 'SKIPPED_BLACKOUT' });
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_BLACKOUT' });
  });

  it('shows report-only mode and master repair switched off', async () => {
    const reportOnly = await setup({ repair: { mode: 'report-only' } });
    expect((await explainJson('slave-lacks-key', reportOnly.config)).doc.decision).toMatchObject({ action: 'skip', code: 'SKIPPED_REPORT_ONLY' });
    const noMaster = await setup({ repair: { repairMaster: false } });
    const { doc } = await explainJson('master-lacks-key', noMaster.config);
    expect(doc.verdict.code).toBe('MASTER_DAMAGED');
    expect(doc.plan.code).toBe('PLAN_WRITE_BACK');
    expect(doc.decision).toMatchObject({ action: 'skip', code: 'REFUSED_MASTER_REPAIR_OFF' });
  });

  it('refuses without a healthy quorum, waits for the election, and does nothing for a healthy container', async () => {
    const { config } = await setup();
    const refused = await explainJson('two-of-three', config);
    expect(refused.doc.decision).toMatchObject({ action: 'refuse', code: 'REFUSED_NO_QUORUM' });
    const waiting = await explainJson('no-master', config);
    expect(waiting.doc.decision).toMatchObject({ action: 'wait', code: 'WAIT_ELECTION' });
    const healthy = await explainJson('healthy', config);
    expect(healthy.code).toBe(0);
    expect(healthy.doc.decision).toMatchObject({ action: 'nothing', code: 'HEALTHY' });
  });

  it('prints the same in text: replicas, verdict, plan, a gates table and the decision', async () => {
    const cid = cidFromName('a', 'slave-lacks-key');
    const until = Date.now() + HOUR;
    const { config, stateDir } = await setup({}, { version: 1, hourly: [], attempts: [[cid, { failures: 0, notBefore: until, expiresAt: until }]] });
    const out = await runInProcess(['explain', 'a/slave-lacks-key', '--config', config]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^Verdict: repairable \(REPAIRABLE\) — /m);
    expect(out.stdout).toMatch(/^Plan: repair \(PLAN_SYNC\) — /m);
    expect(out.stdout).toContain(`Gates (state ${stateDir}, at `);
    expect(out.stdout).toMatch(/\| cooldown +\| BLOCKS +\| SKIPPED_COOLDOWN +\| repaired recently, next attempt in \d+s +\| \d{4}-\d\d-\d\dT/);
    expect(out.stdout).toMatch(/^Decision: skip \(SKIPPED_COOLDOWN\) — repaired recently/m);
  });

  it('changes nothing: no mutating request reaches the simulator and the state directory is untouched', async () => {
    const cid = cidFromName('a', 'slave-lacks-key');
    const snapshot: GateSnapshot = { version: 1, hourly: [Date.now()], attempts: [[cid, { failures: 1, notBefore: Date.now() + HOUR, expiresAt: Date.now() + 2 * HOUR }]] };
    const { config, stateDir } = await setup({}, snapshot);
    const filesBefore = await readdir(stateDir);
    const gateBefore = await readFile(join(stateDir, GATE_FILE), 'utf8');
    const before = sim.stats();
    for (const container of ['slave-lacks-key', 'master-lacks-key', 'two-of-three', 'no-master', 'healthy']) {
      await runInProcess(['explain', `a/${container}`, '--config', config, '--json']);
      await runInProcess(['explain', `a/${container}`, '--config', config]);
    }
    const after = sim.stats();
    const sent = Object.keys(after.byRoute).filter((route) => (after.byRoute[route] ?? 0) > (before.byRoute[route] ?? 0));
    expect(sent.length).toBeGreaterThan(0);
    for (const route of sent) for (const m of MUTATING) expect(route, route).not.toContain(m);
    expect(after.mutationsByContainer).toEqual(before.mutationsByContainer);
    expect(after.writes).toBe(before.writes);
    expect(await readdir(stateDir)).toEqual(filesBefore);
    expect(await readFile(join(stateDir, GATE_FILE), 'utf8')).toBe(gateBefore);
  });
});
