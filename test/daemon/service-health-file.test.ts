// Per-service health survives a restart: what ServiceHealth tracks (each damaged container and
// its services) is saved to <state.dir>/service-health.json and read back by the next daemon,
// so oio_repaird_service_damaged_replicas{service} reads as before, and a container repaired
// after the restart still takes its count away. A corrupt file is moved aside: gauges from 0.
import { readdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SERVICE_HEALTH_FILE, ServiceHealthFile } from '../../src/daemon/service-health-file.js';
import { createLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { ServiceHealth } from '../../src/metrics/service-health.js';
import type { ContainerReport, ReplicaState } from '../../src/probe/types.js';
import { tempDir } from '../helpers/daemon-process.js';
import { masterView, P1, P2, P3, replica, report } from '../helpers/tables.js';

const log = createLogger({ journald: false, level: 'silent' });

async function gauges(metrics: Metrics): Promise<Record<string, number>> {
  const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'oio_repaird_service_damaged_replicas');
  return Object.fromEntries((found?.values ?? []).map((v) => [String(v.labels['service']), v.value]));
}

function of(cid: string, replicas: ReplicaState[], verdict: ContainerReport['verdict'] = 'repairable'): ContainerReport {
  const r = report(replicas, verdict, masterView(P2));
  return { ...r, ref: { ...r.ref, cid } };
}
const damagedOn = (cid: string, peer: string): ContainerReport => of(cid, [P1, P2, P3].map((p) => replica(p, p === peer ? 'missing-keys' : 'ok', p === P2 ? 'master' : 'slave')));
const healthy = (cid: string): ContainerReport => of(cid, [replica(P1, 'ok', 'slave'), replica(P2, 'ok', 'master'), replica(P3, 'ok', 'slave')], 'healthy');

/** One daemon's life: its metrics, its ServiceHealth and the file, restored as `Daemon` does. */
async function daemonLife(dir: string, onBad = (): void => undefined) {
  const metrics = createMetrics({ defaultMetrics: false });
  const health = new ServiceHealth(metrics);
  const file = new ServiceHealthFile(dir, health, log, onBad);
  await file.load();
  health.setServices([P1, P2, P3]);
  return { metrics, health, file };
}

describe('ServiceHealthFile', () => {
  it('restores the per-service damaged replicas after a restart, per container', async () => {
    const dir = await tempDir();
    const first = await daemonLife(dir);
    for (const cid of ['A', 'B']) first.health.observe({ report: damagedOn(cid, P1), final: damagedOn(cid, P1) });
    first.health.observe({ report: damagedOn('C', P3), final: damagedOn('C', P3) });
    expect(await gauges(first.metrics)).toEqual({ [P1]: 2, [P2]: 0, [P3]: 1 });
    await first.file.save();

    const second = await daemonLife(dir);
    expect(await gauges(second.metrics)).toEqual({ [P1]: 2, [P2]: 0, [P3]: 1 });
    // Repaired after the restart (e.g. by the suspects lane): its count goes, the others stay.
    second.health.observe({ report: damagedOn('A', P1), final: healthy('A'), repairOutcome: 'succeeded' });
    expect(await gauges(second.metrics)).toEqual({ [P1]: 1, [P2]: 0, [P3]: 1 });
  });

  it('moves a corrupt file aside and starts the gauges at 0', async () => {
    const dir = await tempDir();
    await writeFile(`${dir}/${SERVICE_HEALTH_FILE}`, '{"version":1,"damaged":[[');
    const problems: string[] = [];
    const life = await daemonLife(dir, () => void problems.push('bad'));
    expect(await gauges(life.metrics)).toEqual({ [P1]: 0, [P2]: 0, [P3]: 0 });
    expect(problems).toEqual(['bad']);
    expect((await readdir(dir)).some((f) => f.startsWith(`${SERVICE_HEALTH_FILE}.corrupt-`))).toBe(true);
  });
});
