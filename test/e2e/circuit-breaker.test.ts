// End to end: the mass-damage circuit breaker through the real daemon and the CLI. A generated
// namespace with damage in a large share of its containers: repairs stop at the threshold while
// the sweep probes every container and the metrics go on; the breaker says why (metric reason,
// error line, journal, /readyz, status page), stays open across a restart, and only
// `oio-repaird breaker reset` closes it.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { readJournal, runCli, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

type ControlEntry = Extract<JournalEntry, { type: 'control' }>;
const controls = (journal: readonly JournalEntry[]): ControlEntry[] => journal.filter((e): e is ControlEntry => e.type === 'control');

const CONTAINERS = 400;
const THRESHOLD = 20;

describe('circuit breaker', () => {
  it('stops repairs at the threshold while probing and metrics go on, stays open across a restart, and closes only on `breaker reset`', { timeout: 150_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: CONTAINERS, accounts: 2, damagedShare: 0.3, seed: 17, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(3 * THRESHOLD);
    const dir = await tempDir();
    const journalPath = join(dir, 'journal.jsonl');
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { probe: { concurrency: 4 }, breaker: { maxDamagedContainers: THRESHOLD, maxDamagedShare: null } },
    ));
    const daemon = await startDaemon(config);
    expect((await daemon.scrape()).value('oio_repaird_circuit_breaker_open')).toBe(0);

    const done = await daemon.waitForNth('sweep done', 1, { timeoutMs: 45_000 });
    const counts = done['counts'] as { done: number; damagedContainers: number; repairs: Record<string, number> };
    // Probing went on to the end of the namespace; every damaged container was seen and counted.
    expect(counts.done).toBe(CONTAINERS);
    expect(counts.damagedContainers).toBe(damaged.length);
    // Repairs stopped at the threshold: the container past it opened the breaker before its own decision.
    const repaired = counts.repairs['succeeded'] ?? 0;
    expect(repaired).toBeGreaterThan(0);
    expect(repaired).toBeLessThanOrEqual(THRESHOLD);
    expect(counts.repairs['skipped_breaker']).toBe(damaged.length - repaired);
    expect(counts.repairs['failed']).toBe(0);
    // The simulator agrees: mutating requests reached exactly the repaired containers.
    const mutated = Object.keys(sim.stats().mutationsByContainer);
    expect(mutated).toHaveLength(repaired);

    const m = await daemon.scrape();
    expect(m.nonZeroByLabel('oio_repaird_circuit_breaker_open', 'reason')).toEqual({ damaged_count: 1 });
    expect(m.value('oio_repaird_probes_total')).toBe(3 * CONTAINERS);
    expect(m.value('oio_repaird_repairs_total', { outcome: 'skipped_breaker' })).toBe(damaged.length - repaired);
    expect(m.value('oio_repaird_sweeps_total', { result: 'completed' })).toBe(1);
    const opened = daemon.lines.filter((l) => l.level === 'error' && l.msg.startsWith('circuit breaker open:'));
    expect(opened).toHaveLength(1);
    expect(opened[0]?.msg).toContain(`more than breaker.maxDamagedContainers (${THRESHOLD})`);
    const journal = await readJournal(journalPath);
    expect(controls(journal)).toEqual([expect.objectContaining({ cid: '*', action: 'breaker-open', by: 'oio-repaird', breaker: expect.objectContaining({ reason: 'damaged_count', damaged: THRESHOLD + 1 }) })]);
    const skipped = journal.filter((e) => e.type === 'repair' && e.outcome === 'skipped_breaker');
    expect(skipped).toHaveLength(damaged.length - repaired);
    expect(skipped[0]).toMatchObject({ reason: expect.stringMatching(/circuit breaker open since .*: no automatic repair until `oio-repaird breaker reset`$/) });
    // Visible where an operator looks: /readyz (still ready: the daemon works as asked), the status page.
    const ready = await daemon.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatch(/^ready\ncircuit breaker open since /);
    expect((await daemon.get('/')).body).toMatch(/<li class="bad">circuit breaker open since /);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });

    // --- A restart keeps it open: the sweep at start repairs nothing ---------------------
    const again = await startDaemon(config);
    expect((await again.scrape()).nonZeroByLabel('oio_repaird_circuit_breaker_open', 'reason')).toEqual({ damaged_count: 1 });
    const done2 = await again.waitForNth('sweep done', 1, { timeoutMs: 45_000 });
    expect(done2['counts']).toMatchObject({ done: CONTAINERS, repairs: { succeeded: 0, skipped_breaker: damaged.length - repaired } });
    expect(Object.keys(sim.stats().mutationsByContainer)).toHaveLength(repaired);

    const status = await runCli(['breaker', 'status', '--config', config]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/circuit breaker: OPEN since .* \(damaged_count: 21 damaged containers/);

    // --- Only an operator closes it -------------------------------------------------------
    const reset = await runCli(['breaker', 'reset', '--config', config, '--reason', 'bad deploy rolled back', '--by', 'alice']);
    expect(reset, reset.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^circuit breaker closed \(it was open since /) });
    await again.waitForMetrics('the breaker closed', (s) => s.value('oio_repaird_circuit_breaker_open') === 0);
    expect((await again.get('/readyz')).body).toBe('ready\n');
    expect(controls(await readJournal(journalPath)).map((e) => [e.action, e.by, e.reason])).toEqual([
      ['breaker-open', 'oio-repaird', expect.stringContaining('21 damaged containers')],
      ['breaker-reset', 'alice', 'bad deploy rolled back'],
    ]);
    const twice = await runCli(['breaker', 'reset', '--config', config, '--json']);
    expect(JSON.parse(twice.stdout)).toMatchObject({ ok: true, message: 'the circuit breaker was not open', daemon: 'running' });
    expect(await again.stop()).toEqual({ code: 0, signal: null });
  });
});
