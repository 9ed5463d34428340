// Metrics that tell the truth across restarts: what the gauges say "as of the last completed
// sweep" (success timestamp, unrepairable containers, damaged replicas) is the same on the
// first scrape after a restart as before it, instead of 0 (which fired the stale-sweep alert
// and resolved the damage alerts on every deploy).
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { demoScenario, startSimulator } from '../../src/sim/index.js';
import { startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';

const AS_OF_LAST_SWEEP = ['oio_repaird_last_sweep_success_timestamp_seconds', 'oio_repaird_unrepairable_containers', 'oio_repaird_damaged_replicas'];

describe('a restarted daemon', () => {
  it('restores the last completed sweep\'s timestamp and damage gauges from the state directory before its first sweep', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ scenario: demoScenario() });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const base = { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir };
    // report-only: the damage stays, so the gauges have something to carry over.
    const first = await startDaemon(await writeYaml(join(dir, 'first.yaml'), testConfig(base, { repair: { mode: 'report-only' } })));
    await first.waitForNth('sweep done', 1, { timeoutMs: 30_000 });
    const before = await first.scrape();
    expect(before.value('oio_repaird_last_sweep_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(before.value('oio_repaird_unrepairable_containers')).toBe(1);
    expect(before.value('oio_repaird_damaged_replicas')).toBeGreaterThan(0);
    expect((await first.stop()).code).toBe(0);

    // No sweep at start: the first scrape can only show what was restored.
    const second = await startDaemon(await writeYaml(join(dir, 'second.yaml'), testConfig(base, { schedule: { runAtStart: false } })));
    const after = await second.scrape();
    for (const name of AS_OF_LAST_SWEEP) expect(after.find(name), name).toEqual(before.find(name));
    expect(second.logs('last completed sweep restored')).toHaveLength(1);
    expect(second.logs('sweep done')).toHaveLength(0);
  });

  it('without any history, starts at 0 (never swept) as before', { timeout: 30_000 }, async () => {
    const sim = await startSimulator({ scenario: demoScenario() });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const daemon = await startDaemon(await writeYaml(join(dir, 'c.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, { schedule: { runAtStart: false } })));
    const m = await daemon.scrape();
    expect(m.value('oio_repaird_last_sweep_success_timestamp_seconds')).toBe(0);
    expect(daemon.logs('last completed sweep restored')).toHaveLength(0);
  });
});
