// End to end: kill -9 at random points while the daemon repairs, restart, again and again. What
// was spent before a kill must stay spent: every damaged container gets at most the mutating
// requests of ONE repair attempt (its cooldown is reserved on disk before the first request),
// each sweep's repairs stay within maxPerSweep even when it is resumed after a kill, and the
// hour's repairs within budgetPerHour. Counted by the simulator (requests it received per
// container), cross-checked with the journal. Prints the figures for the closing note.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { readJournal, startDaemon, tempDir, testConfig, writeYaml, type DaemonProcess } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

/** Kills wanted; fewer when the machine is so slow that KILL_TIME_MS runs out first. */
const KILLS = 15;
const MIN_KILLS = 3;
const KILL_TIME_MS = 40_000;
const PER_SWEEP = 4;
const PER_HOUR = 9;

/** A small seeded generator: the same kill points on every run of the test. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type StepStart = Extract<JournalEntry, { type: 'step-start' }>;

describe('kill -9 during repairs', () => {
  it(`never repairs a container twice nor overspends a budget, over up to ${KILLS} kills and restarts`, { timeout: 150_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 150, damagedShare: 0.2, seed: 31, kinds: ['slave:drop-keys'] }, syncDelayMs: 150 });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(PER_HOUR + 5);
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      {
        // A new sweep every 2 s (and one at each start), slow verification: kills land in the
        // middle of repairs, of verifications and of resumed sweeps.
        schedule: { cron: '*/2 * * * * *', runAtStart: true },
        probe: { concurrency: 3 },
        repair: { maxPerSweep: PER_SWEEP, budgetPerHour: PER_HOUR, cooldownMinutes: 60, verifyDelayMs: 250 },
      },
    ));
    const random = rng(20261202);
    const killedAt: string[] = [];
    const deadline = Date.now() + KILL_TIME_MS;
    for (let k = 0; k < KILLS && Date.now() < deadline; k++) {
      const daemon: DaemonProcess = await startDaemon(config);
      if (k % 2 === 0) {
        // At a random moment after the start.
        await sleep(Math.floor(random() * 1500));
        killedAt.push(`${daemon.logs('repair step').length} steps seen`);
      } else {
        // Right after a repair step was logged (its request is in flight or its verification runs).
        const n = 1 + Math.floor(random() * 2);
        const from = daemon.lines.length;
        await daemon.waitForLog((l) => l.msg === 'repair step', { from, what: 'a repair step', timeoutMs: 6_000 }).catch(() => undefined);
        if (n > 1) await daemon.waitForLog((l) => l.msg === 'repair step', { from: daemon.lines.length, what: 'another repair step', timeoutMs: 1_500 }).catch(() => undefined);
        await sleep(Math.floor(random() * 300));
        killedAt.push(`${daemon.logs('repair step').length} steps seen, mid-repair`);
      }
      daemon.kill();
      expect((await daemon.waitForExit()).signal).toBe('SIGKILL');
    }
    // One last run without a kill, then a clean stop.
    const last = await startDaemon(config);
    await last.waitForNth('sweep done', 1, { timeoutMs: 30_000 });
    expect(await last.stop()).toEqual({ code: 0, signal: null });

    const mutations = sim.stats().mutationsByContainer;
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    const steps = journal.filter((e): e is StepStart => e.type === 'step-start' && !e.dryRun);
    const attemptsByCid = new Map<string, Set<string>>();
    for (const s of steps) attemptsByCid.set(s.cid, (attemptsByCid.get(s.cid) ?? new Set()).add(s.reqId));
    const repairsBySweep = new Map<string, Set<string>>();
    for (const s of steps) {
      const sweep = s.reqId.split('-')[1] ?? '?';
      repairsBySweep.set(sweep, (repairsBySweep.get(sweep) ?? new Set()).add(s.cid));
    }
    const history = JSON.parse(await readFile(join(dir, 'repair-gate.json'), 'utf8')) as { hourly: number[] };
    const figures = {
      kills: killedAt.length,
      killPoints: killedAt,
      damagedContainers: damaged.length,
      containersMutated: Object.keys(mutations).length,
      mutationsPerContainer: Object.values(mutations).sort(),
      maxMutationsOfOneContainer: Math.max(0, ...Object.values(mutations)),
      budgetPerHour: { allowed: PER_HOUR, used: history.hourly.length },
      repairsPerSweep: { allowed: PER_SWEEP, used: Object.fromEntries([...repairsBySweep].map(([k, v]) => [k, v.size])) },
    };
    console.info(`kill test figures: ${JSON.stringify(figures)}`);

    expect(killedAt.length).toBeGreaterThanOrEqual(MIN_KILLS);
    // One slave sync repairs a slave:drop-keys container: the plan allows 1 mutating request.
    expect(figures.maxMutationsOfOneContainer, JSON.stringify(mutations)).toBeLessThanOrEqual(1);
    for (const [cid, attempts] of attemptsByCid) expect(attempts.size, `${cid} was attempted by ${[...attempts].join(', ')}`).toBe(1);
    for (const [sweep, cids] of repairsBySweep) expect(cids.size, `sweep ${sweep}`).toBeLessThanOrEqual(PER_SWEEP);
    expect(Object.keys(mutations).length).toBeLessThanOrEqual(PER_HOUR);
    expect(history.hourly.length).toBeLessThanOrEqual(PER_HOUR);
    // Every container the simulator saw mutated was journaled first.
    for (const cid of Object.keys(mutations)) expect(attemptsByCid.has(cid), `${cid} mutated without a journal entry`).toBe(true);
    // And the kills did not stop the work: the hour's budget was (almost) all used, on distinct containers.
    expect(Object.keys(mutations).length).toBeGreaterThanOrEqual(PER_SWEEP);
  });
});
