// Service faults on the wire: a down service, a slow one against x-oio-timeout, an error
// burst, garbage JSON; and faults injected at run time are recorded for comparison.
import { afterEach, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call } from './helpers.js';

const [P1, P2, P3] = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133'];
const REF = { acct: 'acct', ref: 'ct' };
let sim: Simulator;

async function start(): Promise<Simulator> {
  sim = await startSimulator({
    scenario: { services: [P1, P2, P3], containers: [{ account: 'acct', name: 'ct', peers: [P1, P2, P3], master: P2 }] },
  });
  return sim;
}
afterEach(() => sim?.close());

const admin = (action: string, query: Record<string, string> = {}, headers?: Record<string, string>) =>
  call(sim.url, 'POST', `/v3.0/OPENIO/admin/${action}`, { query: { ...REF, type: 'meta2', ...query }, ...(headers ? { headers } : {}) });

describe('a down service', () => {
  it('makes get_properties of that peer 503 with Retry-After, not empty maps', async () => {
    await start();
    sim.inject({ kind: 'down', service: P3 });
    const res = await admin('get_properties', { service_id: P3, local: '1' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toEqual({ status: 503, message: `No service replied (last error: (2) ${P3}: [errno=111] Connection refused)` });
  });

  it('gives that peer code 2 in per-peer answers, others answer normally', async () => {
    await start();
    sim.inject({ kind: 'down', service: P3 });
    const res = await admin('has');
    expect(res.status).toBe(200);
    const env = res.json<Envelope>();
    expect(env[P3]).toEqual({ status: { status: 2, message: `${P3}: [errno=111] Connection refused` }, body: '' });
    expect(env[P1]?.status.status).toBe(200);
    const list = (await call(sim.url, 'GET', '/v3.0/OPENIO/conscience/list', { query: { type: 'meta2' } })).json<Array<{ addr: string; tags: Record<string, unknown> }>>();
    // Killed a moment ago: the conscience has not marked it down yet (it takes ~15 s, fact 26).
    expect(list.find((s) => s.addr === P3)?.tags['tag.up']).toBe(true);
  });

  it('comes back with an up fault', async () => {
    await start();
    sim.inject({ kind: 'down', service: P3 });
    sim.inject({ kind: 'up', service: P3 });
    expect((await admin('get_properties', { service_id: P3, local: '1' })).status).toBe(200);
  });
});

describe('a slow service', () => {
  it('fails the whole request with 503 Deadline reached when x-oio-timeout is exceeded', async () => {
    await start();
    sim.inject({ kind: 'slow', service: P1, ms: 2000 });
    const res = await admin('has', { service_id: `${P2},${P1}` }, { 'x-oio-timeout': '50000' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    const body = res.json<{ status: number; message: string }>();
    expect(body.status).toBe(503);
    expect(body.message).toMatch(new RegExp(`^Deadline reached: Timeout \\(0\\.\\d{4}s\\) to ${P1.replace(/\./g, '\\.')}$`));
  });

  it('answers normally when the deadline leaves enough time', async () => {
    await start();
    sim.inject({ kind: 'slow', service: P1, ms: 20 });
    const res = await admin('has', { service_id: P1 }, { 'x-oio-timeout': '5000000' });
    expect(res.json<Envelope>()[P1]?.status.status).toBe(200);
    expect(sim.stats().services[P1]?.maxInFlight).toBe(1);
  });
});

describe('error bursts and malformed answers', () => {
  it('answers 503 to the next N requests touching the service, then recovers', async () => {
    await start();
    sim.inject({ kind: 'error-burst', service: P2, count: 2 });
    expect((await admin('status', { service_id: P2 })).status).toBe(503);
    expect((await admin('get_properties', { service_id: P2, local: '1' })).status).toBe(503);
    expect((await admin('status', { service_id: P2 })).status).toBe(200);
  });

  it('truncates the next answer touching the service into invalid JSON', async () => {
    await start();
    sim.inject({ kind: 'malformed-json', service: P1, count: 1 });
    const bad = await admin('get_properties', { service_id: P1, local: '1' });
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    const good = await admin('get_properties', { service_id: P1, local: '1' });
    expect(() => JSON.parse(good.text)).not.toThrow();
  });
});

describe('replica faults injected at run time', () => {
  it('applies malform-key and truncate-base, and records them with the role', async () => {
    await start();
    sim.inject({ kind: 'malform-key', account: 'acct', container: 'ct', role: 'master', key: 'sys.m2.ctime', value: 'yesterday' });
    sim.inject({ kind: 'truncate-base', account: 'acct', container: 'ct', peer: P3 });
    const master = (await admin('get_properties', { service_id: P2, local: '1' })).json<{ system: Record<string, string> }>();
    expect(master.system['sys.m2.ctime']).toBe('yesterday');
    const truncated = (await admin('get_properties', { service_id: P3, local: '1' })).json<{ system: Record<string, string> }>();
    expect(truncated.system['sys.account']).toBeUndefined();
    expect(truncated.system['sys.m2.ctime']).toBeUndefined();
    expect(Object.keys(truncated.system).length).toBeGreaterThanOrEqual(13);
    expect(sim.injected().map((f) => [f.kind, f.peer, f.role, f.cid])).toEqual([
      ['malform-key', P2, 'master', cidFromName('acct', 'ct')],
      ['truncate-base', P3, 'slave', cidFromName('acct', 'ct')],
    ]);
  });
});
