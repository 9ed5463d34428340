// Specification of probeContainer against the in-memory fake proxy: request budget, per-peer
// reads, the election asked only when something looks wrong, and never a rejection.
import { describe, expect, it } from 'vitest';
import { OioNotFoundError, OioUnreachableError } from '../../src/oio/errors.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { FakeProxy } from '../helpers/fake-proxy.js';
import { healthyTable, P1, P2, P3, REF, without } from '../helpers/tables.js';

const opts = { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'req-1' };

describe('probeContainer', () => {
  it('costs exactly R+1 requests on a healthy container and asks no election', async () => {
    const proxy = new FakeProxy();
    const report = await probeContainer(proxy, REF, opts);
    expect(report.verdict).toBe('healthy');
    expect(report.requests).toBe(4);
    expect(proxy.count()).toBe(4);
    expect(proxy.count('admin/status')).toBe(0);
    expect(proxy.count('admin/has')).toBe(0);
    expect(report.election).toBeUndefined();
    expect(report.replicas.map((r) => r.role)).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('skips its own locate when the caller already located the peers (the sweep: R requests)', async () => {
    const proxy = new FakeProxy();
    const report = await probeContainer(proxy, REF, { ...opts, peers: [P1, P2, P3] });
    expect(report.verdict).toBe('healthy');
    expect(report.requests).toBe(3);
    expect(proxy.count('reference/show')).toBe(0);
    expect(proxy.count()).toBe(3);
  });

  it('reads each replica on its own peer, and tags every call with the request id', async () => {
    const proxy = new FakeProxy();
    await probeContainer(proxy, REF, opts);
    const reads = proxy.calls.filter((c) => c.route === 'admin/get_properties').map((c) => c.peers?.[0]);
    expect(reads.sort()).toEqual([P1, P2, P3]);
    expect(proxy.calls.every((c) => c.reqId === 'req-1')).toBe(true);
  });

  it('names the slave lacking sys.m2.ctime (the seed) with R+3 requests', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    const report = await probeContainer(proxy, REF, opts);
    expect(report.verdict).toBe('repairable');
    expect(report.requests).toBe(6);
    expect(proxy.count()).toBe(6);
    expect(proxy.count('admin/debug')).toBe(0);
    const bad = report.replicas.find((r) => r.peer === P1);
    expect(bad).toMatchObject({ health: 'missing-keys', role: 'slave', missingKeys: ['sys.m2.ctime'] });
    expect(report.replicas.find((r) => r.peer === P2)?.role).toBe('master');
    expect(report.election).toEqual({ master: P2, masters: [P2] });
    expect(report.reason).toContain(P1);
    expect(report.reason).toContain('sys.m2.ctime');
  });

  it('sees a missing base behind the 200-with-empty-maps read through has 431', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P3).table = null;
    const report = await probeContainer(proxy, REF, opts);
    expect(report.replicas.find((r) => r.peer === P3)?.health).toBe('missing-base');
    expect(report.verdict).toBe('repairable');
  });

  it('reports a damaged master', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P2).corrupt = true;
    const report = await probeContainer(proxy, REF, opts);
    expect(report.replicas.find((r) => r.peer === P2)).toMatchObject({ health: 'corrupt-base', role: 'master' });
    expect(report.verdict).toBe('master-damaged');
  });

  it('calls an unreachable peer unreachable and decides nothing', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P3).down = true;
    const report = await probeContainer(proxy, REF, opts);
    expect(report.replicas.find((r) => r.peer === P3)).toMatchObject({ health: 'unreachable', role: 'unknown' });
    expect(report.verdict).toBe('unknown');
  });

  it('calls a slow peer timeout', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).slow = true;
    const report = await probeContainer(proxy, REF, opts);
    expect(report.replicas.find((r) => r.peer === P1)?.health).toBe('timeout');
    expect(report.verdict).toBe('unknown');
  });

  it('asks the election on a healthy container when alwaysElection is set (R+3 requests)', async () => {
    const proxy = new FakeProxy();
    const report = await probeContainer(proxy, REF, { ...opts, alwaysElection: true });
    expect(report.verdict).toBe('healthy');
    expect(report.requests).toBe(6);
    expect(report.replicas.map((r) => r.role)).toEqual(['slave', 'master', 'slave']);
  });

  it('asks debug only when status is ambiguous, and trusts an unambiguous debug', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    proxy.statusScript.push([
      { peer: P1, status: 500, message: 'Election failed', body: '' },
      { peer: P2, status: 500, message: 'Election failed', body: '' },
      { peer: P3, status: 500, message: 'Election failed', body: '' },
    ]);
    const report = await probeContainer(proxy, REF, opts);
    expect(proxy.count('admin/debug')).toBe(1);
    expect(report.requests).toBe(7);
    expect(report.election?.master).toBe(P2);
    expect(report.replicas.map((r) => r.role)).toEqual(['slave', 'master', 'slave']);
    expect(report.verdict).toBe('repairable');
  });

  it('keeps the election problem when debug is ambiguous too', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    proxy.master = null;
    const report = await probeContainer(proxy, REF, opts);
    expect(report.election?.problem).toBe('no-master');
    expect(report.verdict).toBe('unknown');
  });

  it('never throws: a failed locate is unknown with the error code', async () => {
    const proxy = new FakeProxy();
    proxy.locateError = new OioNotFoundError('no such user', { route: 'reference/show', httpStatus: 404, oioStatus: 406 });
    const report = await probeContainer(proxy, REF, opts);
    expect(report).toMatchObject({ verdict: 'unknown', error: { code: 'OIO_NOT_FOUND' }, requests: 1, replicas: [] });
  });

  it('never throws: a failing status call gives unknown with the error', async () => {
    const proxy = new FakeProxy();
    proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
    proxy.status = async () => {
      throw new OioUnreachableError('proxy down', { route: 'admin/status' });
    };
    const report = await probeContainer(proxy, REF, opts);
    expect(report.verdict).toBe('unknown');
    expect(report.error?.code).toBe('OIO_UNREACHABLE');
  });

  it('an aborted signal gives unknown without any request', async () => {
    const proxy = new FakeProxy();
    const ac = new AbortController();
    ac.abort();
    const report = await probeContainer(proxy, REF, { ...opts, signal: ac.signal });
    expect(report.verdict).toBe('unknown');
    expect(proxy.count()).toBe(0);
  });
});
