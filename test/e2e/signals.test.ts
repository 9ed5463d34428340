// End to end: the daemon's life cycle as an operator and systemd drive it. SIGHUP reloads a good
// configuration and refuses a bad one; SIGTERM stops gracefully mid-sweep (position saved, the
// next start resumes without skipping a container) and mid-repair (the step in flight finishes
// and is journaled); an invalid configuration exits 78 naming the setting; check-config's codes.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import type { JournalEntry } from '../../src/journal/types.js';
import {
  REPO_ROOT, readJournal, runCli, spawnDaemon, startDaemon, tempDir, testConfig, writeYaml, type DaemonProcess, type LogLine,
} from '../helpers/daemon-process.js';
import { closedPortUrl } from '../helpers/fake-http.js';
import { containerKey, probedContainers, startRecordingProxy } from './recording-proxy.js';
import { damagedContainers, listNamespace, truthProblems, type NamedContainer } from './sim-truth.js';

/** The `sweep done` line of the first sweep that starts at or after log index `from`. */
async function nextSweep(daemon: DaemonProcess, from: number, timeoutMs = 20_000): Promise<{ started: LogLine; done: LogLine }> {
  const started = await daemon.waitForLog((l) => l.msg === 'sweep started', { from, timeoutMs, what: 'a sweep to start' });
  const done = await daemon.waitForLog((l) => l.msg === 'sweep done' && l['sweepId'] === started['sweepId'], { from: started.index, timeoutMs, what: `sweep ${String(started['sweepId'])} to finish` });
  return { started, done };
}

describe('SIGHUP', () => {
  it('applies a valid configuration to the next sweep, and refuses an invalid one keeping the running configuration', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 200, damagedShare: 0.1, seed: 5, kinds: ['slave:drop-keys'] } });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected()).length;
    expect(damaged).toBeGreaterThan(5);
    const dir = await tempDir();
    const configPath = join(dir, 'config.yaml');
    const base = { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir };
    // auto mode with no budget: the first sweep detects and repairs nothing.
    await writeYaml(configPath, testConfig(base, { repair: { maxPerSweep: 0 } }));
    const daemon = await startDaemon(configPath);
    const first = await daemon.waitForNth('sweep done', 1);
    expect(first['counts']).toMatchObject({ repairs: { skipped_budget: damaged, dry_run: 0, succeeded: 0 } });

    // --- A valid configuration: report-only mode and a sweep every second -----------------
    await writeYaml(configPath, testConfig(base, { repair: { mode: 'report-only', maxPerSweep: 0 }, schedule: { cron: '* * * * * *' } }));
    let from = daemon.lines.length;
    daemon.signal('SIGHUP');
    const reloaded = await daemon.waitForLog((l) => l.msg.startsWith('configuration reloaded'), { from, what: 'the reload line' });
    expect(reloaded).toMatchObject({ mode: 'report-only', schedule: '* * * * * *' });
    let m = await daemon.scrape();
    expect(m.value('oio_repaird_config_reloads_total', { result: 'success' })).toBe(1);
    expect(m.value('oio_repaird_config_reloads_total', { result: 'failure' })).toBe(0);
    expect(m.value('oio_repaird_config_last_reload_successful')).toBe(1);
    const afterGood = await nextSweep(daemon, reloaded.index);
    expect(afterGood.done['counts']).toMatchObject({ repairs: { dry_run: damaged, skipped_budget: 0, succeeded: 0 } });
    // report-only: the plan is journaled as dry-run steps, nothing is sent to the cluster.
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    const prefix = `sweep-${String(afterGood.started['sweepId']).slice(0, 8)}-`;
    const dryRuns = journal.filter((e): e is Extract<JournalEntry, { type: 'step-start' }> => e.type === 'step-start' && e.reqId.startsWith(prefix));
    expect(new Set(dryRuns.map((e) => e.cid)).size).toBe(damaged);
    expect(dryRuns.every((e) => e.dryRun && e.step.kind === 'sync')).toBe(true);
    expect(journal.some((e) => e.type === 'step-end')).toBe(false);
    expect(sim.stats().syncCalls).toEqual({});
    expect(sim.stats().writes).toBe(0);

    // --- An invalid configuration: refused, the running one kept --------------------------
    await writeYaml(configPath, testConfig(base, { repair: { mode: 'auto' }, schedule: { cron: '61 * * * *' } }));
    from = daemon.lines.length;
    daemon.signal('SIGHUP');
    const refused = await daemon.waitForLog((l) => l.msg.startsWith('configuration reload refused'), { from, what: 'the refusal line' });
    expect(refused.level).toBe('error');
    expect(String(refused['detail'])).toMatch(/schedule\.cron: "61 \* \* \* \*" is not a valid cron expression/);
    m = await daemon.scrape();
    expect(m.value('oio_repaird_config_reloads_total', { result: 'failure' })).toBe(1);
    expect(m.value('oio_repaird_config_reloads_total', { result: 'success' })).toBe(1);
    expect(m.value('oio_repaird_config_last_reload_successful')).toBe(0);
    // Still sweeping every second, still in report-only mode (the refused file said auto).
    const afterBad = await nextSweep(daemon, refused.index);
    expect(afterBad.done['counts']).toMatchObject({ repairs: { dry_run: damaged, succeeded: 0 } });
    expect(sim.stats().syncCalls).toEqual({});

    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
    expect(daemon.lines[daemon.lines.length - 1]?.msg).toBe('stopped');
  });
});

describe('SIGHUP says what it did', () => {
  it('logs one line listing the changed settings it applied and those waiting for a restart, and keeps running with the old values of the latter', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const configPath = join(dir, 'config.yaml');
    const proxyUrl = await closedPortUrl();
    const base = { proxyUrl, namespace: 'OPENIO', stateDir: dir };
    await writeYaml(configPath, testConfig(base, { schedule: { runAtStart: false } }));
    const daemon = await startDaemon(configPath);
    const port = daemon.metricsPort;

    await writeYaml(configPath, testConfig({ ...base, proxyUrl: 'http://127.0.0.1:1' }, {
      schedule: { runAtStart: false, cron: '0 0 2 1 *' },
      repair: { mode: 'report-only' },
      log: { level: 'debug' },
      proxy: { requestTimeoutMs: 1234, connections: 3 },
      account: { url: 'http://127.0.0.1:2' },
      metrics: { listen: '127.0.0.1:1' },
      shutdown: { graceSeconds: 7 },
      state: { dir: join(dir, 'elsewhere') },
    }));
    const from = daemon.lines.length;
    daemon.signal('SIGHUP');
    const line = await daemon.waitForLog((l) => l.msg.startsWith('configuration reloaded'), { from, what: 'the reload line' });
    expect(line.level).toBe('warn');
    expect(line['applied']).toEqual(['schedule.cron', 'repair.mode', 'log.level']);
    expect(line['restartNeeded']).toEqual([
      'proxy.url', 'proxy.requestTimeoutMs', 'proxy.connections', 'account.url', 'metrics.listen', 'journal.path', 'state.dir', 'shutdown.graceSeconds',
    ]);
    expect(line.msg).toBe(
      'configuration reloaded: applied: schedule.cron, repair.mode, log.level; waiting for a restart: ' +
        'proxy.url, proxy.requestTimeoutMs, proxy.connections, account.url, metrics.listen, journal.path, state.dir, shutdown.graceSeconds',
    );
    // The listen address waits for a restart: /metrics still answers on the old port.
    expect(daemon.metricsPort).toBe(port);
    expect((await daemon.scrape()).value('oio_repaird_config_reloads_total', { result: 'success' })).toBe(1);

    // The same file again: nothing more to apply, and the same settings still wait for the restart.
    const again = daemon.lines.length;
    daemon.signal('SIGHUP');
    const second = await daemon.waitForLog((l) => l.msg.startsWith('configuration reloaded'), { from: again, what: 'the second reload line' });
    expect(second).toMatchObject({ level: 'warn', applied: [], restartNeeded: line['restartNeeded'] });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});

function after(c: NamedContainer, position: { account: string; container: string }): boolean {
  return c.account > position.account || (c.account === position.account && c.container > position.container);
}

describe('SIGTERM', () => {
  it('mid-sweep: exits 0 with its position saved, and the restarted daemon resumes there and probes every remaining container', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 400, accounts: 3, damagedShare: 0.05, seed: 3 } });
    onTestFinished(() => sim.close());
    const namespace = await listNamespace(sim);
    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    const dir = await tempDir();
    // 100 probes per second: a 4-second sweep, long enough to stop in the middle.
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir },
      { probe: { probesPerSecond: 100, concurrency: 4 } },
    ));
    const stateFile = join(dir, 'sweep-position.json');

    const first = await startDaemon(configPath);
    await first.waitForMetrics('120 containers swept', (m) => m.value('oio_repaird_sweep_progress_containers') >= 120);
    first.signal('SIGTERM');
    expect(await first.waitForExit()).toEqual({ code: 0, signal: null });
    const stopCalls = recorder.calls.length;
    expect(first.lines[first.lines.length - 1]?.msg).toBe('stopped');
    const interrupted = first.logs('sweep interrupted')[0];
    expect(interrupted?.['result']).toBe('interrupted');
    expect(existsSync(stateFile)).toBe(true);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as {
      sweepId: string; position: { account: string; container: string }; finishedAhead: NamedContainer[]; counts: { done: number };
    };
    expect(saved.position).toEqual(interrupted?.['position']);
    expect(saved.counts.done).toBeGreaterThanOrEqual(120);
    expect(saved.counts.done).toBeLessThan(namespace.length);

    const second = await startDaemon(configPath);
    const resumed = await second.waitForLog((l) => l.msg === 'sweep resumed', { what: 'the resumed line' });
    expect(resumed).toMatchObject({ resumed: true, position: saved.position, sweepId: saved.sweepId });
    const done = await second.waitForLog((l) => l.msg === 'sweep done', { timeoutMs: 30_000, what: 'the resumed sweep to finish' });
    expect(done['result']).toBe('completed');
    expect(done['sweepId']).toBe(saved.sweepId);
    expect(existsSync(stateFile), 'a completed sweep clears its position').toBe(false);

    const run1 = probedContainers(recorder, { to: stopCalls });
    const run2 = probedContainers(recorder, { from: stopCalls });
    const key = (c: NamedContainer): string => containerKey(c.account, c.container);
    // Nothing skipped: everything up to the saved position was probed before the stop, and
    // everything after it by the resumed run, except what the first run had already finished
    // beyond the position (saved with it); the resumed run did not start over.
    const ahead = new Set(saved.finishedAhead.map(key));
    expect(saved.finishedAhead.filter((c) => !after(c, saved.position) || !run1.has(key(c))).map(key)).toEqual([]);
    expect(namespace.filter((c) => !after(c, saved.position) && !run1.has(key(c))).map(key)).toEqual([]);
    expect(namespace.filter((c) => after(c, saved.position) && !ahead.has(key(c)) && !run2.has(key(c))).map(key)).toEqual([]);
    expect(namespace.filter((c) => (!after(c, saved.position) || ahead.has(key(c))) && run2.has(key(c))).map(key)).toEqual([]);
    // Counted once each, as by a sweep that never stopped.
    expect(done['done']).toBe(namespace.length);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  });

  it('mid-repair: the step in flight finishes and both its start and its end are journaled before the exit', { timeout: 30_000 }, async () => {
    const s = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'] as const;
    const sim = await startSimulator({
      scenario: {
        namespace: 'OPENIO',
        services: s,
        containers: [
          { account: 'acme', name: 'target', peers: s, master: s[0] },
          { account: 'acme', name: 'zz-healthy', peers: s },
        ],
        faults: [
          { kind: 'drop-keys', account: 'acme', container: 'target', peer: s[1], keys: ['sys.m2.ctime'] },
          // The damaged slave's service answers after 0.7 s: the sync is still in flight when SIGTERM lands.
          { kind: 'slow', service: s[1], ms: 700 },
        ],
      },
    });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, { probe: { concurrency: 1 } }));
    const daemon = await startDaemon(configPath);
    const step = await daemon.waitForLog((l) => l.msg === 'repair step' && (l['step'] as { kind?: string } | undefined)?.kind === 'sync', { what: 'the sync step' });
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });

    const stopping = daemon.lines.findIndex((l) => l.msg === 'stopping');
    const stepDone = daemon.lines.findIndex((l) => l.msg === 'repair step done');
    expect(stopping, 'SIGTERM arrived while the sync was in flight').toBeGreaterThan(step.index);
    expect(stepDone).toBeGreaterThan(stopping);
    const journal = (await readJournal(join(dir, 'journal.jsonl'))).filter((e) => e.container === 'target');
    expect(journal.map((e) => e.type)).toEqual(['detection', 'evidence', 'step-start', 'step-end', 'verify', 'repair']);
    expect(journal[3]).toMatchObject({ type: 'step-end', status: 'done', step: { kind: 'sync', peers: [s[1]] }, answers: [{ peer: s[1], status: 200 }] });
    expect(journal[5]).toMatchObject({ type: 'repair', outcome: 'succeeded' });
    const cid = journal[0]?.cid ?? '';
    expect(truthProblems(sim.truth(cid))).toEqual([]);
    expect(daemon.lines[daemon.lines.length - 1]?.msg).toBe('stopped');
  });
});

describe('configuration errors', () => {
  it('run exits 78 and names every bad setting when the configuration is invalid', async () => {
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: 'http://127.0.0.1:9', namespace: 'OPENIO', stateDir: dir },
      { schedule: { cron: '61 * * * *' }, repair: { maxPerSweep: -1, maxPerSweeps: 3 } },
    ));
    const daemon = spawnDaemon(['run', '--config', configPath]);
    expect(await daemon.waitForExit()).toEqual({ code: 78, signal: null });
    const output = `${daemon.lines.map((l) => l.msg).join('\n')}\n${daemon.stderr}`;
    expect(output).toMatch(/schedule\.cron: "61 \* \* \* \*" is not a valid cron expression/);
    expect(output).toMatch(/repair\.maxPerSweep: -1 /);
    expect(output).toMatch(/maxPerSweeps/);
    expect(daemon.logs('ready')).toEqual([]);
    expect(daemon.lines[0]?.level).toBe('fatal');
  });

  it('check-config exits 0 for a valid file (the shipped reference included), 78 naming the setting for an invalid one, 64 for bad usage', async () => {
    const dir = await tempDir();
    const good = await writeYaml(join(dir, 'good.yaml'), testConfig({ proxyUrl: 'http://127.0.0.1:6006', namespace: 'OPENIO', stateDir: dir }));
    const bad = await writeYaml(join(dir, 'bad.yaml'), 'proxy:\n  url: ftp://proxy\n  namespace: OPENIO\nprobe:\n  concurrency: 0\n');
    const [ok, reference, invalid, usage, missing] = await Promise.all([
      runCli(['check-config', '--config', good]),
      // The file's validity, on any host: its state.dir (/var/lib/oio-repaird) may not be writable here.
      runCli(['check-config', '--config', join(REPO_ROOT, 'config', 'oio-repaird.yaml')], { env: { OIO_REPAIRD_STATE_DIR: dir } }),
      runCli(['check-config', '--config', bad]),
      runCli(['check-config', '--config', good, 'extra']),
      runCli(['check-config', '--config', join(dir, 'nope.yaml')]),
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: `${good}: configuration is valid\n` });
    expect(reference.code).toBe(0);
    expect(invalid.code).toBe(78);
    expect(invalid.stderr).toContain(`${bad}:2:8 proxy.url: "ftp://proxy" must use http or https, not ftp`);
    expect(invalid.stderr).toMatch(/bad\.yaml:5:\d+ probe\.concurrency: 0 /);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('unexpected argument "extra"');
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('nope.yaml');
  });
});
