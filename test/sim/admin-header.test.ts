// oio-real-behaviour 23/28 on the simulator: a set_properties carrying `x-oio-admin: 1` is a
// local write on one peer the proxy reaches first (seeded draw); without it the write goes
// through the master, reaches every replica and bumps version:main.admin on each.
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { CID, P1, P2, P3, REF, call, oneContainerSimulator } from './helpers.js';

const fixture = oneContainerSimulator();
const start = (seed: number): Promise<Simulator> =>
  fixture.start([{ kind: 'drop-keys', account: 'acct', container: 'ct', role: 'master', keys: ['sys.m2.ctime'] }], { seed });

const setProperties = (s: Simulator, system: Record<string, string>, headers?: Record<string, string>) =>
  call(s.url, 'POST', '/v3.0/OPENIO/admin/set_properties', { query: { ...REF, type: 'meta2' }, body: JSON.stringify({ system }), ...(headers ? { headers } : {}) });

const admin = (s: Simulator) => Object.fromEntries((s.truth(CID)?.replicas ?? []).map((r) => [r.peer, r.admin]));

describe('admin/set_properties with x-oio-admin: 1 (the master trap)', () => {
  it('writes on ONE peer only, never replicated, version:main.admin unchanged, answering 204', async () => {
    const written = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const s = await start(seed);
      const before = admin(s);
      const ctime = before[P1]?.['sys.m2.ctime'] as string;
      const res = await setProperties(s, { 'sys.m2.ctime': ctime, 'sys.m2.quota': '7' }, { 'x-oio-admin': '1' });
      expect(res.status).toBe(204);
      const after = admin(s);
      const changed = [P1, P2, P3].filter((p) => JSON.stringify(after[p]) !== JSON.stringify(before[p]));
      expect(changed).toHaveLength(1);
      const peer = changed[0] as string;
      written.add(peer);
      expect(after[peer]?.['sys.m2.quota']).toBe('7');
      for (const p of [P1, P2, P3]) expect(after[p]?.['version:main.admin']).toBe(before[p]?.['version:main.admin']);
      expect(s.stats().writes).toBe(0);
      expect(s.stats().localWrites).toEqual({ [peer]: 1 });
      await fixture.close();
    }
    // The peer is drawn: over a dozen seeds the write lands on slaves as well as on the master.
    expect(written.size).toBeGreaterThan(1);
  });

  it('draws the same peer for the same seed (runs replay)', async () => {
    const peerFor = async (seed: number): Promise<string | undefined> => {
      const s = await start(seed);
      await setProperties(s, { 'sys.m2.quota': '7' }, { 'x-oio-admin': '1' });
      const peer = Object.keys(s.stats().localWrites)[0];
      await fixture.close();
      return peer;
    };
    expect(await peerFor(5)).toBe(await peerFor(5));
  });
});

describe('admin/set_properties without the header', () => {
  it('writes through the master, reaches every replica and bumps version:main.admin N:0 to N+1:0 on each', async () => {
    const s = await start(1);
    const before = admin(s);
    const ctime = before[P1]?.['sys.m2.ctime'] as string;
    expect(before[P2]?.['sys.m2.ctime']).toBeUndefined();
    expect((await setProperties(s, { 'sys.m2.ctime': ctime })).status).toBe(204);
    const after = admin(s);
    for (const p of [P1, P2, P3]) {
      expect(after[p]?.['sys.m2.ctime']).toBe(ctime);
      const n = Number(before[p]?.['version:main.admin']?.split(':')[0]);
      expect(after[p]?.['version:main.admin']).toBe(`${n + 1}:0`);
    }
    expect(s.stats().writes).toBe(1);
    expect(s.stats().localWrites).toEqual({});
  });
});
