// A sweep wired to fakes: an in-memory account service, a probe whose verdict is chosen per
// container, a repair that always verifies healthy, a recording journal, real metrics.
import type { JournalEntry, JournalSink } from '../../src/journal/types.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { ContainerRef, PeerId } from '../../src/oio/types.js';
import type { ContainerReport } from '../../src/probe/types.js';
import type { RepairResult } from '../../src/repair/types.js';
import type { ProbeContext } from '../../src/sweep/process-container.js';
import { RepairGate, type RepairPolicy } from '../../src/sweep/repair-gate.js';
import { MemorySweepStateStore } from '../../src/sweep/state.js';
import { bindBudgetGauge } from '../../src/sweep/sweep-metrics.js';
import type { SweepDeps, SweepOptions } from '../../src/sweep/sweep.js';
import { FakeAccounts } from '../discover/fake-accounts.js';
import { damaged, healthy, unrepairable, unseen } from './reports.js';

export type Fate = 'healthy' | 'damaged' | 'unrepairable' | 'unseen' | 'throw';

export const POLICY: RepairPolicy = {
  mode: 'auto',
  maxPerSweep: 100,
  maxPerHour: 1000,
  cooldownSeconds: 600,
  maxAttempts: 3,
  backoffSeconds: 60,
  backoffMaxSeconds: 3600,
};

export class RecordingJournal implements JournalSink {
  readonly entries: JournalEntry[] = [];
  async append(entry: JournalEntry): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.entries.push(entry);
  }
}

export const tick = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

export interface HarnessOptions {
  readonly fate?: (ref: ContainerRef) => Fate;
  readonly peersOf?: (ref: ContainerRef) => readonly PeerId[];
  /** Awaited inside the probe, after it started: lets a test hold some probes. */
  readonly hold?: (ref: ContainerRef) => Promise<void> | undefined;
  readonly policy?: Partial<RepairPolicy>;
}

export class Harness {
  readonly accounts: FakeAccounts;
  readonly metrics: Metrics = createMetrics({ defaultMetrics: false });
  readonly journal = new RecordingJournal();
  readonly state = new MemorySweepStateStore();
  readonly gate: RepairGate;
  /** `account/container` of every probe call, in call order. */
  readonly probed: string[] = [];
  readonly repaired: string[] = [];
  readonly peersSeen: Array<readonly PeerId[] | undefined> = [];
  /** The request id of every probe call, in call order. */
  readonly reqIds: string[] = [];
  active = 0;
  maxActive = 0;
  readonly activePerPeer = new Map<PeerId, number>();
  maxPerPeer = 0;
  /** Called after every probe call starts (tests stop or pause the sweep from here). */
  onProbe: (count: number) => void = () => undefined;
  private readonly opts: HarnessOptions;

  constructor(tree: Record<string, readonly string[]>, opts: HarnessOptions = {}) {
    this.accounts = new FakeAccounts(tree, 1000);
    this.opts = opts;
    this.gate = new RepairGate({ ...POLICY, ...opts.policy });
    bindBudgetGauge(this.metrics, this.gate);
  }

  deps(): SweepDeps {
    return {
      accounts: this.accounts,
      ...(this.opts.peersOf ? { locate: async (ref: ContainerRef) => this.opts.peersOf!(ref) } : {}),
      probe: (ref, ctx) => this.probe(ref, ctx),
      repair: (report) => this.repair(report),
      journal: this.journal,
      metrics: this.metrics,
      log: silentLogger(),
      gate: this.gate,
      state: this.state,
    };
  }

  options(signal: AbortSignal, overrides: Partial<SweepOptions> = {}): SweepOptions {
    return {
      filter: { include: 'all' },
      concurrency: 4,
      probesPerSecond: 0,
      perServiceConcurrency: 2,
      progressIntervalMs: 60_000,
      signal,
      pageSize: 7,
      enumerationBackoffMs: 1,
      maxUnknownShare: 0.01,
      ...overrides,
    };
  }

  private async probe(ref: ContainerRef, ctx: ProbeContext): Promise<ContainerReport> {
    this.probed.push(`${ref.account}/${ref.container}`);
    this.peersSeen.push(ctx.peers);
    this.reqIds.push(ctx.reqId);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    for (const p of ctx.peers ?? []) {
      const n = (this.activePerPeer.get(p) ?? 0) + 1;
      this.activePerPeer.set(p, n);
      this.maxPerPeer = Math.max(this.maxPerPeer, n);
    }
    try {
      this.onProbe(this.probed.length);
      await tick();
      await this.opts.hold?.(ref);
      await tick();
      const fate = this.opts.fate?.(ref) ?? 'healthy';
      if (fate === 'throw') throw Object.assign(new Error('proxy exploded'), { code: 'OIO_UNAVAILABLE' });
      if (fate === 'damaged') return damaged(ref, ctx.peers);
      if (fate === 'unrepairable') return unrepairable(ref);
      if (fate === 'unseen') return unseen(ref, ctx.peers);
      return healthy(ref, ctx.peers);
    } finally {
      this.active -= 1;
      for (const p of ctx.peers ?? []) this.activePerPeer.set(p, (this.activePerPeer.get(p) ?? 1) - 1);
    }
  }

  private async repair(report: ContainerReport): Promise<RepairResult> {
    const key = `${report.ref.account}/${report.ref.container}`;
    const journaled = this.journal.entries.some((e) => e.type === 'detection' && e.cid === report.ref.cid);
    if (!journaled) throw new Error(`repair of ${key} before its detection was journaled`);
    this.repaired.push(key);
    await tick();
    return { outcome: 'succeeded', before: report, after: healthy(report.ref), rounds: [], reason: 'synced from master' };
  }
}

/** Value of a counter/gauge sample with exactly these labels (0 when absent). */
export async function sample(metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> }, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await metric.get();
  const found = values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels));
  return found?.value ?? 0;
}

export function containerNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `ct${String(i).padStart(3, '0')}`);
}

export function indexOf(ref: ContainerRef): number {
  return Number(ref.container?.slice(2));
}
