// Phase (g) of `npm run bench`: native against proxy probing, in the same run. A simulator process
// with native listeners (`sim --generate N --native`) and the daemon's own Sweeper in process,
// once per transport, over the same healthy containers, alternating the transports round after
// round (neighbours come and go on a shared machine; the median of the rounds is quoted). Per
// replica probe: the client's CPU time and the rate. A replica probe is one get_properties through
// the proxy, or one DB_HAS + one DB_PGET on the meta2's native port.
import { GeneratedNamespace } from '../src/sim/generator.js';
import { startCpuMeters } from './proc.js';
import { startSimProcess } from './sim-process.js';
import { createSweepHarness } from './wiring.js';

export interface TransportRound {
  readonly transport: 'proxy' | 'native';
  readonly round: number;
  readonly containers: number;
  readonly replicaProbes: number;
  readonly seconds: number;
  readonly replicaProbesPerSecond: number;
  readonly clientCpuMicrosPerReplicaProbe: number;
  /** Requests by route during the sweep, from the simulator (proxy and native). */
  readonly byRoute: Readonly<Record<string, number>>;
}

export interface TransportSummary {
  readonly transport: 'proxy' | 'native';
  /** Medians over the rounds. */
  readonly replicaProbesPerSecond: number;
  readonly clientCpuMicrosPerReplicaProbe: number;
}

export interface TransportsResult {
  readonly containersPerRound: number;
  readonly rounds: readonly TransportRound[];
  readonly summary: readonly TransportSummary[];
  /** native / proxy, of the medians. */
  readonly cpuRatio: number;
  readonly rateRatio: number;
}

export interface TransportsOptions {
  readonly concurrency: number;
  readonly connections: number;
  readonly perServiceConcurrency: number;
  readonly rounds: number;
  /** Containers per sweep (whole accounts of 1000). */
  readonly containersPerRound: number;
  readonly progress: (line: string) => void;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export async function runTransportsPhase(opts: TransportsOptions): Promise<TransportsResult> {
  const accountsPerRound = Math.max(1, Math.round(opts.containersPerRound / 1000));
  // One account for the warm-up, then fresh accounts per round and transport (no cache helps a later sweep).
  const containers = 1000 * (1 + 2 * opts.rounds * accountsPerRound);
  const generated = new GeneratedNamespace({ containers, damagedShare: 0, seed: 1 }, 'OPENIO');
  const sim = await startSimProcess(containers, 1, ['--native']);
  const rounds: TransportRound[] = [];
  try {
    const harnesses = {
      proxy: await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, transport: 'proxy' }),
      native: await createSweepHarness({ url: sim.url, namespace: sim.namespace, connections: opts.connections, transport: 'native' }),
    };
    try {
      const base = { concurrency: opts.concurrency, perServiceConcurrency: opts.perServiceConcurrency, probesPerSecond: 0 };
      for (const h of Object.values(harnesses)) await h.run({ ...base, filter: { names: [generated.accountName(0)] } });
      let next = 1;
      for (let round = 1; round <= opts.rounds; round++) {
        for (const transport of ['proxy', 'native'] as const) {
          const names = Array.from({ length: accountsPerRound }, () => generated.accountName(next++));
          await sim.resetStats();
          const stop = startCpuMeters(sim.child.pid);
          const t0 = performance.now();
          const summary = await harnesses[transport].run({ ...base, filter: { names } });
          const seconds = (performance.now() - t0) / 1000;
          const cpu = stop();
          const stats = await sim.stats();
          const replicaProbes = summary.doneThisRun * generated.replicas;
          const r: TransportRound = {
            transport, round, containers: summary.doneThisRun, replicaProbes, seconds,
            replicaProbesPerSecond: replicaProbes / seconds,
            clientCpuMicrosPerReplicaProbe: (cpu.client * seconds * 1e6) / replicaProbes,
            byRoute: stats.byRoute,
          };
          rounds.push(r);
          opts.progress(`(g) round ${round} ${transport}: ${r.containers} containers, ${Math.round(r.replicaProbesPerSecond)} replica probes/s, ${r.clientCpuMicrosPerReplicaProbe.toFixed(1)} µs client CPU per replica probe, cores client ${cpu.client.toFixed(2)} sim ${cpu.sim.toFixed(2)}`);
        }
      }
    } finally {
      await harnesses.proxy.close();
      await harnesses.native.close();
    }
  } finally {
    await sim.close();
  }
  const summary = (['proxy', 'native'] as const).map((transport): TransportSummary => {
    const mine = rounds.filter((r) => r.transport === transport);
    return {
      transport,
      replicaProbesPerSecond: median(mine.map((r) => r.replicaProbesPerSecond)),
      clientCpuMicrosPerReplicaProbe: median(mine.map((r) => r.clientCpuMicrosPerReplicaProbe)),
    };
  });
  const [proxy, native] = summary as [TransportSummary, TransportSummary];
  return {
    containersPerRound: accountsPerRound * 1000,
    rounds,
    summary,
    cpuRatio: native.clientCpuMicrosPerReplicaProbe / proxy.clientCpuMicrosPerReplicaProbe,
    rateRatio: native.replicaProbesPerSecond / proxy.replicaProbesPerSecond,
  };
}
