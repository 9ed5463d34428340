// End to end: suspects first, through the real daemon (`run`) against the simulator. The daemon
// sweeps once at start (its next sweep is a year away) and repairs the damaged containers,
// which become suspects. Damage that comes back to one of them is then repaired by the suspects
// lane within seconds, not at the next sweep, for a small fraction of a sweep's requests; and
// the suspects list is in the state directory for the next start.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { SUSPECTS_FILE } from '../../src/sweep/suspects.js';
import { readJournal, startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers, truthProblems } from './sim-truth.js';

type RepairEntry = Extract<JournalEntry, { type: 'repair' }>;

describe('suspects lane', () => {
  it('repairs damage that came back to a suspect within seconds, between full sweeps, for a fraction of a sweep\'s requests', { timeout: 120_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 1000, damagedShare: 0.003, seed: 23, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(0);
    const target = damaged[0]!;
    const fault = target.faults[0]!;
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      // cooldown 0: the gate lets a container be repaired again at once (the lane obeys the gate).
      { repair: { cooldownMinutes: 0 }, suspects: { intervalSeconds: 1, clearAfterHealthy: 100 } },
    ));
    const daemon = await startDaemon(config);
    onTestFinished(async () => {
      await daemon.stop();
    });

    // --- The one full sweep: every damaged container repaired, each now a suspect ------------
    await daemon.waitForNth('sweep done', 1, { timeoutMs: 60_000 });
    const sweepRequests = sim.stats().requests;
    for (const d of damaged) expect(truthProblems(sim.truth(d.cid))).toEqual([]);
    // The list is saved after the sweep's last line ('sweep done' is logged before the daemon's
    // end-of-sweep saves): wait for the file rather than race it.
    const suspects = await waitUntil('the suspects list saved after the sweep', async () =>
      (JSON.parse(await readFile(join(dir, SUSPECTS_FILE), 'utf8').catch(() => 'null')) as { suspects: { cid: string; reason: string }[] } | null) ?? undefined,
      { timeoutMs: 10_000 });
    expect(suspects.suspects.map((s) => s.cid).sort()).toEqual(damaged.map((d) => d.cid).sort());

    // --- The damage comes back -----------------------------------------------------------------
    sim.resetStats();
    const damagedAt = Date.now();
    sim.inject({ kind: 'drop-keys', account: target.account, container: target.container, peer: fault.peer!, keys: ['sys.m2.ctime'] });
    expect(truthProblems(sim.truth(target.cid))).not.toEqual([]);
    const journalPath = join(dir, 'journal.jsonl');
    const repaired = await waitUntil('the suspects lane repairs the container again', async () =>
      (await readJournal(journalPath)).find((e): e is RepairEntry => e.type === 'repair' && e.cid === target.cid && e.reqId.startsWith('suspect-') && Date.parse(e.ts) >= damagedAt),
      { timeoutMs: 30_000 });
    const damageToRepairMs = Date.parse(repaired.ts) - damagedAt;
    const laneRequests = sim.stats().requests;

    expect(repaired.outcome).toBe('succeeded');
    expect(truthProblems(sim.truth(target.cid))).toEqual([]);
    // Not by a full sweep: the only one ran at start.
    expect(daemon.logs('sweep started')).toHaveLength(1);
    // The time to repair is the lane's interval plus the repair, not the time to the next sweep.
    expect(damageToRepairMs).toBeLessThan(30_000);
    // The lane re-checked a few suspects, not the namespace.
    expect(laneRequests).toBeLessThan(sweepRequests / 10);
    const metrics = await daemon.scrape();
    expect(metrics.value('oio_repaird_suspects')).toBe(damaged.length);
    expect(metrics.value('oio_repaird_suspect_checks_total', { verdict: 'repairable' })).toBeGreaterThanOrEqual(1);
    console.log(`suspects lane: damage to repair ${damageToRepairMs} ms (next sweep: a year away); ${laneRequests} requests meanwhile, a sweep of 1000 containers took ${sweepRequests}`);
  });
});
