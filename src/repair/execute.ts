// Runs repair plans against the proxy, round after round, until a re-read finds the container
// healthy (or a step fails, the plan stops, or maxRounds is reached). Each step is proven by
// re-reading the replicas it was meant to change (evidence.ts); a step with no effect is recorded
// and the next round's plan escalates instead of repeating it. Every mutating request, retries
// included, is framed by journal entries on disk before it is sent; a step that overwrites
// replicas is preceded by an `evidence` entry (what each replica held). Never throws; dry runs only journal.
import { systemClock, type Clock } from '../clock.js';
import { errorText } from '../errors.js';
import { isReasonCode, type ReasonCode } from '../decisions/codes.js';
import { outcomeCode, verdictCode } from '../decisions/derive.js';
import type { CallOptions, ContainerRef, PeerAnswer, PeerId, ProxyApi } from '../oio/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { describeReplica, electionView } from '../probe/classify.js';
import type { ContainerReport } from '../probe/types.js';
import { agreedMaster, planRepair } from './plan.js';
import { describeSteps, overwritesReplicas } from './steps.js';
import { judgeSync, judgeWrite, roleEvidence, roleIn } from './evidence.js';
import { REPAIR_OUTCOMES, type IneffectiveAction, type RepairEvent, type RepairOutcome, type RepairPlan, type RepairRecorder, type RepairResult, type RepairStep, type StepResult } from './types.js';

/** How hard a repair tries: from the configuration, through src/config/runtime.ts (no default here). */
export interface RepairSettings {
  /** Rounds of steps at most (e.g. leave + await-master, then sync, then a spare). */
  readonly maxRounds: number;
  /** How long an await-master step waits for the election to settle (repair.awaitMasterTimeoutMs). */
  readonly awaitMasterTimeoutMs: number;
  /** Between two admin/status reads of an await-master step. */
  readonly pollIntervalMs: number;
  /** Wait before each verification probe (sync is asynchronous): repair.verifyDelayMs. */
  readonly verifyDelayMs: number;
  /** Verification probes after a sync or a write while the container still looks repairable (repair.verifyAttempts, at least 1). */
  readonly verifyAttempts: number;
}

export interface RepairOptions extends RepairSettings {
  readonly dryRun: boolean;
  /** Where every step is recorded (the journal: src/journal/entries.ts repairJournal). */
  readonly journal: RepairRecorder;
  /** Re-probe for verification; normally probeContainer with alwaysElection: true. */
  readonly probe: (ref: ContainerRef) => Promise<ContainerReport>;
  readonly reqId: string;
  /** A logger already bound to the container's `cid` and this `reqId` (lines do not repeat them). */
  readonly log?: Logger;
  /** Aborted (SIGTERM): the in-flight step finishes and is recorded, then the repair stops. */
  readonly signal?: AbortSignal;
  /** The waits (verification delay, polling for a master) and step durations; systemClock when absent. */
  readonly clock?: Clock;
  /** Observes `oio_repaird_repair_step_duration_seconds{step}` for every step run. */
  readonly metrics?: Pick<Metrics, 'repairStepDuration'>;
  /**
   * Called once, awaited, right before the first mutating step (never in a dry run, never when
   * nothing is to be done). If it throws, nothing is sent: the outcome is the error's `outcome`
   * when it carries `skipped_budget` or `skipped_cooldown`, else `failed`, and the reason says why.
   */
  readonly beforeFirstMutation?: () => Promise<void>;
  /**
   * Called right before EVERY mutating step (the first one after beforeFirstMutation). If it
   * throws (an operator control now holds repairs back: a suspension, the circuit breaker), that
   * step and the rest are not sent; the outcome is the error's `skipped_*` outcome.
   */
  readonly beforeEachMutation?: () => void;
}

type Answer = { readonly peer: PeerId; readonly status: number; readonly message: string };

const MUTATING: ReadonlySet<RepairStep['kind']> = new Set(['sync', 'leave', 'set-properties']);

/** Status reads in a row that must still show the old master before a leave counts as ineffective. */
const SETTLED_POLLS = 3;

function escalationKey(a: IneffectiveAction): string {
  return `${a.kind} ${a.peer} ${a.round}`;
}

/** beforeFirstMutation refused: nothing was sent. */
class NotStarted extends Error {
  readonly outcome: RepairOutcome;
  /** The cause's `reasonCode` when it gives one (e.g. a gate that closed meanwhile), else the outcome's. */
  readonly code: ReasonCode;
  /** Set when earlier steps of the repair were sent (it stopped part-way). */
  readonly stoppedAt: string | undefined;
  constructor(override readonly cause: unknown, stoppedAt?: string) {
    super(errorText(cause));
    this.stoppedAt = stoppedAt;
    const wanted = (cause as { outcome?: unknown } | null)?.outcome;
    // A gate that said no at the last moment (budget, cooldown, an operator control) keeps its outcome.
    this.outcome = typeof wanted === 'string' && wanted.startsWith('skipped_') && (REPAIR_OUTCOMES as readonly string[]).includes(wanted) ? (wanted as RepairOutcome) : 'failed';
    const code = (cause as { reasonCode?: unknown } | null)?.reasonCode;
    this.code = isReasonCode(code) ? code : outcomeCode({ outcome: this.outcome });
  }
}

/** A journal append that failed inside a step: the repair stops (never a request unjournaled). */
class JournalFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
  }
}
type Round = RepairResult['rounds'][number];

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
  private readonly cfg: RepairSettings;
  private readonly clock: Clock;
  /** beforeFirstMutation has run (and not thrown). */
  private mutationAllowed = false;
  /** A mutating step was sent (beforeEachMutation passed at least once). */
  private sentMutation = false;
  /** The running step's start entry is written. */
  private stepStarted = false;
  /** Actions proven useless so far: the planner never repeats them. */
  private readonly history: IneffectiveAction[] = [];
  /** The last step's proof re-read, while nothing has been sent since (verify may use it). */
  private lastReread: ContainerReport | undefined;
  /** Escalations already journaled. */
  private readonly escalated = new Set<string>();

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
      maxRounds: opts.maxRounds,
      awaitMasterTimeoutMs: opts.awaitMasterTimeoutMs,
      pollIntervalMs: opts.pollIntervalMs,
      verifyDelayMs: opts.verifyDelayMs,
      verifyAttempts: Math.max(1, opts.verifyAttempts),
    };
    this.clock = opts.clock ?? systemClock;
  }

  async execute(): Promise<RepairResult> {
    for (let round = 1; ; round++) {
      const plan = planRepair(this.current, this.history);
      await this.journalEscalation(round, plan);
      if (plan.decision === 'nothing') {
        if (this.rounds.length === 0) return this.finish('succeeded', plan.reason, false, plan.code);
        return this.finish('succeeded', `healthy after ${this.rounds.length} round(s): ${this.current.reason}`);
      }
      if (plan.decision === 'refuse') return this.finish('refused', plan.reason, true, plan.code);
      if (plan.decision === 'wait' || plan.decision === 'stop') return this.finish('failed', plan.reason, true, plan.code);
      if (round > this.cfg.maxRounds) {
        return this.finish('failed', `still ${this.current.verdict} after ${this.cfg.maxRounds} round(s): ${this.current.reason}`);
      }
      if (this.opts.dryRun) return this.dryRun(plan);
      const results: StepResult[] = [];
      this.rounds.push({ plan, results });
      let settled = true;
      for (const step of plan.steps) {
        if (this.opts.signal?.aborted) return this.finish('failed', `interrupted before ${step.kind} in round ${round}`);
        let result: StepResult;
        try {
          result = await this.runStep(round, step);
        } catch (err) {
          if (!(err instanceof NotStarted)) throw err;
          return this.finish(err.outcome, err.stoppedAt ? `${err.stoppedAt}, nothing more sent: ${errorText(err.cause)}` : `not started, nothing was sent: ${errorText(err.cause)}`, true, err.code);
        }
        results.push(result);
        if (result.status === 'failed') {
          await this.verify(round, false);
          return this.finish('failed', `${step.kind} failed in round ${round}: ${result.detail}`);
        }
        if (result.status === 'no-effect') {
          // The rest of the round depended on this step; the next plan escalates instead.
          this.history.push(...(result.ineffective ?? []));
          settled = false;
          break;
        }
      }
      if (this.opts.signal?.aborted) return this.finish('failed', `interrupted after round ${round}, before verification`);
      const wrote = settled && plan.steps.some((s) => s.kind === 'sync' || s.kind === 'set-properties');
      await this.verify(round, wrote);
    }
  }

  /** An `escalate` entry (and a log line) when this round's plan skips actions that had no effect. */
  private async journalEscalation(round: number, plan: RepairPlan): Promise<void> {
    const from = (plan.escalatedFrom ?? []).filter((a) => !this.escalated.has(escalationKey(a)));
    if (from.length === 0) return;
    for (const a of from) this.escalated.add(escalationKey(a));
    const code = plan.decision === 'stop' ? 'STOPPED_NO_EFFECT' : 'ESCALATED';
    await this.append({ type: 'escalate', code, round, from, to: plan.steps, reason: plan.reason });
    this.opts.log?.warn({ code, round, from, to: plan.steps.map((s) => s.kind), decision: plan.decision }, 'repair escalates');
  }

  private async dryRun(plan: RepairPlan): Promise<RepairResult> {
    this.rounds.push({ plan, results: [] });
    for (const step of plan.steps) {
      await this.append({ type: 'step-start', round: 1, step, dryRun: true, before: this.current });
    }
    return this.finish('dry_run', `dry run, would run: ${describeSteps(plan.steps)}: ${plan.reason}`);
  }

  /**
   * Re-probes until healthy, or once when the round did not copy anything (next round decides).
   * The last step's own proof re-read stands in when nothing was sent since and it is settled.
   */
  private async verify(round: number, poll: boolean): Promise<void> {
    const settling = (r: ContainerReport): boolean => r.verdict === 'repairable' || r.verdict === 'unknown';
    let report = this.lastReread && !settling(this.lastReread) ? this.lastReread : undefined;
    const attempts = report ? 0 : poll ? this.cfg.verifyAttempts : 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.clock.sleep(this.cfg.verifyDelayMs);
      report = await this.opts.probe(this.current.ref);
      if (!settling(report) || this.opts.signal?.aborted) break;
    }
    this.lastReread = undefined;
    if (!report) return;
    this.current = report;
    this.verified = report;
    await this.append({ type: 'verify', round, after: report });
  }

  /**
   * Re-reads every replica (verifyDelayMs apart, verifyAttempts at most) until `proven` holds for
   * the re-read, and returns the last re-read. Never sooner than one read: a step is proven by
   * what the replicas hold afterwards, never by the proxy's answer.
   */
  private async reread(proven: (report: ContainerReport) => boolean): Promise<ContainerReport> {
    let report: ContainerReport | undefined;
    for (let attempt = 1; attempt <= this.cfg.verifyAttempts; attempt++) {
      await this.clock.sleep(this.cfg.verifyDelayMs);
      report = await this.opts.probe(this.current.ref);
      if (proven(report) || this.opts.signal?.aborted) break;
    }
    this.lastReread = report;
    return report as ContainerReport;
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
    if (MUTATING.has(step.kind)) {
      try {
        this.opts.beforeEachMutation?.();
      } catch (err) {
        throw new NotStarted(err, this.sentMutation ? `stopped before ${step.kind} in round ${round}` : undefined);
      }
      this.sentMutation = true;
    }
    const started = this.clock.monotonic();
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
      ...(result.evidence ? { evidence: result.evidence } : {}),
    });
    this.stepStarted = false;
    this.opts.metrics?.repairStepDuration.observe({ step: step.kind }, (this.clock.monotonic() - started) / 1000);
    const level = result.status === 'done' ? 'info' : 'warn';
    this.opts.log?.[level]({ round, step: step.kind, status: result.status, detail: result.detail, ...(result.evidence ? { evidence: result.evidence } : {}) }, 'repair step done');
    return result;
  }

  /** The step's start entry, on disk before its first request; `before` is the latest re-read. */
  private async stepStart(round: number, step: RepairStep, extra: { attempt?: number; why?: string } = {}): Promise<void> {
    this.lastReread = undefined;
    try {
      // Evidence before overwrite: what every replica held, as just read (a retry reads nothing new).
      if (overwritesReplicas(step) && extra.attempt === undefined) {
        await this.append({ type: 'evidence', round, step, before: this.current });
      }
      await this.append({ type: 'step-start', round, step, dryRun: false, before: this.current, ...extra });
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
      case 'leave': return this.leave(round, step);
      case 'await-master': return this.awaitMaster(round, step);
      case 'set-properties': return this.setProperties(round, step);
    }
  }

  /**
   * A sync copies whatever base the master has at that moment, so the container is re-read just
   * before it (every replica's admin table and the election, not only the master's identity):
   * if mastership moved since the probe, or the master is no longer healthy, nothing is synced.
   * Each targeted slave must answer 200; 511 (base renamed *.corrupted) gets one more sync, which
   * is journaled and logged as its own attempt. Done only once every synced slave is re-read
   * healthy; a slave still damaged makes it no-effect (that slave is not synced again).
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
    if (bad.length > 0) {
      const why = bad.map((a) => (a.status === 301 ? `${a.peer} answered 301 (it is master now)` : `${a.peer} answered ${a.status} ${JSON.stringify(a.message)}`));
      return { step, status: 'failed', answers, detail: why.join('; ') };
    }
    const healthy = (r: ContainerReport): boolean => step.peers.every((p) => r.replicas.find((x) => x.peer === p)?.health === 'ok');
    const after = await this.reread(healthy);
    const proof = judgeSync(fresh, after, step.peers, round);
    return { step, ...proof, answers };
  }

  /**
   * The peer leaves the election (its 200 says only that it received the request); the leave is
   * proven by the await-master step that follows, which re-reads the election.
   */
  private async leave(_round: number, step: RepairStep & { kind: 'leave' }): Promise<StepResult> {
    const answers = [...byPeer(await this.proxy.leave(this.current.ref, [step.peer], this.call)).values()].map(plain);
    const mine = answers.find((a) => a.peer === step.peer);
    if (mine?.status === 200) return { step, status: 'done', answers, detail: `${step.peer} accepted to leave; the next step re-reads the election` };
    const why = mine ? `${mine.status} ${JSON.stringify(mine.message)}` : 'no answer';
    return { step, status: 'failed', answers, detail: `${step.peer} did not leave: ${why}` };
  }

  /**
   * Polls `admin/status` and stops as soon as the election settled on one master other than the
   * peer that left, whoever it is (the next round re-reads it and decides: sync only from a
   * healthy master, else write back, leave again or stop). The old master still sole master on
   * SETTLED_POLLS polls in a row means the leave had no effect. Bounded by awaitMasterTimeoutMs.
   */
  private async awaitMaster(round: number, step: RepairStep & { kind: 'await-master' }): Promise<StepResult> {
    const deadline = this.clock.monotonic() + this.cfg.awaitMasterTimeoutMs;
    const before = this.current.election;
    const peers = this.current.peers;
    let last = 'no status yet';
    let onOldMaster = 0;
    for (;;) {
      try {
        const view = electionView(await this.proxy.status(this.current.ref, peers, this.pollCall));
        const evidence = roleEvidence(peers, (p) => roleIn(before, p), (p) => roleIn(view, p));
        if (view.master && view.master !== step.notPeer) {
          const health = step.candidates.includes(view.master)
            ? 'healthy at the probe'
            : 'NOT healthy at the probe: the next round re-reads it and decides';
          return { step, status: 'done', evidence, detail: `the election settled on ${view.master} instead of ${step.notPeer} (${health})` };
        }
        onOldMaster = view.master === step.notPeer ? onOldMaster + 1 : 0;
        if (onOldMaster >= SETTLED_POLLS) {
          const why = `${step.notPeer} still the only master on ${SETTLED_POLLS} status reads after it left`;
          return { step, status: 'no-effect', evidence, ineffective: [{ kind: 'leave', peer: step.notPeer, round, why }], detail: `the leave had no effect: ${why}` };
        }
        last = view.master ? `${view.master} is master` : (view.detail ?? 'no master');
      } catch (err) {
        last = `status failed: ${errorText(err)}`;
      }
      if (this.clock.monotonic() >= deadline || this.opts.signal?.aborted) {
        return { step, status: 'failed', detail: `the election did not settle on a master other than ${step.notPeer} within ${this.cfg.awaitMasterTimeoutMs} ms (last: ${last})` };
      }
      await this.clock.sleep(this.cfg.pollIntervalMs);
    }
  }

  /**
   * Writes the keys the healthy slaves agree on through the master. The 204 proves nothing (a
   * write can land locally on one peer): done only when the master, re-read, holds them and its
   * version:main.admin went up; otherwise no-effect, and the next round makes the master leave.
   */
  private async setProperties(round: number, step: RepairStep & { kind: 'set-properties' }): Promise<StepResult> {
    const before = this.current;
    const master = agreedMaster(before)?.peer ?? before.election?.master ?? '';
    await this.proxy.setProperties(before.ref, step.values, this.call);
    const after = await this.reread((r) => judgeWrite(before, r, master, step.values, round).status === 'done');
    return { step, ...judgeWrite(before, after, master, step.values, round) };
  }

  private append(event: RepairEvent): Promise<void> {
    return this.opts.journal.record(this.before.ref, this.opts.reqId, event);
  }

  /** The result, journalled as a `repair` entry unless nothing happened at all. */
  async finish(outcome: RepairOutcome, reason: string, record = true, code: ReasonCode = outcomeCode({ outcome })): Promise<RepairResult> {
    if (record) {
      try {
        await this.append({ type: 'repair', code, outcome, reason });
      } catch (err) {
        this.opts.log?.error({ err }, 'journal write failed');
      }
    }
    return {
      outcome,
      code,
      before: this.before,
      ...(this.verified ? { after: this.verified } : {}),
      rounds: this.rounds,
      reason,
    };
  }
}

function byPeer(answers: readonly PeerAnswer<unknown>[]): Map<PeerId, PeerAnswer<unknown>> {
  return new Map(answers.map((a) => [a.peer, a]));
}

function plain(a: PeerAnswer<unknown>): Answer {
  return { peer: a.peer, status: a.status, message: a.message };
}
