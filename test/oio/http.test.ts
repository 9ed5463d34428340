// OioHttp over a real local server: the headers it sends, query encoding, which failures are
// retried (idempotent reads only), and how every failure maps to a typed OioError.
import { Agent, Pool as UndiciPool } from 'undici';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OioAnswerTooLargeError,
  OioHttpError,
  OioNotFoundError,
  OioBadAnswerError,
  OioTimeoutError,
  OioUnavailableError,
  OioUnreachableError,
} from '../../src/oio/errors.js';
import { encodeQuery, OioHttp, Pool, type HttpClientOptions } from '../../src/oio/http.js';
import { closedPortUrl, startFakeHttp, type FakeHttpServer, type RouteTable } from '../helpers/fake-http.js';
import { startDripServer, type DripMode } from '../helpers/drip-server.js';
import { failure } from '../helpers/failure.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(routes: RouteTable, opts: Partial<HttpClientOptions> = {}): Promise<{ server: FakeHttpServer; http: OioHttp }> {
  const server = await startFakeHttp(routes);
  const http = new OioHttp({ url: server.url, retryBaseMs: 1, retryMaxDelayMs: 5, ...opts });
  cleanups.push(() => server.close(), () => http.close());
  return { server, http };
}

const unavailable = { status: 503, json: { status: 503, message: 'Election timeout' }, headers: { 'retry-after': '1' } };

describe('the Pool OioHttp loads alone (without the rest of undici)', () => {
  it("is undici's own exported Pool, so an upgrade that moves it fails here", () => {
    expect(Pool).toBe(UndiciPool);
  });
});

describe('OioHttp retries of a peer that is down', () => {
  it('does not retry a read the proxy answered "No service replied" (it already tried the peer)', async () => {
    const down = { status: 503, json: { status: 503, message: 'No service replied (last error: (2) 127.0.0.1:6199: [errno=111] Connection refused)' }, headers: { 'retry-after': '1' } };
    const { server, http } = await setup({ 'POST /has': [down, { json: { ok: true } }] }, { retries: 2 });
    const err = await failure(http.request({ method: 'POST', path: '/has', route: 'admin/has', idempotent: true }));
    expect(err).toBeInstanceOf(OioUnavailableError);
    expect(server.calls('POST /has')).toHaveLength(1);
  });
});

describe('OioHttp requests', () => {
  it('sends the request id and the proxy deadline below headersTimeout, and no admin flag unless asked', async () => {
    const { server, http } = await setup({ 'POST /v3.0/NS/admin/has': { json: {} }, 'GET /v3.0/NS/conscience/list': { json: [] } }, {
      headersTimeoutMs: 10_000,
    });
    await http.request({ method: 'POST', path: '/v3.0/NS/admin/has', route: 'admin/has', reqId: 'sweep-42', idempotent: true });
    await http.request({ method: 'GET', path: '/v3.0/NS/conscience/list', route: 'conscience/list', idempotent: true, adminHeader: true });
    const [admin, list] = server.requests;
    expect(admin?.headers['x-oio-req-id']).toBe('sweep-42');
    expect(admin?.headers['x-oio-timeout']).toBe('9000000');
    expect(admin?.headers['x-oio-admin']).toBeUndefined();
    expect(list?.headers['x-oio-admin']).toBe('1');
    expect(list?.headers['x-oio-req-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(admin?.body).toBe('');
  });

  it('sends a JSON body with its content type', async () => {
    const { server, http } = await setup({ 'POST /x': { status: 204 } });
    const answer = await http.request({ method: 'POST', path: '/x', route: 'admin/set_properties', body: { system: { a: 'b' } }, idempotent: false });
    expect(answer.statusCode).toBe(204);
    expect(answer.json).toBeUndefined();
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ system: { a: 'b' } });
  });

  it('keeps a path prefix of the base URL', async () => {
    const server = await startFakeHttp({ 'GET /proxy/v3.0/NS/conscience/list': { json: [] } });
    const http = new OioHttp({ url: `${server.url}/proxy/` });
    cleanups.push(() => server.close(), () => http.close());
    await http.request({ method: 'GET', path: '/v3.0/NS/conscience/list', route: 'conscience/list', idempotent: true });
    expect(server.requests[0]?.path).toBe('/proxy/v3.0/NS/conscience/list');
  });

  it('encodes UTF-8, slashes, spaces, plus signs and commas in query values, and leaves undefined out', () => {
    const query = encodeQuery({ acct: 'compte é', ref: 'a/b+c 日', service_id: '127.0.0.1:6131,127.0.0.1:6132', marker: undefined });
    expect(query).toBe('?acct=compte%20%C3%A9&ref=a%2Fb%2Bc%20%E6%97%A5&service_id=127.0.0.1%3A6131%2C127.0.0.1%3A6132');
    const decoded = new URLSearchParams(query.slice(1));
    expect(decoded.get('ref')).toBe('a/b+c 日');
    expect(decoded.has('marker')).toBe(false);
    expect(encodeQuery({})).toBe('');
  });
});

describe('encodeQuery', () => {
  it('writes exactly what URLSearchParams writes, with %20 for spaces, for any names and values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.integer(), fc.boolean()), { maxKeys: 6 }), (query) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) params.append(k, String(v));
        const expected = params.toString().replace(/\+/g, '%20');
        expect(encodeQuery(query)).toBe(expected === '' ? '' : `?${expected}`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('OioHttp retries', () => {
  it('retries an idempotent read after a burst of 503 and returns the answer that followed', async () => {
    const seen: (number | undefined)[] = [];
    const { server, http } = await setup(
      { 'POST /has': [unavailable, unavailable, { json: { ok: true } }] },
      { retries: 3, onRequest: (_route, status) => seen.push(status) },
    );
    const answer = await http.request({ method: 'POST', path: '/has', route: 'admin/has', idempotent: true, reqId: 'r1' });
    expect(answer.json).toEqual({ ok: true });
    expect(server.calls('POST /has')).toHaveLength(3);
    expect(server.requests.map((r) => r.headers['x-oio-req-id'])).toEqual(['r1', 'r1', 'r1']);
    expect(seen).toEqual([503, 503, 200]);
  });

  it('gives up after the configured retries with a typed 503', async () => {
    const { server, http } = await setup({ 'POST /has': unavailable }, { retries: 2 });
    const err = await failure(http.request({ method: 'POST', path: '/has', route: 'admin/has', idempotent: true }));
    expect(err).toBeInstanceOf(OioUnavailableError);
    expect(server.calls('POST /has')).toHaveLength(3);
  });

  it('never retries a mutating call: one 503 is one typed error', async () => {
    const { server, http } = await setup({ 'POST /sync': [unavailable, { json: {} }] }, { retries: 5 });
    const err = await failure(
      http.request({ method: 'POST', path: '/sync', route: 'admin/sync', idempotent: false, reqId: 'sync-1', peer: 'p:1' }),
    );
    expect(err).toBeInstanceOf(OioUnavailableError);
    expect(err).toMatchObject({ code: 'OIO_UNAVAILABLE', route: 'admin/sync', peer: 'p:1', httpStatus: 503, oioStatus: 503, reqId: 'sync-1' });
    expect(err.message).toContain('Election timeout');
    expect(server.calls('POST /sync')).toHaveLength(1);
  });

  it('does not retry a 404 or a 500', async () => {
    const { server, http } = await setup({
      'GET /a': { status: 404, json: { status: 406, message: 'META1 error: no such user' } },
      'GET /b': { status: 500, json: { status: 473, message: 'DB_RESTORE operation is not allowed on the master service' } },
    });
    const notFound = await failure(http.request({ method: 'GET', path: '/a', route: 'reference/show', idempotent: true }));
    expect(notFound).toBeInstanceOf(OioNotFoundError);
    expect(notFound).toMatchObject({ code: 'OIO_NOT_FOUND', httpStatus: 404, oioStatus: 406 });
    const internal = await failure(http.request({ method: 'GET', path: '/b', route: 'admin/copy', idempotent: true }));
    expect(internal).toBeInstanceOf(OioHttpError);
    expect(internal).not.toBeInstanceOf(OioNotFoundError);
    expect(internal).not.toBeInstanceOf(OioUnavailableError);
    expect(internal).toMatchObject({ code: 'OIO_HTTP_ERROR', httpStatus: 500, oioStatus: 473 });
    expect(server.requests).toHaveLength(2);
  });

  it('maps the proxy deadline ("Deadline reached") to a timeout and does not retry it', async () => {
    const { server, http } = await setup({
      'POST /status': { status: 503, json: { status: 503, message: 'Deadline reached: Timeout (1.9999s) to 127.0.0.1:6198' } },
    });
    const err = await failure(http.request({ method: 'POST', path: '/status', route: 'admin/status', idempotent: true }));
    expect(err).toBeInstanceOf(OioTimeoutError);
    expect(err).toMatchObject({ code: 'OIO_TIMEOUT', httpStatus: 503, oioStatus: 503 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('OioHttp transport failures', () => {
  it('maps a refused connection to OioUnreachableError, with the route and request id', async () => {
    const seen: (number | undefined)[] = [];
    const http = new OioHttp({ url: await closedPortUrl(), retries: 1, retryBaseMs: 1, onRequest: (_r, s) => seen.push(s) });
    cleanups.push(() => http.close());
    const err = await failure(http.request({ method: 'GET', path: '/x', route: 'conscience/list', idempotent: true, reqId: 'q' }));
    expect(err).toBeInstanceOf(OioUnreachableError);
    expect(err).toMatchObject({ code: 'OIO_UNREACHABLE', route: 'conscience/list', reqId: 'q', httpStatus: undefined });
    expect(err.message).toContain('ECONNREFUSED');
    expect(seen).toEqual([undefined, undefined]);
  });

  it('maps a server that never answers to OioTimeoutError', async () => {
    const { http } = await setup({ 'POST /hang': () => undefined }, { headersTimeoutMs: 150, retries: 2 });
    const err = await failure(http.request({ method: 'POST', path: '/hang', route: 'admin/has', idempotent: true }));
    expect(err).toBeInstanceOf(OioTimeoutError);
    expect(err.message).toMatch(/Headers Timeout/i);
  });

  it('maps a body that stops flowing to OioTimeoutError', async () => {
    const { http } = await setup(
      {
        'GET /slow': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('{"listing":[');
        },
      },
      { bodyTimeoutMs: 150 },
    );
    const err = await failure(http.request({ method: 'GET', path: '/slow', route: 'account/list', idempotent: true }));
    expect(err).toBeInstanceOf(OioTimeoutError);
    expect(err.httpStatus).toBe(200);
  });

  it('maps an AbortSignal.timeout deadline to OioTimeoutError and passes a plain abort up as is', async () => {
    const { http } = await setup({ 'POST /hang': () => undefined });
    const timedOut = await failure(
      http.request({ method: 'POST', path: '/hang', route: 'admin/has', idempotent: true, signal: AbortSignal.timeout(50) }),
    );
    expect(timedOut).toBeInstanceOf(OioTimeoutError);
    const controller = new AbortController();
    const pending = http.request({ method: 'POST', path: '/hang', route: 'admin/has', idempotent: true, signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
  });
});

describe('OioHttp total deadline', () => {
  // A byte every 200 ms resets undici's idle timers (15 s here) forever: only the total deadline ends it.
  it.each<DripMode>(['headers', 'body'])('gives up on a server dripping its %s within the deadline, as OIO_TIMEOUT, counted as no answer', async (mode) => {
    const drip = await startDripServer({ mode, intervalMs: 200 });
    const seen: (number | undefined)[] = [];
    const http = new OioHttp({ url: drip.url, deadlineMs: 1000, headersTimeoutMs: 15_000, bodyTimeoutMs: 15_000, retries: 2, onRequest: (_r, s) => seen.push(s) });
    cleanups.push(() => drip.close(), () => http.close());
    const started = Date.now();
    const err = await failure(http.request({ method: 'POST', path: '/x', route: 'admin/get_properties', idempotent: true, reqId: 'd1' }));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(OioTimeoutError);
    expect(err).toMatchObject({ code: 'OIO_TIMEOUT', route: 'admin/get_properties', reqId: 'd1' });
    expect(err.message).toContain('no complete answer within 1000 ms');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1000 + 1500);
    // A timeout is not retried, and headers without a complete body are not an answer.
    expect(seen).toEqual([undefined]);
    expect(drip.connections()).toBe(1);
  });

  it('defaults the deadline to the sum of the connect, headers and body timeouts', async () => {
    const drip = await startDripServer({ mode: 'body', intervalMs: 100 });
    const http = new OioHttp({ url: drip.url, connectTimeoutMs: 200, headersTimeoutMs: 300, bodyTimeoutMs: 400 });
    cleanups.push(() => drip.close(), () => http.close());
    const started = Date.now();
    const err = await failure(http.request({ method: 'GET', path: '/x', route: 'account/list', idempotent: true }));
    expect(err).toBeInstanceOf(OioTimeoutError);
    expect(err.message).toContain('no complete answer within 900 ms');
    expect(Date.now() - started).toBeLessThan(900 + 1500);
  });
});

describe('OioHttp bad answers', () => {
  it('refuses malformed JSON on a 200', async () => {
    const { http } = await setup({ 'GET /x': { text: '{"properties":{', headers: { 'content-type': 'application/json' } } });
    const err = await failure(http.request({ method: 'GET', path: '/x', route: 'admin/get_properties', idempotent: true }));
    expect(err).toBeInstanceOf(OioBadAnswerError);
    expect(err).toMatchObject({ code: 'OIO_BAD_ANSWER', httpStatus: 200 });
    expect(err.message).toContain('not valid JSON');
  });

  it('refuses an answer cut before its announced length', async () => {
    const { http } = await setup({
      'GET /x': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"properties":{},"sys');
        setTimeout(() => res.socket?.destroy(), 10);
      },
    });
    const err = await failure(http.request({ method: 'GET', path: '/x', route: 'admin/get_properties', idempotent: true }));
    expect(err).toBeInstanceOf(OioBadAnswerError);
    expect(err.message).toContain('truncated');
  });

  it('refuses an answer larger than maxResponseBytes, announced or streamed', async () => {
    const big = JSON.stringify({ listing: Array.from({ length: 2000 }, (_, i) => `account-${i}`) });
    const { http } = await setup(
      {
        'GET /announced': { json: JSON.parse(big) as unknown },
        'GET /streamed': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(big);
        },
      },
      { maxResponseBytes: 1024 },
    );
    for (const path of ['/announced', '/streamed']) {
      const err = await failure(http.request({ method: 'GET', path, route: 'account/list', idempotent: true }));
      expect(err).toBeInstanceOf(OioAnswerTooLargeError);
      expect(err).toMatchObject({ code: 'OIO_ANSWER_TOO_LARGE', limitBytes: 1024, httpStatus: 200 });
    }
  });

  // A meta2 admin table is a few KB; 4-7.9 MB answers (under the old 8 MiB cap for all) killed the daemon.
  it.each([
    ['admin/get_properties', 256 * 1024],
    ['admin/has', 64 * 1024],
    ['admin/status', 64 * 1024],
    ['reference/show', 64 * 1024],
    ['conscience/list', 2 * 1024 * 1024],
    ['account/containers', 4 * 1024 * 1024],
  ])('caps %s answers at %i bytes, announced or chunked, as per-request OIO_ANSWER_TOO_LARGE errors seen by the observer', async (route, cap) => {
    const body = `[${'1,'.repeat(Math.ceil(cap / 2))}1]`;
    const errors: (string | undefined)[] = [];
    const { http } = await setup(
      {
        'GET /announced': { text: body, headers: { 'content-type': 'application/json' } },
        'GET /chunked': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(body.slice(0, 1000));
          res.end(body.slice(1000));
        },
        'GET /fits': { text: body.slice(0, cap - 8).replace(/,?1?,?$/, ']'), headers: { 'content-type': 'application/json' } },
      },
      { onRequest: (_r, _s, _t, error) => errors.push((error as { code?: string } | undefined)?.code) },
    );
    for (const path of ['/announced', '/chunked']) {
      const err = await failure(http.request({ method: 'GET', path, route, idempotent: true }));
      expect(err).toBeInstanceOf(OioAnswerTooLargeError);
      expect(err).toMatchObject({ code: 'OIO_ANSWER_TOO_LARGE', route, limitBytes: cap });
    }
    expect((await http.request({ method: 'GET', path: '/fits', route, idempotent: true })).json).toBeInstanceOf(Array);
    expect(errors).toEqual(['OIO_ANSWER_TOO_LARGE', 'OIO_ANSWER_TOO_LARGE', undefined]);
  });

  it('keeps working after a failing observer', async () => {
    const { http } = await setup({ 'GET /x': { json: [1] } }, {
      onRequest: () => {
        throw new Error('metrics broke');
      },
    });
    const answer = await http.request({ method: 'GET', path: '/x', route: 'conscience/list', idempotent: true });
    expect(answer.json).toEqual([1]);
  });
});

describe('OioHttp dispatcher', () => {
  it('uses an injected dispatcher and leaves it open on close()', async () => {
    const server = await startFakeHttp({ 'GET /x': { json: { n: 1 } } });
    const agent = new Agent({ keepAliveTimeout: 10 });
    cleanups.push(() => server.close(), () => agent.close());
    const http = new OioHttp({ url: server.url, dispatcher: agent });
    expect((await http.request({ method: 'GET', path: '/x', route: 'conscience/list', idempotent: true })).json).toEqual({ n: 1 });
    await http.close();
    expect(agent.closed).toBe(false);
    const again = new OioHttp({ url: server.url, dispatcher: agent });
    expect((await again.request({ method: 'GET', path: '/x', route: 'conscience/list', idempotent: true })).json).toEqual({ n: 1 });
  });
});
