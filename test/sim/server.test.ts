// The simulator as a process-level service: pause()/resume() on the same port keep all state,
// the /__sim/ control routes expose faults, stats and truth to another process.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, demoScenario, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call } from './helpers.js';

let sim: Simulator;
afterEach(() => sim?.close());

const FVE0 = { acct: 'myaccount', ref: 'FVE0', type: 'meta2' };

describe('pause and resume', () => {
  it('stops answering, then answers again on the same port with the same state', async () => {
    sim = await startSimulator({ scenario: demoScenario() });
    const url = sim.url;
    await call(url, 'POST', '/v3.0/OPENIO/admin/leave', { query: { ...FVE0, service_id: '127.0.0.1:6132' } });
    await sim.pause();
    await expect(call(url, 'GET', '/v3.0/OPENIO/reference/show', { query: FVE0 })).rejects.toThrow();
    await sim.resume();
    expect(sim.url).toBe(url);
    const status = (await call(url, 'POST', '/v3.0/OPENIO/admin/status', { query: FVE0 })).json<Envelope>();
    expect(status['127.0.0.1:6131']?.status).toEqual({ status: 200, message: 'OK' });
  });
});

describe('answer latency (latencyMs)', () => {
  it('holds many requests at once without an EventTarget leak warning (each waits on the pause signal)', async () => {
    sim = await startSimulator({ scenario: demoScenario(), latencyMs: 30 });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const answers = await Promise.all(Array.from({ length: 24 }, () => call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: FVE0 })));
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 24 }, () => 200));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('control routes', () => {
  it('injects a fault, lists it, and shows its effect in the truth', async () => {
    sim = await startSimulator({ scenario: demoScenario() });
    const fault = { kind: 'missing-base', account: 'acme', container: 'web', role: 'master' };
    const created = await call(sim.url, 'POST', '/__sim/inject', { body: JSON.stringify(fault) });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'missing-base', account: 'acme', container: 'web', role: 'master', source: 'inject' });
    const faults = (await call(sim.url, 'GET', '/__sim/faults')).json<Array<{ kind: string; source: string }>>();
    expect(faults).toHaveLength(8);
    expect(faults.at(-1)?.source).toBe('inject');
    const cid = cidFromName('acme', 'web');
    const truth = (await call(sim.url, 'GET', '/__sim/truth', { query: { cid } })).json<{ replicas: Array<{ role: string; base: string }> }>();
    expect(truth.replicas.find((r) => r.role === 'master')?.base).toBe('missing');
  });

  it('rejects a bad fault with the field named', async () => {
    sim = await startSimulator({ scenario: demoScenario() });
    const res = await call(sim.url, 'POST', '/__sim/inject', { body: JSON.stringify({ kind: 'slow', service: '127.0.0.1:6131' }) });
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/^ms: /);
  });

  it('counts requests by route and per service, and resets', async () => {
    sim = await startSimulator({ scenario: demoScenario() });
    await call(sim.url, 'POST', '/v3.0/OPENIO/admin/has', { query: FVE0 });
    await call(sim.url, 'POST', '/v3.0/OPENIO/admin/sync', { query: { ...FVE0, service_id: '127.0.0.1:6131' } });
    const stats = (await call(sim.url, 'GET', '/__sim/stats')).json<{ byRoute: Record<string, number>; services: Record<string, { requests: number; inFlight: number; maxInFlight: number }>; syncCalls: Record<string, number> }>();
    expect(stats.byRoute).toEqual({ 'POST admin/has': 1, 'POST admin/sync': 1 });
    expect(stats.services['127.0.0.1:6131']).toEqual({ requests: 2, inFlight: 0, maxInFlight: 1 });
    expect(stats.services['127.0.0.1:6132']?.requests).toBe(1);
    expect(stats.syncCalls).toEqual({ '127.0.0.1:6131': 1 });
    expect((await call(sim.url, 'POST', '/__sim/stats/reset')).status).toBe(204);
    expect(sim.stats().requests).toBe(0);
  });

  it('records the highest number of concurrent requests touching one service', async () => {
    sim = await startSimulator({ scenario: demoScenario() });
    sim.inject({ kind: 'slow', service: '127.0.0.1:6133', ms: 50 });
    await Promise.all([1, 2, 3, 4].map(() =>
      call(sim.url, 'POST', '/v3.0/OPENIO/admin/has', { query: { ...FVE0, service_id: '127.0.0.1:6133' } })));
    expect(sim.stats().services['127.0.0.1:6133']?.maxInFlight).toBe(4);
  });

  it('sends Connection: close on every reply when asked to', async () => {
    sim = await startSimulator({ scenario: demoScenario(), connectionClose: true });
    const res = await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: FVE0 });
    expect(res.headers['connection']).toBe('close');
  });
});
