// sync, leave and set_properties change the replicas the way a real namespace does,
// including the dangerous case: a sync from a damaged master spreads the damage.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type FaultSpec, type Simulator, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call, waitFor } from './helpers.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const REF = { acct: 'acct', ref: 'ct' };
const CID = cidFromName('acct', 'ct');
let sim: Simulator;

async function start(faults: FaultSpec[], syncDelayMs = 5): Promise<Simulator> {
  sim = await startSimulator({
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }], faults },
    syncDelayMs,
  });
  return sim;
}
afterEach(() => sim?.close());

const admin = (action: string, query: Record<string, string> = {}, body?: string) =>
  call(sim.url, 'POST', `/v3.0/OPENIO/admin/${action}`, { query: { ...REF, type: 'meta2', ...query }, ...(body !== undefined ? { body } : {}) });
const replica = (peer: string) => sim.truth(CID)?.replicas.find((r) => r.peer === peer);
const synced = () => sim.truth(CID)?.replicas.every((r) => !r.syncPending) ?? false;

describe('admin/sync', () => {
  it('repairs slaves from a healthy master: 200 / 301 / 200, copy lands later', async () => {
    // A copy that lands 500 ms later: still pending when the answer is read, even on a loaded machine.
    await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', peer: P1 }, { kind: 'missing-base', account: 'acct', container: 'ct', peer: P3 }], 500);
    const env = (await admin('sync', { service_id: `${P1},${P2},${P3}` })).json<Envelope>();
    expect([env[P1]?.status, env[P2]?.status, env[P3]?.status]).toEqual([
      { status: 200, message: 'OK' }, { status: 301, message: 'not SLAVE' }, { status: 200, message: 'OK' },
    ]);
    expect(replica(P1)?.syncPending).toBe(true);
    await waitFor(synced);
    const ctime = replica(P2)?.admin['sys.m2.ctime'];
    expect(ctime).toMatch(/^\d{16}$/);
    expect(replica(P1)?.admin['sys.m2.ctime']).toBe(ctime);
    expect(replica(P3)?.base).toBe('ok');
    expect(replica(P3)?.admin).toEqual(replica(P2)?.admin);
    expect(sim.stats().syncCalls).toEqual({ [P1]: 1, [P2]: 1, [P3]: 1 });
  });

  it('spreads the loss when the master lacks sys.m2.ctime (the danger)', async () => {
    await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master' }]);
    await admin('sync');
    await waitFor(synced);
    for (const peer of [P1, P2, P3]) expect(replica(peer)?.admin['sys.m2.ctime']).toBeUndefined();
  });

  it('leaves slaves with an empty re-initialised base when the master has none', async () => {
    await start([{ kind: 'missing-base', account: 'acct', container: 'ct', peer: P2 }]);
    await admin('sync');
    await waitFor(synced);
    const props = (await admin('get_properties', { service_id: P1, local: '1' })).json<{ system: Record<string, string> }>();
    expect(Object.keys(props.system)).toHaveLength(14);
    expect(Object.keys(props.system).some((k) => k.startsWith('sys.m2.'))).toBe(false);
    expect(replica(P2)?.base).toBe('missing');
  });
});

describe('admin/leave', () => {
  it('hands mastership to the next peer in election order, the old master re-joins last as slave', async () => {
    await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master' }]);
    expect(sim.truth(CID)?.electionOrder).toEqual([P2, P1, P3]);
    const env = (await admin('leave', { service_id: P2 })).json<Envelope>();
    expect(env[P2]?.status.status).toBe(200);
    expect(sim.truth(CID)?.master).toBe(P1);
    expect(sim.truth(CID)?.electionOrder).toEqual([P1, P3, P2]);
    const status = (await admin('status')).json<Envelope>();
    expect(status[P1]?.status).toEqual({ status: 200, message: 'OK' });
    expect(status[P2]?.status).toEqual({ status: 303, message: P1 });
    // The ex-master still lacks the key until a sync (real-behaviour 12).
    expect(replica(P2)?.admin['sys.m2.ctime']).toBeUndefined();
    await admin('sync', { service_id: P2 });
    await waitFor(synced);
    expect(replica(P2)?.admin['sys.m2.ctime']).toBe(replica(P1)?.admin['sys.m2.ctime']);
  });

  it('leaves a slave NONE until an access re-elects it', async () => {
    await start([]);
    await admin('leave', { service_id: P3 });
    const debug = (await admin('debug', { service_id: P3 })).json<Envelope>()[P3]?.body as { local: { id: null; state: string }; peers: null };
    expect(debug.local).toMatchObject({ id: null, state: 'NONE' });
    expect(debug.peers).toBeNull();
    expect(replica(P3)?.role).toBe('none');
    const status = (await admin('status', { service_id: P3 })).json<Envelope>();
    expect(status[P3]?.status).toEqual({ status: 303, message: P2 });
    expect(replica(P3)?.role).toBe('slave');
  });

  it('leaves everybody NONE without service_id; the first peer a sync visits becomes master', async () => {
    await start([]);
    await admin('leave');
    expect(sim.truth(CID)?.master).toBeNull();
    const env = (await admin('sync', { service_id: `${P3},${P1},${P2}` })).json<Envelope>();
    expect(env[P3]?.status).toEqual({ status: 301, message: 'not SLAVE' });
    expect(env[P1]?.status.status).toBe(200);
    expect(sim.truth(CID)?.master).toBe(P3);
    expect(sim.stats().leaveCalls).toEqual({ [P1]: 1, [P2]: 1, [P3]: 1 });
  });
});

describe('admin/set_properties', () => {
  it('writes only the diff through the master and bumps version:main.admin everywhere', async () => {
    await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', peer: P1 }]);
    const before = replica(P2)?.admin['version:main.admin'];
    const res = await admin('set_properties', {}, JSON.stringify({ system: { 'sys.m2.quota': '10' }, properties: { color: 'blue' } }));
    expect(res.status).toBe(204);
    for (const peer of [P1, P2, P3]) {
      expect(replica(peer)?.admin['sys.m2.quota']).toBe('10');
      expect(replica(peer)?.admin['user.color']).toBe('blue');
      expect(replica(peer)?.admin['version:main.admin']).not.toBe(before);
    }
    // The slave that lost sys.m2.ctime keeps missing it: only the diff was replicated.
    expect(replica(P1)?.admin['sys.m2.ctime']).toBeUndefined();
    const props = (await admin('get_properties', { service_id: P1, local: '1' })).json<{ properties: Record<string, string> }>();
    expect(props.properties).toEqual({ color: 'blue' });
  });

  it('repairs a missing key when the value is written through the master', async () => {
    await start([{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master' }]);
    const ctime = replica(P1)?.admin['sys.m2.ctime'] as string;
    await admin('set_properties', {}, JSON.stringify({ system: { 'sys.m2.ctime': ctime } }));
    expect(replica(P2)?.admin['sys.m2.ctime']).toBe(ctime);
    expect(replica(P3)?.admin['sys.m2.ctime']).toBe(ctime);
  });

  it('changes nothing when the value is the same, and nothing through a slave', async () => {
    await start([]);
    const before = sim.truth(CID);
    const same = replica(P2)?.admin['sys.m2.ctime'] as string;
    expect((await admin('set_properties', {}, JSON.stringify({ system: { 'sys.m2.ctime': same } }))).status).toBe(204);
    expect((await admin('set_properties', { service_id: P1 }, JSON.stringify({ system: { x: 'y' } }))).status).toBe(204);
    expect(sim.truth(CID)).toEqual(before);
  });

  it('refuses empty and invalid bodies with the proxy texts', async () => {
    await start([]);
    for (const [body, message] of [['', 'No properties found in JSON object'], ['{}', 'No properties found in JSON object'], ['{bad', 'Invalid JSON']]) {
      const res = await admin('set_properties', {}, body);
      expect(res.status).toBe(400);
      expect(res.json()).toEqual({ status: 400, message });
    }
  });
});

describe('election faults', () => {
  it('shows two masters in status under multi-master', async () => {
    await start([{ kind: 'multi-master', account: 'acct', container: 'ct' }]);
    const env = (await admin('status')).json<Envelope>();
    expect(Object.values(env).filter((e) => e.status.status === 200)).toHaveLength(2);
  });

  it('fails the election under no-master', async () => {
    await start([{ kind: 'no-master', account: 'acct', container: 'ct' }]);
    const env = (await admin('status')).json<Envelope>();
    expect(Object.values(env).map((e) => e.status.status)).toEqual([500, 500, 500]);
  });
});
