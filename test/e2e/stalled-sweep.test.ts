// End to end: the proxy sits on every read of one container, longer than the stall time. The
// stuck sweep is visible (readiness 503 with the reason, oio_repaird_sweep_stalled 1, an error
// line) and the watchdog pings stop, so systemd would restart the daemon; the test plays systemd
// (SIGKILL, start again). The resumed sweep stalls again on the same container; the next start
// skips it (journaled, counted) and the sweep ends instead of looping for ever.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { readJournal, startDaemon, tempDir, testConfig, waitUntil, writeYaml, type DaemonProcess } from '../helpers/daemon-process.js';
import { listNamespace } from './sim-truth.js';
import { startRecordingProxy } from './recording-proxy.js';

describe('a sweep stuck on one container', () => {
  it('is reported, stops the watchdog, and after stallSkipAfter restarts the container is skipped and the sweep ends', { timeout: 150_000 }, async () => {
    const sim = await startSimulator({ generate: { containers: 12, accounts: 1, damagedShare: 0, seed: 5 } });
    onTestFinished(() => sim.close());
    const namespace = await listNamespace(sim);
    const stuck = namespace[4] as { account: string; container: string };
    const recorder = await startRecordingProxy(sim.url, { hang: (c) => c.route === 'admin/get_properties' && c.container === stuck.container });
    onTestFinished(() => recorder.close());
    const dir = await tempDir();
    const notified = join(dir, 'notified.txt');
    const notifier = join(dir, 'notify.sh');
    await writeFile(notifier, `#!/bin/sh\necho "$(date +%s%3N) $*" >> '${notified}'\n`);
    await chmod(notifier, 0o755);
    const env = { NOTIFY_SOCKET: '/run/fake-notify', OIO_REPAIRD_NOTIFY_COMMAND: notifier, WATCHDOG_USEC: '600000' };
    // Requests may take 60 s; the sweep is called stalled after 4 s without a finished container.
    const configPath = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: recorder.url, namespace: sim.namespace, stateDir: dir },
      { proxy: { requestTimeoutMs: 60_000 }, probe: { concurrency: 2 }, sweep: { stallSeconds: 4, stallSkipAfter: 2 } },
    ));

    const stallOnce = async (run: number): Promise<DaemonProcess> => {
      const daemon = await startDaemon(configPath, { env });
      const line = await daemon.waitForLog((l) => l.msg.startsWith('sweep stalled'), { timeoutMs: 30_000, what: `the stall of run ${run}` });
      expect(line['stuck'], JSON.stringify(recorder.calls.filter((c) => c.container !== stuck.container).slice(-30))).toEqual([`${stuck.account}/${stuck.container}`]);
      const readyz = await daemon.get('/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body).toContain('sweep stalled: no container finished for');
      expect((await daemon.scrape()).value('oio_repaird_sweep_stalled')).toBe(1);
      // The watchdog pings (every 300 ms) stop.
      const pings = async (): Promise<number> => (await readFile(notified, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('WATCHDOG=1')).length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = await pings();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await pings()).toBe(before);
      daemon.kill(); // what systemd does when WatchdogSec= passes without a ping
      await daemon.waitForExit();
      return daemon;
    };
    await stallOnce(1);
    await stallOnce(2);

    const daemon = await startDaemon(configPath, { env });
    const end = await daemon.waitForLog((l) => l.msg === 'sweep done' || l.msg.startsWith('sweep incomplete'), { timeoutMs: 60_000, what: 'the end of the sweep' });
    expect(end['done']).toBe(namespace.length);
    // The skipped container could not be judged: 1 of 12 is above probe.maxUnknownShare.
    expect(end).toMatchObject({ result: 'incomplete', unknown: 1 });
    const skipped = daemon.logs('container skipped: it stalled the sweep too often');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ container: stuck.container, stalls: 2 });
    const metrics = await daemon.scrape();
    expect(metrics.value('oio_repaird_stalled_containers_skipped_total')).toBe(1);
    expect(metrics.value('oio_repaird_sweep_stalled')).toBe(0);
    await waitUntil('/readyz 200', async () => (await daemon.get('/readyz')).status === 200);
    const journal = await readJournal(join(dir, 'journal.jsonl'));
    expect(journal.filter((e) => e.container === stuck.container && e.type === 'detection').at(-1)).toMatchObject({ verdict: 'unknown', reason: expect.stringContaining('stalled the sweep 2 times') });
    // Its count is gone: the next sweep tries it again.
    expect(JSON.parse(await readFile(join(dir, 'stalled-containers.json'), 'utf8'))).toEqual({ version: 1, containers: {} });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
