// A fleet member's repairs against a real ZooKeeper (Debian's package, a plain process on
// loopback) and the simulator, through the daemon's own wiring: the Sweeper with the fence on
// its repair proxy, and Fleet.wrapRepair (the container's lock and the fleet budget before the
// first mutating request). What the simulator received is the proof (its request stats):
// - a member whose ZooKeeper session is lost in the middle of a multi-step plan (after its
//   `leave`, before the `sync` of the next round) sends no further mutating request;
// - a container another member has locked is skipped with SKIPPED_FLEET_LOCK, nothing sent.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import { Sweeper } from '../../src/daemon/sweeper.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { FleetMember } from '../../src/fleet/member.js';
import type { JournalEntry, JournalSink } from '../../src/journal/types.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { SweepSummary } from '../../src/sweep/sweep.js';
import { MemorySweepStateStore } from '../../src/sweep/state.js';
import { ZooKeeper, zooKeeperOrSkip } from '../helpers/zookeeper.js';

const tools = zooKeeperOrSkip('fleet repairs against a real ZooKeeper (fencing mid-plan, the fleet lock)');
const log = silentLogger();
const S = ['127.0.0.1:7201', '127.0.0.1:7202', '127.0.0.1:7203'] as const;
const ACCOUNT = 'acme';
const CONTAINER = 'damaged-master';
const CID = cidFromName(ACCOUNT, CONTAINER);

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A journal in memory that runs `onEntry` after each entry is "on disk", before the executor goes on. */
class HookedJournal implements JournalSink {
  readonly entries: JournalEntry[] = [];
  constructor(private readonly onEntry: (entry: JournalEntry) => Promise<void> = async () => undefined) {}
  async append(entry: JournalEntry): Promise<void> {
    this.entries.push(entry);
    await this.onEntry(entry);
  }
}

/** The damaged master: the plan is `leave` + `await-master`, then a `sync` of the old master in round 2. */
function damagedMasterSim(): Promise<Simulator> {
  return startSimulator({
    scenario: {
      services: S,
      containers: [{ account: ACCOUNT, name: CONTAINER, peers: S, master: S[0] }],
      faults: [{ kind: 'corrupt-base', account: ACCOUNT, container: CONTAINER, peer: S[0] }],
    },
    syncDelayMs: 10,
    // The simulator would restore the old master's base by itself after this long: never here,
    // so the next round must sync it.
    restoreDelayMs: 600_000,
  });
}

function fleetConfig(sim: Simulator, zk: ZooKeeper, dir: string, memberId: string, root: string): Config {
  return configSchema.parse({
    proxy: { url: sim.url, namespace: sim.namespace },
    account: { url: sim.url },
    state: { dir },
    repair: { verifyDelayMs: 20, awaitMasterTimeoutMs: 5000 },
    fleet: { zookeeper: zk.connect, root, memberId, sessionTimeoutMs: 2000, opTimeoutMs: 2000 },
  });
}

interface Member {
  readonly fleet: Fleet;
  readonly metrics: Metrics;
  readonly journal: HookedJournal;
  sweep(): Promise<SweepSummary>;
  close(): Promise<void>;
}

/** One member as the daemon assembles it (src/daemon/daemon.ts): Sweeper with the fence, walks with wrapRepair. */
async function member(config: Config, onEntry?: (entry: JournalEntry) => Promise<void>): Promise<Member> {
  const fleetSection = config.fleet;
  if (!fleetSection) throw new Error('no fleet section');
  const metrics = createMetrics({ defaultMetrics: false });
  const fleet = new Fleet({
    config: fleetSection, namespace: config.proxy.namespace, log, metrics,
    limits: () => ({ maxPerHour: config.repair.budgetPerHour, maxPerSweep: config.repair.maxPerSweep }),
  });
  fleet.member.start();
  expect(await fleet.member.joinedWithin(15_000)).toBe(true);
  const journal = new HookedJournal(onEntry);
  const sweeper = new Sweeper({
    config, log, metrics, journal,
    fence: { reason: (cid) => fleet.fenceReason(cid), onRefused: () => fleet.onFenced() },
  });
  return {
    fleet, metrics, journal,
    sweep: () => sweeper.run(config, {
      signal: new AbortController().signal,
      state: new MemorySweepStateStore(),
      allowed: () => fleet.member.mayMutate(),
      wrapRepair: (repair) => fleet.wrapRepair(repair),
    }),
    close: async () => {
      await sweeper.close();
      await fleet.stop();
    },
  };
}

async function counter(metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe.skipIf(!tools.ok)('fleet repairs (real ZooKeeper, the simulator)', () => {
  let zk: ZooKeeper;
  let dir: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    if (!tools.ok) return;
    zk = await ZooKeeper.start(tools);
    dir = await mkdtemp(join(tmpdir(), 'oio-fleet-repair-'));
  }, 60_000);

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  afterAll(async () => {
    await zk?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('skips a container another member has locked with SKIPPED_FLEET_LOCK, sending nothing', async () => {
    const sim = await damagedMasterSim();
    cleanups.push(() => sim.close());
    const other = new FleetMember({ zookeeper: zk.connect, root: '/t/lock', memberId: 'other', sessionTimeoutMs: 2000, opTimeoutMs: 2000, log });
    other.start();
    cleanups.push(() => other.stop());
    expect(await other.joinedWithin(15_000)).toBe(true);
    const held = await other.lock(CID);
    expect(held).not.toBeNull();

    const self = await member(fleetConfig(sim, zk, join(dir, 'lock'), 'self', '/t/lock'));
    cleanups.push(() => self.close());
    const summary = await self.sweep();

    expect(summary.counts.damagedContainers).toBe(1);
    expect(sim.stats().mutationsByContainer[CID] ?? 0).toBe(0);
    const repair = self.journal.entries.find((e) => e.type === 'repair');
    expect(repair).toMatchObject({ outcome: 'skipped_cooldown', code: 'SKIPPED_FLEET_LOCK', reason: expect.stringContaining('another fleet member holds the lock') });
    expect(await counter(self.metrics.decisions, { code: 'SKIPPED_FLEET_LOCK' })).toBe(1);
    expect(await counter(self.metrics.decisions, { code: 'SKIPPED_COOLDOWN' })).toBe(0);
    expect(await counter(self.metrics.fleet.lockContention)).toBe(1);
    await held?.release();
  }, 60_000);

  it('sends no further mutating request once its ZooKeeper session is lost in the middle of a plan', async () => {
    const sim = await damagedMasterSim();
    cleanups.push(() => sim.close());
    const server = zk.servers[0];
    if (!server) throw new Error('no ZooKeeper server');
    // ZooKeeper goes away right after the leave (the plan's first mutating step) is on record,
    // and the executor goes on only once the member knows it is fenced.
    let lost = false;
    const self = await member(fleetConfig(sim, zk, join(dir, 'fence'), 'self', '/t/fence'), async (entry) => {
      if (lost || entry.type !== 'step-end' || entry.step.kind !== 'leave') return;
      lost = true;
      expect(sim.stats().leaveCalls).toEqual({ [S[0]]: 1 });
      await server.stop();
      await until('the member fenced', () => !self.fleet.member.mayMutate());
    });
    cleanups.push(async () => {
      if (!server.running) {
        await server.start();
        await server.waitReady();
      }
      await self.close();
    });

    const summary = await self.sweep();

    expect(lost).toBe(true);
    // The plan went on after the leave (await-master, a new round) and its sync was refused
    // before being sent: the simulator received the leave and nothing mutating after it.
    const stats = sim.stats();
    expect(stats.leaveCalls).toEqual({ [S[0]]: 1 });
    expect(stats.syncCalls).toEqual({});
    expect(stats.mutationsByContainer[CID]).toBe(1);
    const refused = self.journal.entries.find((e) => e.type === 'step-end' && e.step.kind === 'sync');
    expect(refused).toMatchObject({ status: 'failed', detail: expect.stringMatching(/fenced: ZooKeeper session (suspended|expired|closed)/) });
    expect(await counter(self.metrics.fleet.fencedRequests)).toBe(1);
    expect(self.journal.entries.find((e) => e.type === 'repair')).toMatchObject({ outcome: 'failed' });
    expect(summary.counts.repairs.failed).toBe(1);
  }, 60_000);
});
