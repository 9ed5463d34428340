// The daemon's Sweeper with `probe.transport: native` against the simulator's native ports:
// a missing base and a corrupt base are told apart (journal), each is repaired through the proxy, and
// both the pre-sync re-read and the verification read natively (no replica read via the proxy).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { Sweeper } from '../../src/daemon/sweeper.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { FileSweepStateStore } from '../../src/sweep/state.js';
import { freeServiceIds } from '../helpers/free-ports.js';

let sim: Simulator;
let root: string;

beforeAll(async () => {
  const peers = await freeServiceIds(3);
  const [m, s1, s2] = peers as [string, string, string];
  sim = await startSimulator({
    native: true,
    syncDelayMs: 10,
    scenario: {
      services: peers,
      containers: ['healthy', 'missing', 'corrupt'].map((name) => ({ account: 'acct', name, peers, master: m })),
      faults: [
        { kind: 'missing-base', account: 'acct', container: 'missing', peer: s1 },
        { kind: 'corrupt-base', account: 'acct', container: 'corrupt', peer: s2 },
      ],
    },
  });
  root = await mkdtemp(join(tmpdir(), 'oio-repaird-native-sweep-'));
});
afterAll(async () => {
  await sim.close();
  await rm(root, { recursive: true, force: true });
});

describe('Sweeper with probe.transport: native', () => {
  it('tells a missing and a corrupt base apart, repairs both through the proxy and verifies natively', async () => {
    const config = configSchema.parse({
      proxy: { url: sim.url, namespace: sim.namespace },
      account: { url: sim.url },
      state: { dir: join(root, 'state') },
      probe: { transport: 'native' },
      repair: { verifyDelayMs: 50 },
    });
    const log = silentLogger();
    const journal = await Journal.open(config.journal.path);
    const sweeper = new Sweeper({ config, log, metrics: createMetrics({ defaultMetrics: false }), journal });
    try {
      const summary = await sweeper.run(config, { signal: new AbortController().signal, state: new FileSweepStateStore(join(root, 'sweep'), log) });
      expect(summary.counts).toMatchObject({ done: 3, probeErrors: 0, damagedContainers: 2, unrepairable: 0 });
      expect(summary.counts.repairs.succeeded).toBe(2);
    } finally {
      await sweeper.close();
      await journal.close();
    }
    // What the sweep detected, as journaled: the two kinds told apart. (The corrupt file is
    // renamed by the read that saw the 511, so the re-read before the sync finds it missing.)
    const journaled = (await readFile(config.journal.path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; replicas?: { health: string }[] });
    const detected = journaled.filter((e) => e.type === 'detection').flatMap((e) => (e.replicas ?? []).map((r) => r.health)).filter((h) => h !== 'ok');
    expect(detected.sort()).toEqual(['corrupt-base', 'missing-base']);
    const stats = sim.stats();
    expect(stats.byRoute['native/DB_PGET']).toBeGreaterThan(0);
    expect(stats.byRoute['admin/get_properties'] ?? 0).toBe(0);
    expect(Object.values(stats.syncCalls).reduce((a, b) => a + b, 0)).toBe(2);
    for (const name of ['missing', 'corrupt']) {
      expect(sim.truth(cidFromName('acct', name))?.replicas.map((r) => r.base)).toEqual(['ok', 'ok', 'ok']);
    }
  });
});
