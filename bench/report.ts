// The benchmark's result: the JSON document written to bench/results/ and the table printed at
// the end, with each target and whether this run met it.
import type { OverheadResult } from './overhead.js';
import type { TransportsResult } from './transports.js';
import type { CeilingResult } from './ceiling.js';
import type { MemoryResult } from './memory.js';
import type { AdaptiveResult } from './adaptive.js';
import { FLEET_RATIO_TARGET, type FleetResult } from './fleet.js';
import type { BenchOptions } from './options.js';
import type { MachineInfo } from './proc.js';
import type { RateCheck, RequestsPerContainer, ServiceCapCheck, TimedSweep } from './sweeps.js';

export interface TargetCheck {
  readonly id: string;
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean | null;
}

export interface CeilingRun extends CeilingResult {
  readonly round: number;
}

export interface CeilingSummary {
  readonly runs: readonly CeilingRun[];
  /** Median over rounds of the round's best run. */
  readonly requestsPerSecond: number;
  /** Median over rounds of the round's lowest client CPU per request. */
  readonly clientCpuMicrosPerRequest: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summariseCeiling(runs: readonly CeilingRun[]): CeilingSummary {
  const rounds = [...new Set(runs.map((r) => r.round))];
  const ofRound = (k: number): CeilingRun[] => runs.filter((r) => r.round === k);
  return {
    runs,
    requestsPerSecond: median(rounds.map((k) => Math.max(...ofRound(k).map((r) => r.requestsPerSecond)))),
    clientCpuMicrosPerRequest: median(rounds.map((k) => Math.min(...ofRound(k).map((r) => r.clientCpuMicrosPerRequest)))),
  };
}

/** One ceiling/sweep pair, measured back to back so both saw the same neighbours. */
export interface RatioRound {
  readonly round: number;
  /** The better of the round's two ceiling runs. */
  readonly ceilingRequestsPerSecond: number;
  readonly sweepProxyRequestsPerSecond: number;
  readonly sweepContainersPerSecond: number;
  readonly ratio: number;
  readonly ceilingClientCpuMicrosPerRequest: number;
  readonly sweepClientCpuMicrosPerRequest: number;
  /** Sweep CPU per request / bare undici's on the same requests (1 = no client overhead; target <= 1.15). */
  readonly cpuRatio: number;
  /** Cores used by other processes during the sweep slice. */
  readonly sweepOtherCores: number;
}

export interface RatioSummary {
  readonly rounds: readonly RatioRound[];
  /** Median of the rounds' ratios. */
  readonly ratio: number;
  readonly met: boolean;
  /** Median of the rounds' CPU ratios: the headline (it does not depend on what else runs). */
  readonly cpuRatio: number;
  readonly cpuRatioMet: boolean;
}

/** Client CPU per proxy request of the sweep, at most this many times bare undici's (issue 14). */
export const CPU_RATIO_TARGET = 1.15;

export function summariseRatio(rounds: readonly RatioRound[]): RatioSummary {
  const ratio = median(rounds.map((r) => r.ratio));
  const cpuRatio = median(rounds.map((r) => r.cpuRatio));
  return { rounds, ratio, met: ratio >= 0.8, cpuRatio, cpuRatioMet: cpuRatio <= CPU_RATIO_TARGET };
}

export interface BenchResult {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
  readonly replicas: number;
  ceiling?: CeilingSummary;
  sweep?: Omit<TimedSweep, 'stats'>;
  ratio?: RatioSummary;
  requestsPerContainer?: RequestsPerContainer;
  rateLimits?: RateCheck[];
  serviceCap?: ServiceCapCheck;
  memory?: MemoryResult;
  transports?: TransportsResult;
  adaptive?: AdaptiveResult;
  fleet?: FleetResult;
  overhead?: OverheadResult;
  targets: TargetCheck[];
  readonly durationSeconds: number;
}

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const f2 = (n: number): string => n.toFixed(2);
const pct = (n: number): string => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} %`;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The rows of the table (measurements without a target have met = null). */
export function targetRows(r: BenchResult): TargetCheck[] {
  const rows: TargetCheck[] = [];
  if (r.ratio) {
    // The headline: our own overhead per request, measured on the same requests in the same run.
    const x = r.ratio;
    rows.push({ id: 'c', what: `CLIENT CPU PER REQUEST, sweep / bare undici (median of ${x.rounds.length} rounds; ${f0(median(x.rounds.map((k) => k.sweepClientCpuMicrosPerRequest)))} vs ${f0(median(x.rounds.map((k) => k.ceilingClientCpuMicrosPerRequest)))} µs)`, value: f2(x.cpuRatio), target: `<= ${CPU_RATIO_TARGET}`, met: x.cpuRatioMet });
  }
  if (r.ceiling) {
    const inFlights = [...new Set(r.ceiling.runs.map((c) => c.inFlight))];
    for (const n of inFlights) {
      const runs = r.ceiling.runs.filter((c) => c.inFlight === n);
      rows.push({ id: 'a', what: `undici ceiling, ${n} in flight / ${runs[0]?.connections} sockets, per round (req/s)`, value: runs.map((c) => f0(c.requestsPerSecond)).join(' / '), target: '', met: null });
    }
    rows.push({ id: 'a', what: 'undici ceiling, median of the rounds\' best (req/s)', value: f0(r.ceiling.requestsPerSecond), target: '', met: null });
    rows.push({ id: 'a', what: 'undici ceiling: client CPU per request (median)', value: `${f0(r.ceiling.clientCpuMicrosPerRequest)} µs`, target: '', met: null });
  }
  if (r.sweep) {
    const s = r.sweep;
    rows.push({ id: 'b', what: `sweep, ${f0(s.containers)} healthy containers (containers/s)`, value: f0(s.containersPerSecond), target: '', met: null });
    rows.push({ id: 'b', what: 'sweep replica probes (get_properties/s)', value: f0(s.replicaProbesPerSecond), target: '', met: null });
    rows.push({ id: 'b', what: 'sweep proxy requests (req/s)', value: f0(s.proxyRequestsPerSecond), target: '', met: null });
    rows.push({ id: 'b', what: 'sweep: client CPU per proxy request', value: `${f0(s.clientCpuMicrosPerRequest)} µs`, target: '', met: null });
    rows.push({ id: 'b', what: 'sweep: cores used by client / simulator / others', value: `${f2(s.cpu.client)} / ${f2(s.cpu.sim)} / ${f2(s.cpu.other)}`, target: '', met: null });
  }
  if (r.ratio) {
    rows.push({ id: 'c', what: 'sweep slice proxy req/s, per round', value: r.ratio.rounds.map((x) => f0(x.sweepProxyRequestsPerSecond)).join(' / '), target: '', met: null });
    rows.push({ id: 'c', what: 'ratio sweep / ceiling, per round', value: r.ratio.rounds.map((x) => f2(x.ratio)).join(' / '), target: '', met: null });
    rows.push({ id: 'c', what: 'ratio sweep proxy req/s / ceiling (median of rounds)', value: f2(r.ratio.ratio), target: '>= 0.80', met: r.ratio.met });
    rows.push({ id: 'c', what: 'client CPU per request, sweep / bare undici, per round', value: r.ratio.rounds.map((x) => f2(x.cpuRatio)).join(' / '), target: '', met: null });
  }
  if (r.overhead) {
    const o = r.overhead;
    rows.push({ id: 'j', what: `our own CPU per container, answers replayed without a socket (median of ${o.sweepsMicrosPerContainer.length} sweeps; min ${o.minMicrosPerContainer.toFixed(1)})`, value: `${o.medianMicrosPerContainer.toFixed(1)} µs`, target: '', met: null });
    rows.push({ id: 'j', what: 'of which JSON.parse of its answers', value: `${o.parseMicrosPerContainer.toFixed(1)} µs`, target: '', met: null });
  }
  if (r.memory) {
    const m = r.memory;
    const partial = m.ended === 'completed' ? '' : ` (${m.ended}: ${f0(m.swept)} of ${f0(m.namespaceContainers)} swept)`;
    rows.push({ id: 'd', what: `daemon peak RSS, ${f0(m.namespaceContainers)} containers${partial}`, value: mib(m.peakRssBytes), target: '< 150 MiB', met: m.peakRssBytes < 150 * 2 ** 20 && m.ended !== 'time-limit' ? true : m.peakRssBytes >= 150 * 2 ** 20 ? false : null });
    rows.push({ id: 'd', what: 'spawned daemon sweep rate (containers/s)', value: f0(m.containersPerSecond), target: '', met: null });
  }
  if (r.requestsPerContainer) {
    const q = r.requestsPerContainer;
    rows.push({ id: 'e', what: 'proxy requests per healthy container', value: `${q.proxyPerContainer.toFixed(3)} (${q.allPerContainer.toFixed(3)} with listing)`, target: `<= ${q.target}`, met: q.met });
  }
  for (const rate of r.rateLimits ?? []) {
    rows.push({ id: 'f', what: `probesPerSecond ${rate.limit}: achieved containers/s`, value: `${rate.achieved.toFixed(1)} (${pct(rate.deviation)})`, target: 'within 5 %', met: rate.met });
  }
  if (r.serviceCap) {
    const s = r.serviceCap;
    const inProc = Math.max(0, ...Object.values(s.maxContainersPerService));
    const sim = Math.max(0, ...Object.values(s.simMaxInFlightPerService));
    rows.push({ id: 'f', what: `perServiceConcurrency ${s.cap}: max containers per service (in process / simulator)`, value: `${inProc} / ${sim}`, target: `<= ${s.cap}`, met: s.met });
  }
  if (r.adaptive) {
    const a = r.adaptive;
    const ms = (v: number): string => `${Number.isFinite(v) ? Math.round(v) : '—'} ms`;
    rows.push({ id: 'h', what: `fixed rate at the ceiling (${a.ceiling}/s): achieved containers/s, get_properties p95, failed`, value: `${f0(a.fixed.achieved)}, ${ms(a.fixed.p95Ms)}, ${(a.fixed.failureShare * 100).toFixed(1)} %`, target: `p95 over ${a.targetP95Ms} ms`, met: a.fixed.p95Ms > a.targetP95Ms || a.fixed.failureShare > 0.02 });
    rows.push({ id: 'h', what: 'adaptive, quiet: allowed rate, p95 (settled)', value: `${f0(a.quiet.allowed)}/s, ${ms(a.quiet.p95Ms)}`, target: `p95 <= ${Math.round(a.targetP95Ms * 1.25)} ms`, met: a.quiet.p95Ms <= a.targetP95Ms * 1.25 });
    rows.push({ id: 'h', what: `adaptive, ${a.backgroundRps} background req/s: allowed rate, p95 (settled)`, value: `${f0(a.busy.allowed)}/s, ${ms(a.busy.p95Ms)}`, target: 'rate below quiet', met: a.busy.allowed < a.quiet.allowed });
    rows.push({ id: 'h', what: 'adaptive, quiet again: allowed rate, p95 (settled)', value: `${f0(a.recovered.allowed)}/s, ${ms(a.recovered.p95Ms)}`, target: 'rate back above background', met: a.recovered.allowed > a.busy.allowed });
    rows.push({ id: 'h', what: 'adaptive: seconds to back off / to recover (75 % of quiet)', value: `${a.secondsToBackOff?.toFixed(1) ?? '—'} / ${a.secondsToRecover?.toFixed(1) ?? '—'}`, target: '<= 10 / <= 20', met: a.secondsToBackOff !== null && a.secondsToBackOff <= 10 && a.secondsToRecover !== null && a.secondsToRecover <= 20 });
  }
  if (r.fleet?.skipped) rows.push({ id: 'i', what: 'fleet mode: SKIPPED', value: r.fleet.reason, target: '', met: null });
  if (r.fleet && !r.fleet.skipped) {
    const fl = r.fleet;
    for (const run of fl.runs) {
      const ratio = fl.ratios.find((x) => x.members === run.members);
      rows.push({ id: 'i', what: `fleet of ${run.members}, ${f0(fl.containers)} containers, ${fl.probesPerSecond}/s each: steady epoch ${run.steady.seconds.toFixed(1)} s (startup epoch ${run.startup.seconds.toFixed(1)} s), containers/s`, value: f0(run.containersPerSecond), target: '', met: null });
      rows.push({ id: 'i', what: `fleet of ${run.members}: slowest member's walk rate / probesPerSecond (the cap binds)`, value: run.capReached.toFixed(3), target: '>= 0.90', met: run.capReached >= 0.9 });
      // Only a ratio of capped members says anything of the fleet; otherwise the host set both rates.
      const capped = run.capReached >= 0.9 && (fl.runs.find((x) => x.members === 1)?.capReached ?? 0) >= 0.9;
      if (ratio && run.members > 1) rows.push({ id: 'i', what: `fleet of ${run.members}: rate / (${run.members} × one member) (split bound ${run.splitBound.toFixed(3)})${capped ? '' : ': NOT MEASURED, the cap did not bind'}`, value: ratio.ratio.toFixed(3), target: `>= ${FLEET_RATIO_TARGET}`, met: capped ? ratio.met : null });
      rows.push({ id: 'i', what: `fleet of ${run.members}: ZooKeeper packets per container (${f0(run.zkPackets)} in the epoch)`, value: run.zkPacketsPerContainer.toFixed(4), target: 'about 0', met: run.zkPacketsPerContainer < 0.05 });
    }
  }
  return rows;
}

export function formatTable(rows: readonly TargetCheck[]): string {
  const header = ['', 'measure', 'value', 'target', 'met'];
  const cells = rows.map((r) => [`(${r.id})`, r.what, r.value, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO']);
  const widths = header.map((h, k) => Math.max(h.length, ...cells.map((c) => (c[k] as string).length)));
  const line = (c: readonly string[]): string => c.map((v, k) => (k === 2 ? v.padStart(widths[k] as number) : v.padEnd(widths[k] as number))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
