// Which proxy routes carry `x-oio-admin: 1`: none. On a master proxy the header turns
// `admin/set_properties` into a local write on whichever peer the proxy reaches first
// (oio-real-behaviour 23, 28), and no other route needs it from the client (oio-api-sources 5.1).
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { startSimulator } from '../../src/sim/index.js';
import { startFakeHttp, type FakeHttpServer } from '../helpers/fake-http.js';

const P1 = '127.0.0.1:6131';
const CID = cidFromName('ACCT', 'CT1');
const REF: ContainerRef = { cid: CID, account: 'ACCT', container: 'CT1' };
const ok = { status: { status: 200, message: 'OK' }, body: '' };

let server: FakeHttpServer | undefined;
let proxy: ProxyClient | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
  proxy = undefined;
  server = undefined;
});

const CALLS: ReadonlyArray<readonly [string, (p: ProxyClient) => Promise<unknown>]> = [
  ['GET reference/show', (p) => p.locate(REF)],
  ['POST admin/get_properties', (p) => p.getProperties(REF, P1)],
  ['POST admin/has', (p) => p.has(REF, [P1])],
  ['POST admin/status', (p) => p.status(REF, [P1])],
  ['POST admin/debug', (p) => p.debug(REF, [P1])],
  ['POST admin/sync', (p) => p.sync(REF, [P1])],
  ['POST admin/leave', (p) => p.leave(REF, [P1])],
  ['POST admin/set_properties', (p) => p.setProperties(REF, { 'sys.m2.ctime': '1795580730589743' })],
  ['GET conscience/list', (p) => p.listServices('meta2')],
];

describe('the x-oio-admin header, route by route', () => {
  it.each(CALLS)('%s is sent without x-oio-admin', async (route, run) => {
    const [method, path] = route.split(' ') as [string, string];
    const json = path === 'reference/show'
      ? { dir: [], srv: [{ seq: 1, type: 'meta2', host: P1, args: '' }], cid: CID, account: 'ACCT', name: 'CT1' }
      : path === 'admin/get_properties' ? { properties: {}, system: { 'sys.name': `${CID}.1` } }
        : path === 'conscience/list' ? [] : path === 'admin/set_properties' ? undefined : { [P1]: ok };
    server = await startFakeHttp({ [`${method} /v3.0/OPENIO/${path}`]: json === undefined ? { status: 204 } : { json } });
    proxy = createProxyClient({ url: server.url, namespace: 'OPENIO', retries: 0 });
    await run(proxy);
    const [request, ...more] = server.requests;
    expect(more).toHaveLength(0);
    expect(request?.headers['x-oio-admin']).toBeUndefined();
    expect(request?.headers['x-oio-req-id']).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the write-back of a missing key through the simulator', () => {
  it('reaches the master and every replica whatever the seed (no local write on a random peer)', async () => {
    const peers = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
    for (let seed = 1; seed <= 20; seed++) {
      const sim = await startSimulator({
        seed,
        scenario: {
          services: peers,
          containers: [{ account: 'ACCT', name: 'CT1', peers, master: peers[1]! }],
          faults: [{ kind: 'drop-keys', account: 'ACCT', container: 'CT1', role: 'master', keys: ['sys.m2.ctime'] }],
        },
      });
      const client = createProxyClient({ url: sim.url, namespace: 'OPENIO', retries: 0 });
      try {
        const ctime = sim.truth(CID)?.replicas.find((r) => r.peer === peers[0])?.admin['sys.m2.ctime'] as string;
        await client.setProperties(REF, { 'sys.m2.ctime': ctime });
        const after = sim.truth(CID)?.replicas.map((r) => [r.peer, r.admin['sys.m2.ctime']]);
        expect(after, `seed ${seed}`).toEqual(peers.map((p) => [p, ctime]));
        expect(sim.stats().localWrites, `seed ${seed}`).toEqual({});
      } finally {
        await client.close();
        await sim.close();
      }
    }
  });
});
