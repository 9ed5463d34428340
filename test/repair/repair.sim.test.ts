// End to end over real HTTP: ProxyClient → simulator (127.0.0.1, port 0) → probe → plan →
// repair → verification. The simulator's ground truth and stats check what really happened.
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef, PeerAnswer, PeerId, ProxyApi } from '../../src/oio/types.js';
import { repairJournal } from '../../src/journal/entries.js';
import type { JournalEntry, JournalSink } from '../../src/journal/types.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS, type ContainerReport } from '../../src/probe/types.js';
import { repairContainer, type RepairOptions } from '../../src/repair/execute.js';
import { startSimulator, type FaultSpec, type Simulator } from '../../src/sim/index.js';
import { cidFromName } from '../../src/oio/cid.js';

const SERVICES = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'] as const;
const [S1, S2, S3] = SERVICES;
const REF: ContainerRef = { cid: cidFromName('ACCT', 'CT1'), account: 'ACCT', container: 'CT1' };

class MemoryJournal implements JournalSink {
  readonly entries: JournalEntry[] = [];
  async append(entry: JournalEntry): Promise<void> {
    this.entries.push(entry);
  }
}

interface World {
  sim: Simulator;
  client: ProxyClient;
  journal: MemoryJournal;
  /** The master (per the simulator's truth) at the moment each sync was sent. */
  mastersAtSync: (PeerId | null)[];
  proxy: ProxyApi;
}

let world: World | undefined;

afterEach(async () => {
  await world?.client.close();
  await world?.sim.close();
  world = undefined;
});

async function start(faults: FaultSpec[]): Promise<World> {
  const sim = await startSimulator({
    scenario: { services: [...SERVICES], containers: [{ account: 'ACCT', name: 'CT1', peers: [...SERVICES], master: S2 }], faults },
    syncDelayMs: 10,
  });
  const client = createProxyClient({ url: sim.url, namespace: sim.namespace, retries: 0 });
  const mastersAtSync: (PeerId | null)[] = [];
  // Same client, with a look at the simulator's truth just before each sync leaves.
  const proxy: ProxyApi = Object.assign(Object.create(client) as ProxyClient, {
    sync(ref: ContainerRef, peers?: readonly PeerId[]): Promise<PeerAnswer<string>[]> {
      mastersAtSync.push(sim.truth(REF.cid)?.master ?? null);
      return client.sync(ref, peers, { reqId: 'sim-test' });
    },
  });
  world = { sim, client, journal: new MemoryJournal(), mastersAtSync, proxy };
  return world;
}

function probe(w: World, alwaysElection = false): Promise<ContainerReport> {
  return probeContainer(w.proxy, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, alwaysElection, reqId: 'sim-test' });
}

function options(w: World, extra: Partial<RepairOptions> = {}): RepairOptions {
  return {
    dryRun: false,
    journal: repairJournal(w.journal, { evidenceMaxBytes: 65_536 }),
    reqId: 'sim-test',
    probe: () => probe(w, true),
    maxRounds: 3,
    verifyDelayMs: 30,
    verifyAttempts: 10,
    pollIntervalMs: 10,
    awaitMasterTimeoutMs: 2_000,
    ...extra,
  };
}

const mutatingRoutes = (w: World): number => {
  const byRoute = w.sim.stats().byRoute;
  return Object.entries(byRoute).filter(([k]) => /sync|leave|set_properties/.test(k)).reduce((n, [, v]) => n + v, 0);
};

describe('repair over HTTP against the simulator', () => {
  it('sees a healthy container with exactly R+1 requests', async () => {
    const w = await start([]);
    w.sim.resetStats();
    const report = await probe(w);
    expect(report.verdict).toBe('healthy');
    expect(w.sim.stats().requests).toBe(4);
  });

  it('the seed: names the slave lacking sys.m2.ctime, syncs only it (200) and ends healthy', async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S1, kind: 'drop-keys', keys: ['sys.m2.ctime'] }]);
    const before = await probe(w);
    expect(before.verdict).toBe('repairable');
    expect(before.replicas.find((r) => r.peer === S1)).toMatchObject({ health: 'missing-keys', missingKeys: ['sys.m2.ctime'], role: 'slave' });
    expect(before.reason).toContain(S1);
    expect(before.reason).toContain('sys.m2.ctime');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('succeeded');
    expect(result.rounds[0]?.results[0]?.answers).toEqual([{ peer: S1, status: 200, message: 'OK' }]);
    expect(result.after?.verdict).toBe('healthy');
    expect(w.sim.stats().syncCalls).toEqual({ [S1]: 1 });
    const truth = w.sim.truth(REF.cid);
    expect(truth?.replicas.find((r) => r.peer === S1)?.admin['sys.m2.ctime']).toBeDefined();
  });

  it('recreates a slave without base', async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S3, kind: 'missing-base' }]);
    const before = await probe(w);
    expect(before.replicas.find((r) => r.peer === S3)?.health).toBe('missing-base');
    expect(before.verdict).toBe('repairable');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('succeeded');
    expect(w.sim.truth(REF.cid)?.replicas.find((r) => r.peer === S3)?.base).toBe('ok');
  });

  it('makes a corrupt master leave, waits for re-election, then syncs it; no sync while it was master', async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S2, kind: 'corrupt-base' }]);
    const before = await probe(w);
    expect(before.verdict).toBe('master-damaged');
    expect(before.replicas.find((r) => r.peer === S2)).toMatchObject({ health: 'corrupt-base', role: 'master' });
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('succeeded');
    expect(result.rounds[0]?.plan.steps.map((s) => s.kind)).toEqual(['leave', 'await-master']);
    const stats = w.sim.stats();
    expect(stats.leaveCalls).toEqual({ [S2]: 1 });
    // Every sync the simulator received targeted the old master only, after it had lost mastership.
    expect(Object.keys(stats.syncCalls).every((p) => p === S2)).toBe(true);
    expect(w.mastersAtSync.length).toBeGreaterThan(0);
    expect(w.mastersAtSync.length).toBe(stats.byRoute['POST admin/sync']);
    expect(w.mastersAtSync).not.toContain(S2);
    expect(w.sim.truth(REF.cid)?.master).not.toBe(S2);
    expect(result.after?.verdict).toBe('healthy');
  });

  it("writes a master's missing sys.m2.ctime back through the master (no leave, no sync)", async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S2, kind: 'drop-keys', keys: ['sys.m2.ctime'] }]);
    const expected = w.sim.truth(REF.cid)?.replicas.find((r) => r.peer === S1)?.admin['sys.m2.ctime'];
    const before = await probe(w);
    expect(before.verdict).toBe('master-damaged');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('succeeded');
    expect(result.rounds[0]?.plan.steps).toEqual([{ kind: 'set-properties', values: { 'sys.m2.ctime': expected } }]);
    const stats = w.sim.stats();
    expect(stats.syncCalls).toEqual({});
    expect(stats.leaveCalls).toEqual({});
    expect(w.sim.truth(REF.cid)?.replicas.every((r) => r.admin['sys.m2.ctime'] === expected)).toBe(true);
  });

  it('makes a truncated master leave rather than writing keys into it, then syncs it', async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S2, kind: 'truncate-base' }]);
    const before = await probe(w);
    expect(before.verdict).toBe('master-damaged');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.rounds[0]?.plan.steps.map((s) => s.kind)).toEqual(['leave', 'await-master']);
    expect(result.outcome).toBe('succeeded');
    expect(w.mastersAtSync).not.toContain(S2);
    expect(w.sim.stats().writes).toBe(0);
  });

  it('re-reads the master just before the sync and never copies a master damaged since the probe', async () => {
    const w = await start([{ account: 'ACCT', container: 'CT1', peer: S1, kind: 'drop-keys', keys: ['sys.m2.ctime'] }]);
    const before = await probe(w);
    expect(before.verdict).toBe('repairable');
    // Between the probe and the sync the master loses sys.m2.ctime; its identity does not change.
    w.sim.inject({ account: 'ACCT', container: 'CT1', peer: S2, kind: 'drop-keys', keys: ['sys.m2.ctime'] });
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('failed');
    expect(result.rounds[0]?.results[0]).toMatchObject({ status: 'failed', detail: expect.stringContaining(`master ${S2} is no longer healthy`) });
    expect(w.mastersAtSync).toEqual([]);
    expect(w.sim.stats().syncCalls).toEqual({});
    // The one healthy replica left still holds the key: nothing was copied over it.
    expect(w.sim.truth(REF.cid)?.replicas.find((r) => r.peer === S3)?.admin['sys.m2.ctime']).toBeDefined();
  });

  it('after a leave, stops waiting as soon as the election settles on a damaged peer, and repairs from what is there (never a sync from a damaged master)', async () => {
    const five = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134', '127.0.0.1:6135'];
    const [A, B] = five as [string, string];
    const sim = await startSimulator({
      scenario: {
        services: five,
        // Election order A, B, …: when the corrupt master A leaves, B (lacking sys.m2.ctime) is next.
        containers: [{ account: 'ACCT', name: 'CT1', peers: five, master: A }],
        faults: [
          { account: 'ACCT', container: 'CT1', peer: A, kind: 'corrupt-base' },
          { account: 'ACCT', container: 'CT1', peer: B, kind: 'drop-keys', keys: ['sys.m2.ctime'] },
        ],
      },
      syncDelayMs: 10,
    });
    const client = createProxyClient({ url: sim.url, namespace: sim.namespace, retries: 0 });
    const damagedAtSync: string[] = [];
    const proxy: ProxyApi = Object.assign(Object.create(client) as ProxyClient, {
      sync(ref: ContainerRef, peers?: readonly PeerId[]): Promise<PeerAnswer<string>[]> {
        const truth = sim.truth(REF.cid);
        const m = truth?.replicas.find((r) => r.peer === truth.master);
        if (!m || m.base !== 'ok' || !m.admin['sys.m2.ctime']) damagedAtSync.push(truth?.master ?? 'none');
        return client.sync(ref, peers, { reqId: 'sim-test' });
      },
    });
    world = { sim, client, journal: new MemoryJournal(), mastersAtSync: [], proxy };
    const before = await probe(world, true);
    expect(before.verdict).toBe('master-damaged');
    sim.resetStats();
    // A long timeout and a slow poll: only an early stop keeps the status reads few.
    const result = await repairContainer(proxy, before, options(world, { awaitMasterTimeoutMs: 60_000, pollIntervalMs: 2_000 }));
    expect(result.rounds[0]?.plan.steps.map((st) => st.kind)).toEqual(['leave', 'await-master']);
    expect(result.rounds[0]?.results[1]).toMatchObject({ status: 'done', detail: expect.stringContaining(`settled on ${B}`) });
    expect(result.outcome).toBe('succeeded');
    expect(damagedAtSync).toEqual([]);
    const after = await probe(world, true);
    expect(after.replicas.every((r) => r.health === 'ok')).toBe(true);
    // Status reads: the await-master (one), plus the probes' own (one each); no minute of polling.
    expect(sim.stats().byRoute['POST admin/status'] ?? 0).toBeLessThan(12);
  });

  it('refuses two damaged replicas of three and sends nothing mutating', async () => {
    const w = await start([
      { account: 'ACCT', container: 'CT1', peer: S1, kind: 'drop-keys', keys: ['sys.m2.ctime'] },
      { account: 'ACCT', container: 'CT1', peer: S3, kind: 'missing-base' },
    ]);
    const before = await probe(w);
    expect(before.verdict).toBe('unrepairable');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).toBe('refused');
    expect(mutatingRoutes(w)).toBe(0);
  });

  it('calls a down peer unreachable, decides unknown and repairs nothing', async () => {
    const w = await start([{ kind: 'down', service: S3 }]);
    const before = await probe(w);
    expect(before.replicas.find((r) => r.peer === S3)?.health).toBe('unreachable');
    expect(before.verdict).toBe('unknown');
    const result = await repairContainer(w.proxy, before, options(w));
    expect(result.outcome).not.toBe('succeeded');
    expect(mutatingRoutes(w)).toBe(0);
  });
});
