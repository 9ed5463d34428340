// End to end: the built daemon pointed at a proxy that does not honour service_id (the simulator
// impersonating 4.2.x, fact 37). It must refuse to act: error log line, /readyz 503 with the
// reason, oio_repaird_unsupported_proxy 1, the sweep stopped, not one mutating request (a 4.2.x
// "sync of a slave" would copy the damaged master onto every slave). Replacing the proxy is
// noticed at the next scheduled sweep: gauge back to 0, ready, and the damage repaired.
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator } from '../../src/sim/index.js';
import { startDaemon, tempDir, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';

const SERVICES = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134'];
const MUTATING = ['POST admin/sync', 'POST admin/leave', 'POST admin/set_properties'];

describe('a proxy that does not honour service_id', () => {
  it('is refused by the daemon (log, /readyz, gauge, no mutation) until a later sweep finds it replaced', { timeout: 60_000 }, async () => {
    const sim = await startSimulator({
      oioVersion: '4.2',
      scenario: {
        services: SERVICES,
        containers: [
          { account: 'acct', name: 'damaged', peers: SERVICES.slice(0, 3), master: SERVICES[1]! },
          { account: 'acct', name: 'healthy', peers: SERVICES.slice(1, 4) },
        ],
        faults: [{ kind: 'drop-keys', account: 'acct', container: 'damaged', role: 'master', keys: ['sys.m2.ctime'] }],
      },
    });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const config = await writeYaml(join(dir, 'config.yaml'), testConfig(
      { proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir },
      { schedule: { cron: '*/3 * * * * *' }, account: { url: sim.url } },
    ));
    const daemon = await startDaemon(config);
    onTestFinished(() => void daemon.stop());

    const refusal = await daemon.waitForNth('unsupported proxy: it does not honour service_id; sweep stopped, nothing is probed or repaired through it until a later sweep finds it fixed', 1, { timeoutMs: 20_000 });
    expect(refusal).toMatchObject({ level: 'error', err: { code: 'OIO_UNSUPPORTED_PROXY' } });
    const readyz = await waitUntil('/readyz 503 naming service_id', async () => {
      const r = await daemon.get('/readyz');
      return r.status === 503 && r.body.includes('service_id') ? r : undefined;
    });
    expect(readyz.body).toContain('unsupported proxy');
    expect((await daemon.scrape()).value('oio_repaird_unsupported_proxy')).toBe(1);
    const stats = sim.stats();
    for (const route of MUTATING) expect(stats.byRoute[route] ?? 0, route).toBe(0);
    const cid = cidFromName('acct', 'damaged');
    expect(sim.truth(cid)?.replicas.filter((r) => r.admin['sys.m2.ctime'] === undefined)).toHaveLength(1);

    // The operator replaces the proxy: the next sweep's check passes and the damage is repaired.
    sim.setOioVersion('master');
    await waitUntil('gauge back to 0 and ready', async () => {
      const metrics = await daemon.scrape();
      const ready = await daemon.get('/readyz');
      return metrics.value('oio_repaird_unsupported_proxy') === 0 && ready.status === 200 ? true : undefined;
    }, { timeoutMs: 30_000 });
    await waitUntil('the damaged master repaired', () => sim.truth(cid)?.replicas.every((r) => r.admin['sys.m2.ctime'] !== undefined) || undefined, { timeoutMs: 30_000 });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
