// (i) Fleet mode (issue 11): 1, 2 and 3 built daemons (`node dist/main.js run`) share one
// simulated namespace through a real standalone ZooKeeper, each capped at the same
// probesPerSecond. Per fleet size: the time of a steady epoch (the second: every member joined
// and warm; the first, started while the members were still joining, is reported too), the
// aggregate rate, its ratio to N × one member's rate, and ZooKeeper packets per container (the
// server's `srvr` Received count over that epoch). Skipped, loudly, without ZooKeeper's jars.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignBuckets, bucketOf, BUCKETS } from '../src/fleet/buckets.js';
import { cidFromName } from '../src/oio/cid.js';
import { GeneratedNamespace } from '../src/sim/generator.js';
import { findZooKeeper, fourLetter, ZooKeeper } from '../test/helpers/zookeeper.js';
import { spawnNode, type Child } from './child.js';
import { CpuMeter, MachineMeter } from './proc.js';
import { MAIN_JS, startSimProcess } from './sim-process.js';

export interface FleetBenchOptions {
  readonly containers: number;
  readonly probesPerSecond: number;
  readonly concurrency: number;
  readonly sizes: readonly number[];
  readonly progress: (line: string) => void;
}

/** One epoch as the member that completed it logged it (`fleet: sweep summary (epoch complete)`). */
export interface EpochFigures {
  readonly epoch: number;
  readonly seconds: number;
  /** Containers probed by all members in the epoch (more than the namespace when some were walked twice). */
  readonly probed: number;
}

/** One walk of a member in the steady epoch (from its log lines), times from the epoch's start. */
export interface WalkFigures {
  readonly member: number;
  readonly startS: number;
  readonly endS: number | null;
  readonly owned: number;
  readonly probed: number | null;
  readonly marked: number | null;
}

export interface FleetRun {
  readonly members: number;
  /** Containers of each member's buckets (rendezvous split of this namespace). */
  readonly shares: readonly number[];
  /** Mean share / largest share: the best ratio the split allows (the epoch ends with the largest). */
  readonly splitBound: number;
  readonly walks: readonly WalkFigures[];
  /** The first epoch, started as soon as the first member joined (the others still starting). */
  readonly startup: EpochFigures;
  /** The second epoch: every member in, warm. The figures below are this epoch's. */
  readonly steady: EpochFigures;
  /** Namespace containers / steady epoch seconds. */
  readonly containersPerSecond: number;
  /** ZooKeeper packets received by the server during the steady epoch (pings included). */
  readonly zkPackets: number;
  readonly zkPacketsPerContainer: number;
  /**
   * The slowest member's own walk rate in the steady epoch / probesPerSecond: below ~0.9 the
   * host (CPU, latency), not the cap, set the pace, and the ratio measures the host.
   */
  readonly capReached: number;
  /** Cores used during the steady epoch: all daemons, simulator, ZooKeeper, everything else. */
  readonly cores: { readonly daemons: number; readonly sim: number; readonly zookeeper: number; readonly other: number };
}

export interface FleetRatio {
  readonly members: number;
  readonly containersPerSecond: number;
  /** containersPerSecond / (members × the one-member rate); target >= FLEET_RATIO_TARGET. */
  readonly ratio: number;
  readonly met: boolean;
}

export type FleetResult =
  | { readonly skipped: true; readonly reason: string }
  | {
    readonly skipped: false;
    readonly containers: number;
    readonly probesPerSecond: number;
    readonly concurrency: number;
    readonly runs: readonly FleetRun[];
    readonly ratios: readonly FleetRatio[];
  };

export const FLEET_RATIO_TARGET = 0.95;

/** Each fleet size's rate against N × the one-member rate (empty without a one-member run). Pure. */
export function fleetRatios(runs: readonly Pick<FleetRun, 'members' | 'containersPerSecond'>[]): FleetRatio[] {
  const one = runs.find((r) => r.members === 1);
  if (!one || one.containersPerSecond <= 0) return [];
  return runs.map((r) => {
    const ratio = r.containersPerSecond / (r.members * one.containersPerSecond);
    return { members: r.members, containersPerSecond: r.containersPerSecond, ratio, met: ratio >= FLEET_RATIO_TARGET };
  });
}

const SEED = 5;

/** The member ids of a fleet of `members` in this phase. */
export function memberIds(members: number): string[] {
  return Array.from({ length: members }, (_, k) => `bench-${k + 1}`);
}

/** Containers per member of the rendezvous split, from the containers per bucket. Pure. */
export function sharesOf(perBucket: readonly number[], ids: readonly string[]): number[] {
  const owners = assignBuckets(ids);
  return ids.map((id) => owners.reduce((n, owner, b) => (owner === id ? n + (perBucket[b] ?? 0) : n), 0));
}

function containersPerBucket(containers: number): number[] {
  const g = new GeneratedNamespace({ containers, damagedShare: 0, seed: SEED }, 'OPENIO');
  const perBucket = new Array<number>(BUCKETS).fill(0);
  for (let i = 0; i < containers; i++) {
    const b = bucketOf(cidFromName(g.accountOf(i), g.containerName(i)));
    perBucket[b] = (perBucket[b] ?? 0) + 1;
  }
  return perBucket;
}

const SUMMARY = 'fleet: sweep summary (epoch complete)';

/** The fields of an epoch-summary log line, or null for any other line. Pure. */
export function epochSummary(line: string): (EpochFigures & { readonly startedAtMs: number }) | null {
  if (!line.includes(SUMMARY)) return null;
  let v: { msg?: unknown; epoch?: unknown; startedAt?: unknown; endedAt?: unknown; probed?: unknown };
  try {
    v = JSON.parse(line) as typeof v;
  } catch {
    return null;
  }
  if (v.msg !== SUMMARY || typeof v.epoch !== 'number' || typeof v.startedAt !== 'string' || typeof v.endedAt !== 'string') return null;
  const seconds = (Date.parse(v.endedAt) - Date.parse(v.startedAt)) / 1000;
  return Number.isFinite(seconds) ? { epoch: v.epoch, seconds, probed: typeof v.probed === 'number' ? v.probed : 0, startedAtMs: Date.parse(v.startedAt) } : null;
}

interface LogLine {
  readonly msg?: unknown;
  readonly time?: unknown;
  readonly epoch?: unknown;
  readonly owned?: unknown;
  readonly probed?: unknown;
  readonly marked?: unknown;
}

function parseLine(line: string): LogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return null;
  }
}

/** The walks of `epoch` from the members' log lines (member k = index + 1), times from `startMs`. Pure. */
export function walksOf(lines: readonly (readonly string[])[], epoch: number, startMs: number): WalkFigures[] {
  const walks: WalkFigures[] = [];
  lines.forEach((ofMember, k) => {
    let open: { startS: number; owned: number } | null = null;
    for (const line of ofMember) {
      const v = parseLine(line);
      if (!v) continue;
      // The daemon logs ISO times (src/log.ts); epoch milliseconds are read too.
      const time = typeof v.time === 'string' ? Date.parse(v.time) : typeof v.time === 'number' ? v.time : NaN;
      if (v.epoch !== epoch || !Number.isFinite(time)) continue;
      const at = (time - startMs) / 1000;
      if (v.msg === 'fleet: walk started') {
        if (open) walks.push({ member: k + 1, ...open, endS: null, probed: null, marked: null });
        open = { startS: at, owned: typeof v.owned === 'number' ? v.owned : 0 };
      } else if (v.msg === 'fleet: walk done, buckets recorded' && open) {
        walks.push({ member: k + 1, ...open, endS: at, probed: typeof v.probed === 'number' ? v.probed : null, marked: typeof v.marked === 'number' ? v.marked : null });
        open = null;
      }
    }
    if (open) walks.push({ member: k + 1, ...open, endS: null, probed: null, marked: null });
  });
  return walks;
}

/** The slowest member's walk rate / the cap (walks without an end or with no probe count are left out). Pure. */
export function capReached(walks: readonly WalkFigures[], probesPerSecond: number): number {
  // Walks that probed nothing (a member finding its buckets done) say nothing of the pace.
  const rates = walks.filter((w) => w.endS !== null && w.probed !== null && w.probed > 0 && w.endS > w.startS).map((w) => (w.probed as number) / ((w.endS as number) - w.startS));
  return rates.length === 0 ? 0 : Math.min(...rates) / probesPerSecond;
}

/** The server's Received packet count (`srvr`), or NaN when it did not answer. */
async function zkReceived(port: number): Promise<number> {
  const m = /^Received: (\d+)$/m.exec(await fourLetter(port, 'srvr', 2000));
  return m ? Number(m[1]) : NaN;
}

export async function runFleetPhase(opts: FleetBenchOptions): Promise<FleetResult> {
  const tools = findZooKeeper();
  if (!tools.ok) {
    const bar = '!'.repeat(100);
    opts.progress(`${bar}\n!!! SKIPPED: (i) fleet phase: no ZooKeeper: ${tools.reason}\n${bar}`);
    return { skipped: true, reason: tools.reason };
  }
  const root = await mkdtemp(join(tmpdir(), 'oio-repaird-bench-fleet-'));
  const sim = await startSimProcess(opts.containers, SEED);
  const perBucket = containersPerBucket(opts.containers);
  let zk: ZooKeeper | undefined;
  try {
    zk = await ZooKeeper.start(tools);
    const runs: FleetRun[] = [];
    for (const members of opts.sizes) {
      opts.progress(`(i) fleet of ${members}: ${opts.containers.toLocaleString('en-US')} containers, probesPerSecond ${opts.probesPerSecond} and concurrency ${opts.concurrency} per member`);
      const run = await oneFleet(opts, members, root, sim.url, sim.namespace, sim.child.pid, zk, sharesOf(perBucket, memberIds(members)));
      opts.progress(`    split ${run.shares.join(' / ')} containers (bound ${run.splitBound.toFixed(3)}); startup epoch ${run.startup.seconds.toFixed(1)} s (${run.startup.probed} probed); steady epoch ${run.steady.seconds.toFixed(1)} s (${run.steady.probed} probed): ${Math.round(run.containersPerSecond)} containers/s, ZooKeeper ${run.zkPackets} packets (${run.zkPacketsPerContainer.toFixed(4)} per container); cores daemons ${run.cores.daemons.toFixed(2)} sim ${run.cores.sim.toFixed(2)} zk ${run.cores.zookeeper.toFixed(2)} others ${run.cores.other.toFixed(2)}`);
      if (run.capReached < 0.9) opts.progress(`    !!! a member walked at ${(run.capReached * 100).toFixed(0)} % of probesPerSecond: the host, not the cap, set the pace (cores used by others ${run.cores.other.toFixed(2)}); the ratio below measures the host`);
      for (const w of run.walks) opts.progress(`      member ${w.member}: walk ${w.startS.toFixed(1)} s → ${w.endS?.toFixed(1) ?? '?'} s, ${w.owned} buckets owned, ${w.probed ?? '?'} probed, ${w.marked ?? '?'} recorded`);
      runs.push(run);
    }
    const ratios = fleetRatios(runs);
    for (const r of ratios) opts.progress(`    ${r.members} member(s): ${Math.round(r.containersPerSecond)}/s = ${r.ratio.toFixed(3)} × ${r.members} × one member`);
    return { skipped: false, containers: opts.containers, probesPerSecond: opts.probesPerSecond, concurrency: opts.concurrency, runs, ratios };
  } finally {
    await zk?.stop();
    await sim.close();
    await rm(root, { recursive: true, force: true });
  }
}

async function oneFleet(opts: FleetBenchOptions, members: number, dir: string, url: string, namespace: string, simPid: number, zk: ZooKeeper, shares: number[]): Promise<FleetRun> {
  const server = zk.servers[0];
  if (!server) throw new Error('no ZooKeeper server');
  const daemons: Child[] = [];
  const summaries: (EpochFigures & { readonly startedAtMs: number })[] = [];
  const fleetLines: string[][] = [];
  let onSummary = (): void => undefined;
  try {
    for (let k = 1; k <= members; k++) {
      const config = {
        proxy: { url, namespace },
        account: { url },
        // The cap under test is probesPerSecond: the per-service cap is opened to the concurrency
        // (at its default 4 over the simulator's 6 services, 8 containers at most are in flight).
        probe: { concurrency: opts.concurrency, probesPerSecond: opts.probesPerSecond, perServiceConcurrency: opts.concurrency },
        // Every 2 s: the leader starts the next epoch as soon as the current one is complete.
        schedule: { cron: '*/2 * * * * *', runAtStart: true },
        fleet: { zookeeper: zk.connect, root: `/bench/fleet-${members}`, memberId: memberIds(members)[k - 1], sessionTimeoutMs: 10_000 },
        metrics: { listen: '127.0.0.1:0' },
        state: { dir: join(dir, `n${members}-m${k}`) },
        progress: { intervalSeconds: 60 },
        log: { level: 'info' },
      };
      const path = join(dir, `n${members}-m${k}.yaml`);
      await writeFile(path, JSON.stringify(config, null, 2)); // JSON is YAML
      const child = spawnNode([MAIN_JS, 'run', '--config', path], `fleet member ${k}`);
      const mine: string[] = [];
      fleetLines.push(mine);
      child.lines((line) => {
        if (line.includes('"msg":"fleet: walk')) mine.push(line);
        const s = epochSummary(line);
        if (s && !summaries.some((x) => x.epoch === s.epoch)) {
          summaries.push(s);
          onSummary();
        }
      });
      daemons.push(child);
    }
    const timeoutMs = 60_000 + (4 * opts.containers * 1000) / opts.probesPerSecond;
    const epochEnd = (epoch: number): Promise<EpochFigures & { readonly startedAtMs: number }> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleet of ${members}: epoch ${epoch} not complete within ${timeoutMs} ms\n${daemons.map((d) => d.tail()).join('\n---\n')}`)), timeoutMs);
      onSummary = () => {
        const s = summaries.find((x) => x.epoch === epoch);
        if (s) {
          clearTimeout(timer);
          resolve(s);
        }
      };
      onSummary();
    });
    const startup = await epochEnd(1);
    // The steady epoch starts at the next schedule tick (≤ 2 s): count from here.
    const received0 = await zkReceived(server.port);
    const meters = [...daemons.map((d) => new CpuMeter(d.pid)), new CpuMeter(simPid), new CpuMeter(server.pid ?? 0)];
    const machine = new MachineMeter();
    for (const m of meters) m.start();
    machine.start();
    const steady = await epochEnd(2);
    const zkPackets = (await zkReceived(server.port)) - received0;
    const cpu = meters.map((m) => m.stop());
    const busy = machine.stop();
    const daemonCores = cpu.slice(0, members).reduce((a, b) => a + b, 0);
    const simCores = cpu[members] ?? 0;
    const zkCores = cpu[members + 1] ?? 0;
    const { startedAtMs: _s1, ...startupFigures } = startup;
    const { startedAtMs, ...steadyFigures } = steady;
    return {
      members,
      shares,
      splitBound: opts.containers / members / Math.max(...shares),
      capReached: capReached(walksOf(fleetLines, 2, startedAtMs), opts.probesPerSecond),
      walks: walksOf(fleetLines, 2, startedAtMs),
      startup: startupFigures,
      steady: steadyFigures,
      containersPerSecond: opts.containers / steady.seconds,
      zkPackets,
      zkPacketsPerContainer: zkPackets / opts.containers,
      cores: { daemons: daemonCores, sim: simCores, zookeeper: zkCores, other: Math.max(0, busy - daemonCores - simCores - zkCores) },
    };
  } finally {
    await Promise.all(daemons.map((d) => d.stop(30_000)));
  }
}
