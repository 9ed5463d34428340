// A sweep records every decision with its reason code: the journal's detection and repair
// entries, the log lines, and oio_repaird_decisions_total{code}.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/types.js';
import { runSweep } from '../../src/sweep/sweep.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { containerNames, Harness, indexOf, sample, type Fate } from './harness.js';

/** #1 damaged, #2 unrepairable, #3 unseen, #4 probe throws, the rest healthy. */
const fate = (ref: { container?: string }): Fate =>
  (({ 1: 'damaged', 2: 'unrepairable', 3: 'unseen', 4: 'throw' }) as Record<number, Fate>)[indexOf(ref as never)] ?? 'healthy';

const codesOf = (entries: readonly JournalEntry[], type: JournalEntry['type']) =>
  entries.filter((e) => e.type === type).map((e) => ('code' in e ? e.code : undefined)).sort();

describe('reason codes in a sweep', () => {
  it('journals, logs and counts each decision with its code', async () => {
    const { log, lines } = capturingLogger();
    const h = new Harness({ a: containerNames(6) }, { fate });
    await runSweep({ ...h.deps(), log }, h.options(new AbortController().signal, { maxUnknownShare: 1 }));

    expect(codesOf(h.journal.entries, 'detection')).toEqual(['PEER_UNREACHABLE', 'PROBE_FAILED', 'REFUSED_NO_QUORUM', 'REPAIRABLE']);
    expect(codesOf(h.journal.entries, 'repair')).toEqual(['REFUSED_NO_QUORUM']);

    const m = h.metrics.decisions;
    expect(await sample(m, { code: 'HEALTHY' })).toBe(2);
    expect(await sample(m, { code: 'REPAIRABLE' })).toBe(1);
    expect(await sample(m, { code: 'REFUSED_NO_QUORUM' })).toBe(2); // the verdict, then the gate's refusal
    expect(await sample(m, { code: 'PEER_UNREACHABLE' })).toBe(1);
    expect(await sample(m, { code: 'PROBE_FAILED' })).toBe(1);
    expect(await sample(m, { code: 'REPAIR_SUCCEEDED' })).toBe(1);

    const coded = (msg: string) => lines.filter((l) => l['msg'] === msg).map((l) => l['code']).sort();
    expect(coded('container not healthy')).toEqual(['PEER_UNREACHABLE', 'PROBE_FAILED', 'REFUSED_NO_QUORUM', 'REPAIRABLE']);
    expect(coded('repair not attempted')).toEqual(['REFUSED_NO_QUORUM']);
    expect(coded('repair finished')).toEqual(['REPAIR_SUCCEEDED']);
  });

  it('journals a skip by the repair gate with the gate\'s code (cooldown)', async () => {
    const h = new Harness({ a: containerNames(2) }, { fate });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(codesOf(h.journal.entries, 'repair')).toEqual(['SKIPPED_COOLDOWN']);
    expect(await sample(h.metrics.decisions, { code: 'SKIPPED_COOLDOWN' })).toBe(1);
  });

  it('journals and counts the report-only gate', async () => {
    const h = new Harness({ a: containerNames(2) }, { fate, policy: { mode: 'report-only' } });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(codesOf(h.journal.entries, 'repair')).toEqual(['SKIPPED_REPORT_ONLY']);
    expect(await sample(h.metrics.decisions, { code: 'SKIPPED_REPORT_ONLY' })).toBe(1);
  });
});
