// Evidence before overwrite, as a pure function: what each replica held, which ones the step
// overwrites, and when a table is recorded whole or as a digest plus the keys in question.
import { describe, expect, it } from 'vitest';
import { baseState, evidenceRecord } from '../../src/journal/evidence.js';
import { overwritesReplicas } from '../../src/repair/steps.js';
import type { ReplicaHealth } from '../../src/probe/types.js';
import type { RepairStep } from '../../src/repair/types.js';
import { healthyTable, masterView, P1, P2, P3, replica, report, without } from '../helpers/tables.js';

describe('evidenceRecord', () => {
  it.each<[ReplicaHealth, string]>([
    ['ok', 'present'],
    ['missing-keys', 'present'],
    ['malformed-keys', 'present'],
    ['missing-base', 'missing'],
    ['corrupt-base', 'corrupt'],
    ['unreachable', 'unknown'],
    ['timeout', 'unknown'],
  ])('a replica %s has its base %s', (health, base) => {
    expect(baseState(health)).toBe(base);
  });

  it.each<[RepairStep, boolean]>([
    [{ kind: 'sync', peers: [P1] }, true],
    [{ kind: 'set-properties', values: { 'sys.m2.ctime': '1' } }, true],
    [{ kind: 'leave', peer: P2 }, false],
    [{ kind: 'await-master', candidates: [P1], notPeer: P2 }, false],
  ])('%o overwrites replicas: %s', (step, overwrites) => {
    expect(overwritesReplicas(step)).toBe(overwrites);
  });

  const damaged = report(
    [
      replica(P1, 'missing-keys', 'slave', { table: without(healthyTable(), 'sys.m2.ctime') }),
      replica(P2, 'ok', 'master', { table: healthyTable() }),
      replica(P3, 'missing-base', 'slave'),
    ],
    'repairable',
    masterView(P2),
  );

  it('marks the synced slaves overwritten and names the master as the source', () => {
    const record = evidenceRecord(damaged, 2, { kind: 'sync', peers: [P1, P3] }, 1 << 20);
    expect(record).toMatchObject({ round: 2, source: P2 });
    expect(record.replicas.map((r) => [r.peer, r.overwritten, r.base])).toEqual([[P1, true, 'present'], [P2, false, 'present'], [P3, true, 'missing']]);
    expect(record.replicas[0]?.table).toEqual(without(healthyTable(), 'sys.m2.ctime'));
    // No table read (the base is missing): nothing to keep but its state.
    expect(record.replicas[2]).toEqual({ peer: P3, role: 'slave', health: 'missing-base', base: 'missing', overwritten: true });
  });

  it('keeps a digest and the keys in question when a table is larger than the limit', () => {
    const record = evidenceRecord(damaged, 1, { kind: 'sync', peers: [P1] }, 200);
    const [p1, p2] = record.replicas;
    expect(p1?.table).toBeUndefined();
    expect(p1?.keys).toEqual({ 'sys.m2.ctime': null, 'version:main.admin': '2:0' });
    expect(p2?.keys).toEqual({ 'sys.m2.ctime': '1795580730589743', 'version:main.admin': '2:0' });
    expect(p1?.digest?.keys).toBe(19);
    expect(p2?.digest?.keys).toBe(20);
    expect(p1?.digest?.sha256).not.toBe(p2?.digest?.sha256);
  });

  it('gives the same digest to the same table whatever the order of its keys', () => {
    const table = healthyTable();
    const reversed = { properties: {}, system: Object.fromEntries(Object.entries(table.system).reverse()) };
    const a = evidenceRecord(report([replica(P1, 'ok', 'master', { table })], 'healthy'), 1, { kind: 'sync', peers: [] }, 0);
    const b = evidenceRecord(report([replica(P1, 'ok', 'master', { table: reversed })], 'healthy'), 1, { kind: 'sync', peers: [] }, 0);
    expect(a.replicas[0]?.digest).toEqual(b.replicas[0]?.digest);
  });

  it('adds the written keys to the keys in question of a write-back', () => {
    const record = evidenceRecord(damaged, 1, { kind: 'set-properties', values: { 'sys.m2.init': '1' } }, 0);
    expect(Object.keys(record.replicas[1]?.keys ?? {})).toEqual(['sys.m2.ctime', 'sys.m2.init', 'version:main.admin']);
  });
});
