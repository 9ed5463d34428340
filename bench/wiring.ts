// The daemon's sweep wiring, in process: the same configuration defaults (configSchema), the same
// ProxyClient/AccountClient settings and metrics hook, the same probe/locate/repair closures as
// Daemon.sweep() in src/daemon/daemon.ts, so runSweep can be timed with probesPerSecond 0
// (unlimited, which the configuration file cannot say) and observed per container.
// Keep this in step with Daemon's constructor and sweep().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../src/config/schema.js';
import { DiscoveredAccountService } from '../src/daemon/account-service.js';
import { accountFilter, repairPolicy } from '../src/daemon/daemon.js';
import type { AccountFilter } from '../src/discover/enumerate.js';
import { Journal } from '../src/journal/journal.js';
import { silentLogger } from '../src/log.js';
import { codeClass, createMetrics, type Metrics } from '../src/metrics/metrics.js';
import type { HttpClientOptions } from '../src/oio/http.js';
import { createProxyClient, type ProxyClient } from '../src/oio/proxy-client.js';
import type { ContainerRef, PeerId } from '../src/oio/types.js';
import { probeContainer } from '../src/probe/probe.js';
import type { ContainerReport } from '../src/probe/types.js';
import { repairContainer } from '../src/repair/execute.js';
import type { ProbeFn } from '../src/sweep/process-container.js';
import { RepairGate } from '../src/sweep/repair-gate.js';
import { FileSweepStateStore } from '../src/sweep/state.js';
import { runSweep, type SweepDeps, type SweepSummary } from '../src/sweep/sweep.js';

export interface HarnessOptions {
  readonly url: string;
  readonly namespace: string;
  readonly connections: number;
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
  run(opts: SweepRunOptions): Promise<SweepSummary>;
  close(): Promise<void>;
}

export async function createSweepHarness(opts: HarnessOptions): Promise<SweepHarness> {
  const root = await mkdtemp(join(tmpdir(), 'oio-repaird-bench-'));
  const config = configSchema.parse({
    proxy: { url: opts.url, namespace: opts.namespace, connections: opts.connections },
    account: { url: opts.url },
    state: { dir: join(root, 'state') },
  });
  const c = config;
  const log = silentLogger();
  const metrics = createMetrics({ version: 'bench' });
  // As Daemon's constructor (onProxyRequest: duration histogram and proxy_up on every attempt).
  const http: Omit<HttpClientOptions, 'url'> = {
    connections: c.proxy.connections,
    connectTimeoutMs: c.proxy.connectTimeoutMs,
    headersTimeoutMs: c.proxy.requestTimeoutMs,
    bodyTimeoutMs: c.proxy.requestTimeoutMs,
    onRequest: (route, status, seconds) => {
      metrics.proxyRequestDuration.observe({ route, code_class: codeClass(status) }, seconds);
      if (route.startsWith('account/')) return;
      metrics.proxyUp.set(status === undefined ? 0 : 1);
    },
  };
  const proxy: ProxyClient = createProxyClient({ ...http, url: c.proxy.url, namespace: c.proxy.namespace });
  const accounts = new DiscoveredAccountService(proxy, http, c.account.url);
  const journal = await Journal.open(c.journal.path);
  const gate = new RepairGate(repairPolicy(c));
  const requiredKeys = c.probe.requiredKeys;
  let sweeps = 0;

  // As Daemon.sweep().
  const verify = (ref: ContainerRef, reqId: string) => probeContainer(proxy, ref, { requiredKeys, alwaysElection: true, reqId });
  const repair = (report: ContainerReport, reqId: string, dryRun: boolean) =>
    repairContainer(proxy, report, {
      dryRun,
      journal,
      probe: (ref) => verify(ref, reqId),
      reqId,
      log: log.child({ cid: report.ref.cid, reqId }),
      verifyAttempts: c.repair.verifyAttempts,
      verifyDelayMs: c.repair.verifyDelayMs,
      awaitMasterTimeoutMs: c.repair.awaitMasterTimeoutMs,
    });
  const probe: ProbeFn = (ref, ctx) => probeContainer(proxy, ref, { requiredKeys, reqId: ctx.reqId, ...(ctx.peers ? { peers: ctx.peers } : {}) });

  return {
    config,
    metrics,
    async run(run) {
      // A fresh state directory per sweep: never resume an earlier benchmark sweep.
      sweeps++;
      const state = new FileSweepStateStore(join(root, `state-${sweeps}`), log);
      const deps: SweepDeps = {
        accounts,
        locate: (ref, ctx) => proxy.locate(ref, { reqId: ctx.reqId }),
        probe: run.observe ? run.observe.wrap(probe) : probe,
        repair: (report, ctx) => repair(report, ctx.reqId, false),
        previewRepair: (report, ctx) => repair(report, ctx.reqId, true),
        journal,
        metrics,
        log,
        gate,
        state,
      };
      return runSweep(deps, {
        filter: run.filter ?? accountFilter(c),
        concurrency: run.concurrency,
        probesPerSecond: run.probesPerSecond,
        perServiceConcurrency: run.perServiceConcurrency,
        progressIntervalMs: c.progress.intervalSeconds * 1000,
        signal: new AbortController().signal,
      });
    },
    async close() {
      await accounts.close();
      await proxy.close();
      await journal.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
