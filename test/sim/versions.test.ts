// The simulator's line profiles (`oioVersion` master, 7, 5, 4.4, 4.2): each serves its line's
// answers, parameters and admin keys (oio-real-behaviour 30, 34–39, oio-api-sources §10). One
// table per difference, every profile in it, so a profile that drifts fails by name.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type OioVersion, type Simulator, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call } from './helpers.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const REF = { acct: 'acct', ref: 'ct' };
const CID = cidFromName('acct', 'ct');
const ALL: readonly OioVersion[] = ['master', '7', '5', '4.4', '4.2'];
let sim: Simulator;
afterEach(() => sim?.close());

async function start(oioVersion: OioVersion, extra: Record<string, unknown> = {}): Promise<Simulator> {
  sim = await startSimulator({
    oioVersion,
    syncDelayMs: 5,
    markDownAfterMs: 0,
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P1 }], ...extra },
  });
  return sim;
}

const admin = (action: string, query: Record<string, string> = {}, body?: string) =>
  call(sim.url, 'POST', `/v3.0/OPENIO/admin/${action}`, { query: { ...REF, type: 'meta2', ...query }, ...(body === undefined ? {} : { body }) });
const table = async (peer: string) => (await admin('get_properties', { service_id: peer, local: '1' })).json<{ system: Record<string, string> }>().system;

describe('line profiles of the simulator', () => {
  it.each(ALL)('%s: the admin keys of a fresh base and the stats.* of get_properties (fact 38)', async (v) => {
    await start(v);
    const keys = Object.keys(await table(P1));
    const has = (k: string) => keys.includes(k);
    expect(has('sys.m2.shards'), 'sys.m2.shards').toBe(v === 'master');
    expect(has('version:main.shard_ranges'), 'version:main.shard_ranges').toBe(v === 'master');
    expect(has('sys.m2.chunks.missing') && has('sys.m2.objects.damaged'), '5.x-7.x keys').toBe(v === '7' || v === '5');
    expect(has('stats.page_count'), 'stats.*').toBe(['master', '7', '5'].includes(v));
    expect(has('stats.journal_mode'), 'stats.journal_mode').toBe(v === 'master');
    for (const k of ['sys.account', 'sys.m2.ctime', 'sys.m2.init', 'sys.m2.objects', 'sys.m2.usage', 'sys.m2.version', 'sys.name', 'sys.ns', 'sys.peers', 'sys.type', 'sys.user.name', 'version:main.admin']) {
      expect(has(k), k).toBe(true);
    }
  });

  it.each(ALL)('%s: local=1 is read on master only; elsewhere a per-replica read runs the election and creates missing bases (facts 6, 30, 35)', async (v) => {
    await start(v, { faults: [P1, P2, P3].map((peer) => ({ kind: 'missing-base', account: 'acct', container: 'ct', peer })) });
    await admin('get_properties', { service_id: P2, local: '1' });
    const bases = sim.truth(CID)?.replicas.map((r) => r.base);
    expect(bases).toEqual(v === 'master' ? ['missing', 'missing', 'missing'] : ['ok', 'ok', 'ok']);
  });

  it.each(ALL.filter((v) => v !== '4.2'))('%s: an unreachable peer read with service_id is 503 on master, 200 empty maps before (fact 34)', async (v) => {
    await start(v, { faults: [{ kind: 'down', service: P2 }] });
    const res = await admin('get_properties', { service_id: P2, local: '1' });
    if (v === 'master') {
      expect(res.status).toBe(503);
      expect(res.json<{ message: string }>().message).toMatch(/^No service replied/);
    } else {
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ properties: {}, system: {} });
    }
    // has still tells: code 8 once the service is marked down, on every line (fact 34).
    expect((await admin('has', { service_id: P2 })).json<Envelope>()[P2]?.status.status).toBe(8);
  });

  it.each(ALL)('%s: set_properties answers 204 on master, 200 {} before (fact 36)', async (v) => {
    await start(v);
    const res = await admin('set_properties', {}, JSON.stringify({ system: { 'sys.m2.ctime': '1500000000000001' } }));
    if (v === 'master') {
      expect([res.status, res.text]).toEqual([204, '']);
    } else {
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({});
    }
  });

  it.each(ALL)('%s: has answers PATH:MTIME on master, PATH before (fact 36)', async (v) => {
    await start(v);
    const body = (await admin('has')).json<Envelope>()[P1]?.body as string;
    expect(body).toMatch(v === 'master' ? /\.meta2:\d+$/ : /\.meta2$/);
  });

  it.each(ALL)('%s: bypass_service_down is read on master only (oio-api-sources 5.3)', async (v) => {
    await start(v, { faults: [{ kind: 'down', service: P2 }] });
    const env = (await admin('leave', { service_id: P2, bypass_service_down: 'true' })).json<Envelope>();
    expect(env[P2]?.status.status).toBe(v === 'master' ? 2 : 8);
  });

  it.each(ALL)('%s: conscience/list carries scores on master only (oio-api-sources §9)', async (v) => {
    await start(v);
    const list = (await call(sim.url, 'GET', '/v3.0/OPENIO/conscience/list', { query: { type: 'meta2' } })).json<Record<string, unknown>[]>();
    expect(list.every((s) => 'scores' in s)).toBe(v === 'master');
  });

  it.each(ALL)('%s: the account service lists accounts as an object with paging on master, a plain text/json array before (fact 39)', async (v) => {
    await start(v, { containers: ['b', 'a', 'c'].map((account) => ({ account, name: 'ct', peers: [P1, P2, P3] })) });
    const list = await call(sim.url, 'GET', '/v1.0/account/list', { query: { limit: '2' } });
    const containers = await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'a' } });
    if (v === 'master') {
      expect(list.json()).toEqual({ listing: [{ id: 'a' }, { id: 'b' }], truncated: true, next_marker: 'b' });
      expect(containers.json<Record<string, unknown>>()['truncated']).toBe(false);
    } else {
      expect(list.headers['content-type']).toBe('text/json');
      expect([...list.json<string[]>()].sort()).toEqual(['a', 'b', 'c']);
      expect(Object.keys(containers.json<Record<string, unknown>>())).not.toContain('truncated');
    }
  });

  it.each(ALL)('%s: lb/choose?type=account names the account service', async (v) => {
    await start(v);
    const res = await call(sim.url, 'GET', '/v3.0/OPENIO/lb/choose', { query: { type: 'account', size: '1' } });
    expect(res.json<{ addr: string }[]>()[0]?.addr).toBe(sim.url.replace('http://', ''));
  });

  it.each(ALL)('%s: reference/show has cid from 4.3.0 on (fact 37)', async (v) => {
    await start(v);
    const show = (await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: REF })).json<Record<string, unknown>>();
    expect(show['cid']).toBe(v === '4.2' ? undefined : CID);
  });

  it.each(ALL)('%s: service_id is honoured on has from 4.4.0 on (fact 37)', async (v) => {
    await start(v);
    const peers = Object.keys((await admin('has', { service_id: P2 })).json<Envelope>()).sort();
    expect(peers).toEqual(v === '4.2' ? [P1, P2, P3] : [P2]);
  });
});
