// The simulator impersonating a 4.2.x proxy (oioVersion '4.2', fact 37): service_id is ignored on
// every admin route except leave, and reference/show has no cid and refuses cid=. The daemon's
// guards (src/probe/proxy-guard.ts) are tested against exactly these answers.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call, waitFor } from './helpers.js';

const [P1, P2, P3, P4] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134'];
const REF = { acct: 'acct', ref: 'ct' };
const CID = cidFromName('acct', 'ct');
let sim: Simulator;
afterEach(() => sim?.close());

async function start(oioVersion: '4.2' | 'master'): Promise<Simulator> {
  sim = await startSimulator({
    oioVersion,
    syncDelayMs: 5,
    scenario: {
      services: [P1, P2, P3, P4],
      containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }],
      // The damaged replica is the MASTER: a sync that reaches every slave spreads the loss.
      faults: [{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master', keys: ['sys.m2.ctime'] }],
    },
  });
  return sim;
}

const admin = (action: string, query: Record<string, string> = {}) =>
  call(sim.url, 'POST', `/v3.0/OPENIO/admin/${action}`, { query: { ...REF, type: 'meta2', ...query } });

describe("oioVersion '4.2': a proxy that ignores service_id", () => {
  it('answers has, status and debug for every peer whatever service_id names', async () => {
    await start('4.2');
    for (const action of ['has', 'status', 'debug']) {
      const env = (await admin(action, { service_id: P1 })).json<Envelope>();
      expect(Object.keys(env).sort(), action).toEqual([P1, P2, P3]);
    }
  });

  it('answers get_properties with a table even for a service that is not a peer', async () => {
    await start('4.2');
    const res = await admin('get_properties', { service_id: P4, local: '1' });
    expect(res.status).toBe(200);
    expect(res.json<{ system: Record<string, string> }>().system['sys.name']).toBe(`${CID}.1`);
  });

  it('resyncs EVERY slave on sync?service_id=ONE, copying a damaged master onto all of them', async () => {
    await start('4.2');
    const env = (await admin('sync', { service_id: P1 })).json<Envelope>();
    expect(Object.keys(env).sort()).toEqual([P1, P2, P3]);
    expect(sim.stats().syncCalls).toEqual({ [P1]: 1, [P2]: 1, [P3]: 1 });
    await waitFor(() => sim.truth(CID)?.replicas.every((r) => !r.syncPending) ?? false);
    expect(sim.truth(CID)?.replicas.map((r) => r.admin['sys.m2.ctime'])).toEqual([undefined, undefined, undefined]);
  });

  it('still honours service_id on leave', async () => {
    await start('4.2');
    const env = (await admin('leave', { service_id: P2 })).json<Envelope>();
    expect(Object.keys(env)).toEqual([P2]);
    expect(sim.stats().leaveCalls).toEqual({ [P2]: 1 });
  });

  it('answers reference/show with dir and srv only, and refuses cid=', async () => {
    await start('4.2');
    const show = await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: REF });
    expect(show.status).toBe(200);
    expect(Object.keys(show.json<Record<string, unknown>>()).sort()).toEqual(['dir', 'srv']);
    const byCid = await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: { cid: CID } });
    expect(byCid.status).toBe(400);
  });
});

describe("oioVersion 'master' (the default) on the same requests", () => {
  it('answers for the named peer only, empty maps for a non-peer, and reference/show with cid', async () => {
    await start('master');
    expect(Object.keys((await admin('has', { service_id: P1 })).json<Envelope>())).toEqual([P1]);
    expect((await admin('get_properties', { service_id: P4, local: '1' })).json()).toEqual({ properties: {}, system: {} });
    expect((await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: { cid: CID } })).json<{ cid: string }>().cid).toBe(CID);
  });
});
