// End to end: one daemon per state directory. A second daemon started on the directory of a
// running one exits at once with 73 (EX_LOCKED) and a message naming the holder, without a
// single request to the proxy nor a line in the journal; the lock dies with its holder, even
// killed by SIGKILL, so the next start is never blocked by a stale lock.
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EX_LOCKED } from '../../src/cli/exit-codes.js';
import { startSimulator } from '../../src/sim/index.js';
import { spawnDaemon, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { startRecordingProxy } from './recording-proxy.js';
import { damagedContainers } from './sim-truth.js';

describe('two daemons on one state directory', () => {
  it('the second exits 73 at once, naming the first, and touches nothing; after a kill -9 of the first a new one starts', { timeout: 120_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 60, damagedShare: 0.1, seed: 8, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    expect(damagedContainers(sim.injected()).length).toBeGreaterThan(2);
    const dir = await tempDir();
    await symlink(dir, `${dir}-link`);
    onTestFinished(() => import('node:fs/promises').then((fs) => fs.rm(`${dir}-link`, { force: true })));
    const base = { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir };
    const budget = { repair: { maxPerSweep: 2, budgetPerHour: 2 } };
    const first = await startDaemon(await writeYaml(join(dir, 'first.yaml'), testConfig(base, budget)));
    await first.waitForNth('sweep done', 1);
    const journalBefore = await readFile(join(dir, 'journal.jsonl'), 'utf8');

    // The second one goes through a recording proxy, to see that it sends nothing at all; once
    // by the same path, once by a symlink to it.
    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    for (const stateDir of [dir, `${dir}-link`]) {
      const config = await writeYaml(join(dir, 'second.yaml'), testConfig({ ...base, proxyUrl: recorder.url, stateDir }, budget));
      const second = spawnDaemon(['run', '--config', config]);
      const exit = await second.waitForExit({ timeoutMs: 40_000 });
      expect(exit, second.tail()).toEqual({ code: EX_LOCKED, signal: null });
      const fatal = second.lines.find((l) => l.level === 'fatal');
      expect(fatal?.msg).toMatch(new RegExp(`state directory .* is in use by another oio-repaird \\(pid ${first.child.pid} on `));
      expect(fatal).toMatchObject({ code: 'REPAIRD_STATE_LOCKED', owner: { pid: first.child.pid } });
      expect(second.logs('ready')).toEqual([]);
    }
    expect(recorder.calls).toEqual([]);
    expect(await readFile(join(dir, 'journal.jsonl'), 'utf8')).toBe(journalBefore);
    // (repair-gate.json may still be rewritten by the first one; the lock's owner is still it.)
    expect(JSON.parse(await readFile(join(dir, 'lock-owner.json'), 'utf8'))).toMatchObject({ pid: first.child.pid });
    // The first one is unaffected.
    expect((await first.get('/healthz')).status).toBe(200);

    // kill -9: no clean-up at all, and yet the next daemon takes the directory over at once.
    first.kill();
    await first.waitForExit();
    const third = await startDaemon(await writeYaml(join(dir, 'third.yaml'), testConfig(base, budget)));
    await third.waitForNth('sweep done', 1);
    // …and it kept the spent hourly budget of the first (the history is the directory's).
    expect((await third.scrape()).value('oio_repaird_repair_budget_remaining')).toBe(0);
    expect(await third.stop()).toEqual({ code: 0, signal: null });
  });
});
