import { describe, expect, it } from 'vitest';
import { formatJournalEntries } from '../../src/journal/read.js';
import type { JournalEntry } from '../../src/journal/types.js';

const base = { ts: '2026-11-25T10:00:00.000Z', cid: '0123456789ABCDEF0123', account: 'acct', container: 'photos', reqId: 'r1' } as const;

describe('formatJournalEntries', () => {
  it('prints a detection with the verdict and each replica’s health and missing keys', () => {
    const entry: JournalEntry = {
      ...base,
      type: 'detection',
      verdict: 'repairable',
      reason: 'one slave lacks admin keys',
      replicas: [
        { peer: '10.0.0.1:6120', health: 'ok', role: 'master' },
        { peer: '10.0.0.2:6120', health: 'missing-keys', role: 'slave', missingKeys: ['sys.m2.ctime', 'sys.m2.init'] },
      ],
    };
    expect(formatJournalEntries([entry])).toBe(
      '2026-11-25T10:00:00.000Z  0123456789AB  acct/photos  detection   repairable: one slave lacks admin keys ' +
        '[10.0.0.1:6120 ok master, 10.0.0.2:6120 missing-keys slave (missing sys.m2.ctime,sys.m2.init)]',
    );
  });

  it('prints a step start with its target peers and the dry-run mark', () => {
    const entry: JournalEntry = {
      ...base, type: 'step-start', round: 1, dryRun: true,
      step: { kind: 'sync', peers: ['10.0.0.2:6120'] },
      before: [{ peer: '10.0.0.2:6120', health: 'missing-base', role: 'unknown' }],
    };
    expect(formatJournalEntries([entry])).toContain('step-start  round 1 election sync of 10.0.0.2:6120 from the master (dry run) [before: 10.0.0.2:6120 missing-base]');
  });

  it('prints a retry with its attempt number and why it was sent', () => {
    const entry: JournalEntry = {
      ...base, type: 'step-start', round: 1, dryRun: false, attempt: 2, why: 'answered 511',
      step: { kind: 'sync', peers: ['10.0.0.2:6120'] },
      before: [],
    };
    expect(formatJournalEntries([entry])).toContain('step-start  round 1 election sync of 10.0.0.2:6120 from the master attempt 2: answered 511 [before: ]');
  });

  it('prints a step end with each replica’s evidence, before → after', () => {
    const entry: JournalEntry = {
      ...base, type: 'step-end', round: 1, status: 'no-effect', detail: 'the write did not go through the master',
      step: { kind: 'set-properties', values: { 'sys.m2.ctime': '1795580730589743' } },
      evidence: [{
        peer: 'M',
        before: { health: 'missing-keys', role: 'master', keys: { 'sys.m2.ctime': null, 'version:main.admin': '2:0' } },
        after: { health: 'missing-keys', role: 'master', keys: { 'sys.m2.ctime': null, 'version:main.admin': '2:0' } },
      }],
    };
    expect(formatJournalEntries([entry])).toContain(
      'set-properties no-effect: the write did not go through the master [evidence: M: missing-keys master sys.m2.ctime absent version:main.admin=2:0 → missing-keys master sys.m2.ctime absent version:main.admin=2:0]',
    );
  });

  it('prints an escalation: what had no effect and what is done instead', () => {
    const entry: JournalEntry = {
      ...base, type: 'escalate', round: 2, reason: 'write-back had no effect, so M leaves',
      from: [{ kind: 'set-properties', peer: 'M', round: 1, why: 'still lacks sys.m2.ctime' }],
      to: [{ kind: 'leave', peer: 'M' }, { kind: 'await-master', candidates: ['A'], notPeer: 'M' }],
    };
    expect(formatJournalEntries([entry])).toContain(
      'escalate    round 2 no effect: set-properties M (round 1: still lacks sys.m2.ctime) → master M leaves the election, then wait until the election settles on a master other than M (healthy at the probe: A): write-back had no effect, so M leaves',
    );
  });

  it('prints a step end with every peer’s answer', () => {
    const entry: JournalEntry = {
      ...base, type: 'step-end', round: 2, status: 'failed', detail: 'one peer refused',
      step: { kind: 'leave', peer: '10.0.0.1:6120' },
      answers: [{ peer: '10.0.0.1:6120', status: 503, message: 'election pending' }],
    };
    expect(formatJournalEntries([entry])).toContain('step-end    round 2 leave failed: one peer refused [10.0.0.1:6120 503 election pending]');
  });

  it('prints verification and outcome lines, one line per entry, and "-" without account or container', () => {
    const verify: JournalEntry = { ...base, type: 'verify', round: 1, verdict: 'healthy', reason: 'all replicas ok', after: [] };
    const outcome: JournalEntry = { ts: base.ts, cid: 'FF', reqId: 'r2', type: 'repair', outcome: 'skipped_budget', reason: 'hourly budget spent' };
    expect(formatJournalEntries([verify, outcome]).split('\n')).toEqual([
      '2026-11-25T10:00:00.000Z  0123456789AB  acct/photos  verify      round 1 healthy: all replicas ok [after: ]',
      '2026-11-25T10:00:00.000Z  FF            -  repair      skipped_budget: hourly budget spent',
    ]);
  });

  it('shows the reason code of the entries that carry one, and nothing for older lines without', () => {
    const verify: JournalEntry = { ...base, type: 'verify', code: 'HEALTHY', round: 1, verdict: 'healthy', reason: 'all replicas ok', after: [] };
    const outcome: JournalEntry = { ts: base.ts, cid: 'FF', reqId: 'r2', type: 'repair', code: 'SKIPPED_BUDGET', outcome: 'skipped_budget', reason: 'hourly budget spent' };
    expect(formatJournalEntries([verify, outcome]).split('\n')).toEqual([
      '2026-11-25T10:00:00.000Z  0123456789AB  acct/photos  verify      round 1 healthy (HEALTHY): all replicas ok [after: ]',
      '2026-11-25T10:00:00.000Z  FF            -  repair      skipped_budget (SKIPPED_BUDGET): hourly budget spent',
    ]);
  });

  it('describes await-master and set-properties steps by their arguments', () => {
    const steps: JournalEntry[] = [
      { ...base, type: 'step-start', round: 1, dryRun: false, before: [], step: { kind: 'await-master', candidates: ['b', 'c'], notPeer: 'a' } },
      { ...base, type: 'step-start', round: 1, dryRun: false, before: [], step: { kind: 'set-properties', values: { 'sys.m2.ctime': '1', 'sys.m2.init': '1' } } },
    ];
    const [first, second] = formatJournalEntries(steps).split('\n');
    expect(first).toContain('wait until the election settles on a master other than a (healthy at the probe: b, c)');
    expect(second).toContain('write sys.m2.ctime=1, sys.m2.init=1 through the master');
  });
});
