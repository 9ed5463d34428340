// End to end: the proxy (and the account service) go away and come back on the same port. The
// daemon must not crash, must say so in proxy_up and /readyz, must not repair anything it could
// not see, and must end up probing every container once the proxy is back.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { readJournal, startDaemon, tempDir, testConfig, waitUntil, writeYaml, type DaemonProcess, type LogLine } from '../helpers/daemon-process.js';
import { containerKey, probedContainers, startRecordingProxy } from './recording-proxy.js';
import { listNamespace } from './sim-truth.js';

const MUTATING_ROUTES = ['admin/sync', 'admin/leave', 'admin/set_properties'];

async function sweepEnd(daemon: DaemonProcess, sweepId: unknown, timeoutMs = 30_000): Promise<LogLine> {
  const ends = ['sweep done', 'sweep incomplete: too many containers could not be judged, damage gauges not updated', 'sweep failed'];
  return daemon.waitForLog((l) => ends.includes(String(l.msg)) && l['sweepId'] === sweepId, { timeoutMs, what: `the end of sweep ${String(sweepId)}` });
}

describe('proxy outage', () => {
  it('mid-sweep: no crash, proxy_up 0 then 1, unseen containers never repaired, and every container probed once the proxy is back', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 200, accounts: 3, damagedShare: 0, seed: 9 } });
    onTestFinished(() => sim.close());
    const namespace = await listNamespace(sim);
    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir },
      { probe: { probesPerSecond: 70, concurrency: 8 }, schedule: { cron: '*/2 * * * * *' }, proxy: { connectTimeoutMs: 500, requestTimeoutMs: 2000 } },
    ));
    const daemon = await startDaemon(configPath);
    const outageSweep = await daemon.waitForNth('sweep started', 1);
    await daemon.waitForMetrics('50 containers swept with the proxy up', (m) => m.value('oio_repaird_sweep_progress_containers') >= 50 && m.value('oio_repaird_proxy_up') === 1);

    // --- Down: proxy and account service stop answering --------------------------------
    await recorder.pause();
    await sim.pause();
    const during = await daemon.waitForMetrics('proxy_up 0 and failed probes', (m) =>
      m.value('oio_repaird_proxy_up') === 0 && m.value('oio_repaird_probes_total', { result: 'error' }) >= 5);
    expect(during.value('oio_repaird_repairs_total')).toBe(0);
    expect((await daemon.get('/healthz')).status).toBe(200);
    expect(daemon.exited).toBeUndefined();

    // --- Back on the same port -----------------------------------------------------------
    await sim.resume();
    await recorder.resume();
    const resumedAt = daemon.lines.length;
    const callsAtResume = recorder.calls.length;
    await daemon.waitForMetrics('proxy_up back to 1', (m) => m.value('oio_repaird_proxy_up') === 1);
    expect((await daemon.get('/readyz')).status).toBe(200);

    // The sweep caught in the outage ends (it does not hang or crash the daemon)…
    const outageEnd = await sweepEnd(daemon, outageSweep['sweepId']);
    const outageCounts = outageEnd['counts'] as { probeErrors: number; done: number; repairs: Record<string, number> };
    expect(outageCounts.probeErrors).toBeGreaterThanOrEqual(5);
    // …and, having missed containers, it does not pass for a completed one.
    expect(outageEnd['result']).not.toBe('completed');
    expect(Object.values(outageCounts.repairs).every((n) => n === 0)).toBe(true);
    // …and a sweep started after the proxy came back probes everything, without an error.
    const later = await daemon.waitForLog((l) => l.msg === 'sweep started' && l['sweepId'] !== outageSweep['sweepId'], { from: resumedAt, timeoutMs: 15_000, what: 'a sweep after the outage' });
    const laterEnd = await sweepEnd(daemon, later['sweepId']);
    expect(laterEnd).toMatchObject({ msg: 'sweep done', result: 'completed', done: namespace.length, counts: { probeErrors: 0 } });
    const seen = probedContainers(recorder, { from: callsAtResume, okOnly: true });
    expect(namespace.filter((c) => !seen.has(containerKey(c.account, c.container)))).toEqual([]);

    // Unknown is never repaired: no mutating call, no repair step, only 'unknown' detections.
    const metrics = await daemon.scrape();
    expect(recorder.calls.filter((c) => MUTATING_ROUTES.includes(c.route))).toEqual([]);
    expect(metrics.nonZeroByLabel('oio_repaird_repairs_total', 'outcome')).toEqual({});
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    expect(journal.filter((e) => e.type !== 'detection')).toEqual([]);
    // Every container the outage hid is an 'unknown' detection: a failed probe (counted once as
    // probes_total{result="error"}) or some unreachable replicas (counted per replica); never damage.
    expect(journal.every((e) => e.type === 'detection' && e.verdict === 'unknown')).toBe(true);
    expect(journal.every((e) => e.type === 'detection' && e.replicas.every((r) => r.health === 'ok' || r.health === 'unreachable' || r.health === 'timeout'))).toBe(true);
    expect(metrics.value('oio_repaird_probes_total', { result: 'error' })).toBe(outageCounts.probeErrors);
    expect(journal.length).toBeGreaterThanOrEqual(outageCounts.probeErrors);
    const unseenReplicas = metrics.value('oio_repaird_probes_total', { result: 'unreachable' }) + metrics.value('oio_repaird_probes_total', { result: 'timeout' });
    expect(unseenReplicas).toBeGreaterThanOrEqual(journal.length - outageCounts.probeErrors);
    expect(metrics.value('oio_repaird_detections_total', { kind: 'missing-keys' }) + metrics.value('oio_repaird_detections_total', { kind: 'missing-base' })).toBe(0);
    expect(daemon.lines.filter((l) => l.level === 'fatal')).toEqual([]);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });

  it('at start: not ready while the proxy has never answered, ready and sweeping once it does', { timeout: 45_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 50, seed: 2 } });
    onTestFinished(() => sim.close());
    const recorder = await startRecordingProxy(sim.url);
    onTestFinished(() => recorder.close());
    await recorder.pause();
    const dir = await tempDir();
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir },
      { proxy: { connectTimeoutMs: 500 } },
    ));
    const daemon = await startDaemon(configPath);
    // The daemon is up (it serves /metrics) but not ready: the proxy never answered.
    const readyz = await daemon.get('/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain(`proxy ${recorder.url} has not answered yet`);
    expect((await daemon.get('/healthz')).status).toBe(200);
    expect((await daemon.scrape()).value('oio_repaird_proxy_up')).toBe(0);
    await daemon.waitForLog((l) => l.msg === 'enumeration failed, retrying', { what: 'the enumeration retry' });

    await recorder.resume();
    await daemon.waitForMetrics('proxy_up 1', (m) => m.value('oio_repaird_proxy_up') === 1);
    await waitUntil('/readyz 200', async () => (await daemon.get('/readyz')).status === 200);
    const done = await daemon.waitForLog((l) => l.msg === 'sweep done', { timeoutMs: 30_000, what: 'the first sweep to finish' });
    expect(done).toMatchObject({ result: 'completed', done: 50, counts: { probeErrors: 0 } });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
