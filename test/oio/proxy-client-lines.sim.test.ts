// The proxy client adapted to an oio-sds line (ProxyClient.line): on '4.2' it sends service_id on
// leave alone, reads reference/show without cid for a named container, and keeps each answer to
// the peers asked; on every line a write's answer must be 204 or `200 {}`, anything else is an
// error, and sync never carries check_type (not parsed before 5.9.0).
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { OioBadAnswerError, OioUnsupportedProxyError } from '../../src/oio/errors.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { type OioVersion, type Simulator, startSimulator } from '../../src/sim/index.js';
import { startFakeHttp, type FakeHttpServer } from '../helpers/fake-http.js';
import { failure } from '../helpers/failure.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const CID = cidFromName('acct', 'ct');
const NAMED: ContainerRef = { cid: CID, account: 'acct', container: 'ct' };
let sim: Simulator | undefined;
let fake: FakeHttpServer | undefined;
let client: ProxyClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  await fake?.close();
  client = sim = fake = undefined;
});

async function against(oioVersion: OioVersion, line?: ProxyClient['line']): Promise<ProxyClient> {
  sim = await startSimulator({
    oioVersion,
    syncDelayMs: 5,
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }] },
  });
  client = createProxyClient({ url: sim.url, namespace: 'OPENIO', retries: 0 });
  client.line = line;
  return client;
}

describe("a client adapted to '4.2' (native transport only)", () => {
  it('locates a named container although reference/show has no cid, and refuses to locate by CID alone', async () => {
    const c = await against('4.2', '4.2');
    expect((await c.locate(NAMED)).sort()).toEqual([P1, P2, P3]);
    expect(await failure(c.locate({ cid: CID }))).toBeInstanceOf(OioUnsupportedProxyError);
  });

  it('asks has, status and debug of every peer and keeps the answers of the peers asked', async () => {
    const c = await against('4.2', '4.2');
    expect((await c.has(NAMED, [P1])).map((a) => a.peer)).toEqual([P1]);
    expect((await c.status(NAMED, [P3, P1])).map((a) => a.peer).sort()).toEqual([P1, P3]);
  });

  it('sends sync without service_id (it resyncs every slave on 4.2) and returns every answer, master 301 included', async () => {
    const c = await against('4.2', '4.2');
    const answers = await c.sync(NAMED, [P1]);
    expect(Object.fromEntries(answers.map((a) => [a.peer, a.status]))).toEqual({ [P1]: 200, [P2]: 301, [P3]: 200 });
    expect(sim?.stats().syncCalls).toEqual({ [P1]: 1, [P2]: 1, [P3]: 1 });
  });

  it('still names the peer on leave, which 4.2 honours', async () => {
    const c = await against('4.2', '4.2');
    expect((await c.leave(NAMED, [P2])).map((a) => a.peer)).toEqual([P2]);
    expect(sim?.stats().leaveCalls).toEqual({ [P2]: 1 });
  });

  it('a strict client (no line) refuses the same sync answer instead', async () => {
    const c = await against('4.2');
    expect(await failure(c.sync(NAMED, [P1]))).toBeInstanceOf(OioUnsupportedProxyError);
  });
});

describe('set_properties answers', () => {
  it.each<OioVersion>(['master', '7', '4.4'])('accepts what %s answers for a write through the master', async (v) => {
    const c = await against(v);
    await expect(c.setProperties(NAMED, { 'sys.m2.ctime': '1500000000000001' })).resolves.toBeUndefined();
  });

  it('refuses any other shape (an unknown answer is an error, never a write)', async () => {
    fake = await startFakeHttp({
      'POST /v3.0/OPENIO/admin/set_properties': { json: { [P1]: { status: { status: 200, message: 'OK' }, body: '' } } },
    });
    client = createProxyClient({ url: fake.url, namespace: 'OPENIO', retries: 0 });
    const err = await failure(client.setProperties(NAMED, { 'sys.m2.ctime': '1500000000000001' }));
    expect(err).toBeInstanceOf(OioBadAnswerError);
    expect((err as Error).message).toMatch(/expected 204, or 200 \{\} before master/);
  });
});

it('sync never carries check_type (4.x does not parse it; the server default check stays)', async () => {
  fake = await startFakeHttp({
    'POST /v3.0/OPENIO/admin/sync': { json: { [P1]: { status: { status: 200, message: 'OK' }, body: '' } } },
  });
  client = createProxyClient({ url: fake.url, namespace: 'OPENIO', retries: 0 });
  await client.sync(NAMED, [P1]);
  const query = fake.calls('POST /v3.0/OPENIO/admin/sync')[0]?.query;
  expect([...(query?.keys() ?? [])].sort()).toEqual(['acct', 'ref', 'service_id', 'type']);
});
