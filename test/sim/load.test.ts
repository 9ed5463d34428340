// The simulator's load model: capacity per meta2 service and for the proxy (workers × service
// time), latency that grows with queueing, overload answered as the real proxy does (503 with
// its messages), and background client traffic changed while it runs. Bounds with wide
// margins, never exact timings.
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { parseScenario } from '../../src/sim/scenario.js';
import type { LoadSpec } from '../../src/sim/load.js';
import { call } from './helpers.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
let sim: Simulator;
afterEach(() => sim?.close());

async function start(load: LoadSpec): Promise<Simulator> {
  sim = await startSimulator({
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P1 }], load },
  });
  return sim;
}

const read = (peer: string, headers?: Record<string, string>) =>
  call(sim.url, 'POST', '/v3.0/OPENIO/admin/get_properties', { query: { acct: 'acct', ref: 'ct', type: 'meta2', service_id: peer, local: '1' }, ...(headers ? { headers } : {}) });

/** Latencies, in ms, of `n` reads of one peer sent at once. */
function latencies(n: number, peer = P1): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const t0 = performance.now();
    const res = await read(peer);
    expect(res.status).toBe(200);
    return performance.now() - t0;
  }));
}

async function queued(): Promise<number> {
  const load = (await call(sim.url, 'GET', '/__sim/load')).json<{ meta2: Record<string, { queued: number }> }>();
  return Object.values(load.meta2).reduce((n, s) => n + s.queued, 0);
}

describe('a meta2 service with a capacity', () => {
  it('answers later as more requests queue for its workers', async () => {
    await start({ meta2: { workers: 2, serviceMs: 20 } });
    const t0 = performance.now();
    const times = await latencies(16);
    // 16 reads × 20 ms on 2 workers: 160 ms of work however they arrive; each at least 20 ms.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(8 * 20 - 5);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(19);
    const stats = (await call(sim.url, 'GET', '/__sim/load')).json<{ meta2: Record<string, { workers: number; served: number; meanQueuedMs: number }> }>();
    expect(stats.meta2[P1]).toMatchObject({ workers: 2, served: 16 });
    expect(stats.meta2[P1]?.meanQueuedMs).toBeGreaterThan(5);
  });

  it('answers a wait past x-oio-timeout as the proxy does: 503 "Deadline reached: Timeout (…s) to PEER", Retry-After 1', async () => {
    await start({ meta2: { workers: 1, serviceMs: 300 } });
    const busy = read(P1);
    const res = await read(P1, { 'x-oio-timeout': '100000' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json<{ status: number; message: string }>()).toMatchObject({ status: 503, message: expect.stringMatching(new RegExp(`^Deadline reached: Timeout \\(0\\.\\d{4}s\\) to ${P1}$`)) as unknown });
    expect((await busy).status).toBe(200);
  });

  it('refuses a wait past meta.queue.max_delay with the meta2 code 504 "Queued for too long" as HTTP 503', async () => {
    await start({ meta2: { workers: 1, serviceMs: 300, maxQueueMs: 50 } });
    const busy = read(P1);
    const res = await read(P1);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ status: 504, message: 'Queued for too long' });
    expect((await busy).status).toBe(200);
  });

  it('keeps the other services as fast as before (capacity is per service)', async () => {
    await start({ meta2: { workers: 1, serviceMs: 200 } });
    const done: string[] = [];
    const busy = Promise.all([1, 2, 3].map((k) => read(P1).then(() => done.push(`P1 #${k}`))));
    await read(P2).then(() => done.push('P2'));
    await busy;
    // The three P1 reads take turns on its one worker (600 ms); P2's own worker answers at once.
    expect(done.indexOf('P2')).toBeLessThan(done.indexOf('P1 #3'));
  });
});

describe('a load model in a scenario', () => {
  it('is validated once, naming the bad field', () => {
    expect(() => parseScenario({ load: { meta2: { workers: 0, serviceMs: 1 } } })).toThrow(/load\.meta2\.workers/);
    expect(() => parseScenario({ load: { proxy: { workers: 4 } } })).toThrow(/load\.proxy\.serviceMs/);
    expect(parseScenario({ load: { proxy: { workers: 4, serviceMs: 0.5 }, backgroundRps: 100 } }).load).toEqual({ proxy: { workers: 4, serviceMs: 0.5 }, backgroundRps: 100 });
  });
});

describe('the proxy with a capacity', () => {
  it('holds a worker for the whole request, so a slow meta2 service fills the proxy and slows reads of every service', async () => {
    await start({ proxy: { workers: 2, serviceMs: 0 }, meta2: { workers: 8, serviceMs: 0 } });
    sim.inject({ kind: 'slow', service: P1, ms: 300 });
    const slow = Promise.all([read(P1), read(P1)]);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    expect((await read(P2)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThan(150);
    await slow;
  });
});

describe('background client traffic', () => {
  it('fills the queues while it runs over capacity, and they drain once it is turned down through POST /__sim/load', async () => {
    // 3 services × 1 worker / 10 ms = 300 req/s of capacity; 900 background req/s overload it.
    await start({ meta2: { workers: 1, serviceMs: 10 } });
    const on = await call(sim.url, 'POST', '/__sim/load', { body: JSON.stringify({ backgroundRps: 900 }) });
    expect(on.status).toBe(200);
    expect(on.json<{ backgroundRps: number }>().backgroundRps).toBe(900);
    await new Promise((r) => setTimeout(r, 500));
    expect(await queued()).toBeGreaterThan(20);
    // Behind that queue, a read waits several service times.
    const [busy] = await latencies(1, P2);
    expect(busy).toBeGreaterThan(50);
    await call(sim.url, 'POST', '/__sim/load', { body: JSON.stringify({ backgroundRps: 0 }) });
    const deadline = Date.now() + 20_000;
    while ((await queued()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await queued()).toBe(0);
    const [after] = await latencies(1, P2);
    expect(after).toBeLessThan(busy as number);
  });

  it('refuses a bad rate with a 400 naming the field', async () => {
    await start({});
    const res = await call(sim.url, 'POST', '/__sim/load', { body: JSON.stringify({ backgroundRps: -1 }) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json())).toContain('backgroundRps');
  });
});
