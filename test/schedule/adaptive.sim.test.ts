// The adaptive pace in the daemon's own Sweeper against the simulator's load model (6 meta2
// services of one 20 ms worker each): a fixed rate at the ceiling overloads them, the adaptive
// pace keeps get_properties' p95 near its target, backs off when background client traffic
// comes, and speeds up again when it goes. Trends and bounds with wide margins, no exact timing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { Sweeper } from '../../src/daemon/sweeper.js';
import { Journal } from '../../src/journal/journal.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { PaceRecord } from '../../src/schedule/adaptive-pace.js';
import { type Simulator, startSimulator } from '../../src/sim/index.js';
import { FileSweepStateStore } from '../../src/sweep/state.js';

const TARGET_MS = 80;
const CEILING = 1000;
let sim: Simulator;
let root: string;

beforeAll(async () => {
  sim = await startSimulator({ generate: { containers: 50_000, damagedShare: 0, seed: 1 }, load: { meta2: { workers: 1, serviceMs: 20 } } });
  root = await mkdtemp(join(tmpdir(), 'pace-sim-'));
});
afterAll(async () => {
  await sim.close();
  await rm(root, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[s.length >> 1] as number);
};

/** Runs a sweep with probe.adaptive (floor..CEILING) for the phases, calling `between` at each phase start; the pace's decisions. */
async function sweepWithPace(floor: number, phases: readonly (() => Promise<void>)[], phaseMs: number): Promise<{ records: PaceRecord[]; starts: number[] }> {
  const n = phases.length;
  const config = configSchema.parse({
    proxy: { url: sim.url, namespace: sim.namespace },
    account: { url: sim.url },
    state: { dir: join(root, `state-${floor}`) },
    probe: {
      probesPerSecond: CEILING, perServiceConcurrency: 16,
      adaptive: { enabled: true, floor, targetP95Ms: TARGET_MS, increaseStep: 10, decreaseFactor: 0.7, intervalMs: 300, minSamples: 5 },
    },
  });
  const log = silentLogger();
  const journal = await Journal.open(config.journal.path);
  const sweeper = new Sweeper({ config, log, metrics: createMetrics({ defaultMetrics: false }), journal });
  const stop = new AbortController();
  const starts: number[] = [];
  try {
    const running = sweeper.run(config, { signal: stop.signal, state: new FileSweepStateStore(join(root, `sweep-${floor}`), log) });
    for (let k = 0; k < n; k++) {
      starts.push(Date.now());
      await phases[k]!();
      await sleep(phaseMs);
    }
    stop.abort();
    await running;
    return { records: [...(sweeper.adaptivePace?.history ?? [])], starts };
  } finally {
    await sweeper.close();
    await journal.close();
  }
}

/** Decisions of the second half of phase k (settled). */
function settled(r: { records: PaceRecord[]; starts: number[] }, k: number, phaseMs: number): PaceRecord[] {
  const from = (r.starts[k] as number) + phaseMs / 2;
  const to = (r.starts[k] as number) + phaseMs;
  return r.records.filter((d) => d.at >= from && d.at < to);
}

describe('the adaptive pace against meta2 services with a capacity', () => {
  let fixedP95 = NaN;

  it('a fixed rate at the ceiling drives get_properties p95 far over the target', async () => {
    const r = await sweepWithPace(CEILING, [async () => undefined], 4000);
    fixedP95 = median(r.records.slice(2).map((d) => d.p95Ms ?? Infinity));
    expect(fixedP95).toBeGreaterThan(TARGET_MS * 1.5);
    expect(r.records.every((d) => d.rate === CEILING)).toBe(true);
  }, 60_000);

  it('keeps p95 near the target, backs off within a few seconds when background traffic comes, and speeds up again when it goes', async () => {
    const phaseMs = 7000;
    const r = await sweepWithPace(5, [
      async () => undefined,
      () => Promise.resolve(sim.setBackgroundLoad(150)),
      () => Promise.resolve(sim.setBackgroundLoad(0)),
    ], phaseMs);
    const quiet = settled(r, 0, phaseMs);
    const busy = settled(r, 1, phaseMs);
    const after = r.records.filter((d) => d.at >= (r.starts[2] as number));
    // Quiet: it climbed off its floor and holds p95 near the target, well under the fixed run's
    // (the simulator shares this process's event loop, so "near" has a wide margin here).
    const quietP95 = median(quiet.map((d) => d.p95Ms ?? Infinity));
    expect(median(quiet.map((d) => d.rate))).toBeGreaterThan(10);
    expect(quietP95).toBeLessThan(TARGET_MS * 3);
    if (Number.isFinite(fixedP95)) expect(quietP95).toBeLessThan(fixedP95);
    // Background on: within half a phase the allowed rate is well below the quiet one.
    expect(median(busy.map((d) => d.rate))).toBeLessThan(median(quiet.map((d) => d.rate)) * 0.8);
    // Background off: it comes back above the busy rate.
    expect(Math.max(...after.map((d) => d.rate))).toBeGreaterThan(median(busy.map((d) => d.rate)));
  }, 90_000);
});
