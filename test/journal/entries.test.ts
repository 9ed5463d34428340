// Journal entries are built in one module: what each one records, and in which shape.
import { describe, expect, it } from 'vitest';
import { controlEntry, detectionEntry, journalReplicas, repairEntry, repairJournal } from '../../src/journal/entries.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';
import { FakeProxy } from '../helpers/fake-proxy.js';
import { healthyTable, P1, P2, P3, REF, without } from '../helpers/tables.js';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');

async function damagedReport() {
  const proxy = new FakeProxy();
  proxy.peer(P1).table = without(healthyTable(), 'sys.m2.ctime');
  return probeContainer(proxy, REF, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId: 'req-1' });
}

describe('journal entries', () => {
  it('summarize replicas without their admin tables', async () => {
    expect(journalReplicas(await damagedReport())).toEqual([
      { peer: P1, health: 'missing-keys', role: 'slave', missingKeys: ['sys.m2.ctime'], detail: 'lacks sys.m2.ctime' },
      { peer: P2, health: 'ok', role: 'master' },
      { peer: P3, health: 'ok', role: 'slave' },
    ]);
  });

  it('record a detection with the verdict, the reason and every replica', async () => {
    const report = await damagedReport();
    expect(detectionEntry(report, 'req-1', T0)).toEqual({
      code: 'REPAIRABLE',
      ts: '2026-01-02T03:04:05.000Z',
      cid: REF.cid,
      ...(REF.account !== undefined ? { account: REF.account } : {}),
      ...(REF.container !== undefined ? { container: REF.container } : {}),
      reqId: 'req-1',
      type: 'detection',
      verdict: report.verdict,
      reason: report.reason,
      replicas: journalReplicas(report),
    });
  });

  it('turn the executor events into entries: replicas summarized, verdict and reason of a verification read', async () => {
    const report = await damagedReport();
    const step = { kind: 'sync', peers: [P1] } as const;
    const start = repairEntry(REF, 'r', T0, { type: 'step-start', round: 1, step, dryRun: false, before: report, attempt: 2, why: '511' });
    expect(start).toMatchObject({ type: 'step-start', round: 1, step, dryRun: false, before: journalReplicas(report), attempt: 2, why: '511' });
    const verify = repairEntry(REF, 'r', T0, { type: 'verify', round: 1, after: report });
    expect(verify).toMatchObject({ type: 'verify', round: 1, verdict: report.verdict, reason: report.reason, after: journalReplicas(report) });
    expect(repairEntry(REF, 'r', T0, { type: 'repair', code: 'REFUSED_NO_QUORUM', outcome: 'refused', reason: 'no quorum' })).toMatchObject({ type: 'repair', outcome: 'refused', reason: 'no quorum' });
  });

  it('are appended by the executor recorder with the time of the event', async () => {
    const written: JournalEntry[] = [];
    const recorder = repairJournal({ append: async (e) => void written.push(e) }, { evidenceMaxBytes: 65_536, now: () => T0 });
    await recorder.record(REF, 'r', { type: 'repair', code: 'REPAIR_FAILED', outcome: 'failed', reason: 'x' });
    expect(written).toEqual([repairEntry(REF, 'r', T0, { type: 'repair', code: 'REPAIR_FAILED', outcome: 'failed', reason: 'x' })]);
  });

  it('record an operator control namespace-wide (cid `*`): who, why, until, and the breaker that opened', () => {
    const until = T0 + 7_200_000;
    expect(controlEntry({ action: 'suspend', at: T0, by: 'alice', reason: 'freeze', until })).toEqual({
      ts: '2026-01-02T03:04:05.000Z',
      cid: '*',
      reqId: `control-${T0.toString(36)}`,
      type: 'control',
      action: 'suspend',
      by: 'alice',
      reason: 'freeze',
      until: '2026-01-02T05:04:05.000Z',
    });
    const breaker = { openedAt: T0, reason: 'damaged_share', detail: '30 of 100', damaged: 30, judged: 100, coolOffUntil: null } as const;
    expect(controlEntry({ action: 'breaker-open', at: T0, by: 'oio-repaird', reason: '30 of 100', breaker })).toMatchObject({ type: 'control', action: 'breaker-open', cid: '*', breaker });
  });
});
