// The simulator answers the proxy's read routes with the real shapes, codes and error bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, demoScenario, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call } from './helpers.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const FVE0 = { acct: 'myaccount', ref: 'FVE0' };
let sim: Simulator;
let ns: string;

beforeAll(async () => {
  sim = await startSimulator({ scenario: demoScenario() });
  ns = `/v3.0/${sim.namespace}`;
});
afterAll(() => sim.close());

describe('reference/show', () => {
  it('lists the meta2 peers of a container with its CID and names', async () => {
    const res = await call(sim.url, 'GET', `${ns}/reference/show`, { query: { ...FVE0, type: 'meta2' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.json<{ srv: Array<{ seq: number; type: string; host: string; args: string }>; dir: unknown[]; cid: string; account: string; name: string }>();
    expect(body.srv.map((s) => s.host).sort()).toEqual([P1, P2, P3]);
    expect(body.srv[0]).toMatchObject({ seq: 1, type: 'meta2', args: '' });
    expect(body.dir).toHaveLength(2);
    expect(body.cid).toBe(cidFromName('myaccount', 'FVE0'));
    expect([body.account, body.name]).toEqual(['myaccount', 'FVE0']);
  });

  it('answers null names when asked by cid with a type', async () => {
    const body = (await call(sim.url, 'GET', `${ns}/reference/show`, { query: { cid: cidFromName('myaccount', 'FVE0'), type: 'meta2' } })).json<{ account: null; name: null }>();
    expect(body.account).toBeNull();
    expect(body.name).toBeNull();
  });

  it('answers 404 with oio status 406 for an unknown container', async () => {
    const res = await call(sim.url, 'GET', `${ns}/reference/show`, { query: { acct: 'myaccount', ref: 'nope', type: 'meta2' } });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ status: 406, message: 'no such user' });
  });
});

describe('admin/get_properties', () => {
  const propsOf = async (peer: string, ref = FVE0) =>
    call(sim.url, 'POST', `${ns}/admin/get_properties`, { query: { ...ref, type: 'meta2', service_id: peer, local: '1' } });

  it('returns the full admin table of a healthy replica, user keys without prefix', async () => {
    const res = await propsOf(P2);
    expect(res.status).toBe(200);
    const { system, properties } = res.json<{ system: Record<string, string>; properties: Record<string, string> }>();
    expect(properties).toEqual({});
    expect(system['sys.m2.ctime']).toMatch(/^\d{16}$/);
    expect(system['sys.name']).toBe(`${cidFromName('myaccount', 'FVE0')}.1`);
    expect(system['sys.peers']).toBe([P1, P2, P3].join(','));
    expect(system).toMatchObject({ 'sys.account': 'myaccount', 'sys.user.name': 'FVE0', 'sys.type': 'meta2', 'sys.m2.init': '1', 'sys.ns': 'OPENIO', 'stats.page_size': '4096' });
  });

  it("shows the seed's case: one slave lacks sys.m2.ctime, yet has answers 200", async () => {
    const { system } = (await propsOf(P1)).json<{ system: Record<string, string> }>();
    expect(system['sys.m2.ctime']).toBeUndefined();
    expect(system['sys.account']).toBe('myaccount');
    const has = (await call(sim.url, 'POST', `${ns}/admin/has`, { query: { ...FVE0, type: 'meta2', service_id: P1 } })).json<Envelope>();
    expect(has[P1]?.status.status).toBe(200);
    expect(has[P1]?.body).toMatch(/^\/var\/lib\/oio\/sds\/OPENIO\/meta2-1\/697\/697E[0-9A-F]+\.1\.meta2:\d+$/);
  });

  it('hides a missing base behind 200 with empty maps, while has says 431', async () => {
    const photos = { acct: 'myaccount', ref: 'photos' };
    const res = await propsOf('127.0.0.1:6134', photos);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ properties: {}, system: {} });
    const has = (await call(sim.url, 'POST', `${ns}/admin/has`, { query: { ...photos, type: 'meta2' } })).json<Envelope>();
    expect(has['127.0.0.1:6134']?.status).toEqual({ status: 431, message: 'Container not found : (2) No such file or directory' });
    expect(has['127.0.0.1:6132']?.status.status).toBe(200);
  });

  it('answers 511 in has for a corrupt base, and empty maps in get_properties', async () => {
    const invoices = { acct: 'acme', ref: 'invoices' };
    const has = (await call(sim.url, 'POST', `${ns}/admin/has`, { query: { ...invoices, type: 'meta2', service_id: '127.0.0.1:6135' } })).json<Envelope>();
    expect(has['127.0.0.1:6135']?.status.status).toBe(511);
    expect((await propsOf('127.0.0.1:6135', invoices)).json()).toEqual({ properties: {}, system: {} });
  });

  it('refuses two service ids and a missing type with the proxy texts', async () => {
    const two = await call(sim.url, 'POST', `${ns}/admin/get_properties`, { query: { ...FVE0, type: 'meta2', service_id: `${P1},${P2}` } });
    expect(two.status).toBe(400);
    expect(two.json()).toEqual({ status: 400, message: 'Directory error: Only one service can be requested' });
    const noType = await call(sim.url, 'POST', `${ns}/admin/get_properties`, { query: { ...FVE0 } });
    expect(noType.json()).toEqual({ status: 400, message: 'No service type' });
  });
});

describe('per-peer envelope', () => {
  it('keeps the service_id order and gives master 200 and slaves 303 in status', async () => {
    const res = await call(sim.url, 'POST', `${ns}/admin/status`, { query: { ...FVE0, type: 'meta2', service_id: `${P3},${P1},${P2}` } });
    expect(res.status).toBe(200);
    const env = res.json<Envelope>();
    expect(Object.keys(env)).toEqual([P3, P1, P2]);
    expect(env[P2]).toEqual({ status: { status: 200, message: 'OK' }, body: '' });
    expect(env[P1]).toEqual({ status: { status: 303, message: P2 }, body: '' });
  });

  it('describes the election in debug with the zk path escaped', async () => {
    const res = await call(sim.url, 'POST', `${ns}/admin/debug`, { query: { ...FVE0, type: 'meta2', service_id: P1 } });
    expect(res.text).toContain('\\/hc\\/ns\\/OPENIO\\/el\\/meta2\\/');
    const body = res.json<Envelope>()[P1]?.body as { local: { state: string; url: string }; master: { url: string }; '#': { pipefrom: number }; peers: string[] };
    expect(body.local).toMatchObject({ state: 'SLAVE', url: P1 });
    expect(body.master.url).toBe(P2);
    expect(body['#'].pipefrom).toBe(0);
    expect(body.peers.sort()).toEqual([P2, P3]);
  });

  it('gives 431 on every peer for a lowercase CID', async () => {
    const cid = cidFromName('myaccount', 'FVE0').toLowerCase();
    const env = (await call(sim.url, 'POST', `${ns}/admin/has`, { query: { cid, type: 'meta2' } })).json<Envelope>();
    expect(Object.values(env).map((e) => e.status.status)).toEqual([431, 431, 431]);
  });
});

describe('errors and routing', () => {
  it('answers 404 No handler found for an unknown route or a wrong method', async () => {
    for (const [method, path] of [['GET', `${ns}/admin/nothing`], ['GET', `${ns}/admin/has`], ['POST', `${ns}//admin/has`], ['GET', '/elsewhere']] as const) {
      const res = await call(sim.url, method, path);
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ status: 404, message: 'No handler found' });
    }
  });

  it('answers 400 for another namespace and accepts a trailing slash', async () => {
    const wrong = await call(sim.url, 'GET', '/v3.0/OTHER/reference/show', { query: FVE0 });
    expect(wrong.status).toBe(400);
    expect(wrong.json()).toEqual({ status: 400, message: "Invalid parameter 'namespace'" });
    expect((await call(sim.url, 'GET', `${ns}/reference/show/`, { query: FVE0 })).status).toBe(200);
  });

  it('answers 404 no such user on admin routes for an unknown container', async () => {
    const res = await call(sim.url, 'POST', `${ns}/admin/has`, { query: { acct: 'myaccount', ref: 'ghost', type: 'meta2' } });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ status: 406, message: 'Directory error: no such user' });
  });

  it('lists the meta2 services and itself as the account service', async () => {
    const meta2 = (await call(sim.url, 'GET', `${ns}/conscience/list`, { query: { type: 'meta2' } })).json<Array<{ addr: string; tags: Record<string, unknown> }>>();
    expect(meta2.map((s) => s.addr)).toEqual(['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134', '127.0.0.1:6135']);
    expect(meta2[0]?.tags['tag.up']).toBe(true);
    const account = (await call(sim.url, 'GET', `${ns}/conscience/list`, { query: { type: 'account' } })).json<Array<{ addr: string }>>();
    expect(`http://${account[0]?.addr}`).toBe(sim.url);
    const missing = await call(sim.url, 'GET', `${ns}/conscience/list`);
    expect(missing.json()).toEqual({ status: 400, message: 'Missing type' });
  });

  it('sends no Connection: close by default and no content type without a body', async () => {
    const res = await call(sim.url, 'POST', `${ns}/admin/set_properties`, { query: { acct: 'acme', ref: 'web', type: 'meta2' }, body: '{"properties":{"a":"1"}}' });
    expect(res.status).toBe(204);
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['connection']).not.toBe('close');
  });
});

describe('reads that reach the election', () => {
  it('shows the admin table as x-oio-container-meta-* headers in container/show', async () => {
    const res = await call(sim.url, 'GET', `${ns}/container/show`, { query: { acct: 'acme', ref: 'db' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-oio-container-meta-sys-m2-ctime']).toMatch(/^\d{16}$/);
    expect(res.headers['x-oio-container-meta-sys-user-name']).toBe('db');
    expect(res.json()).toEqual({ properties: {} });
  });

  it('creates empty bases everywhere on a read without local=1 when no peer has one', async () => {
    const lone = await startSimulator({
      scenario: {
        services: [P1, P2, P3],
        containers: [{ account: 'a', name: 'gone', peers: [P1, P2, P3] }],
        faults: [P1, P2, P3].map((peer) => ({ kind: 'missing-base' as const, account: 'a', container: 'gone', peer })),
      },
    });
    try {
      const q = { acct: 'a', ref: 'gone', type: 'meta2', service_id: P1 };
      expect((await call(lone.url, 'POST', `${ns}/admin/get_properties`, { query: { ...q, local: '1' } })).json()).toEqual({ properties: {}, system: {} });
      const created = (await call(lone.url, 'POST', `${ns}/admin/get_properties`, { query: q })).json<{ system: Record<string, string> }>();
      expect(Object.keys(created.system)).toHaveLength(14);
      expect(lone.truth(cidFromName('a', 'gone'))?.replicas.map((r) => r.base)).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await lone.close();
    }
  });
});
