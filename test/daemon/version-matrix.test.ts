// The version × transport matrix (issue 15 item 6): the daemon's Sweeper, in process, against the
// simulator impersonating each oio-sds line (master, 7, 5, 4.4, 4.2), with each transport the
// line allows. The same damage on every line: the seed case (a slave lacking sys.m2.ctime), a
// damaged master, a missing, a corrupt and a truncated slave base, two damaged replicas of three
// (no quorum: untouched), a peer down (untouched), and a generated namespace. On 4.2 the proxy
// transport is refused before anything is probed; the native one repairs through 4.2's own means.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { Sweeper } from '../../src/daemon/sweeper.js';
import { Journal } from '../../src/journal/journal.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { cidFromName } from '../../src/oio/cid.js';
import { startSimulator, type FaultSpec, type OioVersion, type Scenario, type Simulator } from '../../src/sim/index.js';
import { FileSweepStateStore } from '../../src/sweep/state.js';
import type { SweepSummary } from '../../src/sweep/sweep.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { freeLoopbackPorts, freeServiceIds } from '../helpers/free-ports.js';

const LINES: readonly OioVersion[] = ['master', '7', '5', '4.4', '4.2'];
const TRANSPORTS = ['proxy', 'native'] as const;
const REPAIRED = ['seed', 'master-damaged', 'missing', 'corrupt', 'truncated'] as const;
const UNTOUCHED = ['no-quorum', 'peer-down'] as const;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'oio-repaird-matrix-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function scenario(services: readonly string[]): Scenario {
  const [a, b, c, d, e, f] = services as [string, string, string, string, string, string];
  const on = (name: string, peers: string[], master: string) => ({ account: 'acct', name, peers, master });
  const slave = (container: string, kind: FaultSpec['kind'], peer: string): FaultSpec => ({ kind, account: 'acct', container, peer } as FaultSpec);
  return {
    services,
    containers: [
      on('seed', [a, b, c], b),
      on('master-damaged', [a, b, c], a),
      on('missing', [a, b, c], a),
      on('corrupt', [a, b, c], a),
      on('truncated', [a, b, c], a),
      on('no-quorum', [a, b, c], a),
      on('healthy', [a, b, c], c),
      on('peer-down', [d, e, f], d),
    ],
    faults: [
      { kind: 'drop-keys', account: 'acct', container: 'seed', peer: a, keys: ['sys.m2.ctime'] },
      { kind: 'drop-keys', account: 'acct', container: 'master-damaged', role: 'master', keys: ['sys.m2.ctime'] },
      slave('missing', 'missing-base', b),
      slave('corrupt', 'corrupt-base', c),
      slave('truncated', 'truncate-base', b),
      { kind: 'drop-keys', account: 'acct', container: 'no-quorum', peer: b, keys: ['sys.m2.ctime'] },
      { kind: 'drop-keys', account: 'acct', container: 'no-quorum', peer: c, keys: ['sys.m2.ctime'] },
      { kind: 'down', service: f },
    ],
  };
}

interface Run {
  readonly sim: Simulator;
  readonly summary: SweepSummary;
  readonly sweeper: Sweeper;
  readonly lines: Array<Record<string, unknown>>;
}

async function sweepOnce(line: OioVersion, transport: 'proxy' | 'native', sim: Simulator, name: string): Promise<Omit<Run, 'sim'>> {
  const dir = join(root, `${line}-${transport}-${name}`);
  const config = configSchema.parse({
    proxy: { url: sim.url, namespace: sim.namespace, oioVersion: 'auto' },
    account: { url: sim.url },
    state: { dir },
    probe: { transport },
    repair: { verifyDelayMs: 30, maxPerSweep: 1000, budgetPerHour: 1000, awaitMasterTimeoutMs: 5000 },
  });
  const { log, lines } = capturingLogger();
  const journal = await Journal.open(config.journal.path);
  const sweeper = new Sweeper({ config, log, metrics: createMetrics({ defaultMetrics: false }), journal });
  try {
    const summary = await sweeper.run(config, { signal: new AbortController().signal, state: new FileSweepStateStore(join(dir, 'sweep'), log) });
    return { summary, sweeper, lines };
  } finally {
    await sweeper.close();
    await journal.close();
  }
}

async function sweepScenario(line: OioVersion, transport: 'proxy' | 'native'): Promise<Run> {
  const services = await freeServiceIds(6);
  const sim = await startSimulator({ oioVersion: line, native: transport === 'native', syncDelayMs: 5, restoreDelayMs: 30, scenario: scenario(services) });
  try {
    return { sim, ...(await sweepOnce(line, transport, sim, 'scenario')) };
  } catch (err) {
    await sim.close();
    throw err;
  }
}

/**
 * A generated namespace whose six services are consecutive ports from a free one: a port taken
 * meanwhile fails the native listeners at start (never silently), and another range is tried.
 */
async function startGenerated(line: OioVersion, transport: 'proxy' | 'native'): Promise<Simulator> {
  for (let attempt = 1; ; attempt++) {
    const [free] = await freeLoopbackPorts(1);
    const firstPort = Math.min(free as number, 65_000);
    try {
      return await startSimulator({
        oioVersion: line, native: transport === 'native', syncDelayMs: 5, restoreDelayMs: 30,
        generate: { containers: 24, services: 6, damagedShare: 0.5, seed: 15, firstPort },
      });
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

const combos = LINES.flatMap((line) => TRANSPORTS.map((transport) => [line, transport] as const));

describe.each(combos)('oio-sds %s, probe.transport %s', (line, transport) => {
  if (line === '4.2' && transport === 'proxy') {
    it('is refused before anything is probed or repaired, and the log names the line and the native transport', async () => {
      const run = await sweepScenario(line, transport);
      try {
        expect(run.sweeper.unsupportedProxy).toMatch(/4\.2\.x\/4\.3\.x.*does not honour service_id.*probe\.transport: native/);
        const stats = run.sim.stats();
        expect(stats.mutationsByContainer).toEqual({});
        expect(stats.byRoute['POST admin/get_properties'] ?? 0).toBe(0);
      } finally {
        await run.sim.close();
      }
    });
    return;
  }

  let run: Run;
  beforeAll(async () => {
    run = await sweepScenario(line, transport);
  });
  afterAll(async () => {
    await run?.sim.close();
  });
  const cid = (name: string): string => cidFromName('acct', name);

  it('detects the line from the answers it needed anyway and logs what and why', () => {
    // The last word: the check's signs first, narrowed by the first table read (5.x–7.x keys).
    const detected = run.lines.findLast((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('oio-sds line: '));
    const expected = { master: 'master', '7': '7', '5': '7', '4.4': '4.4', '4.2': '4.2' }[line];
    expect(detected?.['line'], JSON.stringify(run.lines.filter((l) => String(l['msg']).startsWith('oio-sds')))).toBe(expected);
    expect((detected?.['why'] as string[]).length).toBeGreaterThan(0);
  });

  it(transport === 'proxy' && line !== 'master' ? 'warns that per-replica reads go through the elections and recommends native' : 'does not warn about elections', () => {
    const warned = run.lines.some((l) => l['level'] === 'warn' && /no local=1.*probe\.transport: native/.test(String(l['msg'])));
    expect(warned).toBe(transport === 'proxy' && line !== 'master');
  });

  it.each(REPAIRED)('repairs %s and proves it by a re-read', (name) => {
    const truth = run.sim.truth(cid(name));
    expect(truth?.replicas.map((r) => r.base)).toEqual(['ok', 'ok', 'ok']);
    expect(truth?.replicas.every((r) => r.admin['sys.m2.ctime'] !== undefined)).toBe(true);
  });

  it.each(UNTOUCHED)('never touches %s', (name) => {
    expect(run.sim.stats().mutationsByContainer[cid(name)] ?? 0).toBe(0);
  });

  it('counts what it saw and did', () => {
    const c = run.summary.counts;
    expect(c.repairs.succeeded).toBe(REPAIRED.length);
    expect(c.repairs.failed).toBe(0);
    expect(c.unrepairable).toBe(1);
    expect(c.unknown).toBe(1);
    expect(c.done).toBe(8);
  });

  it('keeps a healthy base of this line healthy whatever keys other lines have', () => {
    expect(run.sim.stats().mutationsByContainer[cid('healthy')] ?? 0).toBe(0);
  });

  it('sweeps a generated namespace to the same end: every repairable container repaired, nothing else touched', async () => {
    const sim = await startGenerated(line, transport);
    try {
      const first = await sweepOnce(line, transport, sim, 'generated-1');
      expect(first.summary.counts.done).toBe(24);
      expect(first.summary.counts.repairs.failed).toBe(0);
      expect(first.summary.counts.probeErrors).toBe(0);
      const second = await sweepOnce(line, transport, sim, 'generated-2');
      // What is left damaged is exactly what was unrepairable (no healthy quorum), and nothing was repaired twice.
      expect(second.summary.counts.damagedContainers).toBe(second.summary.counts.unrepairable);
      expect(second.summary.counts.repairs.succeeded).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
