// Runs repair plans against the proxy, round after round, until a verification probe finds the
// container healthy (or a round fails, or maxRounds is reached). Every mutating call is framed by
// journal entries that are on disk before the next call. Never throws; dry runs only journal.
import { isOioError } from '../oio/errors.js';
import type { CallOptions, ContainerRef, PeerAnswer, PeerId, ProxyApi } from '../oio/types.js';
import type { JournalEntry, JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { describeReplica, electionView } from '../probe/classify.js';
import { summarizeReplicas } from '../probe/probe.js';
import type { ContainerReport } from '../probe/types.js';
import { agreedMaster, planRepair } from './plan.js';
import type { RepairOutcome, RepairPlan, RepairResult, RepairStep, StepResult } from './types.js';

export interface RepairOptions {
  readonly dryRun: boolean;
  readonly journal: JournalSink;
  /** Re-probe for verification; normally probeContainer with alwaysElection: true. */
  readonly probe: (ref: ContainerRef) => Promise<ContainerReport>;
  /** Rounds of steps at most (default 3: e.g. leave + await-master, then sync, then spare). */
  readonly maxRounds?: number;
  readonly awaitMasterTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Wait before each verification probe (sync is asynchronous). */
  readonly verifyDelayMs?: number;
  /** Verification probes after a sync or a write while the container still looks repairable. */
  readonly verifyAttempts?: number;
  readonly reqId: string;
  /** A logger already bound to the container's `cid` and this `reqId` (lines do not repeat them). */
  readonly log?: Logger;
  /** Aborted (SIGTERM): the in-flight step finishes and is recorded, then the repair stops. */
  readonly signal?: AbortSignal;
  /** Observes `oio_repaird_repair_step_duration_seconds{step}` for every step run. */
  readonly metrics?: Pick<Metrics, 'repairStepDuration'>;
  /**
   * Called once, awaited, right before the first mutating step (never in a dry run, never when
   * nothing is to be done). If it throws, nothing is sent: the outcome is the error's `outcome`
   * when it carries `skipped_budget` or `skipped_cooldown`, else `failed`, and the reason says why.
   */
  readonly beforeFirstMutation?: () => Promise<void>;
}

type Answer = { readonly peer: PeerId; readonly status: number; readonly message: string };

const MUTATING: ReadonlySet<RepairStep['kind']> = new Set(['sync', 'leave', 'set-properties']);

/** beforeFirstMutation refused: nothing was sent. */
class NotStarted extends Error {
  readonly outcome: RepairOutcome;
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
    const wanted = (cause as { outcome?: unknown } | null)?.outcome;
    this.outcome = wanted === 'skipped_budget' || wanted === 'skipped_cooldown' ? wanted : 'failed';
  }
}

/** A journal append that failed inside a step: the repair stops (never a request unjournaled). */
class JournalFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
  }
}
type Round = RepairResult['rounds'][number];

const DEFAULTS = { maxRounds: 3, awaitMasterTimeoutMs: 15_000, pollIntervalMs: 500, verifyDelayMs: 1_000, verifyAttempts: 5 };

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function errorText(err: unknown): string {
  if (isOioError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Journals and runs the plans; see the module comment. Never rejects. */
export async function repairContainer(proxy: ProxyApi, report: ContainerReport, opts: RepairOptions): Promise<RepairResult> {
  const run = new RepairRun(proxy, report, opts);
  try {
    return await run.execute();
  } catch (err) {
    // A journal that cannot write, or a bug: stop here and say so; never touch the proxy again.
    opts.log?.error({ err }, 'repair aborted');
    return run.finish('failed', `repair aborted: ${errorText(err)}`, false);
  }
}

class RepairRun {
  private readonly rounds: Round[] = [];
  private current: ContainerReport;
  private verified: ContainerReport | undefined;
  private readonly call: CallOptions;
  private readonly pollCall: CallOptions;
  private readonly cfg: typeof DEFAULTS;
  /** beforeFirstMutation has run (and not thrown). */
  private mutationAllowed = false;
  /** The running step's start entry is written. */
  private stepStarted = false;

  constructor(
    private readonly proxy: ProxyApi,
    private readonly before: ContainerReport,
    private readonly opts: RepairOptions,
  ) {
    this.current = before;
    // No signal on the step's own calls: aborting a sync/leave/write on the wire would leave its
    // effect unknown while the journal says failed. Only the await-master polling is cut short.
    this.call = { reqId: opts.reqId };
    this.pollCall = { reqId: opts.reqId, ...(opts.signal ? { signal: opts.signal } : {}) };
    this.cfg = {
      maxRounds: opts.maxRounds ?? DEFAULTS.maxRounds,
      awaitMasterTimeoutMs: opts.awaitMasterTimeoutMs ?? DEFAULTS.awaitMasterTimeoutMs,
      pollIntervalMs: opts.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
      verifyDelayMs: opts.verifyDelayMs ?? DEFAULTS.verifyDelayMs,
      verifyAttempts: Math.max(1, opts.verifyAttempts ?? DEFAULTS.verifyAttempts),
    };
  }

  async execute(): Promise<RepairResult> {
    for (let round = 1; ; round++) {
      const plan = planRepair(this.current);
      if (plan.decision === 'nothing') {
        if (this.rounds.length === 0) return this.finish('succeeded', plan.reason, false);
        return this.finish('succeeded', `healthy after ${this.rounds.length} round(s): ${this.current.reason}`);
      }
      if (plan.decision === 'refuse') return this.finish('refused', plan.reason);
      if (plan.decision === 'wait') return this.finish('failed', plan.reason);
      if (round > this.cfg.maxRounds) {
        return this.finish('failed', `still ${this.current.verdict} after ${this.cfg.maxRounds} round(s): ${this.current.reason}`);
      }
      if (this.opts.dryRun) return this.dryRun(plan);
      const results: StepResult[] = [];
      this.rounds.push({ plan, results });
      for (const step of plan.steps) {
        if (this.opts.signal?.aborted) return this.finish('failed', `interrupted before ${step.kind} in round ${round}`);
        let result: StepResult;
        try {
          result = await this.runStep(round, step);
        } catch (err) {
          if (!(err instanceof NotStarted)) throw err;
          return this.finish(err.outcome, `not started, nothing was sent: ${errorText(err.cause)}`);
        }
        results.push(result);
        if (result.status === 'failed') {
          await this.verify(round, false);
          return this.finish('failed', `${step.kind} failed in round ${round}: ${result.detail}`);
        }
      }
      if (this.opts.signal?.aborted) return this.finish('failed', `interrupted after round ${round}, before verification`);
      const wrote = plan.steps.some((s) => s.kind === 'sync' || s.kind === 'set-properties');
      await this.verify(round, wrote);
    }
  }

  private async dryRun(plan: RepairPlan): Promise<RepairResult> {
    this.rounds.push({ plan, results: [] });
    for (const step of plan.steps) {
      await this.append({ type: 'step-start', round: 1, step, dryRun: true, before: summarizeReplicas(this.current) });
    }
    return this.finish('dry_run', `dry run, would ${describePlan(plan)}: ${plan.reason}`);
  }

  /** Re-probes until healthy, or once when the round did not copy anything (next round decides). */
  private async verify(round: number, poll: boolean): Promise<void> {
    const attempts = poll ? this.cfg.verifyAttempts : 1;
    let report: ContainerReport | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await sleep(this.cfg.verifyDelayMs);
      report = await this.opts.probe(this.current.ref);
      const settling = report.verdict === 'repairable' || report.verdict === 'unknown';
      if (!settling || this.opts.signal?.aborted) break;
    }
    if (!report) return;
    this.current = report;
    this.verified = report;
    await this.append({ type: 'verify', round, verdict: report.verdict, reason: report.reason, after: summarizeReplicas(report) });
  }

  private async runStep(round: number, step: RepairStep): Promise<StepResult> {
    if (MUTATING.has(step.kind) && !this.mutationAllowed) {
      // The caller's durable reservation (budget, cooldown) comes before anything is sent.
      try {
        await this.opts.beforeFirstMutation?.();
      } catch (err) {
        throw new NotStarted(err);
      }
      this.mutationAllowed = true;
    }
    const started = performance.now();
    let result: StepResult;
    try {
      result = await this.perform(round, step);
    } catch (err) {
      if (err instanceof JournalFailure) throw err.cause;
      result = { step, status: 'failed', detail: `${step.kind} threw ${errorText(err)}` };
      if (!this.stepStarted) await this.stepStart(round, step);
    }
    await this.append({
      type: 'step-end',
      round,
      step,
      status: result.status,
      detail: result.detail,
      ...(result.answers ? { answers: result.answers } : {}),
    });
    this.stepStarted = false;
    this.opts.metrics?.repairStepDuration.observe({ step: step.kind }, (performance.now() - started) / 1000);
    this.opts.log?.info({ round, step: step.kind, status: result.status, detail: result.detail }, 'repair step done');
    return result;
  }

  /** The step's start entry, on disk before its first request; `before` is the latest re-read. */
  private async stepStart(round: number, step: RepairStep, extra: { attempt?: number; why?: string } = {}): Promise<void> {
    try {
      await this.append({ type: 'step-start', round, step, dryRun: false, before: summarizeReplicas(this.current), ...extra });
    } catch (err) {
      throw new JournalFailure(err);
    }
    this.stepStarted = true;
    this.opts.log?.info({ round, step, ...extra }, extra.attempt ? 'repair step retry' : 'repair step');
  }

  private async perform(round: number, step: RepairStep): Promise<StepResult> {
    if (step.kind === 'sync') return this.sync(round, step);
    await this.stepStart(round, step);
    switch (step.kind) {
      case 'leave': return this.leave(step);
      case 'await-master': return this.awaitMaster(step);
      case 'set-properties': return this.setProperties(step);
    }
  }

  /**
   * A sync copies whatever base the master has at that moment, so the container is re-read just
   * before it (every replica's admin table and the election, not only the master's identity):
   * if mastership moved since the probe, or the master is no longer healthy, nothing is synced.
   * Each targeted slave must answer 200; 511 (base renamed *.corrupted) gets one more sync, which
   * is journaled and logged as its own attempt.
   */
  private async sync(round: number, step: RepairStep & { kind: 'sync' }): Promise<StepResult> {
    const ref = this.current.ref;
    const expected = this.current.election?.master ?? null;
    const fresh = await this.opts.probe(ref);
    this.current = fresh;
    await this.stepStart(round, step);
    const master = agreedMaster(fresh);
    if (expected === null || master === null || master.peer !== expected) {
      const now = master?.peer ?? `no single master (${fresh.election?.detail ?? fresh.election?.problem ?? fresh.reason})`;
      return { step, status: 'failed', detail: `not synced: the master changed since the probe (was ${expected ?? 'unknown'}, now ${now})` };
    }
    if (master.health !== 'ok') {
      return { step, status: 'failed', detail: `not synced: master ${master.peer} is no longer healthy when re-read just before the sync (${describeReplica(master)})` };
    }
    const first = byPeer(await this.proxy.sync(ref, step.peers, this.call));
    const answers: Answer[] = [];
    for (const peer of step.peers) {
      let answer = first.get(peer);
      if (answer?.status === 511) {
        const retry = { kind: 'sync', peers: [peer] } as const;
        await this.stepStart(round, retry, { attempt: 2, why: `${peer} answered 511 ${JSON.stringify(answer.message)} (base renamed *.corrupted): one more sync recreates it` });
        answer = byPeer(await this.proxy.sync(ref, [peer], this.call)).get(peer) ?? answer;
      }
      answers.push(answer ? plain(answer) : { peer, status: 0, message: 'no answer for this peer' });
    }
    const bad = answers.filter((a) => a.status !== 200);
    if (bad.length === 0) return { step, status: 'done', answers, detail: `sync triggered on ${step.peers.join(', ')}` };
    const why = bad.map((a) => (a.status === 301 ? `${a.peer} answered 301 (it is master now)` : `${a.peer} answered ${a.status} ${JSON.stringify(a.message)}`));
    return { step, status: 'failed', answers, detail: why.join('; ') };
  }

  private async leave(step: RepairStep & { kind: 'leave' }): Promise<StepResult> {
    const answers = [...byPeer(await this.proxy.leave(this.current.ref, [step.peer], this.call)).values()].map(plain);
    const mine = answers.find((a) => a.peer === step.peer);
    if (mine?.status === 200) return { step, status: 'done', answers, detail: `${step.peer} left the election` };
    const why = mine ? `${mine.status} ${JSON.stringify(mine.message)}` : 'no answer';
    return { step, status: 'failed', answers, detail: `${step.peer} did not leave: ${why}` };
  }

  /** Polls status until exactly one master, one of the candidates and not the old master. */
  private async awaitMaster(step: RepairStep & { kind: 'await-master' }): Promise<StepResult> {
    const deadline = Date.now() + this.cfg.awaitMasterTimeoutMs;
    let last = 'no status yet';
    for (;;) {
      try {
        const view = electionView(await this.proxy.status(this.current.ref, this.current.peers, this.pollCall));
        if (view.master && view.master !== step.notPeer && step.candidates.includes(view.master)) {
          return { step, status: 'done', detail: `${view.master} is master` };
        }
        last = view.master ? `${view.master} is master` : (view.detail ?? 'no master');
      } catch (err) {
        last = `status failed: ${errorText(err)}`;
      }
      if (Date.now() >= deadline || this.opts.signal?.aborted) {
        return { step, status: 'failed', detail: `no healthy master among ${step.candidates.join(', ')} in time (last: ${last})` };
      }
      await sleep(this.cfg.pollIntervalMs);
    }
  }

  private async setProperties(step: RepairStep & { kind: 'set-properties' }): Promise<StepResult> {
    await this.proxy.setProperties(this.current.ref, step.values, this.call);
    return { step, status: 'done', detail: `wrote ${Object.keys(step.values).join(', ')} through the master` };
  }

  private async append(entry: DistributiveOmit<JournalEntry, 'ts' | 'cid' | 'account' | 'container' | 'reqId'>): Promise<void> {
    const ref = this.before.ref;
    await this.opts.journal.append({
      ts: new Date().toISOString(),
      cid: ref.cid,
      ...(ref.account !== undefined ? { account: ref.account } : {}),
      ...(ref.container !== undefined ? { container: ref.container } : {}),
      reqId: this.opts.reqId,
      ...entry,
    } as JournalEntry);
  }

  /** The result, journalled as a `repair` entry unless nothing happened at all. */
  async finish(outcome: RepairOutcome, reason: string, record = true): Promise<RepairResult> {
    if (record) {
      try {
        await this.append({ type: 'repair', outcome, reason });
      } catch (err) {
        this.opts.log?.error({ err }, 'journal write failed');
      }
    }
    return {
      outcome,
      before: this.before,
      ...(this.verified ? { after: this.verified } : {}),
      rounds: this.rounds,
      reason,
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function byPeer(answers: readonly PeerAnswer<unknown>[]): Map<PeerId, PeerAnswer<unknown>> {
  return new Map(answers.map((a) => [a.peer, a]));
}

function plain(a: PeerAnswer<unknown>): Answer {
  return { peer: a.peer, status: a.status, message: a.message };
}

function describePlan(plan: RepairPlan): string {
  return plan.steps
    .map((s) => {
      switch (s.kind) {
        case 'sync': return `sync ${s.peers.join(', ')}`;
        case 'leave': return `make ${s.peer} leave`;
        case 'await-master': return `wait for one of ${s.candidates.join(', ')} to be master`;
        case 'set-properties': return `write ${Object.keys(s.values).join(', ')} through the master`;
      }
    })
    .join(', then ');
}
