// (h) The adaptive pace against the simulator's load model (a separate simulator process whose
// meta2 services have a capacity): first a sweep at a fixed rate at the ceiling (what
// probesPerSecond alone does), then the daemon's Sweeper with probe.adaptive on while background
// client traffic is turned on and off. Writes both curves (allowed rate and achieved
// containers/s; get_properties p95 against the target) as an SVG made here, no external tool.
import { writeFile } from 'node:fs/promises';
import type { PaceRecord } from '../src/schedule/adaptive-pace.js';
import { startSimProcess } from './sim-process.js';
import { ProbeObserver, createSweepHarness } from './wiring.js';

/** The simulated cluster: 6 meta2 services of 1 worker × 20 ms (50 reads/s each, 300 in all: 100 containers/s of R=3). */
export const ADAPTIVE_SIM_ARGS = ['--meta2-workers', '1', '--meta2-service-ms', '20', '--proxy-workers', '64', '--proxy-service-ms', '0.2'];
const CONTAINERS = 100_000;
const CEILING = 1000;
const TARGET_P95_MS = 80;
/** Background traffic of the middle phase: half of the meta2 services' capacity. */
const BACKGROUND_RPS = 150;
const INTERVAL_MS = 500;

export interface AdaptiveOptions {
  /** Length of each phase (fixed; adaptive quiet; adaptive with background; adaptive quiet again). */
  readonly phaseSeconds: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly svgPath: string;
  readonly progress: (line: string) => void;
}

export interface AdaptivePoint {
  /** Seconds since the start of the adaptive run. */
  readonly t: number;
  readonly allowed: number;
  readonly achieved: number;
  readonly p95Ms: number | null;
  readonly failures: number;
  readonly reason: string;
  readonly background: number;
}

export interface AdaptiveResult {
  readonly targetP95Ms: number;
  readonly ceiling: number;
  readonly backgroundRps: number;
  /** The fixed run at the ceiling: achieved containers/s, p95 of its intervals (median), failed requests. */
  readonly fixed: { readonly achieved: number; readonly p95Ms: number; readonly failureShare: number };
  readonly points: readonly AdaptivePoint[];
  /** Medians over the second half of each adaptive phase (settled). */
  readonly quiet: { readonly allowed: number; readonly p95Ms: number };
  readonly busy: { readonly allowed: number; readonly p95Ms: number };
  readonly recovered: { readonly allowed: number; readonly p95Ms: number };
  /** Seconds from the background's start until the allowed rate fell below 75 % of the quiet rate. */
  readonly secondsToBackOff: number | null;
  /** Seconds from the background's end until the allowed rate was back above 75 % of the quiet rate. */
  readonly secondsToRecover: number | null;
  readonly svg: string;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Containers probed per interval ending at each decision, from the probe start times. */
function achievedAt(starts: readonly number[], from: number, to: number): number {
  let n = 0;
  for (const t of starts) if (t >= from && t < to) n++;
  return (n * 1000) / Math.max(1, to - from);
}

export async function runAdaptivePhase(opts: AdaptiveOptions): Promise<AdaptiveResult> {
  const sim = await startSimProcess(CONTAINERS, 1, ADAPTIVE_SIM_ARGS);
  const phaseMs = opts.phaseSeconds * 1000;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  try {
    const probe = (floor: number) => ({
      probesPerSecond: CEILING,
      adaptive: { enabled: true, floor, targetP95Ms: TARGET_P95_MS, increaseStep: 10, decreaseFactor: 0.7, intervalMs: INTERVAL_MS, minSamples: 10, maxErrorRate: 0.02 },
    });
    // 1. Fixed at the ceiling: the pace with floor = ceiling never moves, but still measures.
    opts.progress(`(h) fixed rate at the ceiling (${CEILING} containers/s) for ${opts.phaseSeconds} s against 6 meta2 services of 50 reads/s each`);
    const fixed = await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, probe: probe(CEILING) });
    let fixedRecords: PaceRecord[] = [];
    let fixedAchieved = 0;
    try {
      const stop = new AbortController();
      const t0 = performance.now();
      const running = fixed.run({ concurrency: opts.concurrency, probesPerSecond: CEILING, perServiceConcurrency: opts.concurrency, signal: stop.signal });
      await sleep(phaseMs);
      stop.abort();
      const summary = await running;
      fixedAchieved = summary.doneThisRun / ((performance.now() - t0) / 1000);
      fixedRecords = [...(fixed.sweeper.adaptivePace?.history ?? [])].slice(2);
    } finally {
      await fixed.close();
    }
    const fixedFailures = fixedRecords.reduce((n, r) => n + r.failures, 0);
    const fixedRequests = fixedRecords.reduce((n, r) => n + r.requests, 0);
    const fixedResult = {
      achieved: fixedAchieved,
      p95Ms: median(fixedRecords.map((r) => r.p95Ms ?? NaN).filter(Number.isFinite)),
      failureShare: fixedRequests > 0 ? fixedFailures / fixedRequests : 0,
    };
    opts.progress(`    ${fixedAchieved.toFixed(0)} containers/s, get_properties p95 ${fixedResult.p95Ms.toFixed(0)} ms (target ${TARGET_P95_MS}), ${(fixedResult.failureShare * 100).toFixed(1)} % failed`);
    await sleep(2000); // let the simulator's queues drain

    // 2. Adaptive: quiet, background on, background off.
    opts.progress(`(h) adaptive pace (floor 10, ceiling ${CEILING}, target p95 ${TARGET_P95_MS} ms): ${opts.phaseSeconds} s quiet, ${opts.phaseSeconds} s with ${BACKGROUND_RPS} background req/s, ${opts.phaseSeconds} s quiet`);
    const harness = await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, probe: probe(10) });
    const observe = new ProbeObserver();
    const marks: { at: number; background: number }[] = [];
    let records: PaceRecord[] = [];
    let t0 = 0;
    try {
      const stop = new AbortController();
      t0 = Date.now();
      const running = harness.run({ concurrency: opts.concurrency, probesPerSecond: CEILING, perServiceConcurrency: opts.concurrency, signal: stop.signal, observe });
      marks.push({ at: Date.now(), background: 0 });
      await sleep(phaseMs);
      await sim.setBackground(BACKGROUND_RPS);
      marks.push({ at: Date.now(), background: BACKGROUND_RPS });
      await sleep(phaseMs);
      await sim.setBackground(0);
      marks.push({ at: Date.now(), background: 0 });
      await sleep(phaseMs);
      stop.abort();
      await running;
      records = [...(harness.sweeper.adaptivePace?.history ?? [])].filter((r) => r.at >= t0);
    } finally {
      await harness.close();
    }
    // Probe start times are performance.now(); decisions are epoch ms.
    const offset = Date.now() - performance.now();
    const starts = observe.startTimes.map((t) => t + offset);
    const backgroundAt = (at: number): number => [...marks].reverse().find((m) => m.at <= at)?.background ?? 0;
    const points: AdaptivePoint[] = records.map((r) => ({
      t: (r.at - t0) / 1000,
      allowed: r.rate,
      achieved: achievedAt(starts, r.at - INTERVAL_MS, r.at),
      p95Ms: r.p95Ms,
      failures: r.failures,
      reason: r.reason,
      background: backgroundAt(r.at),
    }));
    const phase = (k: number): AdaptivePoint[] => {
      const from = (marks[k]!.at - t0) / 1000;
      const to = k + 1 < marks.length ? (marks[k + 1]!.at - t0) / 1000 : Infinity;
      const mid = from + (Math.min(to, from + opts.phaseSeconds) - from) / 2;
      return points.filter((p) => p.t >= mid && p.t < to);
    };
    const settled = (k: number) => ({ allowed: median(phase(k).map((p) => p.allowed)), p95Ms: median(phase(k).map((p) => p.p95Ms ?? NaN).filter(Number.isFinite)) });
    const quiet = settled(0);
    const busy = settled(1);
    const recovered = settled(2);
    const onAt = (marks[1]!.at - t0) / 1000;
    const offAt = (marks[2]!.at - t0) / 1000;
    const backOff = points.find((p) => p.t >= onAt && p.allowed < 0.75 * quiet.allowed);
    const recover = points.find((p) => p.t >= offAt && p.allowed >= 0.75 * quiet.allowed);
    const svg = renderSvg(points, { target: TARGET_P95_MS, fixedP95: fixedResult.p95Ms, onAt, offAt });
    await writeFile(opts.svgPath, svg);
    const result: AdaptiveResult = {
      targetP95Ms: TARGET_P95_MS,
      ceiling: CEILING,
      backgroundRps: BACKGROUND_RPS,
      fixed: fixedResult,
      points,
      quiet,
      busy,
      recovered,
      secondsToBackOff: backOff ? backOff.t - onAt : null,
      secondsToRecover: recover ? recover.t - offAt : null,
      svg: opts.svgPath,
    };
    opts.progress(`    allowed rate, settled: quiet ${quiet.allowed.toFixed(0)}/s (p95 ${quiet.p95Ms.toFixed(0)} ms), background ${busy.allowed.toFixed(0)}/s (p95 ${busy.p95Ms.toFixed(0)} ms), quiet again ${recovered.allowed.toFixed(0)}/s (p95 ${recovered.p95Ms.toFixed(0)} ms); backed off in ${result.secondsToBackOff?.toFixed(1) ?? '—'} s, recovered in ${result.secondsToRecover?.toFixed(1) ?? '—'} s; plot: ${opts.svgPath}`);
    return result;
  } finally {
    await sim.close();
  }
}

/** Two stacked plots sharing the time axis: rates (top) and get_properties p95 (bottom). */
export function renderSvg(points: readonly AdaptivePoint[], m: { target: number; fixedP95: number; onAt: number; offAt: number }): string {
  const W = 760;
  const H = 210;
  const L = 56;
  const R = 16;
  const tMax = Math.max(1, ...points.map((p) => p.t));
  const x = (t: number): number => L + ((W - L - R) * t) / tMax;
  const plot = (top: number, title: string, series: { values: (number | null)[]; color: string; label: string }[], yMax: number, lines: { y: number; color: string; label: string }[]): string => {
    const y = (v: number): number => top + H - 24 - ((H - 48) * Math.min(v, yMax)) / yMax;
    const out: string[] = [];
    out.push(`<text x="${L}" y="${top + 14}" font-size="13" font-weight="bold">${title}</text>`);
    out.push(`<rect x="${x(m.onAt)}" y="${top + 24}" width="${x(m.offAt) - x(m.onAt)}" height="${H - 48}" fill="#f4e3c1"/>`);
    out.push(`<text x="${x(m.onAt) + 4}" y="${top + 36}" font-size="11" fill="#8a6d3b">background traffic on</text>`);
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${Math.round(v)}</text>`);
    }
    for (const l of lines) out.push(`<line x1="${L}" x2="${W - R}" y1="${y(l.y)}" y2="${y(l.y)}" stroke="${l.color}" stroke-dasharray="6 4"/><text x="${W - R}" y="${y(l.y) - 4}" font-size="10" text-anchor="end" fill="${l.color}">${l.label}</text>`);
    series.forEach((s, k) => {
      const d = points.map((p, i) => (s.values[i] === null ? '' : `${x(p.t).toFixed(1)},${y(s.values[i] as number).toFixed(1)}`)).filter((v) => v !== '').join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${d}"/>`);
      out.push(`<rect x="${L + 220 + k * 190}" y="${top + 6}" width="12" height="3" fill="${s.color}"/><text x="${L + 236 + k * 190}" y="${top + 11}" font-size="11">${s.label}</text>`);
    });
    out.push(`<line x1="${L}" x2="${W - R}" y1="${top + H - 24}" y2="${top + H - 24}" stroke="#444"/>`);
    for (let t = 0; t <= tMax; t += 10) out.push(`<text x="${x(t)}" y="${top + H - 10}" font-size="10" text-anchor="middle">${t}s</text>`);
    return out.join('\n');
  };
  const rateMax = Math.max(10, ...points.map((p) => Math.max(p.allowed, p.achieved))) * 1.1;
  const latMax = Math.max(m.target * 2, ...points.map((p) => p.p95Ms ?? 0)) * 1.1;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 10}" font-family="sans-serif" viewBox="0 0 ${W} ${2 * H + 10}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    plot(0, 'Container probes per second', [
      { values: points.map((p) => p.allowed), color: '#1f77b4', label: 'allowed (adaptive pace)' },
      { values: points.map((p) => p.achieved), color: '#2ca02c', label: 'achieved' },
    ], rateMax, []),
    plot(H + 10, 'get_properties p95 (ms)', [{ values: points.map((p) => p.p95Ms), color: '#d62728', label: 'p95 seen by the daemon' }], latMax, [
      { y: m.target, color: '#555', label: `target ${m.target} ms` },
      ...(Number.isFinite(m.fixedP95) && m.fixedP95 <= latMax ? [{ y: m.fixedP95, color: '#d62728', label: `fixed rate at the ceiling: ${Math.round(m.fixedP95)} ms` }] : []),
    ]),
    '</svg>',
    '',
  ].join('\n');
}
