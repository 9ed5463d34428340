// The daemon's sweep machinery in process: the very Sweeper the daemon runs (src/daemon/
// sweeper.ts: same clients, request metrics, probe/locate/repair wiring), so runSweep can be
// timed with probesPerSecond 0 (unlimited, which the configuration file cannot say) and
// observed per container.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../src/config/schema.js';
import { Sweeper } from '../src/daemon/sweeper.js';
import type { AccountFilter } from '../src/discover/enumerate.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/log.js';
import { createMetrics, type Metrics } from '../src/metrics/metrics.js';
import type { PeerId } from '../src/oio/types.js';
import type { ProbeFn } from '../src/sweep/process-container.js';
import { FileSweepStateStore } from '../src/sweep/state.js';
import type { SweepSummary } from '../src/sweep/sweep.js';

export interface HarnessOptions {
  readonly url: string;
  readonly namespace: string;
  readonly connections: number;
  /** probe.transport (default proxy). */
  readonly transport?: 'proxy' | 'native';
  /** Extra configuration of the probe section (the adaptive phase turns probe.adaptive on). */
  readonly probe?: Record<string, unknown>;
  /** Sends every request through it instead of the Sweeper's own Pools (the overhead phase). */
  readonly dispatcher?: Dispatcher;
}

export interface SweepRunOptions {
  readonly concurrency: number;
  /** 0 = unlimited. */
  readonly probesPerSecond: number;
  readonly perServiceConcurrency: number;
  /** Default: every account (the configuration's default). */
  readonly filter?: AccountFilter;
  /** Observe every probe (concurrent containers per service, probe start times). */
  readonly observe?: ProbeObserver;
  /** Stops the sweep (default: it runs to its end). */
  readonly signal?: AbortSignal;
}

/** Watches the probes of a sweep: per meta2 service, how many containers are probed at once. */
export class ProbeObserver {
  readonly maxPerService = new Map<PeerId, number>();
  readonly startTimes: number[] = [];
  maxContainers = 0;
  private readonly current = new Map<PeerId, number>();
  private containers = 0;

  wrap(probe: ProbeFn): ProbeFn {
    return async (ref, ctx) => {
      const peers = ctx.peers ?? [];
      this.startTimes.push(performance.now());
      this.containers++;
      if (this.containers > this.maxContainers) this.maxContainers = this.containers;
      for (const p of peers) {
        const n = (this.current.get(p) ?? 0) + 1;
        this.current.set(p, n);
        if (n > (this.maxPerService.get(p) ?? 0)) this.maxPerService.set(p, n);
      }
      try {
        return await probe(ref, ctx);
      } finally {
        this.containers--;
        for (const p of peers) this.current.set(p, (this.current.get(p) ?? 1) - 1);
      }
    };
  }

  /** The highest number of containers probed at once on one service. */
  maxAnyService(): number {
    return Math.max(0, ...this.maxPerService.values());
  }
}

export interface SweepHarness {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly sweeper: Sweeper;
  run(opts: SweepRunOptions): Promise<SweepSummary>;
  close(): Promise<void>;
}

export async function createSweepHarness(opts: HarnessOptions): Promise<SweepHarness> {
  const root = await mkdtemp(join(tmpdir(), 'oio-repaird-bench-'));
  const config = configSchema.parse({
    proxy: { url: opts.url, namespace: opts.namespace, connections: opts.connections },
    account: { url: opts.url },
    state: { dir: join(root, 'state') },
    ...(opts.transport || opts.probe ? { probe: { ...(opts.transport ? { transport: opts.transport } : {}), ...opts.probe } } : {}),
  });
  const log = silentLogger();
  const metrics = createMetrics({ version: 'bench' });
  const journal = await Journal.open(config.journal.path);
  const sweeper = new Sweeper({ config, log, metrics, journal, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) });
  let sweeps = 0;

  return {
    config,
    metrics,
    sweeper,
    async run(run) {
      // A fresh state directory per sweep: never resume an earlier benchmark sweep.
      sweeps++;
      return sweeper.run(config, {
        signal: run.signal ?? new AbortController().signal,
        state: new FileSweepStateStore(join(root, `state-${sweeps}`), log),
        ...(run.observe ? { wrapProbe: (probe: ProbeFn) => run.observe!.wrap(probe) } : {}),
        overrides: {
          concurrency: run.concurrency,
          probesPerSecond: run.probesPerSecond,
          perServiceConcurrency: run.perServiceConcurrency,
          ...(run.filter ? { filter: run.filter } : {}),
        },
      });
    },
    async close() {
      await sweeper.close();
      await journal.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
