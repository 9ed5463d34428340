import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSweepHistory, HISTORY_FILE, HISTORY_KEPT, lastSuccess, type SweepRecord } from '../../src/sweep/history.js';
import { emptyCounts } from '../../src/sweep/state.js';
import { sweepSucceeded, type SweepResult, type SweepSummary } from '../../src/sweep/sweep.js';

const silent = pino({ level: 'silent' });

function summary(n: number, result: SweepResult, unrepairable = 0): SweepSummary {
  return {
    sweepId: `sweep-${n}`,
    result,
    resumed: false,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
    endedAt: new Date(Date.UTC(2026, 0, 1, 0, n, 30)).toISOString(),
    doneThisRun: 10,
    counts: { ...emptyCounts(), done: 10, unrepairable, damagedReplicas: { ...emptyCounts().damagedReplicas, 'missing-keys': n } },
    position: null,
  };
}

describe('which sweep results count as a success', () => {
  it.each([
    ['completed', true],
    ['incomplete', false],
    ['failed', false],
    ['interrupted', false],
  ] as const)('%s → %s', (result, expected) => {
    expect(sweepSucceeded(result)).toBe(expected);
  });

  it('lastSuccess is the newest successful sweep, skipping later incomplete and failed ones', () => {
    const records = [summary(1, 'completed'), summary(2, 'completed'), summary(3, 'incomplete'), summary(4, 'failed')].map(
      (s) => ({ sweepId: s.sweepId, result: s.result, endedAt: s.endedAt }) as SweepRecord,
    );
    expect(lastSuccess(records)?.sweepId).toBe('sweep-2');
    expect(lastSuccess(records.slice(2))).toBeUndefined();
  });
});

describe('FileSweepHistory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'repaird-history-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart: what one instance recorded, the next one loads', async () => {
    const first = new FileSweepHistory(dir, silent);
    await first.load();
    await first.record(summary(1, 'completed', 2));
    await first.record(summary(2, 'incomplete'));
    const second = new FileSweepHistory(dir, silent);
    const loaded = await second.load();
    expect(loaded.map((s) => [s.sweepId, s.result])).toEqual([['sweep-1', 'completed'], ['sweep-2', 'incomplete']]);
    expect(lastSuccess(loaded)).toMatchObject({ sweepId: 'sweep-1', unrepairable: 2, endedAt: '2026-01-01T00:01:30.000Z' });
    expect(lastSuccess(loaded)?.damagedReplicas).toMatchObject({ 'missing-keys': 1, 'missing-base': 0 });
    expect(await readdir(dir)).toEqual([HISTORY_FILE]);
  });

  it(`keeps only the last ${HISTORY_KEPT} sweeps`, async () => {
    const history = new FileSweepHistory(dir, silent);
    for (let n = 0; n < HISTORY_KEPT + 5; n++) await history.record(summary(n, 'completed'));
    const loaded = await new FileSweepHistory(dir, silent).load();
    expect(loaded).toHaveLength(HISTORY_KEPT);
    expect(loaded[0]?.sweepId).toBe('sweep-5');
  });

  it('a corrupt or foreign file means an empty history, not a crash', async () => {
    for (const text of ['{torn', '{"version":2,"sweeps":[]}', '{"version":1,"sweeps":[{"sweepId":"x","result":"completed","endedAt":"never"}]}']) {
      await writeFile(join(dir, HISTORY_FILE), text);
      expect(await new FileSweepHistory(dir, silent).load()).toEqual([]);
    }
  });
});
