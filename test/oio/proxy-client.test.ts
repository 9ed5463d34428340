// ProxyClient against a real local server standing in for the proxy: the exact request of each
// method (route, method, parameters, encoding, body) and how answers map to typed values/errors.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { OioNotFoundError, OioBadAnswerError, OioUnavailableError, OioUnreachableError } from '../../src/oio/errors.js';
import { createProxyClient, type ProxyClient } from '../../src/oio/proxy-client.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { startFakeHttp, type FakeHttpServer, type RouteTable } from '../helpers/fake-http.js';
import { failure } from '../helpers/failure.js';

const NS = 'OPENIO';
const P1 = '127.0.0.1:6131';
const P2 = '127.0.0.1:6132';
const P3 = '127.0.0.1:6133';
const named: ContainerRef = { cid: cidFromName('compte é', 'dossier/sous dossier'), account: 'compte é', container: 'dossier/sous dossier' };
const byCid: ContainerRef = { cid: cidFromName('ACCT', 'CT1').toLowerCase() };
const CID = cidFromName('ACCT', 'CT1');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(routes: RouteTable): Promise<{ server: FakeHttpServer; proxy: ProxyClient; routes: string[] }> {
  const server = await startFakeHttp(routes);
  const routesSeen: string[] = [];
  const proxy = createProxyClient({
    url: server.url,
    namespace: NS,
    retryBaseMs: 1,
    retryMaxDelayMs: 5,
    onRequest: (route, status) => routesSeen.push(`${route} ${status ?? '-'}`),
  });
  cleanups.push(() => server.close(), () => proxy.close());
  return { server, proxy, routes: routesSeen };
}

function entry(status: number, message: string, body: unknown = ''): unknown {
  return { status: { status, message }, body };
}

function params(server: FakeHttpServer, i = 0): [string, string][] {
  return [...(server.requests[i]?.query.entries() ?? [])];
}

describe('ProxyClient.locate', () => {
  const show = {
    dir: [{ seq: 1, type: 'meta1', host: '127.0.0.1:6121', args: '' }],
    srv: [
      { seq: 1, type: 'meta2', host: P3, args: '' },
      { seq: 1, type: 'meta2', host: `${P1},${P2}`, args: '' },
    ],
    cid: CID,
    account: 'ACCT',
    name: 'CT1',
  };

  it('asks reference/show by name without type, and returns the meta2 peers', async () => {
    const { server, proxy } = await setup({ 'GET /v3.0/OPENIO/reference/show': { json: show } });
    expect(await proxy.locate(named)).toEqual([P3, P1, P2]);
    expect(params(server)).toEqual([
      ['acct', 'compte é'],
      ['ref', 'dossier/sous dossier'],
    ]);
    expect(server.requests[0]?.rawQuery).toBe('acct=compte%20%C3%A9&ref=dossier%2Fsous%20dossier');
    expect(server.requests[0]?.method).toBe('GET');
  });

  it('asks by uppercase cid when the names are unknown', async () => {
    const { server, proxy } = await setup({ 'GET /v3.0/OPENIO/reference/show': { json: show } });
    await proxy.locate(byCid);
    expect(params(server)).toEqual([['cid', CID]]);
  });

  it('maps an unknown reference to OioNotFoundError', async () => {
    const { proxy } = await setup({
      'GET /v3.0/OPENIO/reference/show': { status: 404, json: { status: 406, message: 'META1 error: no such user' } },
    });
    const err = await failure(proxy.locate(named));
    expect(err).toBeInstanceOf(OioNotFoundError);
    expect(err).toMatchObject({ route: 'reference/show', oioStatus: 406 });
  });
});

describe('ProxyClient.getProperties', () => {
  const route = 'POST /v3.0/OPENIO/admin/get_properties';

  it('reads ONE replica with service_id and local=1, empty body, no admin header', async () => {
    const table = { properties: { color: 'blue' }, system: { 'sys.m2.ctime': '1795580730589743', 'sys.name': `${CID}.1` } };
    const { server, proxy } = await setup({ [route]: { json: table } });
    expect(await proxy.getProperties(byCid, P2, { reqId: 'probe-7' })).toEqual(table);
    expect(params(server)).toEqual([
      ['type', 'meta2'],
      ['cid', CID],
      ['service_id', P2],
      ['local', '1'],
    ]);
    const req = server.requests[0];
    expect(req?.body).toBe('');
    expect(req?.headers['x-oio-admin']).toBeUndefined();
    expect(req?.headers['x-oio-req-id']).toBe('probe-7');
    expect(Number(req?.headers['x-oio-timeout'])).toBeGreaterThan(0);
  });

  it('passes the 200-with-empty-maps answer (a peer that failed) up as it is', async () => {
    const { proxy } = await setup({ [route]: { json: { properties: {}, system: {} } } });
    expect(await proxy.getProperties(named, P1)).toEqual({ properties: {}, system: {} });
  });

  it('turns a 503 (the proxy could not reach that peer) into OioUnreachableError with the peer', async () => {
    const { server, proxy } = await setup({
      [route]: {
        status: 503,
        headers: { 'retry-after': '1' },
        json: { status: 503, message: 'No service replied (last error: (2) 127.0.0.1:6199: [errno=111] Connection refused)' },
      },
    });
    const err = await failure(proxy.getProperties(byCid, '127.0.0.1:6199', { reqId: 'r9' }));
    expect(err).toBeInstanceOf(OioUnreachableError);
    expect(err).toMatchObject({ peer: '127.0.0.1:6199', route: 'admin/get_properties', httpStatus: 503, oioStatus: 503, reqId: 'r9' });
    expect(err.message).toContain('Connection refused');
    // The proxy already tried that peer: not retried (a dead meta2 service must not cost
    // Retry-After per container and slow the sweep to its pace).
    expect(server.calls(route)).toHaveLength(1);
  });

  it('refuses a table with non-string values', async () => {
    const { proxy } = await setup({ [route]: { json: { properties: {}, system: { 'sys.m2.ctime': 1795580730589743 } } } });
    const err = await failure(proxy.getProperties(byCid, P1));
    expect(err).toBeInstanceOf(OioBadAnswerError);
    expect(err.message).toContain(`peer ${P1}`);
  });
});

describe('ProxyClient per-peer actions', () => {
  it('has: POST admin/has with service_id in the given order, answers in the proxy order', async () => {
    const { server, proxy } = await setup({
      'POST /v3.0/OPENIO/admin/has': {
        json: {
          [P3]: entry(200, 'OK', `/var/lib/oio/sds/OPENIO/meta2-3/${CID}.1.meta2:1795580730`),
          [P1]: entry(431, 'Container not found : (2) No such file or directory'),
        },
      },
    });
    const answers = await proxy.has(byCid, [P3, P1]);
    expect(answers).toEqual([
      { peer: P3, status: 200, message: 'OK', body: `/var/lib/oio/sds/OPENIO/meta2-3/${CID}.1.meta2:1795580730` },
      { peer: P1, status: 431, message: 'Container not found : (2) No such file or directory', body: '' },
    ]);
    expect(params(server)).toEqual([
      ['type', 'meta2'],
      ['cid', CID],
      ['service_id', `${P3},${P1}`],
    ]);
    expect(server.requests[0]?.rawQuery).toContain('service_id=127.0.0.1%3A6133%2C127.0.0.1%3A6131');
  });

  it('status: without peers, no service_id; by name, acct and ref', async () => {
    const { server, proxy } = await setup({
      'POST /v3.0/OPENIO/admin/status': {
        json: { [P1]: entry(303, P2), [P2]: entry(200, 'OK'), [P3]: entry(2, `${P3}: [errno=111] Connection refused`) },
      },
    });
    const answers = await proxy.status(named);
    expect(answers.map((a) => [a.peer, a.status, a.message])).toEqual([
      [P1, 303, P2],
      [P2, 200, 'OK'],
      [P3, 2, `${P3}: [errno=111] Connection refused`],
    ]);
    expect(params(server)).toEqual([
      ['type', 'meta2'],
      ['acct', 'compte é'],
      ['ref', 'dossier/sous dossier'],
    ]);
  });

  it('debug: election descriptions become ElectionDebug, null bodies stay null', async () => {
    const { proxy } = await setup({
      'POST /v3.0/OPENIO/admin/debug': {
        json: {
          [P1]: entry(200, 'OK', {
            local: { id: 12, url: P1, state: 'SLAVE' },
            master: { id: 11, url: P2 },
            '#': { refcount: 1, pipefrom: 1, getvers: 0 },
            log: ['1561550012345:SLAVE:SYNC_REQ:SYNCING'],
          }),
          [P2]: entry(200, 'OK', { local: { id: 11, url: P2, state: 'MASTER' }, master: { id: 11, url: null }, '#': { pipefrom: 0 } }),
          [P3]: entry(200, 'OK', null),
        },
      },
    });
    expect(await proxy.debug(byCid, [P1, P2, P3])).toEqual([
      { peer: P1, status: 200, message: 'OK', body: { state: 'SLAVE', masterUrl: P2, pipefrom: 1, log: ['1561550012345:SLAVE:SYNC_REQ:SYNCING'] } },
      { peer: P2, status: 200, message: 'OK', body: { state: 'MASTER', masterUrl: P2, pipefrom: 0, log: [] } },
      { peer: P3, status: 200, message: 'OK', body: null },
    ]);
  });

  it('sync: answers 200/301/200 per peer', async () => {
    const { server, proxy } = await setup({
      'POST /v3.0/OPENIO/admin/sync': { json: { [P1]: entry(200, 'OK'), [P2]: entry(301, 'not SLAVE'), [P3]: entry(200, 'OK') } },
    });
    const answers = await proxy.sync(byCid);
    expect(answers.map((a) => a.status)).toEqual([200, 301, 200]);
    expect(server.requests[0]?.body).toBe('');
  });

  it('sync: a 503 is a typed error and is NOT retried', async () => {
    const { server, proxy, routes } = await setup({
      'POST /v3.0/OPENIO/admin/sync': [
        { status: 503, headers: { 'retry-after': '1' }, json: { status: 503, message: 'Election failed' } },
        { json: { [P1]: entry(200, 'OK') } },
      ],
    });
    const err = await failure(proxy.sync(byCid, [P1], { reqId: 'repair-3' }));
    expect(err).toBeInstanceOf(OioUnavailableError);
    expect(err).toMatchObject({ route: 'admin/sync', peer: P1, httpStatus: 503, oioStatus: 503, reqId: 'repair-3' });
    expect(server.requests).toHaveLength(1);
    expect(routes).toEqual(['admin/sync 503']);
  });

  it('has: a 5xx burst then success is retried (a read)', async () => {
    const busy = { status: 503, headers: { 'retry-after': '1' }, json: { status: 509, message: 'excessive load' } };
    const { server, proxy, routes } = await setup({
      'POST /v3.0/OPENIO/admin/has': [busy, busy, { json: { [P1]: entry(200, 'OK', '/x:1') } }],
    });
    expect((await proxy.has(byCid, [P1]))[0]?.body).toBe('/x:1');
    expect(server.requests).toHaveLength(3);
    expect(routes).toEqual(['admin/has 503', 'admin/has 503', 'admin/has 200']);
  });

  it('leave: sends service_id and bypass_service_down=true, and refuses an empty peer list', async () => {
    const { server, proxy } = await setup({ 'POST /v3.0/OPENIO/admin/leave': { json: { [P2]: entry(200, 'OK') } } });
    expect(await proxy.leave(byCid, [P2])).toEqual([{ peer: P2, status: 200, message: 'OK', body: '' }]);
    expect(params(server)).toEqual([
      ['type', 'meta2'],
      ['cid', CID],
      ['service_id', P2],
      ['bypass_service_down', 'true'],
    ]);
    await expect(proxy.leave(byCid, [])).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a per-peer answer of the wrong shape', async () => {
    const { proxy } = await setup({ 'POST /v3.0/OPENIO/admin/has': { json: { [P1]: { status: { message: 'OK' }, body: '' } } } });
    const err = await failure(proxy.has(byCid, [P1]));
    expect(err).toBeInstanceOf(OioBadAnswerError);
    expect(err.message).toBe(`admin/has: peer ${P1} entry has no numeric status`);
  });
});

describe('ProxyClient.setProperties', () => {
  it('POSTs {"system":{…}} through the master (no service_id) and accepts 204', async () => {
    const { server, proxy } = await setup({ 'POST /v3.0/OPENIO/admin/set_properties': { status: 204 } });
    await proxy.setProperties(named, { 'sys.m2.ctime': '1795580884707842' });
    const req = server.requests[0];
    expect(params(server)).toEqual([
      ['type', 'meta2'],
      ['acct', 'compte é'],
      ['ref', 'dossier/sous dossier'],
    ]);
    expect(JSON.parse(req?.body ?? '')).toEqual({ system: { 'sys.m2.ctime': '1795580884707842' } });
    expect(req?.headers['content-type']).toBe('application/json');
  });

  it('accepts the older 200 {} answer', async () => {
    const { proxy } = await setup({ 'POST /v3.0/OPENIO/admin/set_properties': { json: {} } });
    await expect(proxy.setProperties(byCid, { a: 'b' })).resolves.toBeUndefined();
  });

  it('is never retried', async () => {
    const { server, proxy } = await setup({
      'POST /v3.0/OPENIO/admin/set_properties': [{ status: 503, json: { status: 503, message: 'x' } }, { status: 204 }],
    });
    await expect(proxy.setProperties(byCid, { a: 'b' })).rejects.toBeInstanceOf(OioUnavailableError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('ProxyClient.listServices', () => {
  it('GETs conscience/list?type=TYPE and reads tag.up', async () => {
    const { server, proxy, routes } = await setup({
      'GET /v3.0/OPENIO/conscience/list': {
        json: [
          { addr: P1, score: 97, tags: { 'tag.up': true, 'tag.vol': '/var/lib/oio/sds/OPENIO/meta2-1' } },
          { addr: P2, score: 0, tags: { 'tag.up': false } },
        ],
      },
    });
    const services = await proxy.listServices('meta2');
    expect(services.map((s) => [s.addr, s.score, s.up])).toEqual([
      [P1, 97, true],
      [P2, 0, false],
    ]);
    expect(params(server)).toEqual([['type', 'meta2']]);
    expect(server.requests[0]?.headers['x-oio-admin']).toBeUndefined();
    expect(routes).toEqual(['conscience/list 200']);
  });
});
