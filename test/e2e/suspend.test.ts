// End to end: `oio-repaird suspend` / `resume` against the real daemon and the simulator. While
// suspended no mutating request reaches the simulator (counted from its own stats) though the
// sweep probes everything; the suspension survives a restart, shows in the metric, /readyz and
// the journal (who, why, until), and ends by itself on time, after which repairs go on.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { cronInSeconds, readJournal, runCli, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

type ControlEntry = Extract<JournalEntry, { type: 'control' }>;
const controls = (journal: readonly JournalEntry[]): ControlEntry[] => journal.filter((e): e is ControlEntry => e.type === 'control');
const mutations = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((a, b) => a + b, 0);

describe('suspend and resume', () => {
  it('sends no mutating request while suspended, keeps the suspension across a restart, and ends it on time', { timeout: 150_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 200, damagedShare: 0.1, seed: 23, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(5);
    const dir = await tempDir();
    const journalPath = join(dir, 'journal.jsonl');
    const base = { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir };
    const configA = await writeYaml(join(dir, 'a.yaml'), testConfig(base, { schedule: { runAtStart: false } }));
    const first = await startDaemon(configA);

    const suspended = await runCli(['suspend', '--config', configA, '--for', '15s', '--reason', 'e2e freeze', '--by', 'tester']);
    expect(suspended, suspended.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^repairs suspended until \S+ \(15s\)/) });
    const m1 = await first.scrape();
    expect(m1.value('oio_repaird_suspended')).toBe(1);
    const until = m1.value('oio_repaird_suspended_until_timestamp_seconds') * 1000;
    // Long enough for a restart and a whole sweep (200 containers) inside it, asserted below.
    expect(until).toBeGreaterThan(Date.now() + 10_000);
    const ready = await first.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toBe(`ready\nrepairs suspended until ${new Date(until).toISOString()} by tester: e2e freeze\n`);
    expect(controls(await readJournal(journalPath))).toEqual([expect.objectContaining({ action: 'suspend', by: 'tester', reason: 'e2e freeze', until: new Date(until).toISOString() })]);
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    // --- Restarted: still suspended; its sweep probes everything and mutates nothing ------------
    const secondsToSweep2 = Math.ceil((until - Date.now()) / 1000) + 3;
    const configB = await writeYaml(join(dir, 'b.yaml'), testConfig(base, { schedule: { runAtStart: true, cron: cronInSeconds(secondsToSweep2) } }));
    const second = await startDaemon(configB);
    expect((await second.scrape()).value('oio_repaird_suspended')).toBe(1);
    const done1 = await second.waitForNth('sweep done', 1, { timeoutMs: 30_000 });
    expect(Date.parse(done1.time), 'the sweep must end while suspended for the test to mean anything').toBeLessThan(until);
    expect(done1['counts']).toMatchObject({ done: 200, damagedContainers: damaged.length, repairs: { succeeded: 0, skipped_suspended: damaged.length } });
    expect(mutations(sim.stats().mutationsByContainer), 'mutating requests while suspended').toBe(0);
    expect(sim.stats().syncCalls).toEqual({});
    const skipped = (await readJournal(journalPath)).filter((e) => e.type === 'repair' && e.outcome === 'skipped_suspended');
    expect(skipped).toHaveLength(damaged.length);

    // --- It ends by itself, on time, and repairs go on -------------------------------------------
    const expired = await second.waitForLog((l) => l.msg === 'operator control: suspension-expired', { timeoutMs: 40_000, what: 'the expiry' });
    const at = Date.parse(expired.time);
    expect(at).toBeGreaterThanOrEqual(until);
    expect(at).toBeLessThan(until + 5000);
    expect((await second.scrape()).value('oio_repaird_suspended')).toBe(0);
    expect((await second.get('/readyz')).body).toBe('ready\n');
    const done2 = await second.waitForNth('sweep done', 2, { timeoutMs: 90_000 });
    expect(done2['counts']).toMatchObject({ repairs: { succeeded: damaged.length, skipped_suspended: 0 } });
    expect(mutations(sim.stats().mutationsByContainer)).toBeGreaterThanOrEqual(damaged.length);
    expect(controls(await readJournal(journalPath)).map((e) => [e.action, e.by])).toEqual([['suspend', 'tester'], ['suspension-expired', 'expiry']]);

    // --- resume ends one at once ------------------------------------------------------------------
    expect((await runCli(['suspend', '--config', configB, '--for', '1h', '--reason', 'again'])).code).toBe(0);
    await second.waitForMetrics('suspended again', (m) => m.value('oio_repaird_suspended') === 1);
    const resumed = await runCli(['resume', '--config', configB, '--reason', 'done', '--by', 'tester']);
    expect(resumed, resumed.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^repairs resumed/) });
    expect((await second.scrape()).value('oio_repaird_suspended')).toBe(0);
    expect(controls(await readJournal(journalPath)).at(-1)).toMatchObject({ action: 'resume', by: 'tester', reason: 'done' });
    const tooLong = await runCli(['suspend', '--config', configB, '--for', '9000h', '--reason', 'x']);
    expect(tooLong).toMatchObject({ code: 1, stderr: expect.stringContaining('longer than suspend.maxHours (7d)') });
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });
});
