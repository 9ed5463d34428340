// From raw per-peer answers to the plan: random combinations of admin-table reads (good, lacking
// keys, malformed, empty, failed in every typed way), `has` codes, `status` codes and `debug`
// bodies, fed through the real probeContainer (classify included) and planRepair. Unlike
// test/repair/plan.property.test.ts, which draws ReplicaStates, this checks the plan against the
// RAW answers: a sync or a write only ever relies on a master whose own answers were all good.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OioHttpError, OioBadAnswerError, OioTimeoutError, OioUnavailableError, OioUnreachableError } from '../../src/oio/errors.js';
import type { AdminTable, ElectionDebug, PeerAnswer, PeerId, ProxyApi } from '../../src/oio/types.js';
import { checkKeys } from '../../src/probe/classify.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { planRepair } from '../../src/repair/plan.js';
import { CID, REF, healthyTable, withValues, without } from '../helpers/tables.js';

type Read = { readonly table: AdminTable } | { readonly error: Error };

interface PeerScript {
  readonly read: Read;
  readonly has: number;
  /** `admin/status` code and message (303 names a master). */
  readonly status: { readonly code: number; readonly names: number };
  readonly debug: { readonly state: string | null; readonly names: number };
}

interface Script {
  readonly peers: readonly PeerId[];
  readonly per: readonly PeerScript[];
  readonly hasFails: boolean;
  readonly statusFails: boolean;
  readonly debugFails: boolean;
}

const ctx = { route: 'admin/get_properties' };
const readArb: fc.Arbitrary<Read> = fc.oneof(
  { arbitrary: fc.constant<Read>({ table: healthyTable() }), weight: 6 },
  { arbitrary: fc.subarray([...DEFAULT_REQUIRED_KEYS], { minLength: 1, maxLength: 2 }).map((keys): Read => ({ table: without(healthyTable(), ...keys) })), weight: 2 },
  { arbitrary: fc.constantFrom<Read>(
    { table: withValues(healthyTable(), { 'sys.m2.ctime': '0' }) },
    { table: withValues(healthyTable(), { 'sys.name': 'OTHER.1' }) },
    { table: withValues(healthyTable(), { 'version:main.admin': '3:0' }) },
    { table: { properties: {}, system: {} } },
  ), weight: 2 },
  { arbitrary: fc.constantFrom<Read>(
    { error: new OioUnreachableError('refused', ctx) },
    { error: new OioTimeoutError('deadline', ctx) },
    { error: new OioUnavailableError('No service replied', ctx) },
    { error: new OioBadAnswerError('bad JSON', ctx) },
    { error: new OioHttpError('HTTP 500', { ...ctx, httpStatus: 500 }) },
    { error: new Error('not an OioError') },
  ), weight: 2 },
);

const scriptArb: fc.Arbitrary<Script> = fc.integer({ min: 1, max: 5 }).chain((n) => {
  const peers = Array.from({ length: n }, (_, i) => `127.0.0.1:${6131 + i}`);
  // `names` indexes a peer; n means "an address that is not a peer", n+1 means "nobody".
  const who = fc.integer({ min: 0, max: n + 1 });
  const peer = fc.record({
    read: readArb,
    has: fc.oneof({ arbitrary: fc.constant(200), weight: 6 }, { arbitrary: fc.constantFrom(431, 511, 2, 7, 500, 503), weight: 2 }),
    status: fc.record({ code: fc.oneof({ arbitrary: fc.constantFrom(200, 303), weight: 6 }, { arbitrary: fc.constantFrom(500, 2, 7, 431), weight: 1 }), names: who }),
    debug: fc.record({ state: fc.constantFrom('MASTER', 'SLAVE', 'NONE', 'FAILED', null), names: who }),
  });
  return fc.record({
    peers: fc.constant(peers),
    per: fc.array(peer, { minLength: n, maxLength: n }),
    hasFails: fc.nat(4).map((k) => k === 0),
    statusFails: fc.nat(9).map((k) => k === 0),
    debugFails: fc.nat(9).map((k) => k === 0),
  });
});

function nameOf(s: Script, i: number): string {
  return i < s.peers.length ? (s.peers[i] as string) : i === s.peers.length ? '10.0.0.9:6000' : '';
}

/** A ProxyApi answering from the script; mutating calls must never be reached by a probe. */
function scriptedProxy(s: Script): ProxyApi {
  const at = (peer: PeerId): PeerScript => s.per[s.peers.indexOf(peer)] as PeerScript;
  const answers = <B>(peers: readonly PeerId[] | undefined, one: (p: PeerId) => PeerAnswer<B>): PeerAnswer<B>[] => (peers ?? s.peers).map(one);
  const fail = (route: string) => Promise.reject(new OioUnavailableError(`${route}: HTTP 503`, { route, httpStatus: 503 }));
  const never = () => Promise.reject(new Error('a probe must not mutate'));
  return {
    locate: async () => [...s.peers],
    getProperties: async (_ref, peer) => {
      const read = at(peer).read;
      if ('error' in read) throw read.error;
      return read.table;
    },
    has: (_ref, peers) => (s.hasFails ? fail('admin/has') : Promise.resolve(answers(peers, (p) => ({ peer: p, status: at(p).has, message: String(at(p).has), body: '' })))),
    status: (_ref, peers) => (s.statusFails ? fail('admin/status') : Promise.resolve(answers(peers, (p) => {
      const { code, names } = at(p).status;
      return { peer: p, status: code, message: code === 303 ? nameOf(s, names) : 'x', body: '' };
    }))),
    debug: (_ref, peers) => (s.debugFails ? fail('admin/debug') : Promise.resolve(answers<ElectionDebug | null>(peers, (p) => {
      const { state, names } = at(p).debug;
      return { peer: p, status: 200, message: 'OK', body: state === null ? null : { state, masterUrl: state === 'MASTER' ? p : nameOf(s, names) || null, pipefrom: 0, log: [] } };
    }))),
    sync: never,
    leave: never,
    setProperties: never,
    listServices: async () => [],
  };
}

/** The replica's own answers were all good: a readable table, every key right, `has` 200 (if asked). */
function rawHealthy(s: Script, peer: PeerId): boolean {
  const p = s.per[s.peers.indexOf(peer)] as PeerScript;
  if ('error' in p.read || Object.keys(p.read.table.system).length === 0) return false;
  const keys = checkKeys(p.read.table.system, CID, DEFAULT_REQUIRED_KEYS);
  return keys.missingKeys.length === 0 && keys.malformedKeys.length === 0 && (s.hasFails || p.has === 200);
}

/** Peers that claimed mastership in any answer (status 200, or debug MASTER). */
function claimants(s: Script): Set<PeerId> {
  const out = new Set<PeerId>();
  s.peers.forEach((p, i) => {
    const per = s.per[i] as PeerScript;
    if (!s.statusFails && per.status.code === 200) out.add(p);
    if (!s.debugFails && per.debug.state === 'MASTER') out.add(p);
  });
  return out;
}

/** Exactly one peer answered status 200 and every 303 named it: the probe did not need debug. */
function statusSettled(s: Script): boolean {
  if (s.statusFails) return false;
  const masters = s.peers.filter((_, i) => (s.per[i] as PeerScript).status.code === 200);
  const slavesAgree = s.per.every((p) => p.status.code !== 303 || nameOf(s, p.status.names) === masters[0]);
  return masters.length === 1 && slavesAgree;
}

describe('raw per-peer answers → probe → plan', () => {
  it('a sync or write only relies on a single master whose own answers were all good, and never targets it', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, async (s) => {
        const report = await probeContainer(scriptedProxy(s), REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'fuzz' });
        const plan = planRepair(report);
        for (const step of plan.steps) {
          if (step.kind === 'sync') {
            const master = report.election?.master;
            expect(master, plan.reason).toBeTruthy();
            expect(rawHealthy(s, master as PeerId), `sync from ${master}: ${plan.reason}`).toBe(true);
            expect(claimants(s).has(master as PeerId), `${master} never claimed mastership`).toBe(true);
            expect(step.peers).not.toContain(master);
            // When status alone settled the election, the master is the one peer that answered 200.
            if (statusSettled(s)) expect(master).toBe(s.peers[s.per.findIndex((p) => p.status.code === 200)]);
          }
          if (step.kind === 'leave') {
            expect(report.election?.master).toBe(step.peer);
            expect(rawHealthy(s, step.peer)).toBe(false);
          }
          if (step.kind === 'set-properties') {
            const master = report.election?.master as PeerId;
            const read = (s.per[s.peers.indexOf(master)] as PeerScript).read;
            expect('table' in read && Object.keys(read.table.system).length > 0).toBe(true);
          }
        }
        if (plan.decision === 'repair') {
          // Enough replicas were seen healthy from their own answers to make a strict majority.
          const healthy = s.peers.filter((p) => rawHealthy(s, p)).length;
          expect(healthy).toBeGreaterThanOrEqual(Math.floor(s.peers.length / 2) + 1);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('status and debug disagreeing (found by the property above)', () => {
  it('keeps the multi-master problem when debug drops a peer that answered master to status', async () => {
    // Status: P1 and P2 both answer 200 (two masters), P3 names P2, P4 and P5 name P1. A moment
    // later debug shows P1 MASTER, P2 FAILED, the others SLAVE of P1: unambiguous on its own, but
    // it does not account for P2, which may still be master when a sync arrives (P3 would then
    // copy P2's malformed base). So the probe keeps status's problem and nothing is planned.
    const peers = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134', '127.0.0.1:6135'];
    const [p1, p2, p3] = peers as [string, string, string];
    const ok = { table: healthyTable() };
    const bad = { table: withValues(healthyTable(), { 'sys.m2.ctime': '0' }) };
    const s: Script = {
      peers,
      per: [
        { read: ok, has: 200, status: { code: 200, names: 0 }, debug: { state: 'MASTER', names: 0 } },
        { read: bad, has: 200, status: { code: 200, names: 1 }, debug: { state: 'FAILED', names: 6 } },
        { read: bad, has: 200, status: { code: 303, names: 1 }, debug: { state: 'SLAVE', names: 0 } },
        { read: ok, has: 200, status: { code: 303, names: 0 }, debug: { state: 'SLAVE', names: 0 } },
        { read: ok, has: 200, status: { code: 303, names: 0 }, debug: { state: 'SLAVE', names: 0 } },
      ],
      hasFails: false,
      statusFails: false,
      debugFails: false,
    };
    const report = await probeContainer(scriptedProxy(s), REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'gap' });
    expect(report.election).toMatchObject({ master: null, problem: 'multi-master' });
    expect(report.verdict).toBe('unknown');
    expect(planRepair(report).steps).toEqual([]);
  });

  it('adopts debug when it accounts for every status claimant (the second one now SLAVE of the first)', async () => {
    const peers = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
    const [p1, , p3] = peers as [string, string, string];
    const ok = { table: healthyTable() };
    const bad = { table: withValues(healthyTable(), { 'sys.m2.ctime': '0' }) };
    const s: Script = {
      peers,
      per: [
        { read: ok, has: 200, status: { code: 200, names: 0 }, debug: { state: 'MASTER', names: 0 } },
        { read: ok, has: 200, status: { code: 200, names: 1 }, debug: { state: 'SLAVE', names: 0 } },
        { read: bad, has: 200, status: { code: 303, names: 0 }, debug: { state: 'SLAVE', names: 0 } },
      ],
      hasFails: false,
      statusFails: false,
      debugFails: false,
    };
    const report = await probeContainer(scriptedProxy(s), REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'accounted' });
    expect(report.election).toMatchObject({ master: p1 });
    expect(planRepair(report).steps).toEqual([{ kind: 'sync', peers: [p3] }]);
  });
});
