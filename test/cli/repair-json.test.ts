// `repair --json` prints one shape for every outcome: healthy, wait, succeeded (repaired and
// verified), refused, failed and dry_run all carry the same keys, with `outcome` and `reason`
// always present. Run in process against the simulator (a small forwarder fails the sync for
// the `failed` case, as a real peer answering 503 would).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runInProcess } from '../helpers/cli-io.js';

const [S1, S2, S3, S4] = ['127.0.0.1:6151', '127.0.0.1:6152', '127.0.0.1:6153', '127.0.0.1:6154'] as const;
const KEYS = ['outcome', 'code', 'reason', 'dryRun', 'container', 'before', 'plan', 'rounds', 'after'].sort();

let sim: Simulator;
let failingSync: Server;
let failingSyncUrl: string;

beforeAll(async () => {
  sim = await startSimulator({
    scenario: {
      namespace: 'OPENIO',
      services: [S1, S2, S3, S4],
      containers: [
        { account: 'a', name: 'healthy', peers: [S1, S2, S3], master: S1 },
        { account: 'a', name: 'slave-lacks-key', peers: [S1, S2, S3], master: S1 },
        { account: 'a', name: 'preview', peers: [S1, S2, S3], master: S1 },
        { account: 'a', name: 'sync-fails', peers: [S1, S2, S3], master: S1 },
        { account: 'a', name: 'two-of-three', peers: [S1, S2, S3], master: S1 },
        { account: 'a', name: 'no-master', peers: [S1, S2, S3], master: S1 },
      ],
      faults: [
        { kind: 'drop-keys', account: 'a', container: 'slave-lacks-key', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: 'a', container: 'preview', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: 'a', container: 'sync-fails', peer: S3, keys: ['sys.m2.ctime'] },
        { kind: 'drop-keys', account: 'a', container: 'two-of-three', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'missing-base', account: 'a', container: 'two-of-three', peer: S3 },
        { kind: 'drop-keys', account: 'a', container: 'no-master', peer: S2, keys: ['sys.m2.ctime'] },
        { kind: 'no-master', account: 'a', container: 'no-master' },
      ],
    },
  });
  // Forwards everything to the simulator, except that every peer answers a sync with 503.
  const upstream = new URL(sim.url);
  failingSync = createServer((req, res) => {
    const url = new URL(req.url ?? '/', sim.url);
    if (url.pathname.endsWith('/admin/sync')) {
      const peers = (url.searchParams.get('service_id') ?? '').split(',').filter((p) => p !== '');
      const body = `{${peers.map((p) => `${JSON.stringify(p)}:{"status":{"status":503,"message":"election failed (test)"},"body":""}`).join(',')}}`;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => failingSync.listen(0, '127.0.0.1', resolve));
  failingSyncUrl = `http://127.0.0.1:${(failingSync.address() as AddressInfo).port}`;
});

afterAll(async () => {
  failingSync.closeAllConnections();
  await new Promise((resolve) => failingSync.close(resolve));
  await sim.close();
});

interface RepairJson {
  outcome: string;
  code: string;
  reason: string;
  dryRun: boolean;
  container: { account?: string; container?: string; cid: string };
  before: { verdict: string };
  plan: { decision: string; code: string };
  rounds: unknown[];
  after: { verdict: string } | null;
}

async function repairJson(container: string, extra: string[] = [], proxyUrl = sim.url): Promise<{ code: number; doc: RepairJson }> {
  const out = await runInProcess(['repair', `a/${container}`, '--json', '--proxy', proxyUrl, '--ns', 'OPENIO', ...extra]);
  const doc = JSON.parse(out.stdout) as RepairJson;
  expect(Object.keys(doc).sort()).toEqual(KEYS);
  expect(doc.reason).toEqual(expect.any(String));
  expect(doc.reason).not.toBe('');
  expect(doc.container).toMatchObject({ account: 'a', container });
  return { code: out.code, doc };
}

describe('repair --json: one shape for every outcome', () => {
  it('healthy: nothing to do, no round, no after', async () => {
    const { code, doc } = await repairJson('healthy');
    expect(doc).toMatchObject({ outcome: 'healthy', code: 'HEALTHY', dryRun: false, before: { verdict: 'healthy', code: 'HEALTHY' }, plan: { decision: 'nothing', code: 'HEALTHY' }, rounds: [], after: null });
    expect(code).toBe(0);
  });

  it('wait: no single master, so nothing is touched', async () => {
    const syncs = sim.stats().byRoute['POST admin/sync'] ?? 0;
    const { code, doc } = await repairJson('no-master');
    expect(doc).toMatchObject({ outcome: 'wait', code: 'WAIT_ELECTION', plan: { decision: 'wait', code: 'WAIT_ELECTION' }, rounds: [], after: null });
    expect(code).not.toBe(0);
    expect(sim.stats().byRoute['POST admin/sync'] ?? 0).toBe(syncs);
  });

  it('succeeded: the slave was synced and the container re-read healthy', async () => {
    const { code, doc } = await repairJson('slave-lacks-key');
    expect(doc).toMatchObject({ outcome: 'succeeded', code: 'REPAIR_SUCCEEDED', before: { verdict: 'repairable', code: 'REPAIRABLE' }, plan: { decision: 'repair', code: 'PLAN_SYNC' }, after: { verdict: 'healthy' } });
    expect(doc.rounds.length).toBeGreaterThanOrEqual(1);
    expect(code).toBe(0);
  });

  it('refused: two damaged replicas of three, nothing sent', async () => {
    const { code, doc } = await repairJson('two-of-three');
    expect(doc).toMatchObject({ outcome: 'refused', code: 'REFUSED_NO_QUORUM', before: { verdict: 'unrepairable' }, plan: { decision: 'refuse' }, rounds: [], after: null });
    expect(code).toBe(1);
  });

  it('failed: every peer answers the sync with 503', async () => {
    const { code, doc } = await repairJson('sync-fails', [], failingSyncUrl);
    expect(doc).toMatchObject({ outcome: 'failed', code: 'REPAIR_FAILED', before: { verdict: 'repairable' }, plan: { decision: 'repair' } });
    expect(doc.reason).toMatch(/sync failed/);
    expect(doc.rounds).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('dry_run: the plan, nothing changed', async () => {
    const syncs = sim.stats().byRoute['POST admin/sync'] ?? 0;
    const { code, doc } = await repairJson('preview', ['--dry-run']);
    expect(doc).toMatchObject({ outcome: 'dry_run', code: 'REPAIR_DRY_RUN', dryRun: true, plan: { decision: 'repair', code: 'PLAN_SYNC' }, after: null });
    expect(code).toBe(1);
    expect(sim.stats().byRoute['POST admin/sync'] ?? 0).toBe(syncs);
  });
});
