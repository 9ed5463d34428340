// Real behaviours of oio-sds master the simulator reproduces over HTTP (oio-real-behaviour.md):
// a killed service (code 2, then 8 once marked down, fact 26), no account service (fact 27), bases
// cached open (fact 24), an overwritten header and a truncated base met on the next open (25, 29).
import { describe, expect, it } from 'vitest';
import type { FaultSpec, Simulator, SimulatorOptions } from '../../src/sim/index.js';
import { type Envelope, CID, P1, P2, P3, REF, call, oneContainerSimulator, waitFor } from './helpers.js';

const fixture = oneContainerSimulator();
const start = (faults: FaultSpec[] = [], opts: Partial<SimulatorOptions> = {}): Promise<Simulator> =>
  fixture.start(faults, { syncDelayMs: 5, ...opts });

const admin = (s: Simulator, action: string, query: Record<string, string> = {}) =>
  call(s.url, 'POST', `/v3.0/OPENIO/admin/${action}`, { query: { ...REF, type: 'meta2', ...query }, headers: { 'x-oio-req-id': 'req-42' } });
const conscience = async (s: Simulator, type: string) => call(s.url, 'GET', '/v3.0/OPENIO/conscience/list', { query: { type } });

describe('a killed meta2 service (fact 26)', () => {
  it('answers code 2 "Connection refused" at once, and code 8 "Request avoided" once the conscience marks it down', async () => {
    const s = await start([], { markDownAfterMs: 2000 });
    const killedAt = Date.now();
    s.inject({ kind: 'down', service: P3 });
    const early = (await admin(s, 'has')).json<Envelope>();
    expect(early[P3]?.status).toEqual({ status: 2, message: `${P3}: [errno=111] Connection refused` });
    const upEarly = (await conscience(s, 'meta2')).json<Array<{ addr: string; tags: Record<string, unknown> }>>();
    expect(upEarly.find((x) => x.addr === P3)?.tags['tag.up']).toBe(true);
    let late: Envelope = {};
    for (;;) {
      late = (await admin(s, 'has')).json<Envelope>();
      if (late[P3]?.status.status !== 2 || Date.now() - killedAt > 10_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2000);
    expect(late[P3]?.status).toEqual({ status: 8, message: 'Request avoided, service marked down (reqid=req-42)' });
    expect(late[P1]?.status.status).toBe(200);
    const upLate = (await conscience(s, 'meta2')).json<Array<{ addr: string; tags: Record<string, unknown> }>>();
    expect(upLate.find((x) => x.addr === P3)?.tags['tag.up']).toBe(false);
    // get_properties of that peer: 503 "No service replied", whatever the phase.
    const props = await admin(s, 'get_properties', { service_id: P3, local: '1' });
    expect(props.status).toBe(503);
    expect(props.json<{ message: string }>().message).toMatch(/^No service replied \(last error: \(8\) Request avoided/);
    // bypass_service_down=true (leave) still connects: code 2, not 8.
    const leave = (await admin(s, 'leave', { service_id: P3, bypass_service_down: 'true' })).json<Envelope>();
    expect(leave[P3]?.status.status).toBe(2);
  });

  it('is marked down after 15 s by default', async () => {
    const s = await start();
    s.inject({ kind: 'down', service: P3 });
    expect((await admin(s, 'status')).json<Envelope>()[P3]?.status.status).toBe(2);
  });
});

describe('no account service registered (fact 27)', () => {
  it('answers conscience/list?type=account 404 with status 453 on every call', async () => {
    const s = await start([], { accountService: false });
    for (let k = 0; k < 2; k++) {
      const res = await conscience(s, 'account');
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ status: 453, message: 'Service type [account] not managed' });
    }
    expect((await conscience(s, 'meta2')).status).toBe(200);
  });

  it('lists the simulator as the account service by default', async () => {
    const s = await start();
    expect((await conscience(s, 'account')).json<Array<{ addr: string }>>()[0]?.addr).toBe(new URL(s.url).host);
  });
});

const propsOf = async (s: Simulator, peer: string) =>
  (await admin(s, 'get_properties', { service_id: peer, local: '1' })).json<{ system: Record<string, string> }>().system;
const dropCache = (s: Simulator, service?: string) =>
  call(s.url, 'POST', '/__sim/drop_cache', service ? { query: { service } } : {});

describe('bases cached open: damage on disk behind the service (fact 24)', () => {
  it('stays invisible until the cache is dropped (control route), then shows', async () => {
    const s = await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', peer: P1, keys: ['sys.m2.ctime'], onDisk: true }]);
    expect((await propsOf(s, P1))['sys.m2.ctime']).toMatch(/^\d{16}$/);
    expect(s.truth(CID)?.replicas.find((r) => r.peer === P1)?.admin['sys.m2.ctime']).toMatch(/^\d{16}$/);
    // admin/drop_cache is not enough (oio-api.md): the base stays open.
    await admin(s, 'drop_cache');
    expect((await propsOf(s, P1))['sys.m2.ctime']).toMatch(/^\d{16}$/);
    const dropped = await dropCache(s, P1);
    expect(dropped.json()).toEqual({ closed: 1 });
    expect((await propsOf(s, P1))['sys.m2.ctime']).toBeUndefined();
  });

  it('shows after the decache period, without a drop', async () => {
    const s = await start([], { decachePeriodMs: 1500 });
    const changedAt = Date.now();
    s.inject({ kind: 'drop-keys', account: 'acct', container: 'ct', peer: P1, onDisk: true });
    const first = await propsOf(s, P1);
    if (Date.now() - changedAt < 1500) expect(first['sys.m2.ctime']).toMatch(/^\d{16}$/);
    await new Promise((r) => setTimeout(r, 1600 - Math.min(1600, Date.now() - changedAt)));
    expect((await propsOf(s, P1))['sys.m2.ctime']).toBeUndefined();
  });

  it('a removed file: has answers 431 at once (it looks at the file), the read only after the drop', async () => {
    const s = await start([{ kind: 'missing-base', account: 'acct', container: 'ct', peer: P1, onDisk: true }]);
    expect((await admin(s, 'has', { service_id: P1 })).json<Envelope>()[P1]?.status.status).toBe(431);
    expect(Object.keys(await propsOf(s, P1)).length).toBeGreaterThan(10);
    await dropCache(s);
    expect(await propsOf(s, P1)).toEqual({});
  });
});

describe('a base truncated to 0 bytes (facts 25, 29)', () => {
  it('is re-created nearly empty on its first open: 9 admin rows, no sys.peers, no sys.m2.*', async () => {
    const s = await start([{ kind: 'truncate-base', account: 'acct', container: 'ct', peer: P1, onDisk: true }]);
    await dropCache(s);
    const system = await propsOf(s, P1);
    const stored = Object.keys(system).filter((k) => !k.startsWith('stats.')).sort();
    expect(stored).toEqual(['schema_version', 'sys.name', 'sys.type', 'version:main.admin', 'version:main.aliases',
      'version:main.chunks', 'version:main.contents', 'version:main.properties', 'version:main.shard_ranges']);
    expect((await admin(s, 'has', { service_id: P1 })).json<Envelope>()[P1]?.status.status).toBe(200);
  });
});

describe('a base whose header was overwritten (facts 16, 25, 29)', () => {
  it('on a slave: renamed on the next open (511 then), has 431, restored from the master by the next election access', async () => {
    const s = await start([{ kind: 'corrupt-base', account: 'acct', container: 'ct', peer: P1, onDisk: true }], { restoreDelayMs: 300 });
    expect((await admin(s, 'has', { service_id: P1 })).json<Envelope>()[P1]?.status.status).toBe(200);
    await dropCache(s);
    const status = (await admin(s, 'status', { service_id: P1 })).json<Envelope>();
    expect(status[P1]?.status).toEqual({ status: 511, message: 'invalid database file: (26) SQLITE_NOTADB' });
    expect((await admin(s, 'has', { service_id: P1 })).json<Envelope>()[P1]?.status.status).toBe(431);
    // The next access that runs its election starts the restore; has stays 431 in the window.
    await admin(s, 'status', { service_id: P1 });
    expect((await admin(s, 'has', { service_id: P1 })).json<Envelope>()[P1]?.status.status).toBe(431);
    await waitFor(() => s.truth(CID)?.replicas.find((r) => r.peer === P1)?.base === 'ok', 5000);
    expect((await propsOf(s, P1))['sys.m2.ctime']).toBe((await propsOf(s, P2))['sys.m2.ctime']);
  });

  it('on the master: hands mastership over on its own, and the old master is restored from the new one', async () => {
    const s = await start([{ kind: 'corrupt-base', account: 'acct', container: 'ct', role: 'master', onDisk: true }], { restoreDelayMs: 300 });
    expect(s.truth(CID)?.master).toBe(P2);
    await dropCache(s);
    expect(await propsOf(s, P2)).toEqual({});
    const master = s.truth(CID)?.master;
    expect(master).not.toBe(P2);
    expect(master).toBeDefined();
    expect(s.truth(CID)?.replicas.find((r) => r.peer === P2)).toMatchObject({ role: 'slave', base: 'missing' });
    await waitFor(() => s.truth(CID)?.replicas.find((r) => r.peer === P2)?.base === 'ok', 5000);
    expect(s.stats().syncCalls).toEqual({});
  });
});
