// The guards against a proxy that does not honour service_id (4.2.x, fact 37), over HTTP against
// the simulator impersonating one: each sign alone is refused with OIO_UNSUPPORTED_PROXY, and a
// master proxy passes with the same calls.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { OioUnsupportedProxyError } from '../../src/oio/errors.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { checkProxySupport } from '../../src/probe/proxy-guard.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { startFakeHttp, type FakeHttpServer } from '../helpers/fake-http.js';
import { failure } from '../helpers/failure.js';

const [P1, P2, P3, P4] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134'];
const CID = cidFromName('acct', 'ct');
const NAMED: ContainerRef = { cid: CID, account: 'acct', container: 'ct' };
const BY_CID: ContainerRef = { cid: CID };
let sim: Simulator | undefined;
let fake: FakeHttpServer | undefined;
let proxy: ProxyClient | undefined;
afterEach(async () => {
  await proxy?.close();
  await sim?.close();
  await fake?.close();
  proxy = undefined;
  sim = undefined;
  fake = undefined;
});

async function against(oioVersion: '4.2' | 'master'): Promise<ProxyClient> {
  sim = await startSimulator({
    oioVersion,
    scenario: { services: [P1, P2, P3, P4], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }] },
  });
  proxy = createProxyClient({ url: sim.url, namespace: 'OPENIO', retries: 0 });
  return proxy;
}

async function refused(p: Promise<unknown>): Promise<OioUnsupportedProxyError> {
  const err = await failure(p);
  expect(err).toBeInstanceOf(OioUnsupportedProxyError);
  expect(err).toMatchObject({ code: 'OIO_UNSUPPORTED_PROXY' });
  expect((err as Error).message).toMatch(/^unsupported proxy: .*does not honour service_id/);
  return err as OioUnsupportedProxyError;
}

describe('a 4.2.x proxy (simulator oioVersion 4.2)', () => {
  it('is refused on reference/show without cid', async () => {
    const client = await against('4.2');
    expect((await refused(client.locate(NAMED))).message).toContain('without "cid"');
  });

  it('is refused on reference/show?cid= (not supported there)', async () => {
    const client = await against('4.2');
    expect((await refused(client.locate(BY_CID))).message).toContain('refused cid=');
  });

  it('is refused on a per-peer answer that lists peers other than the one asked', async () => {
    const client = await against('4.2');
    expect((await refused(client.has(NAMED, [P1]))).message).toMatch(/answered for other peers too/);
    await refused(client.status(NAMED, [P1]));
    await refused(client.debug(NAMED, [P1]));
  });

  it('is refused by the pre-flight check before any mutating request', async () => {
    const client = await against('4.2');
    await refused(checkProxySupport(client, NAMED));
    // Even when the peers are known already (no locate): the has sign.
    await refused(checkProxySupport(client, NAMED, { peers: [P1, P2, P3] }));
    const stats = (sim as Simulator).stats();
    expect(stats.syncCalls).toEqual({});
    expect(stats.leaveCalls).toEqual({});
    expect(stats.writes).toBe(0);
  });
});

describe('the table-for-a-non-peer sign alone', () => {
  it('refuses a proxy whose per-peer routes look right but whose get_properties ignores service_id', async () => {
    const table = { properties: {}, system: { 'sys.name': `${CID}.1`, 'sys.m2.ctime': '1795580730589743' } };
    fake = await startFakeHttp({
      // The check reads reference/show once whatever the caller located (a modern answer, with cid).
      'GET /v3.0/OPENIO/reference/show': { json: { dir: [], srv: [P1, P2, P3].map((host) => ({ seq: 1, type: 'meta2', host, args: '' })), cid: CID } },
      'POST /v3.0/OPENIO/admin/has': { json: { [P1]: { status: { status: 200, message: 'OK' }, body: '' } } },
      'POST /v3.0/OPENIO/admin/get_properties': { json: table },
      // A master-looking proxy (conscience "scores"): its get_properties reads local=1, so the check reads the non-peer.
      'GET /v3.0/OPENIO/conscience/list': { json: [P1, P2, P3, P4].map((addr) => ({ addr, score: 90, scores: { 'score.put': 90, 'score.get': 90 }, tags: { 'tag.up': true } })) },
    });
    proxy = createProxyClient({ url: fake.url, namespace: 'OPENIO', retries: 0 });
    const err = await refused(checkProxySupport(proxy, NAMED, { peers: [P1, P2, P3] }));
    expect(err.message).toContain(`service_id=${P4} (not a peer`);
    expect(fake.calls('POST /v3.0/OPENIO/admin/get_properties')[0]?.query.get('service_id')).toBe(P4);
  });
});

describe('a master proxy (the default simulator)', () => {
  it('passes the pre-flight check, by name and by cid', async () => {
    const client = await against('master');
    await expect(checkProxySupport(client, NAMED)).resolves.toBeUndefined();
    await expect(checkProxySupport(client, BY_CID)).resolves.toBeUndefined();
    expect(await client.locate(BY_CID)).toHaveLength(3);
  });
});
