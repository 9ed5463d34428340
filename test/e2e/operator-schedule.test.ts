// End to end, through the real daemon (`run`) and the simulator: what the configuration and the
// controls do to a sweep's time. During a blackout (schedule.blackouts) the sweep probes every
// container and no mutating request reaches the simulator; a suspension with suspend.probe: false
// pauses the sweep before its first probe until the suspension ends; and sweep.maxDurationSeconds
// stops a slow sweep, which resumes from its saved position at the next slot, never from scratch.
// Every wait is on a log line or a metric; no assertion on durations.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { runCli, startDaemon, tempDir, testConfig, writeYaml } from '../helpers/daemon-process.js';
import { damagedContainers } from './sim-truth.js';

const mutations = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((a, b) => a + b, 0);
const day = (offsetDays: number): string => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
/** Requests that read a replica (a probe), as the simulator counts them. */
const probeReads = (byRoute: Readonly<Record<string, number>>): number =>
  Object.entries(byRoute).filter(([route]) => /admin\/(get_properties|has|status)/.test(route)).reduce((a, [, n]) => a + n, 0);

describe('blackouts, suspend.probe: false and sweep.maxDurationSeconds, live', () => {
  it('makes no mutating request during a blackout while the sweep probes every container', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 80, damagedShare: 0.15, seed: 31, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    expect(damaged.length).toBeGreaterThan(3);
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'c.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, {
      schedule: { timezone: 'UTC', blackouts: [{ from: day(-1), to: day(1), reason: 'e2e freeze' }] },
    }));
    const daemon = await startDaemon(config);
    const done = await daemon.waitForNth('sweep done', 1, { timeoutMs: 40_000 });
    expect(done['counts']).toMatchObject({ done: 80, damagedContainers: damaged.length, repairs: { succeeded: 0, skipped_blackout: damaged.length } });
    expect(mutations(sim.stats().mutationsByContainer), 'mutating requests during the blackout').toBe(0);
    expect(probeReads(sim.stats().byRoute)).toBeGreaterThanOrEqual(80 * 3);
    const m = await daemon.scrape();
    expect(m.value('oio_repaird_blackout_active')).toBe(1);
    expect(m.value('oio_repaird_decisions_total', { code: 'SKIPPED_BLACKOUT' })).toBe(damaged.length);
    expect((await daemon.get('/readyz')).body).toBe(`ready\nblackout ${day(-1)}..${day(1)} (e2e freeze): no repair\n`);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });

  it('with suspend.probe: false, sends no probe while suspended, then sweeps and repairs once it ends', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 60, damagedShare: 0.1, seed: 32, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected());
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'c.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, { suspend: { probe: false } }));
    // No daemon runs yet: the CLI writes the suspension to the state directory itself.
    const suspended = await runCli(['suspend', '--config', config, '--for', '1h', '--reason', 'no probes either', '--by', 'tester']);
    expect(suspended, suspended.stderr).toMatchObject({ code: 0 });
    const daemon = await startDaemon(config);
    expect((await daemon.scrape()).value('oio_repaird_suspended')).toBe(1);

    // The sweep starts at once and pauses before its first container.
    const paused = await daemon.waitForLog((l) => l.msg.startsWith('sweep paused'), { timeoutMs: 20_000, what: 'the sweep to pause' });
    // It says why: the suspension, not a time window.
    expect(paused['code']).toBe('SKIPPED_SUSPENDED');
    expect(paused.msg).toBe('sweep paused: suspended by an operator (suspend.probe: false)');
    const progress = await daemon.waitForLog((l) => l.msg === 'sweep progress' && l['paused'] === true, { from: paused.index, timeoutMs: 20_000, what: 'a progress line while paused' });
    expect(progress['done']).toBe(0);
    expect(probeReads(sim.stats().byRoute), 'probes while suspended with suspend.probe: false').toBe(0);
    expect(mutations(sim.stats().mutationsByContainer)).toBe(0);

    const resumed = await runCli(['resume', '--config', config, '--reason', 'done', '--by', 'tester']);
    expect(resumed, resumed.stderr).toMatchObject({ code: 0 });
    const goesOn = await daemon.waitForLog((l) => l.msg.startsWith('sweep resumed'), { from: paused.index, timeoutMs: 20_000, what: 'the sweep to go on' });
    const control = daemon.logs('operator control: resume');
    expect(control).toHaveLength(1);
    expect(Date.parse(goesOn.time)).toBeGreaterThanOrEqual(Date.parse(control[0]?.time ?? ''));
    const done = await daemon.waitForNth('sweep done', 1, { timeoutMs: 40_000 });
    expect(done['counts']).toMatchObject({ done: 60, repairs: { succeeded: damaged.length, skipped_suspended: 0 } });
    expect(probeReads(sim.stats().byRoute)).toBeGreaterThanOrEqual(60 * 3);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });

  it('stops a sweep at sweep.maxDurationSeconds and resumes it from its position at the next slot, not from scratch', { timeout: 90_000 }, async () => {
    const CONTAINERS = 120;
    // Slow answers and 2 containers at a time: the sweep needs several 1 s runs.
    const sim = await startSimulator({ generate: { containers: CONTAINERS, damagedShare: 0, seed: 33 }, latencyMs: 20 });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'c.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, {
      probe: { concurrency: 2 },
      sweep: { maxDurationSeconds: 1 },
      schedule: { cron: '*/2 * * * * *', runAtStart: true },
    }));
    const daemon = await startDaemon(config);
    const limit = await daemon.waitForLog((l) => l['code'] === 'SWEEP_MAX_DURATION', { timeoutMs: 20_000, what: 'the time limit' });
    expect(limit).toMatchObject({ level: 'warn', maxDurationSeconds: 1 });
    const done = await daemon.waitForNth('sweep done', 1, { timeoutMs: 70_000 });
    const sweepId = done['sweepId'];
    const runs = daemon.lines.slice(0, done.index + 1).filter((l) => l['sweepId'] === sweepId);
    const ended = runs.filter((l) => l.msg === 'sweep interrupted' || l.msg === 'sweep done');
    const started = runs.filter((l) => l.msg === 'sweep started');
    const resumed = runs.filter((l) => l.msg === 'sweep resumed');
    expect(started).toHaveLength(1);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(resumed.length).toBe(ended.length - 1);
    // Each run went on from the last one's saved position: every container done exactly once.
    for (const r of resumed) expect(r['done']).toBeGreaterThan(0);
    expect(ended.reduce((n, l) => n + Number(l['doneThisRun']), 0)).toBe(CONTAINERS);
    expect(done['counts']).toMatchObject({ done: CONTAINERS });
    const m = await daemon.scrape();
    expect(m.value('oio_repaird_decisions_total', { code: 'SWEEP_MAX_DURATION' })).toBe(ended.length - 1);
    expect(m.value('oio_repaird_sweeps_total', { result: 'interrupted' })).toBe(ended.length - 1);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
