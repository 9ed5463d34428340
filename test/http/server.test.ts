import { connect, createServer, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { HttpServerError, startHttpServer, type Readiness, type RunningHttpServer } from '../../src/http/server.js';
import { capturingLogger } from '../helpers/capture-log.js';


const started: RunningHttpServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function start(
  overrides: { readiness?: () => Readiness; registry?: { metrics(): Promise<string>; contentType: string }; listen?: string; maxConnections?: number; headersTimeoutMs?: number } = {},
) {
  const { log, lines } = capturingLogger();
  const metrics = createMetrics({ defaultMetrics: false, version: '1.2.3' });
  const server = await startHttpServer({
    listen: overrides.listen ?? '127.0.0.1:0',
    registry: overrides.registry ?? metrics.registry,
    readiness: overrides.readiness ?? (() => ({ ready: true })),
    log,
    maxConnections: overrides.maxConnections ?? 64,
    ...(overrides.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: overrides.headersTimeoutMs }),
  });
  started.push(server);
  const host = server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host;
  return { server, lines, metrics, base: `http://${host}:${server.address.port}` };
}

async function get(url: string, method: 'GET' | 'POST' | 'HEAD' = 'GET') {
  const res = await request(url, { method });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe('startHttpServer', () => {
  it('binds the port the kernel chose when asked for port 0', async () => {
    const { server } = await start();
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
  });

  it('serves the registry’s exposition with its content type on GET /metrics', async () => {
    const { base, metrics } = await start();
    metrics.repairs.inc({ outcome: 'succeeded' });
    const res = await get(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(metrics.registry.contentType);
    expect(res.body).toContain('oio_repaird_repairs_total{outcome="succeeded"} 1');
    expect(res.body).toContain('oio_repaird_build_info{version="1.2.3"');
  });

  it('ignores the query string when routing', async () => {
    const { base } = await start();
    expect((await get(`${base}/metrics?name[]=x`)).status).toBe(200);
  });

  it('answers 500 and logs the error when collecting metrics fails', async () => {
    const registry = { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collector broke')) };
    const { base, lines } = await start({ registry });
    const res = await get(`${base}/metrics`);
    expect(res.status).toBe(500);
    const logged = lines.find((l) => l['msg'] === 'metrics collection failed');
    expect(logged?.['level']).toBe('error');
    expect((logged?.['err'] as { message: string }).message).toBe('collector broke');
  });

  it('answers 200 "ok" on /healthz', async () => {
    const { base } = await start({ readiness: () => ({ ready: false, reason: 'no config' }) });
    expect(await get(`${base}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('answers /readyz from the caller’s readiness, with a JSON reason when not ready', async () => {
    let readiness: Readiness = { ready: false, reason: 'proxy has not answered for 120 s' };
    const { base } = await start({ readiness: () => readiness });
    const notReady = await get(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.headers['content-type']).toBe('application/json');
    expect(JSON.parse(notReady.body)).toEqual({ ready: false, reason: 'proxy has not answered for 120 s' });
    readiness = { ready: true };
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });
  });

  it('reports not ready when the readiness check itself throws', async () => {
    const { base } = await start({
      readiness: () => {
        throw new Error('state unavailable');
      },
    });
    const res = await get(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).reason).toBe('readiness check failed: state unavailable');
  });

  it('answers 404 for other paths and 405 with Allow: GET for other methods', async () => {
    const { base } = await start();
    expect((await get(`${base}/`)).status).toBe(404);
    expect((await get(`${base}/metricsx`)).status).toBe(404);
    const post = await get(`${base}/metrics`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET');
    expect((await get(`${base}/healthz`, 'HEAD')).status).toBe(405);
  });

  it('listens on IPv6 loopback when given [::1]:0', async (ctx) => {
    let server;
    try {
      server = await start({ listen: '[::1]:0' });
    } catch (err) {
      if ((err as HttpServerError).message.includes('EADDRNOTAVAIL')) ctx.skip();
      throw err;
    }
    expect(server.server.address.host).toBe('::1');
    expect((await get(`${server.base}/healthz`)).status).toBe(200);
  });

  it('refuses an invalid listen address with a typed error', async () => {
    await expect(start({ listen: ':9464' })).rejects.toMatchObject({ code: 'REPAIRD_HTTP_LISTEN', listen: ':9464' });
  });

  it('fails with a typed error naming the cause when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await start({ listen: `127.0.0.1:${port}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpServerError);
      expect((err as HttpServerError).message).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('closes while a client holds an idle keep-alive connection, then refuses connections', async () => {
    const { server, base } = await start();
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    agents.push(agent);
    const res = await request(`${base}/healthz`, { dispatcher: agent });
    await res.body.text();
    await server.close();
    await expect(request(`${base}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('can be closed twice, and no longer answers once closed', async () => {
    const { server, base } = await start();
    await server.close();
    await expect(server.close()).resolves.toBeUndefined();
    await expect(get(`${base}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('holds at most maxConnections clients, cuts off idle ones after headersTimeoutMs, then answers /metrics again', { timeout: 20_000 }, async () => {
    const { base, server } = await start({ maxConnections: 5, headersTimeoutMs: 500 });
    /** Connects and sends nothing; resolves with the time the server closed the socket. */
    const idleClient = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const socket: Socket = connect(server.address.port, server.address.host);
        socket.resume(); // read the server's 408 and its close
        socket.on('close', () => resolve(Date.now()));
        socket.on('error', (err) => (socket.connecting ? reject(err) : undefined));
      });
    const openedAt = Date.now();
    const times = (await Promise.all(Array.from({ length: 40 }, () => idleClient()))).map((t) => t - openedAt);
    // Over the cap: closed by the server as they arrive; the 5 within it: after about 500 ms.
    expect(Math.max(...times)).toBeLessThan(500 + 5000);
    expect(times.filter((t) => t >= 450).length).toBeLessThanOrEqual(5);
    expect(times.filter((t) => t >= 450).length).toBeGreaterThanOrEqual(1);
    expect((await get(`${base}/metrics`)).status).toBe(200);
  });
});
