// End to end, fleet mode: three built daemons share one simulated namespace through a real
// ZooKeeper. One is killed with SIGKILL in the middle of the sweep: the others inherit its
// buckets and walk those not done, so every container is probed in the epoch; no container gets
// more mutating requests than its one-step plan needs (the simulator counts them); the
// fleet-wide budget holds; the killed daemon, started again, takes its share back. Then
// ZooKeeper is stopped: no mutating request while the sessions are lost, /readyz 503, and the
// sweep resumes when it is back.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BUCKETS } from '../../src/fleet/buckets.js';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator } from '../../src/sim/index.js';
import { startDaemon, tempDir, testConfig, waitUntil, writeYaml, type DaemonProcess } from '../helpers/daemon-process.js';
import { ZooKeeper, zooKeeperOrSkip } from '../helpers/zookeeper.js';
import { damagedContainers, listNamespace } from './sim-truth.js';

const tools = zooKeeperOrSkip('fleet end-to-end tests (3 daemons, real ZooKeeper)');
// FLEET_E2E_CONTAINERS: fewer, to try the test quickly by hand (the issue asks for 20,000 at least).
const CONTAINERS = Number(process.env['FLEET_E2E_CONTAINERS'] ?? 20_000);
const BUDGET = 60;

describe.skipIf(!tools.ok)('fleet of three daemons (real ZooKeeper, simulator)', () => {
  let zk: ZooKeeper;
  beforeAll(async () => {
    if (tools.ok) zk = await ZooKeeper.start(tools);
  }, 60_000);
  afterAll(async () => {
    await zk?.stop();
  });

  const fleetConfig = async (dir: string, proxyUrl: string, namespace: string, member: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const stateDir = join(dir, member);
    return writeYaml(join(dir, `${member}.yaml`), testConfig({ proxyUrl, namespace, stateDir }, {
      fleet: { zookeeper: zk.connect, root: `/e2e/${namespace}`, memberId: member, sessionTimeoutMs: 2000, opTimeoutMs: 2000, expectedMembers: 3 },
      // Each member probes at most this many containers per second: the sweep lasts long enough to
      // kill one in its middle.
      probe: { probesPerSecond: 600, concurrency: 8 },
      repair: { maxPerSweep: BUDGET, budgetPerHour: BUDGET, cooldownMinutes: 60, verifyDelayMs: 30 },
      schedule: { cron: '*/3 * * * * *', runAtStart: true },
      ...extra,
    }));
  };

  it('covers every container once per epoch despite a kill -9, repairs each at most once, holds the fleet budget, and takes the member back', { timeout: 420_000 }, async () => {
    const sim = await startSimulator({ namespace: 'FLEET1', generate: { containers: CONTAINERS, damagedShare: 0.01, seed: 11, kinds: ['slave:drop-keys'] }, syncDelayMs: 20, countReads: true });
    onTestFinished(() => sim.close());
    const damaged = damagedContainers(sim.injected()).filter((d) => d.damage === 'slave');
    expect(damaged.length).toBeGreaterThan(Math.min(BUDGET + 20, CONTAINERS / 200));
    const dir = await tempDir();
    const configs = await Promise.all(['m1', 'm2', 'm3'].map((m) => fleetConfig(dir, sim.url, sim.namespace, m)));
    const daemons: DaemonProcess[] = [];
    for (const c of configs) daemons.push(await startDaemon(c, { readyTimeoutMs: 60_000 }));
    const [m1, m2, m3] = daemons as [DaemonProcess, DaemonProcess, DaemonProcess];

    // All three joined and split the buckets.
    await waitUntil('three members, 4096 buckets owned', async () => {
      const scrapes = await Promise.all(daemons.map((d) => d.scrape()));
      return scrapes.every((s) => s.value('oio_repaird_fleet_members') === 3) && scrapes.reduce((n, s) => n + s.value('oio_repaird_fleet_owned_buckets'), 0) === BUCKETS;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    // Kill m3 in the middle of its walk.
    await m3.waitForMetrics('m3 in the middle of its walk', (m) => m.value('oio_repaird_sweep_progress_containers') >= CONTAINERS / 25, { timeoutMs: 60_000 });
    m3.kill();
    expect((await m3.waitForExit()).signal).toBe('SIGKILL');

    // The survivors inherit its buckets and complete epoch 1.
    await waitUntil('epoch 1 complete', async () => {
      const s = await m1.scrape();
      return s.value('oio_repaird_fleet_epoch') >= 1 && (s.value('oio_repaird_fleet_buckets_done') === BUCKETS || s.value('oio_repaird_fleet_epoch') >= 2);
    }, { timeoutMs: 240_000, intervalMs: 250 }).catch((err: Error) => {
      const fleetLines = (d: DaemonProcess): string => d.lines.filter((l) => l.msg.startsWith('fleet') || l.msg.startsWith('sweep')).slice(-40).map((l) => JSON.stringify(l).slice(0, 400)).join('\n');
      throw new Error(`${err.message}\n--- m1 ---\n${fleetLines(m1)}\n--- m2 ---\n${fleetLines(m2)}`);
    });
    const summary = [...m1.logs('fleet: sweep summary (epoch complete)'), ...m2.logs('fleet: sweep summary (epoch complete)')].find((l) => l['epoch'] === 1);
    expect(summary, 'the leader wrote the summary of epoch 1').toBeDefined();

    // Every container probed at least once.
    const stats = sim.stats();
    const reads = stats.readsByContainer ?? {};
    const all = await listNamespace(sim);
    expect(all.length).toBe(CONTAINERS);
    const unprobed = all.filter((c) => !reads[cidFromName(c.account, c.container)]);
    expect(unprobed.length, `unprobed containers, e.g. ${JSON.stringify(unprobed.slice(0, 3))}`).toBe(0);

    // No container got more than the one sync its plan needs; the fleet budget held.
    const mutations = stats.mutationsByContainer;
    const over = Object.entries(mutations).filter(([, n]) => n > 1);
    expect(over, 'containers with more mutating requests than their plan needs').toEqual([]);
    expect(Object.keys(mutations).length).toBeGreaterThan(0);
    expect(Object.keys(mutations).length).toBeLessThanOrEqual(BUDGET);

    // m3 comes back (same member id) and takes its share again.
    const back = await startDaemon(configs[2] as string, { readyTimeoutMs: 60_000 });
    await back.waitForMetrics('m3 back with its share', (m) => m.value('oio_repaird_fleet_members') === 3 && m.value('oio_repaird_fleet_owned_buckets') > BUCKETS / 5, { timeoutMs: 30_000 });
    await back.waitForLog((l) => l.msg === 'fleet: walk done, buckets recorded' && (l['marked'] as number) > 0, { timeoutMs: 90_000, what: 'm3 records buckets of its own' });
    for (const d of [m1, m2, back]) expect((await d.stop({ timeoutMs: 30_000 })).code).toBe(0);
    console.log(`fleet e2e: ${CONTAINERS} containers, ${damaged.length} damaged, ${Object.keys(mutations).length} repaired (budget ${BUDGET}), max reads per container ${Math.max(...Object.values(reads))}`);
  });

  it('sends no mutating request while ZooKeeper is down, is not ready meanwhile, and resumes the sweep when it is back', { timeout: 240_000 }, async () => {
    const sim = await startSimulator({ namespace: 'FLEET2', generate: { containers: 3000, damagedShare: 0.05, seed: 12, kinds: ['slave:drop-keys'] }, syncDelayMs: 20, countReads: true });
    onTestFinished(() => sim.close());
    const dir = await tempDir();
    const config = await fleetConfig(dir, sim.url, sim.namespace, 'solo', {
      // 3000 containers in about 10 s: the outage lands mid-sweep (it starts at 200 done).
      probe: { probesPerSecond: 300, concurrency: 4 },
      repair: { maxPerSweep: 1000, budgetPerHour: 1000, cooldownMinutes: 60, verifyDelayMs: 30 },
      schedule: { cron: '0 0 1 1 *', runAtStart: true },
    });
    const daemon = await startDaemon(config, { readyTimeoutMs: 60_000 });
    await daemon.waitForMetrics('the sweep under way with repairs', (m) => m.value('oio_repaird_sweep_progress_containers') >= 200 && Object.keys(sim.stats().mutationsByContainer).length > 0, { timeoutMs: 60_000 });
    const server = zk.servers[0];
    if (!server) throw new Error('no server');
    await server.stop();
    await daemon.waitForMetrics('fenced', (m) => m.value('oio_repaird_fleet_session_up') === 0, { timeoutMs: 10_000 });
    expect((await daemon.get('/readyz')).status).toBe(503);
    // In-flight repairs end at their next mutating request at the latest: settle, then count.
    await new Promise((r) => setTimeout(r, 1500));
    const during = sim.stats();
    const mutationsAtOutage = Object.values(during.mutationsByContainer).reduce((a, b) => a + b, 0);
    const progressAtOutage = (await daemon.scrape()).value('oio_repaird_sweep_progress_containers');
    await new Promise((r) => setTimeout(r, 3000));
    const after = sim.stats();
    expect(Object.values(after.mutationsByContainer).reduce((a, b) => a + b, 0), 'no mutating request while the session is lost').toBe(mutationsAtOutage);
    expect((await daemon.scrape()).value('oio_repaird_sweep_progress_containers')).toBeLessThanOrEqual(progressAtOutage + 8);
    await server.start();
    await server.waitReady();
    await daemon.waitForMetrics('back and sweeping', (m) => m.value('oio_repaird_fleet_session_up') === 1 && m.value('oio_repaird_sweep_progress_containers') > progressAtOutage + 50, { timeoutMs: 60_000 });
    expect((await daemon.get('/readyz')).status).toBe(200);
    await daemon.waitForMetrics('epoch complete', (m) => m.value('oio_repaird_fleet_buckets_done') === BUCKETS, { timeoutMs: 120_000 });
    expect(Object.values(sim.stats().mutationsByContainer).reduce((a, b) => a + b, 0)).toBeGreaterThan(mutationsAtOutage);
    expect((await daemon.stop({ timeoutMs: 30_000 })).code, 'a graceful stop after a ZooKeeper outage').toBe(0);
  });
});
