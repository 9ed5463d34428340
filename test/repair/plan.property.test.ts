// Properties of planRepair over arbitrary reports (consistent or not with their verdict):
// never a sync from a master that is not healthy, never a sync aimed at the master, nothing ever
// planned for an unrepairable or unknown container.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerVerdict } from '../../src/probe/classify.js';
import { REPLICA_HEALTHS, VERDICTS, type ContainerReport, type ElectionView, type ReplicaHealth, type ReplicaState, type Role } from '../../src/probe/types.js';
import { planRepair } from '../../src/repair/plan.js';
import { healthyTable, REF, withValues, without } from '../helpers/tables.js';

const ROLES = ['master', 'slave', 'none', 'unknown'] as const;

// Tables follow the health (a damaged replica lacks sys.m2.ctime); a healthy slave sometimes holds
// another ctime, so that slaves may disagree on the value to write back.
const replicaArb = (peer: string) =>
  fc.record({
    health: fc.oneof({ arbitrary: fc.constant<ReplicaHealth>('ok'), weight: 3 }, { arbitrary: fc.constantFrom(...REPLICA_HEALTHS), weight: 4 }),
    role: fc.constantFrom(...ROLES),
    otherCtime: fc.boolean(),
  }).map(({ health, role, otherCtime }): ReplicaState => ({
    peer,
    health,
    role,
    missingKeys: health === 'missing-keys' ? ['sys.m2.ctime'] : [],
    malformedKeys: health === 'malformed-keys' ? ['sys.m2.init'] : [],
    table: health !== 'ok'
      ? without(healthyTable(), 'sys.m2.ctime')
      : otherCtime ? withValues(healthyTable(), { 'sys.m2.ctime': '1795580730500000' }) : healthyTable(),
  }));

const reportArb: fc.Arbitrary<{ report: ContainerReport; consistent: boolean }> = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => {
    const peers = Array.from({ length: n }, (_, i) => `127.0.0.1:${6131 + i}`);
    const electionArb: fc.Arbitrary<ElectionView | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(...peers, '10.0.0.1:6000').map((m): ElectionView => ({ master: m, masters: [m] })),
      fc.constant<ElectionView>({ master: null, masters: [], problem: 'no-master' }),
      fc.subarray([...peers, '10.0.0.1:6000'], { minLength: 2 }).map((ms): ElectionView => ({ master: null, masters: ms, problem: 'multi-master' })),
    );
    return fc.record({
      replicas: fc.tuple(...peers.map(replicaArb)),
      election: electionArb,
      verdict: fc.constantFrom(...VERDICTS),
      consistent: fc.boolean(),
    });
  })
  .map(({ replicas: drawn, election, verdict, consistent }) => {
    // Half the reports are what a probe produces (roles from the election, verdict from the
    // classifier); the other half have arbitrary roles and an arbitrary (lying) verdict.
    const replicas = consistent ? drawn.map((r) => ({ ...r, role: roleIn(r, election) })) : drawn;
    const v = consistent ? containerVerdict(replicas, election) : { verdict, reason: 'arbitrary' };
    const report: ContainerReport = {
      ref: REF,
      peers: replicas.map((r) => r.peer),
      replicas,
      ...(election ? { election } : {}),
      verdict: v.verdict,
      reason: v.reason,
      requests: 0,
    };
    return { report, consistent };
  });

function roleIn(r: ReplicaState, election: ElectionView | undefined): Role {
  if (!election || r.health === 'unreachable' || r.health === 'timeout') return 'unknown';
  if (election.masters.includes(r.peer)) return 'master';
  return election.master ? 'slave' : 'none';
}

/** Every peer that either the election or a replica's role says is master. */
function mastersOf(report: ContainerReport): Set<string> {
  const masters = new Set(report.replicas.filter((r) => r.role === 'master').map((r) => r.peer));
  if (report.election?.master) masters.add(report.election.master);
  for (const m of report.election?.masters ?? []) masters.add(m);
  return masters;
}

describe('planRepair properties', () => {
  it('never syncs unless the one master is seen and healthy, and never targets it', () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(reportArb, ({ report }) => {
        const plan = planRepair(report);
        for (const step of plan.steps) {
          kinds.add(step.kind);
          if (step.kind !== 'sync') continue;
          const masters = [...mastersOf(report)];
          expect(masters).toHaveLength(1);
          const master = report.replicas.find((r) => r.peer === masters[0]);
          expect(master?.health).toBe('ok');
          expect(step.peers).not.toContain(masters[0]);
          expect(step.peers.length).toBeGreaterThan(0);
          for (const p of step.peers) expect(report.replicas.find((r) => r.peer === p)?.health).not.toBe('ok');
        }
      }),
      // Seed pinned: with a random seed, 2000 runs miss the rare set-properties case about one
      // run in eight, which made the non-vacuity check below flaky. The other properties stay random.
      { numRuns: 2000, seed: 20261125 },
    );
    // The property is not vacuous: the generator reaches every kind of step.
    expect([...kinds].sort()).toEqual(['await-master', 'leave', 'set-properties', 'sync']);
  });

  it('never plans a step for an unrepairable or unknown container', () => {
    fc.assert(
      fc.property(reportArb, ({ report }) => {
        if (report.verdict !== 'unrepairable' && report.verdict !== 'unknown') return;
        expect(planRepair(report).steps).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('makes only the damaged master leave, and hands over only to healthy slaves', () => {
    fc.assert(
      fc.property(reportArb, ({ report }) => {
        for (const step of planRepair(report).steps) {
          if (step.kind === 'leave') {
            expect([...mastersOf(report)]).toEqual([step.peer]);
            expect(report.replicas.find((r) => r.peer === step.peer)?.health).not.toBe('ok');
          }
          if (step.kind === 'await-master') {
            expect(step.candidates).not.toContain(step.notPeer);
            for (const c of step.candidates) expect(report.replicas.find((r) => r.peer === c)?.health).toBe('ok');
          }
          if (step.kind === 'set-properties') {
            const [master] = [...mastersOf(report)];
            expect(report.replicas.find((r) => r.peer === master)?.health).toBe('missing-keys');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('repairs every consistent repairable or master-damaged report', () => {
    fc.assert(
      fc.property(reportArb, ({ report, consistent }) => {
        if (!consistent || (report.verdict !== 'repairable' && report.verdict !== 'master-damaged')) return;
        expect(planRepair(report).decision).toBe('repair');
      }),
      { numRuns: 2000 },
    );
  });
});
