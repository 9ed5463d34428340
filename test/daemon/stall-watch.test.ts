// StallWatch as a pure decision on an injected clock: a sweep is stalled when no container
// finished for the stall time while at least one was in flight, and only the containers in
// flight since before the last progress are blamed (never one queued behind them).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STALL_FILE_NAME, StallWatch } from '../../src/daemon/stall-watch.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { ContainerRef } from '../../src/oio/types.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { tempDir } from '../helpers/daemon-process.js';

const ref = (name: string): ContainerRef => ({ account: 'acct', container: name, cid: `CID-${name}` }) as ContainerRef;

/** One step of a scenario: at time `t` (ms), a container starts or ends, or nothing happens. */
type Step = readonly [t: number, what: 'start' | 'done' | 'sweepEnded' | 'check', name?: string];

interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
  /** At the final check: null (not stalled) or the blamed containers. */
  readonly blamed: readonly string[] | null;
}

const STALL_MS = 10_000;

const cases: readonly Case[] = [
  { name: 'nothing in flight for a long time is not a stall', steps: [[0, 'start', 'a'], [1_000, 'done', 'a'], [60_000, 'check']], blamed: null },
  { name: 'one container in flight up to the stall time is not yet a stall', steps: [[0, 'start', 'a'], [STALL_MS, 'check']], blamed: null },
  { name: 'one container in flight past the stall time is a stall, and it is blamed', steps: [[0, 'start', 'a'], [STALL_MS + 1, 'check']], blamed: ['a'] },
  {
    name: 'idle time before the first start does not count',
    steps: [[50_000, 'start', 'a'], [50_000 + STALL_MS, 'check']],
    blamed: null,
  },
  {
    name: 'other containers finishing keep the sweep progressing (reset)',
    steps: [[0, 'start', 'stuck'], [1_000, 'start', 'b'], [8_000, 'done', 'b'], [9_000, 'start', 'c'], [17_000, 'done', 'c'], [17_000 + STALL_MS, 'check']],
    blamed: null,
  },
  {
    name: 'after the last progress, only the container in flight since before it is blamed, not one started later',
    steps: [[0, 'start', 'stuck'], [1_000, 'start', 'b'], [2_000, 'done', 'b'], [2_500, 'start', 'queued'], [2_000 + STALL_MS + 1, 'check']],
    blamed: ['stuck'],
  },
  {
    name: 'two containers started together, the second waiting behind the first: only the first is blamed',
    steps: [[0, 'start', 'stuck'], [0, 'start', 'waiting'], [STALL_MS + 1, 'check']],
    blamed: ['stuck'],
  },
  {
    name: 'two containers both in flight since before the last progress are both blamed',
    steps: [[0, 'start', 'x'], [0, 'start', 'y'], [0, 'start', 'z'], [500, 'done', 'z'], [500 + STALL_MS + 1, 'check']],
    blamed: ['x', 'y'],
  },
  {
    name: 'a sweep end clears what was in flight',
    steps: [[0, 'start', 'a'], [5_000, 'sweepEnded'], [60_000, 'check']],
    blamed: null,
  },
  {
    name: 'a container probed again within its run keeps its first start',
    steps: [[0, 'start', 'a'], [0, 'start', 'b'], [1_000, 'done', 'b'], [2_000, 'start', 'a'], [1_000 + STALL_MS + 1, 'check']],
    blamed: ['a'],
  },
];

async function watch(now: () => number, skipAfter = 2) {
  const metrics = createMetrics({ defaultMetrics: false });
  const { log, lines } = capturingLogger();
  const dir = await tempDir();
  const w = new StallWatch({ stallMs: STALL_MS, skipAfter, stateDir: dir, log, metrics, now });
  await w.load();
  return { w, metrics, lines, dir };
}

describe('StallWatch', () => {
  it.each(cases)('$name', async ({ steps, blamed }) => {
    let t = 0;
    const { w, lines, metrics } = await watch(() => t);
    for (const [at, what, name] of steps) {
      t = at;
      if (what === 'start') w.started(ref(name as string));
      else if (what === 'done') w.done(ref(name as string));
      else if (what === 'sweepEnded') w.sweepEnded();
      else w.check();
    }
    const stallLines = lines.filter((l) => l['msg'] === 'sweep stalled: withholding watchdog pings so that systemd restarts the daemon');
    const gauge = (await metrics.sweepStalled.get()).values[0]?.value;
    if (blamed === null) {
      expect(w.stalled).toBeNull();
      expect(stallLines).toEqual([]);
      expect(gauge).toBe(0);
    } else {
      expect(w.stalled).toMatch(/^sweep stalled: no container finished for \d+s \(stuck: /);
      expect(stallLines).toHaveLength(1);
      expect(stallLines[0]?.['stuck']).toEqual(blamed.map((n) => `acct/${n}`));
      expect(gauge).toBe(1);
    }
    await w.flush();
  });

  it('reports a stall once, recovers when a container finishes, and counts each stall', async () => {
    let t = 0;
    const { w, metrics, lines } = await watch(() => t);
    w.started(ref('a'));
    w.started(ref('b'));
    t = STALL_MS + 1;
    w.check();
    t += 5_000;
    w.check(); // still the same stall: no second line, no second count
    expect(lines.filter((l) => String(l['msg']).startsWith('sweep stalled'))).toHaveLength(1);
    expect((await metrics.sweepStalls.get()).values[0]?.value).toBe(1);
    w.done(ref('b'));
    expect(w.stalled).toBeNull();
    expect((await metrics.sweepStalled.get()).values[0]?.value).toBe(0);
    expect(lines.some((l) => l['msg'] === 'sweep progressing again')).toBe(true);
    // The clock restarts at that progress: 'a' is blamed again only a full stall time later.
    t += STALL_MS;
    w.check();
    expect(w.stalled).toBeNull();
    t += 1;
    w.check();
    expect(w.stalled).not.toBeNull();
    expect((await metrics.sweepStalls.get()).values[0]?.value).toBe(2);
    await w.flush();
  });

  it('skips a container blamed in skipAfter sweeps, from the counts kept in the state directory', async () => {
    let t = 0;
    const first = await watch(() => t);
    first.w.started(ref('stuck'));
    t = STALL_MS + 1;
    first.w.check();
    await first.w.flush();
    expect(JSON.parse(await readFile(join(first.dir, STALL_FILE_NAME), 'utf8'))).toEqual({ version: 1, containers: { 'acct/stuck': 1 } });

    // A restarted daemon on the same state directory: the count is taken back.
    const again = new StallWatch({ stallMs: STALL_MS, skipAfter: 2, stateDir: first.dir, log: capturingLogger().log, metrics: createMetrics({ defaultMetrics: false }), now: () => t });
    await again.load();
    expect(again.shouldSkip(ref('stuck'))).toBe(false);
    t = 100_000;
    again.started(ref('stuck'));
    t += STALL_MS + 1;
    again.check();
    await again.flush();
    expect(again.shouldSkip(ref('stuck'))).toBe(true);
    expect(again.shouldSkip(ref('other'))).toBe(false);
    const report = again.skippedReport(ref('stuck'));
    expect(report).toMatchObject({ verdict: 'unknown', requests: 0, error: { code: 'REPAIRD_STALLED_SKIPPED' } });
    expect(report.reason).toContain('stalled the sweep 2 times');
    // Skipped once, its count is gone: the next sweep tries it again.
    expect(again.shouldSkip(ref('stuck'))).toBe(false);
    await again.flush();
    expect(JSON.parse(await readFile(join(first.dir, STALL_FILE_NAME), 'utf8'))).toEqual({ version: 1, containers: {} });
  });

  it('forgets the count of a blamed container once it finishes', async () => {
    let t = 0;
    const { w, dir } = await watch(() => t);
    w.started(ref('slow'));
    t = STALL_MS + 1;
    w.check();
    w.done(ref('slow'));
    await w.flush();
    expect(JSON.parse(await readFile(join(dir, STALL_FILE_NAME), 'utf8'))).toEqual({ version: 1, containers: {} });
  });
});
