// The account service listings page with an exclusive marker in lexicographic order, and a
// generated namespace of a million containers lists any page without being materialised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidFromName } from '../../src/oio/cid.js';
import { type Simulator, demoScenario, startSimulator } from '../../src/sim/index.js';
import { type Envelope, call } from './helpers.js';

type Listing = { listing: Array<[string, number, number, number, number]>; truncated: boolean; next_marker?: string };

describe('account listings of an explicit scenario', () => {
  let sim: Simulator;
  beforeAll(async () => { sim = await startSimulator({ scenario: demoScenario() }); });
  afterAll(() => sim.close());

  it('lists accounts in order, master style', async () => {
    const body = (await call(sim.url, 'GET', '/v1.0/account/list')).json<{ listing: Array<{ id: string }>; truncated: boolean }>();
    expect(body).toEqual({ listing: [{ id: 'acme' }, { id: 'archive' }, { id: 'myaccount' }], truncated: false });
  });

  it('pages containers with limit and an exclusive marker until truncated is false', async () => {
    const names: string[] = [];
    let marker = '';
    for (let pages = 0; pages < 10; pages++) {
      const body = (await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'myaccount', limit: '2', marker } })).json<Listing>();
      names.push(...body.listing.map((row) => row[0]));
      if (!body.truncated) break;
      expect(body.next_marker).toBe(body.listing[1]?.[0]);
      marker = body.next_marker as string;
    }
    expect(names).toEqual(['FVE0', 'docs', 'music', 'photos', 'projects', 'videos']);
  });

  it('filters by prefix and gives each row [name, objects, bytes, 0, mtime]', async () => {
    const body = (await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'archive', prefix: 'backup-' } })).json<Listing & { id: string }>();
    expect(body.id).toBe('archive');
    expect(body.listing.map((r) => r[0])).toEqual(['backup-01', 'backup-02', 'backup-03']);
    const [, objects, bytes, isPrefix, mtime] = body.listing[0] as [string, number, number, number, number];
    expect([typeof objects, typeof bytes, isPrefix, typeof mtime]).toEqual(['number', 'number', 0, 'number']);
  });

  it('answers 404 for an unknown account', async () => {
    expect((await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'nobody' } })).status).toBe(404);
  });
});

describe('a generated namespace of 1,000,000 containers', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ generate: { containers: 1_000_000, damagedShare: 0.05, seed: 42 } });
  });
  afterAll(() => sim.close());

  it('lists its first and a late page without materialising containers', async () => {
    const accounts = (await call(sim.url, 'GET', '/v1.0/account/list', { query: { limit: '3' } })).json<{ listing: Array<{ id: string }>; truncated: boolean }>();
    expect(accounts.listing.map((a) => a.id)).toEqual(['acct-0000', 'acct-0001', 'acct-0002']);
    expect(accounts.truncated).toBe(true);
    const late = (await call(sim.url, 'GET', '/v1.0/account/list', { query: { marker: 'acct-0997' } })).json<{ listing: Array<{ id: string }>; truncated: boolean }>();
    expect(late).toEqual({ listing: [{ id: 'acct-0998' }, { id: 'acct-0999' }], truncated: false });

    const first = (await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'acct-0007', limit: '2' } })).json<Listing>();
    expect(first.listing.map((r) => r[0])).toEqual(['ct-00000007', 'ct-00001007']);
    const last = (await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'acct-0007', marker: 'ct-00998007' } })).json<Listing>();
    expect(last.listing.map((r) => r[0])).toEqual(['ct-00999007']);
    expect(last.truncated).toBe(false);
    expect(sim.stats().materialisedContainers).toBe(0);
  });

  it('serves a listed container by cid, the same as by name', async () => {
    await call(sim.url, 'GET', '/v1.0/account/containers', { query: { id: 'acct-0123', marker: 'ct-00500000', limit: '1' } });
    const cid = cidFromName('acct-0123', 'ct-00500123');
    const byCid = (await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: { cid } })).json<{ name: string; srv: Array<{ host: string }> }>();
    expect(byCid.name).toBe('ct-00500123');
    const byName = (await call(sim.url, 'GET', '/v3.0/OPENIO/reference/show', { query: { acct: 'acct-0123', ref: 'ct-00500123' } })).json<{ srv: Array<{ host: string }> }>();
    expect(byCid.srv.map((s) => s.host).sort()).toEqual(byName.srv.map((s) => s.host).sort());
    const has = (await call(sim.url, 'POST', '/v3.0/OPENIO/admin/has', { query: { cid, type: 'meta2' } })).json<Envelope>();
    expect(Object.keys(has)).toHaveLength(3);
  });

  it('stores a generated container once it is mutated, and only that one', async () => {
    const ref = { acct: 'acct-0042', ref: 'ct-00000042', type: 'meta2' };
    await call(sim.url, 'POST', '/v3.0/OPENIO/admin/leave', { query: ref });
    expect(sim.stats().materialisedContainers).toBe(1);
    expect(sim.truth(cidFromName('acct-0042', 'ct-00000042'))?.master).toBeNull();
  });

  it('damages about the requested share, deterministically from the seed', async () => {
    const small = await startSimulator({ generate: { containers: 2000, damagedShare: 0.1, seed: 7 } });
    const again = await startSimulator({ generate: { containers: 2000, damagedShare: 0.1, seed: 7 } });
    try {
      const damaged = new Set(small.injected().map((f) => f.cid));
      expect(damaged.size).toBeGreaterThan(120);
      expect(damaged.size).toBeLessThan(280);
      expect(again.injected()).toEqual(small.injected());
      const f = small.injected()[0];
      const truth = small.truth(f?.cid as string);
      expect(truth?.replicas.find((r) => r.peer === f?.peer)?.role).toBe(f?.role);
    } finally {
      await small.close();
      await again.close();
    }
  });
});
