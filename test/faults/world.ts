// The fault matrix's test bed: a simulator on 127.0.0.1:0 and the daemon's own sweep machinery,
// the Sweeper of src/daemon/sweeper.ts (clients, probe/repair/verification wiring, repair gate),
// with a file Journal and sweep state in a tmp dir and real metrics, so a change of the daemon's
// wiring is tested here; plus a guard around every mutating proxy call that checks the
// simulator's ground truth at that moment.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { Sweeper } from '../../src/daemon/sweeper.js';
import { runtimeOptions } from '../../src/config/runtime.js';
import { repairJournal } from '../../src/journal/entries.js';
import { Journal } from '../../src/journal/journal.js';
import type { JournalEntry } from '../../src/journal/types.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { CallOptions, ContainerRef, PeerAnswer, PeerId, ProxyApi } from '../../src/oio/types.js';
import { checkKeys } from '../../src/probe/classify.js';
import { probeContainer } from '../../src/probe/probe.js';
import { DEFAULT_REQUIRED_KEYS, type ContainerReport, type Verdict } from '../../src/probe/types.js';
import { repairContainer } from '../../src/repair/execute.js';
import type { RepairResult } from '../../src/repair/types.js';
import { startSimulator, type FaultSpec, type Scenario, type ScenarioContainer, type Simulator } from '../../src/sim/index.js';
import type { RepairPolicy } from '../../src/sweep/repair-gate.js';
import { FileSweepStateStore, type SweepCheckpoint } from '../../src/sweep/state.js';
import type { SweepOptions, SweepSummary } from '../../src/sweep/sweep.js';

export const SERVICES = ['127.0.0.1:6131', '127.0.0.1:6132', '127.0.0.1:6133', '127.0.0.1:6134', '127.0.0.1:6135'] as const;
export const [S1, S2, S3, S4, S5] = SERVICES;

// The same generous policy as the sweep tests: the matrix is about safety, not budgets.
import { POLICY } from '../sweep/harness.js';
export { POLICY };

/** A mutating call (sync, leave, set_properties) as the guard saw it leave. */
export interface MutatingCall {
  readonly route: 'sync' | 'leave' | 'set_properties';
  readonly cid: string;
  readonly peers: readonly PeerId[];
  /** The sweep probe's verdict for this container when the call left. */
  readonly sweptVerdict: Verdict | undefined;
  /** The simulator's master at that moment, and whether its replica was healthy. */
  readonly master: PeerId | null;
  readonly masterHealthy: boolean;
}

export interface WorldOptions {
  readonly containers: readonly ScenarioContainer[];
  readonly faults?: readonly FaultSpec[];
  /** The proxy section of the configuration (e.g. requestTimeoutMs); connectTimeoutMs is 500. */
  readonly proxy?: Partial<Config['proxy']>;
  readonly policy?: Partial<RepairPolicy>;
  /** Wraps the guarded proxy (e.g. to emulate a deleted container). */
  readonly wrapProxy?: (proxy: ProxyApi) => ProxyApi;
}

export interface SweepHooks {
  /** Called when the sweep's probe of a container starts / ends (1-based count). */
  readonly beforeProbe?: (n: number, ref: ContainerRef) => Promise<void> | void;
  readonly afterProbe?: (n: number, report: ContainerReport) => Promise<void> | void;
  /** Called just before a repair allowed by the gate starts. */
  readonly beforeRepair?: (report: ContainerReport) => Promise<void> | void;
}

/** The per-sweep knobs the matrix uses; small pages and fast retries keep it quick. */
export const SWEEP_DEFAULTS: Omit<SweepOptions, 'signal'> = {
  filter: { include: 'all' },
  concurrency: 1,
  probesPerSecond: 0,
  perServiceConcurrency: 2,
  progressIntervalMs: 60_000,
  pageSize: 2,
  checkpointEvery: 1,
  enumerationRetries: 2,
  enumerationBackoffMs: 10,
  maxUnknownShare: 0.01,
};

export class World {
  readonly metrics: Metrics = createMetrics({ defaultMetrics: false });
  readonly mutations: MutatingCall[] = [];
  /** Verdict of the sweep's own probe of each container (by CID), in probe order. */
  readonly swept = new Map<string, Verdict>();
  readonly probedOrder: string[] = [];
  readonly state: FileSweepStateStore;
  readonly sweeper: Sweeper;
  /** The proxy calls as the Sweeper makes them: guarded, then wrapped by WorldOptions.wrapProxy. */
  proxy!: ProxyApi;

  private constructor(
    readonly sim: Simulator,
    readonly dir: string,
    readonly config: Config,
    readonly journal: Journal,
    opts: WorldOptions,
  ) {
    this.sweeper = new Sweeper({
      config,
      log: silentLogger(),
      metrics: this.metrics,
      journal,
      wrapProxy: (client) => {
        const guarded = this.guard(client);
        this.proxy = opts.wrapProxy ? opts.wrapProxy(guarded) : guarded;
        return this.proxy;
      },
    });
    this.sweeper.gate.setPolicy({ ...POLICY, ...opts.policy });
    this.state = new FileSweepStateStore(join(dir, 'state'), silentLogger());
  }

  static async start(opts: WorldOptions): Promise<World> {
    const scenario: Scenario = { services: [...SERVICES], containers: [...opts.containers], faults: [...(opts.faults ?? [])] };
    const sim = await startSimulator({ scenario, syncDelayMs: 5 });
    const dir = await mkdtemp(join(tmpdir(), 'oio-faults-'));
    // Fast verification; the repair policy is the matrix's own (POLICY), set on the gate.
    const config = configSchema.parse({
      proxy: { url: sim.url, namespace: sim.namespace, connectTimeoutMs: 500, ...opts.proxy },
      account: { url: sim.url },
      state: { dir: join(dir, 'state') },
      journal: { path: join(dir, 'journal.jsonl') },
      repair: { verifyAttempts: 20, verifyDelayMs: 15, awaitMasterTimeoutMs: 2_000 },
    });
    const journal = await Journal.open(config.journal.path);
    return new World(sim, dir, config, journal, opts);
  }

  async close(): Promise<void> {
    await this.sweeper.close();
    await this.journal.close();
    await this.sim.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The client, with every mutating call recorded against the simulator's truth as it leaves. */
  private guard(client: ProxyApi): ProxyApi {
    const record = (route: MutatingCall['route'], ref: ContainerRef, peers: readonly PeerId[]): void => {
      const truth = this.sim.truth(ref.cid);
      const master = truth?.master ?? null;
      const replica = truth?.replicas.find((r) => r.peer === master);
      const keys = replica ? checkKeys(replica.admin, ref.cid, DEFAULT_REQUIRED_KEYS) : undefined;
      const masterHealthy = replica?.base === 'ok' && keys !== undefined && keys.missingKeys.length === 0 && keys.malformedKeys.length === 0;
      this.mutations.push({ route, cid: ref.cid, peers: [...peers], sweptVerdict: this.swept.get(ref.cid), master, masterHealthy });
    };
    return {
      locate: (ref, o) => client.locate(ref, o),
      getProperties: (ref, peer, o) => client.getProperties(ref, peer, o),
      has: (ref, peers, o) => client.has(ref, peers, o),
      status: (ref, peers, o) => client.status(ref, peers, o),
      debug: (ref, peers, o) => client.debug(ref, peers, o),
      listServices: (type, o) => client.listServices(type, o),
      sync: (ref: ContainerRef, peers?: readonly PeerId[], o?: CallOptions): Promise<PeerAnswer<string>[]> => {
        record('sync', ref, peers ?? []);
        return client.sync(ref, peers, o);
      },
      leave: (ref, peers, o) => {
        record('leave', ref, peers);
        return client.leave(ref, peers, o);
      },
      setProperties: (ref, system, o) => {
        record('set_properties', ref, []);
        return client.setProperties(ref, system, o);
      },
    };
  }

  /** The Sweeper's probe of one container, outside a sweep. */
  probe(ref: ContainerRef, ctx: { reqId: string; peers?: readonly PeerId[] }): Promise<ContainerReport> {
    return this.sweeper.containerStep(this.config).probe(ref, { reqId: ctx.reqId, ...(ctx.peers ? { peers: ctx.peers } : {}) });
  }

  /**
   * repairContainer given a signal, which the daemon never does (a started repair always runs to
   * its end): over the same proxy calls, journal and configuration as the Sweeper's repairs.
   */
  repairWithSignal(report: ContainerReport, reqId: string, signal: AbortSignal): Promise<RepairResult> {
    const rt = runtimeOptions(this.config);
    return repairContainer(this.proxy, report, {
      ...rt.repair,
      dryRun: false,
      signal,
      journal: repairJournal(this.journal, { evidenceMaxBytes: rt.evidenceMaxBytes }),
      // The verification's probe, as the Sweeper's: always the election.
      probe: (ref) => probeContainer(this.proxy, ref, { requiredKeys: DEFAULT_REQUIRED_KEYS, reqId, alwaysElection: true }),
      reqId,
      log: silentLogger(),
    });
  }

  /** One sweep run by the daemon's Sweeper, with the matrix's small pages and the test hooks. */
  sweep(signal: AbortSignal = new AbortController().signal, hooks: SweepHooks = {}, opts: Partial<SweepOptions> = {}): Promise<SweepSummary> {
    let probes = 0;
    return this.sweeper.run(this.config, {
      signal,
      state: this.state,
      wrapProbe: (probe) => async (ref, ctx) => {
        const n = ++probes;
        await hooks.beforeProbe?.(n, ref);
        const report = await probe(ref, ctx);
        this.swept.set(ref.cid, report.verdict);
        this.probedOrder.push(`${ref.account}/${ref.container}`);
        await hooks.afterProbe?.(n, report);
        return report;
      },
      wrapRepair: (repair) => async (report, ctx) => {
        await hooks.beforeRepair?.(report);
        return repair(report, ctx);
      },
      overrides: { ...SWEEP_DEFAULTS, ...opts },
    });
  }

  /** Every journal line, parsed (appends are durable once awaited, so the file is complete). */
  async entries(): Promise<JournalEntry[]> {
    const text = await readFile(this.journal.path, 'utf8');
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as JournalEntry);
  }

  async entriesFor(account: string, container: string): Promise<JournalEntry[]> {
    return (await this.entries()).filter((e) => e.account === account && e.container === container);
  }

  async checkpoint(): Promise<SweepCheckpoint | null> {
    return this.state.load();
  }

  /** Value of one series of a metric (0 when the series does not exist). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = this.metrics.registry.getSingleMetric(name);
    if (!m) throw new Error(`no metric ${name}`);
    const { values } = await m.get();
    const match = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)
      && Object.keys(v.labels).length === Object.keys(labels).length);
    return match?.value ?? 0;
  }

  /** All series of a labelled counter as `{label: value}`, zero series left out. */
  async counts(name: string, label: string): Promise<Record<string, number>> {
    const m = this.metrics.registry.getSingleMetric(name);
    if (!m) throw new Error(`no metric ${name}`);
    const { values } = await m.get();
    const out: Record<string, number> = {};
    for (const v of values) if (v.value !== 0) out[String((v.labels as Record<string, unknown>)[label])] = v.value;
    return out;
  }
}

export function ref(account: string, container: string, cid: string): ContainerRef {
  return { cid, account, container };
}
