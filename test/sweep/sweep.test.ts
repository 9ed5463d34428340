import { describe, expect, it } from 'vitest';
import type { ContainerReport } from '../../src/probe/types.js';
import { runSweep, sweepResult } from '../../src/sweep/sweep.js';
import { unavailable } from '../discover/fake-accounts.js';
import { ManualClock } from './manual-clock.js';
import { capturingLogger } from '../helpers/capture-log.js';
import { containerNames, Harness, indexOf, sample, tick, type Fate } from './harness.js';

const tree3x10 = { a1: containerNames(10), a2: containerNames(10), a3: containerNames(10) };
const everyContainer = (tree: Record<string, readonly string[]>) =>
  Object.entries(tree).flatMap(([a, cs]) => cs.map((c) => `${a}/${c}`));
/** Per account: #3 damaged, #5 unrepairable, #7 probe throws, the rest healthy. */
const mixedFate = (ref: { container?: string }): Fate =>
  (({ 3: 'damaged', 5: 'unrepairable', 7: 'throw' }) as Record<number, Fate>)[indexOf(ref as never)] ?? 'healthy';

describe('runSweep', () => {
  it('probes every container once and exports what the probes and repairs returned', async () => {
    const h = new Harness(tree3x10, { fate: mixedFate });
    // 3 of 30 probes throw: allowed here, so the sweep counts as completed.
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal, { maxUnknownShare: 0.2 }));

    expect(summary.result).toBe('completed');
    expect([...h.probed].sort()).toEqual(everyContainer(tree3x10));
    const m = h.metrics;
    // 21 healthy × 3 ok + 3 damaged × 2 ok + 3 unrepairable × 1 ok; 3 probes threw.
    expect(await sample(m.probes, { result: 'ok' })).toBe(72);
    expect(await sample(m.probes, { result: 'missing-keys' })).toBe(3);
    expect(await sample(m.probes, { result: 'missing-base' })).toBe(3);
    expect(await sample(m.probes, { result: 'corrupt-base' })).toBe(3);
    expect(await sample(m.probes, { result: 'error' })).toBe(3);
    expect(await sample(m.detections, { kind: 'missing-keys' })).toBe(3);
    expect(await sample(m.detections, { kind: 'missing-base' })).toBe(3);
    expect(await sample(m.repairs, { outcome: 'succeeded' })).toBe(3);
    expect(await sample(m.repairs, { outcome: 'refused' })).toBe(3);
    // Gauges of the completed sweep reflect the state AFTER the (verified) repairs.
    expect(await sample(m.damagedReplicas, { kind: 'missing-keys' })).toBe(0);
    expect(await sample(m.damagedReplicas, { kind: 'missing-base' })).toBe(3);
    expect(await sample(m.damagedReplicas, { kind: 'corrupt-base' })).toBe(3);
    expect(await sample(m.unrepairableContainers)).toBe(3);
    expect(await sample(m.repairBudgetRemaining)).toBe(97);
    expect(await sample(m.sweepContainers)).toBe(30);
    expect(await sample(m.sweepProgress)).toBe(30);
    expect(await sample(m.sweepsTotal, { result: 'completed' })).toBe(1);
    expect(await sample(m.sweepInProgress)).toBe(0);
    expect(await sample(m.lastSweepSuccess)).toBeGreaterThan(0);
    expect(summary.counts).toMatchObject({ done: 30, damagedContainers: 6, unrepairable: 3, probeErrors: 3 });
    expect(h.state.checkpoint).toBeNull();
  });

  it('journals a detection for every non-healthy container, before any repair of it', async () => {
    const h = new Harness(tree3x10, { fate: mixedFate });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    const detections = h.journal.entries.filter((e) => e.type === 'detection');
    expect(detections.map((e) => (e.type === 'detection' ? e.verdict : '')).sort()).toEqual([
      ...Array(3).fill('repairable'), ...Array(3).fill('unknown'), ...Array(3).fill('unrepairable'),
    ]);
    // The fake repair throws if called before the detection is journaled, which would be 'failed'.
    expect(await sample(h.metrics.repairs, { outcome: 'failed' })).toBe(0);
    expect(h.repaired).toHaveLength(3);
    const refusals = h.journal.entries.filter((e) => e.type === 'repair' && e.outcome === 'refused');
    expect(refusals).toHaveLength(3);
  });

  it('never runs more probes at once than its concurrency', async () => {
    const h = new Harness({ a: containerNames(60) });
    await runSweep(h.deps(), h.options(new AbortController().signal, { concurrency: 5 }));
    expect(h.maxActive).toBe(5);
    expect(h.probed).toHaveLength(60);
  });

  it('never probes more containers at once on one meta2 service than perServiceConcurrency', async () => {
    const services = ['s1', 's2', 's3', 's4', 's5'];
    const h = new Harness({ a: containerNames(80) }, {
      peersOf: (ref) => [0, 1, 3].map((k) => services[(indexOf(ref) + k) % 5]!),
    });
    await runSweep(h.deps(), h.options(new AbortController().signal, { concurrency: 8, perServiceConcurrency: 2 }));
    expect(h.maxPerPeer).toBe(2);
    expect(h.probed).toHaveLength(80);
    expect(h.peersSeen.every((p) => p?.length === 3)).toBe(true);
  });

  it('keeps probing other containers while one meta2 service hangs', async () => {
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const onSlow = (ref: { container?: string }) => indexOf(ref as never) % 10 === 0;
    const h = new Harness({ a: containerNames(100) }, {
      peersOf: (ref) => (onSlow(ref) ? ['slow', 'x', 'y'] : ['p', 'q', 'r']),
      hold: (ref) => (onSlow(ref) ? slow : undefined),
    });
    const run = runSweep(h.deps(), h.options(new AbortController().signal, { concurrency: 4, perServiceConcurrency: 1 }));
    for (let i = 0; i < 2000 && h.probed.filter((k) => !onSlow({ container: k.split('/')[1]! })).length < 90; i++) await tick();
    // All 90 containers away from the slow service were probed while it hung on its first one.
    expect(h.probed.filter((k) => !onSlow({ container: k.split('/')[1]! }))).toHaveLength(90);
    expect(h.probed.filter((k) => onSlow({ container: k.split('/')[1]! }))).toHaveLength(1);
    releaseSlow();
    const summary = await run;
    expect(summary.counts.done).toBe(100);
  });

  it('when stopped, saves a watermark from which a second run covers every container', async () => {
    const tree = { a1: containerNames(40), a2: containerNames(40) };
    const first = new Harness(tree);
    const stop = new AbortController();
    first.onProbe = (n) => n === 30 && stop.abort();
    const s1 = await runSweep(first.deps(), first.options(stop.signal, { concurrency: 6 }));

    expect(s1.result).toBe('interrupted');
    expect(await sample(first.metrics.sweepsTotal, { result: 'interrupted' })).toBe(1);
    expect(await sample(first.metrics.lastSweepSuccess)).toBe(0);
    const saved = first.state.checkpoint;
    expect(saved?.position).toEqual(s1.position);
    expect(saved?.sweepId).toBe(s1.sweepId);

    const second = new Harness(tree);
    second.state.checkpoint = saved;
    const s2 = await runSweep(second.deps(), second.options(new AbortController().signal, { concurrency: 6 }));

    expect(s2.result).toBe('completed');
    expect(s2.resumed).toBe(true);
    expect(s2.sweepId).toBe(s1.sweepId);
    const all = everyContainer(tree);
    const covered = new Set([...first.probed, ...second.probed]);
    expect(all.filter((k) => !covered.has(k))).toEqual([]);
    // The second run starts right after the watermark and re-probes at most what was in flight.
    const watermark = `${saved!.position!.account}/${saved!.position!.container}`;
    expect(second.probed.every((k) => k > watermark)).toBe(true);
    expect(second.probed.length).toBeLessThan(all.length - 20);
    expect(second.state.checkpoint).toBeNull();
  });

  it('counts a sweep stopped and resumed exactly like one that never stopped, though containers finished beyond the watermark', async () => {
    // ct000-ct009 share one slow meta2 service (one probe at a time, ct000 held until the stop):
    // the others, each on its own service, finish long before them, beyond the watermark.
    const tree = { a: containerNames(40) };
    const slow = (ref: { container?: string }) => indexOf(ref as never) < 10;
    const fate = (ref: { container?: string }): Fate =>
      (({ 12: 'unrepairable', 25: 'unrepairable', 14: 'damaged', 30: 'damaged', 16: 'throw' }) as Record<number, Fate>)[indexOf(ref as never)] ?? 'healthy';
    const harness = (stop?: AbortSignal) => new Harness(tree, {
      fate,
      peersOf: (ref) => (slow(ref) ? ['slow:6120'] : [`fast-${ref.container}:6120`]),
      // Report-only: damaged containers keep their missing keys, so a double count would show.
      policy: { mode: 'report-only' },
      ...(stop ? { hold: (ref) => (slow(ref) ? new Promise<void>((r) => stop.addEventListener('abort', () => r(), { once: true })) : undefined) } : {}),
    });
    const opts = { perServiceConcurrency: 1, maxUnknownShare: 0.5 };
    const reference = harness();
    const never = await runSweep(reference.deps(), reference.options(new AbortController().signal, opts));
    expect(never.counts).toMatchObject({ done: 40, unrepairable: 2, damagedContainers: 4, probeErrors: 1 });

    const stop = new AbortController();
    const first = harness(stop.signal);
    first.onProbe = (n) => n === 21 && stop.abort();
    const s1 = await runSweep(first.deps(), first.options(stop.signal, opts));
    expect(s1.result).toBe('interrupted');
    // The watermark is stuck at ct000 (ct001-ct009 never ran), while later containers finished.
    expect(s1.position).toEqual({ account: 'a', container: 'ct000' });
    const saved = first.state.checkpoint!;
    expect(saved.finishedAhead.length).toBe(s1.counts.done - 1);

    const second = harness();
    second.state.checkpoint = saved;
    const s2 = await runSweep(second.deps(), second.options(new AbortController().signal, opts));
    expect(s2).toMatchObject({ result: 'completed', resumed: true });
    const { activeMs: _a, ...resumedCounts } = s2.counts;
    const { activeMs: _b, ...referenceCounts } = never.counts;
    expect(resumedCounts).toEqual(referenceCounts);
    expect(await sample(second.metrics.unrepairableContainers)).toBe(2);
    expect(await sample(second.metrics.damagedReplicas, { kind: 'missing-keys' })).toBe(2);
    // No container probed twice over the two runs, none missed.
    expect(first.probed.filter((k) => second.probed.includes(k))).toEqual([]);
    expect([...first.probed, ...second.probed].sort()).toEqual(everyContainer(tree));
  });

  it('lets in-flight repairs finish when stopped', async () => {
    const h = new Harness({ a: containerNames(20) }, { fate: () => 'damaged' });
    const stop = new AbortController();
    h.onProbe = (n) => n === 3 && stop.abort();
    const summary = await runSweep(h.deps(), h.options(stop.signal, { concurrency: 3 }));
    expect(summary.result).toBe('interrupted');
    expect(h.repaired).toHaveLength(h.probed.length);
    expect(await sample(h.metrics.repairs, { outcome: 'succeeded' })).toBe(h.probed.length);
  });

  it('skips repairs beyond the per-sweep budget and says so', async () => {
    const h = new Harness({ a: containerNames(5) }, { fate: () => 'damaged', policy: { maxPerSweep: 2 } });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(h.repaired).toHaveLength(2);
    expect(await sample(h.metrics.repairs, { outcome: 'succeeded' })).toBe(2);
    expect(await sample(h.metrics.repairs, { outcome: 'skipped_budget' })).toBe(3);
    expect(await sample(h.metrics.repairBudgetRemaining)).toBe(0);
    expect(await sample(h.metrics.damagedReplicas, { kind: 'missing-keys' })).toBe(3);
    expect(h.journal.entries.filter((e) => e.type === 'repair' && e.outcome === 'skipped_budget')).toHaveLength(3);
  });

  it('never calls repair in report-only mode', async () => {
    const h = new Harness({ a: containerNames(4) }, { fate: () => 'damaged', policy: { mode: 'report-only' } });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(h.repaired).toEqual([]);
    expect(await sample(h.metrics.repairs, { outcome: 'dry_run' })).toBe(4);
  });

  it('in report-only mode, hands damaged containers to previewRepair when given', async () => {
    const h = new Harness({ a: containerNames(3) }, { fate: () => 'damaged', policy: { mode: 'report-only' } });
    const previewed: string[] = [];
    const deps = {
      ...h.deps(),
      previewRepair: async (report: ContainerReport) => {
        previewed.push(report.ref.container ?? '');
        return { outcome: 'dry_run' as const, before: report, rounds: [], reason: 'would sync' };
      },
    };
    await runSweep(deps, h.options(new AbortController().signal));
    expect(previewed.sort()).toEqual(containerNames(3));
    expect(h.repaired).toEqual([]);
    expect(await sample(h.metrics.repairs, { outcome: 'dry_run' })).toBe(3);
    // The preview journals its own entries; the sweep adds none of its own for it.
    expect(h.journal.entries.filter((e) => e.type === 'repair')).toEqual([]);
  });

  it('is incomplete, not completed, when more probes failed than maxUnknownShare allows (a failed probe could not judge)', async () => {
    // The proxy was down for part of the sweep: every container was listed, 5 of 20 probes failed.
    const h = new Harness({ a: containerNames(20) }, { fate: (ref) => (Number(ref.container?.slice(-2)) < 5 ? 'throw' : ref.container?.endsWith('7') ? 'damaged' : 'healthy') });
    h.metrics.damagedReplicas.set({ kind: 'missing-keys' }, 42);
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(summary.result).toBe('incomplete');
    expect(summary.counts).toMatchObject({ probeErrors: 5, unknown: 5 });
    expect(await sample(h.metrics.sweepsTotal, { result: 'incomplete' })).toBe(1);
    expect(await sample(h.metrics.sweepsTotal, { result: 'completed' })).toBe(0);
    // The damage picture of a sweep that could not see everything is not published…
    expect(await sample(h.metrics.damagedReplicas, { kind: 'missing-keys' })).toBe(42);
    expect(await sample(h.metrics.lastSweepSuccess)).toBe(0);
    // …but what it could see was still repaired, and the walk is over (no resume position).
    expect(h.repaired.length).toBeGreaterThan(0);
    expect(h.state.checkpoint).toBeNull();
  });

  it('is incomplete when more containers could not be judged than maxUnknownShare allows, though no probe failed; gauges and success time stay', async () => {
    // One meta2 service down: its replicas are unseen, so every container on it is "unknown".
    const fate = (ref: { container?: string }): Fate => (indexOf(ref as never) === 4 ? 'unrepairable' : 'healthy');
    const h = new Harness({ a: containerNames(10) }, { fate });
    await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(await sample(h.metrics.unrepairableContainers)).toBe(1);
    const lastSuccess = await sample(h.metrics.lastSweepSuccess);
    expect(lastSuccess).toBeGreaterThan(0);

    const blind = new Harness({ a: containerNames(10) }, { fate: (ref) => (indexOf(ref) < 3 ? 'healthy' : 'unseen') });
    const summary = await runSweep({ ...blind.deps(), metrics: h.metrics }, blind.options(new AbortController().signal, { maxUnknownShare: 0.5 }));
    expect(summary.result).toBe('incomplete');
    expect(summary.counts).toMatchObject({ done: 10, unknown: 7, probeErrors: 0, unrepairable: 0 });
    expect(await sample(h.metrics.unrepairableContainers)).toBe(1);
    expect(await sample(h.metrics.lastSweepSuccess)).toBe(lastSuccess);
    expect(await sample(h.metrics.unknownContainers)).toBe(7);
    expect(await sample(h.metrics.sweepIncomplete)).toBe(1);
    expect(await sample(h.metrics.sweepsTotal, { result: 'incomplete' })).toBe(1);

    // A few unknowns within the share: completed, counted in their own gauge.
    const few = await runSweep({ ...blind.deps(), metrics: h.metrics }, blind.options(new AbortController().signal, { maxUnknownShare: 0.7 }));
    expect(few.result).toBe('completed');
    expect(await sample(h.metrics.unknownContainers)).toBe(7);
    expect(await sample(h.metrics.sweepIncomplete)).toBe(0);
    expect(await sample(h.metrics.lastSweepSuccess)).toBeGreaterThanOrEqual(lastSuccess);
  });

  it.each([
    // walked, done, unknown, maxUnknownShare, result
    ['completed', 100, 1, 0.01, 'completed'],
    ['completed', 100, 2, 0.01, 'incomplete'],
    ['completed', 10, 10, 1, 'completed'],
    ['completed', 10, 1, 0, 'incomplete'],
    ['completed', 0, 0, 0.01, 'completed'],
    ['interrupted', 100, 100, 0.01, 'interrupted'],
    ['failed', 0, 0, 0.01, 'failed'],
  ] as const)('sweepResult: walked %s, %i done, %i unknown, share %d → %s', (walked, done, unknown, share, expected) => {
    expect(sweepResult(walked, { done, unknown }, share)).toBe(expected);
  });

  it('hands each progress line to onProgress (systemd STATUS=) as well as to the log', async () => {
    const h = new Harness({ a: containerNames(6) }, { hold: () => new Promise((r) => setTimeout(r, 20)) });
    const seen: Array<{ sweepId: string; done: number }> = [];
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal, {
      concurrency: 1, progressIntervalMs: 5, onProgress: (p) => seen.push({ sweepId: p.sweepId, done: p.done }),
    }));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.sweepId === summary.sweepId && p.done >= 0 && p.done <= 6)).toBe(true);
  });

  it('counts a repair that throws as failed and carries on', async () => {
    const h = new Harness({ a: containerNames(4) }, { fate: () => 'damaged' });
    const deps = { ...h.deps(), repair: async () => Promise.reject(new Error('boom')) };
    const summary = await runSweep(deps, h.options(new AbortController().signal));
    expect(summary.result).toBe('completed');
    expect(await sample(h.metrics.repairs, { outcome: 'failed' })).toBe(4);
    expect(h.journal.entries.filter((e) => e.type === 'repair' && e.outcome === 'failed')).toHaveLength(4);
  });

  it('retries a failing enumeration from where it stopped, without probing twice', async () => {
    const h = new Harness(tree3x10);
    let failures = 0;
    h.accounts.failPage = (p) => (p.account === 'a2' && p.marker === 'ct006' && failures++ < 2 ? unavailable() : undefined);
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal));
    expect(summary.result).toBe('completed');
    expect(failures).toBe(3);
    expect(h.probed).toHaveLength(30);
    expect(new Set(h.probed).size).toBe(30);
  });

  it('fails the sweep after repeated enumeration failures, saving its position', async () => {
    const h = new Harness(tree3x10);
    h.accounts.failPage = (p) => (p.account === 'a2' ? unavailable() : undefined);
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal, { enumerationRetries: 2 }));
    expect(summary.result).toBe('failed');
    expect(summary.error?.code).toBe('OIO_UNAVAILABLE');
    expect(h.state.checkpoint?.position).toEqual({ account: 'a1', container: 'ct009' });
    expect(await sample(h.metrics.sweepsTotal, { result: 'failed' })).toBe(1);
    expect(await sample(h.metrics.lastSweepSuccess)).toBe(0);
  });

  it('pauses outside its time windows without taking containers, then resumes', async () => {
    const h = new Harness({ a: containerNames(30) });
    let open = true;
    let pausedPolls = 0;
    let pulledAtPause = -1;
    let pulledAtReopen = -1;
    h.onProbe = (n) => {
      if (n === 10) open = false;
    };
    const isAllowedNow = (): boolean => {
      if (open) return true;
      pausedPolls += 1;
      if (pausedPolls === 1) pulledAtPause = h.accounts.yielded;
      if (pausedPolls === 5) {
        pulledAtReopen = h.accounts.yielded;
        open = true;
      }
      return false;
    };
    const summary = await runSweep(h.deps(), h.options(new AbortController().signal, { isAllowedNow, pauseCheckMs: 1 }));
    expect(pausedPolls).toBe(5);
    expect(pulledAtReopen).toBe(pulledAtPause);
    expect(summary.result).toBe('completed');
    expect(h.probed).toHaveLength(30);
  });

  it('says why it paused and why it goes on, with the reason code of the gate that held it', async () => {
    const h = new Harness({ a: containerNames(12) });
    const pauseReason = () => ({ code: 'SKIPPED_SUSPENDED' as const, why: 'suspended by an operator' });
    let asked = 0;
    const isAllowedNow = () => ++asked <= 5 || asked > 8; // containers 1-5, then 3 checks closed

    const { log, lines } = capturingLogger();
    const summary = await runSweep({ ...h.deps(), log }, h.options(new AbortController().signal, { isAllowedNow, pauseReason, pauseCheckMs: 1 }));
    expect(summary.result).toBe('completed');
    const said = lines.filter((l) => String(l['msg']).startsWith('sweep paused') || String(l['msg']).startsWith('sweep resumed'));
    expect(said.map((l) => [l['msg'], l['code']])).toEqual([
      ['sweep paused: suspended by an operator', 'SKIPPED_SUSPENDED'],
      ['sweep resumed: no longer suspended by an operator', 'SKIPPED_SUSPENDED'],
    ]);
  });

  it('stops while paused and keeps its position', async () => {
    const h = new Harness({ a: containerNames(30) });
    const stop = new AbortController();
    h.onProbe = (n) => n === 10 && setTimeout(() => stop.abort(), 5);
    const summary = await runSweep(h.deps(), h.options(stop.signal, { isAllowedNow: () => h.probed.length < 10, pauseCheckMs: 1 }));
    expect(summary.result).toBe('interrupted');
    expect(h.probed.length).toBeLessThan(30);
    // Containers admitted before the pause finished; the position is the last of them.
    expect(`a/${h.state.checkpoint?.position?.container}`).toBe([...h.probed].sort().at(-1));
  });

  it('starts no more probes per second than probesPerSecond', async () => {
    const h = new Harness({ a: containerNames(200) });
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const stop = new AbortController();
    const run = runSweep({ ...h.deps(), clock }, h.options(stop.signal, { probesPerSecond: 10, concurrency: 8 }));
    const perSecond: number[] = [];
    for (let s = 1; s <= 6; s++) {
      for (let step = 0; step < 10; step++) await clock.advance(100);
      perSecond.push(h.probed.length);
    }
    stop.abort();
    await run;
    // Burst of 1, then 10 per second.
    expect(perSecond).toEqual([11, 21, 31, 41, 51, 61]);
  });

  it('saves its position every checkpointEvery containers while running', async () => {
    const h = new Harness({ a: containerNames(50) });
    const positions: string[] = [];
    const save = h.state.save.bind(h.state);
    h.state.save = async (cp) => {
      positions.push(cp.position?.container ?? '-');
      await save(cp);
    };
    await runSweep(h.deps(), h.options(new AbortController().signal, { checkpointEvery: 10, concurrency: 2 }));
    expect(positions.length).toBeGreaterThanOrEqual(4);
    expect([...positions].sort()).toEqual(positions);
    expect(h.state.checkpoint).toBeNull();
  });

  it('refuses nonsensical options before touching anything', async () => {
    const h = new Harness({ a: [] });
    await expect(runSweep(h.deps(), h.options(new AbortController().signal, { concurrency: 0 }))).rejects.toThrow(RangeError);
  });
});
