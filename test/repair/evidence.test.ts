// Specification of a step's proof (src/repair/evidence.ts): what a re-read must show for a sync
// or a write-back to count as done. A success answer from the proxy is never part of it.
import { describe, expect, it } from 'vitest';
import { judgeSync, judgeWrite } from '../../src/repair/evidence.js';
import type { ReplicaState } from '../../src/probe/types.js';
import { healthyTable, masterView, P1, P2, P3, replica, report, withValues, without } from '../helpers/tables.js';

const CTIME = '1795580730589743';
const ok = (peer: string, role: 'master' | 'slave', version = '2:0') => replica(peer, 'ok', role, { table: withValues(healthyTable(), { 'version:main.admin': version }) });
const lacking = (peer: string, role: 'master' | 'slave', version = '2:0'): ReplicaState =>
  replica(peer, 'missing-keys', role, { missingKeys: ['sys.m2.ctime'], table: withValues(without(healthyTable(), 'sys.m2.ctime'), { 'version:main.admin': version }) });
const before = report([ok(P1, 'slave'), lacking(P2, 'master'), ok(P3, 'slave')], 'master-damaged', masterView(P2));

describe('judgeWrite: a write-back through the master', () => {
  const cases = [
    { name: 'replicated through the master: key back everywhere, version up', after: [ok(P1, 'slave', '3:0'), ok(P2, 'master', '3:0'), ok(P3, 'slave', '3:0')], status: 'done' },
    { name: 'landed on a slave (x-oio-admin trap): master unchanged', after: [ok(P1, 'slave'), lacking(P2, 'master'), ok(P3, 'slave')], status: 'no-effect' },
    { name: 'local write on the master: key back but version unchanged', after: [ok(P1, 'slave'), ok(P2, 'master', '2:0'), ok(P3, 'slave')], status: 'no-effect' },
    { name: 'version up but the key still absent on the master', after: [ok(P1, 'slave', '3:0'), lacking(P2, 'master', '3:0'), ok(P3, 'slave', '3:0')], status: 'no-effect' },
  ] as const;

  it.each(cases)('$name → $status', ({ after, status }) => {
    const proof = judgeWrite(before, report([...after], 'healthy', masterView(P2)), P2, { 'sys.m2.ctime': CTIME }, 1);
    expect(proof.status).toBe(status);
    expect(proof.evidence.map((e) => e.peer)).toEqual([P1, P2, P3]);
    if (status === 'no-effect') {
      expect(proof.ineffective).toEqual([expect.objectContaining({ kind: 'set-properties', peer: P2, round: 1 })]);
      expect(proof.detail).not.toMatch(/^wrote/);
    }
  });

  it('carries what the master held before and after, for the written key and version:main.admin', () => {
    const after = report([ok(P1, 'slave', '3:0'), ok(P2, 'master', '3:0'), ok(P3, 'slave', '3:0')], 'healthy', masterView(P2));
    const proof = judgeWrite(before, after, P2, { 'sys.m2.ctime': CTIME }, 1);
    expect(proof.evidence.find((e) => e.peer === P2)).toEqual({
      peer: P2,
      before: { health: 'missing-keys', role: 'master', keys: { 'sys.m2.ctime': null, 'version:main.admin': '2:0' } },
      after: { health: 'ok', role: 'master', keys: { 'sys.m2.ctime': CTIME, 'version:main.admin': '3:0' } },
    });
  });
});

describe('judgeSync: slaves re-fetching the base from the master', () => {
  const slaveBefore = report([lacking(P1, 'slave'), ok(P2, 'master'), replica(P3, 'missing-base', 'slave')], 'repairable', masterView(P2));

  it('is done only when every synced slave is re-read healthy', () => {
    const after = report([ok(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'healthy', masterView(P2));
    expect(judgeSync(slaveBefore, after, [P1, P3], 1)).toMatchObject({ status: 'done' });
  });

  it('names each slave still damaged as a sync without effect, with its evidence', () => {
    const after = report([lacking(P1, 'slave'), ok(P2, 'master'), ok(P3, 'slave')], 'repairable', masterView(P2));
    const proof = judgeSync(slaveBefore, after, [P1, P3], 2);
    expect(proof.status).toBe('no-effect');
    expect(proof.ineffective).toEqual([expect.objectContaining({ kind: 'sync', peer: P1, round: 2 })]);
    expect(proof.evidence[0]).toMatchObject({ peer: P1, before: { health: 'missing-keys', keys: { 'sys.m2.ctime': null } }, after: { health: 'missing-keys' } });
  });

  it('counts a slave that could not be re-read as not proven', () => {
    const after = report([ok(P2, 'master'), ok(P3, 'slave')], 'unknown', masterView(P2));
    const proof = judgeSync(slaveBefore, after, [P1], 1);
    expect(proof.status).toBe('no-effect');
    expect(proof.evidence[0]?.after).toBeUndefined();
  });
});
