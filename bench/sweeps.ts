// (b) the sweep's throughput, (e) proxy requests per healthy container, and (f) how closely the
// probes-per-second and per-service limits hold: in-process sweeps (the daemon's wiring, see
// wiring.ts) against the simulator process, counted by the simulator's own stats.
import type { PeerId } from '../src/oio/types.js';
import type { SimStats } from '../src/sim/stats.js';
import { type CpuShares, startCpuMeters } from './proc.js';
import { accountRequests, proxyRequests, type SimProcess } from './sim-process.js';
import { ProbeObserver, type SweepHarness, type SweepRunOptions } from './wiring.js';

const GET_PROPERTIES = 'POST admin/get_properties';

export interface TimedSweep {
  readonly result: string;
  readonly containers: number;
  readonly seconds: number;
  readonly containersPerSecond: number;
  /** Replica reads (admin/get_properties) per second. */
  readonly replicaProbesPerSecond: number;
  /** Every proxy route (locate + reads + anything else) per second. */
  readonly proxyRequestsPerSecond: number;
  readonly proxyRequests: number;
  readonly accountRequests: number;
  readonly byRoute: Readonly<Record<string, number>>;
  readonly probeErrors: number;
  readonly damagedContainers: number;
  readonly cpu: CpuShares;
  /** Client CPU time per proxy request, in microseconds (robust to a busy machine). */
  readonly clientCpuMicrosPerRequest: number;
  readonly stats: SimStats;
}

export async function timedSweep(harness: SweepHarness, sim: SimProcess, run: SweepRunOptions): Promise<TimedSweep> {
  await sim.resetStats();
  const stopMeters = startCpuMeters(sim.child.pid);
  const t0 = performance.now();
  const summary = await harness.run(run);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = stopMeters();
  const stats = await sim.stats();
  const proxy = proxyRequests(stats);
  return {
    result: summary.result,
    containers: summary.doneThisRun,
    seconds,
    containersPerSecond: summary.doneThisRun / seconds,
    replicaProbesPerSecond: (stats.byRoute[GET_PROPERTIES] ?? 0) / seconds,
    proxyRequestsPerSecond: proxy / seconds,
    proxyRequests: proxy,
    accountRequests: accountRequests(stats),
    byRoute: stats.byRoute,
    probeErrors: summary.counts.probeErrors,
    damagedContainers: summary.counts.damagedContainers,
    cpu,
    clientCpuMicrosPerRequest: proxy > 0 ? (cpu.client * seconds * 1e6) / proxy : 0,
    stats,
  };
}

export interface RequestsPerContainer {
  readonly containers: number;
  readonly replicas: number;
  /** Proxy requests / containers (the account-service listing excluded). */
  readonly proxyPerContainer: number;
  /** Including the account-service listing pages. */
  readonly allPerContainer: number;
  /** replicas + 1 (one locate + one read per replica). */
  readonly target: number;
  readonly met: boolean;
}

/**
 * The proxy check's requests, once per sweep whatever its size (src/probe/proxy-guard.ts:
 * reference/show again, has on one peer, conscience/list, at most one get_properties).
 */
const PROXY_CHECK_REQUESTS = 4;

export function requestsPerContainer(sweep: TimedSweep, replicas: number): RequestsPerContainer {
  const proxyPerContainer = sweep.proxyRequests / sweep.containers;
  return {
    containers: sweep.containers,
    replicas,
    proxyPerContainer,
    allPerContainer: (sweep.proxyRequests + sweep.accountRequests) / sweep.containers,
    target: replicas + 1,
    met: sweep.proxyRequests <= (replicas + 1) * sweep.containers + PROXY_CHECK_REQUESTS && sweep.probeErrors === 0,
  };
}

export interface RateCheck {
  readonly limit: number;
  readonly containers: number;
  readonly seconds: number;
  /** Containers finished / wall time of the whole sweep. */
  readonly achieved: number;
  /** Probe starts over the steady part: (n - 1) / (last start - first start). */
  readonly steadyAchieved: number;
  /** achieved / limit - 1. */
  readonly deviation: number;
  readonly met: boolean;
}

/** Names `count` generated accounts from `first` on (wrapping), for sweeps over part of the namespace. */
export type AccountPicker = (count: number, first?: number) => string[];

export function accountPicker(accountName: (a: number) => string, accountCount: number): AccountPicker {
  return (count, first = 0) => Array.from({ length: Math.min(count, accountCount) }, (_, k) => accountName((first + k) % accountCount));
}

export async function checkRate(
  harness: SweepHarness, sim: SimProcess, limit: number, seconds: number, base: Omit<SweepRunOptions, 'probesPerSecond'>,
  containersPerAccount: number, accounts: AccountPicker,
): Promise<RateCheck> {
  const count = Math.max(1, Math.round((limit * seconds) / containersPerAccount));
  const observe = new ProbeObserver();
  const sweep = await timedSweep(harness, sim, { ...base, probesPerSecond: limit, filter: { names: accounts(count) }, observe });
  const starts = observe.startTimes;
  const span = ((starts[starts.length - 1] ?? 0) - (starts[0] ?? 0)) / 1000;
  const achieved = sweep.containersPerSecond;
  const deviation = achieved / limit - 1;
  return {
    limit,
    containers: sweep.containers,
    seconds: sweep.seconds,
    achieved,
    steadyAchieved: span > 0 ? (starts.length - 1) / span : 0,
    deviation,
    met: Math.abs(deviation) <= 0.05 && sweep.probeErrors === 0,
  };
}

export interface ServiceCapCheck {
  readonly cap: number;
  readonly slowMs: number;
  readonly concurrency: number;
  readonly containers: number;
  readonly containersPerSecond: number;
  /** Measured in process: containers probed at once that have a replica on the service. */
  readonly maxContainersPerService: Readonly<Record<PeerId, number>>;
  /** Measured by the simulator: requests touching the service at once. */
  readonly simMaxInFlightPerService: Readonly<Record<PeerId, number>>;
  /** Containers probed at once, all services together. */
  readonly maxContainersInFlight: number;
  /** floor(services × cap / replicas): the most containers the cap lets run at once. */
  readonly theoreticalMaxContainers: number;
  readonly met: boolean;
}

/** Slows every meta2 service so that reads overlap, then sweeps with a per-service cap. */
export async function checkServiceCap(
  harness: SweepHarness, sim: SimProcess, services: readonly PeerId[], replicas: number,
  opts: { cap: number; slowMs: number; concurrency: number; containers: number; containersPerAccount: number; accounts: AccountPicker },
): Promise<ServiceCapCheck> {
  for (const service of services) await sim.inject({ kind: 'slow', service, ms: opts.slowMs });
  try {
    const observe = new ProbeObserver();
    const count = Math.max(1, Math.round(opts.containers / opts.containersPerAccount));
    const sweep = await timedSweep(harness, sim, {
      concurrency: opts.concurrency,
      probesPerSecond: 0,
      perServiceConcurrency: opts.cap,
      filter: { names: opts.accounts(count) },
      observe,
    });
    const simMax: Record<PeerId, number> = {};
    for (const [peer, s] of Object.entries(sweep.stats.services)) simMax[peer] = s.maxInFlight;
    const inProcess = Object.fromEntries(observe.maxPerService);
    const worst = Math.max(observe.maxAnyService(), ...Object.values(simMax));
    return {
      cap: opts.cap,
      slowMs: opts.slowMs,
      concurrency: opts.concurrency,
      containers: sweep.containers,
      containersPerSecond: sweep.containersPerSecond,
      maxContainersPerService: inProcess,
      simMaxInFlightPerService: simMax,
      maxContainersInFlight: observe.maxContainers,
      theoreticalMaxContainers: Math.floor((services.length * opts.cap) / replicas),
      met: worst <= opts.cap && sweep.probeErrors === 0,
    };
  } finally {
    for (const service of services) await sim.inject({ kind: 'slow', service, ms: 0 });
  }
}
