// The repair policy: decides, for one probed container, whether the sweep may repair it now.
// Mode (auto or report-only), a budget per sweep and per sliding hour, a cooldown after every
// attempt and exponential backoff after failures. Pure logic over an injectable clock: no I/O,
// no timers. The sweep asks decide() synchronously, so concurrent containers never overspend.
// A 'repair' decision reserves everything at once (the sweep's and the hour's budget, and the
// container's cooldown as if the attempt failed) and hands the new history to `persist`; the
// caller awaits saved() before the first mutating request, so a crash at any later point can
// never give back what was spent. recordOutcome() then replaces the provisional entry.
import { systemClock } from '../clock.js';
import type { ControlBlock } from '../controls/gates.js';
import type { ReasonCode } from '../decisions/codes.js';
import type { ContainerReport } from '../probe/types.js';
import type { RepairOutcome } from '../repair/types.js';

export type RepairMode = 'auto' | 'report-only';

export interface RepairPolicy {
  readonly mode: RepairMode;
  /** Repairs allowed per sweep. */
  readonly maxPerSweep: number;
  /** Repairs allowed in any sliding hour. */
  readonly maxPerHour: number;
  /** No new attempt on a container for this long after an attempt that succeeded. */
  readonly cooldownSeconds: number;
  /** Consecutive failed attempts before the container is left alone for backoffMaxSeconds. */
  readonly maxAttempts: number;
  /** Wait after the first failure; doubles with each further failure… */
  readonly backoffSeconds: number;
  /** …up to this. */
  readonly backoffMaxSeconds: number;
  /**
   * Repair containers whose MASTER is damaged (leave + re-election, or write-back of missing
   * keys). When false they are only reported, as refused. @default true
   */
  readonly repairMaster?: boolean;
}

export type GateDecision =
  /** Nothing to repair (healthy), or nothing safe to decide on (unknown: the probe failed). */
  | { readonly action: 'none' }
  /** Repair now; the budget is already reserved. Report the outcome with recordOutcome(). */
  | { readonly action: 'repair' }
  /** Not repaired; the sweep counts and journals `outcome`. */
  | { readonly action: 'skip'; readonly outcome: SkipOutcome; readonly code: ReasonCode; readonly reason: string };

type SkipOutcome = Exclude<RepairOutcome, 'succeeded' | 'failed'>;

/**
 * One of the gate's checks as it stands now, whether or not it holds the repair back: what
 * `explain` shows, and what decide() acts on (the first check that blocks).
 */
export interface GateCheck {
  /** Which rule: mode, repair-master, hold, cooldown, budget-sweep, budget-hour. */
  readonly gate: 'mode' | 'repair-master' | 'breaker' | 'suspension' | 'blackout' | 'hold' | 'cooldown' | 'budget-sweep' | 'budget-hour';
  /** The code this check gives when it blocks (src/decisions/codes.ts). */
  readonly code: ReasonCode;
  /** True when it holds the repair back now. */
  readonly blocks: boolean;
  /** What it says, e.g. "per-hour budget of 20 spent" or "2 of 5 used". */
  readonly detail: string;
  /** When it stops blocking (ms), if it blocks until a known time. */
  readonly until?: number;
}

const SKIP_OUTCOME: Readonly<Partial<Record<ReasonCode, SkipOutcome>>> = {
  SKIPPED_REPORT_ONLY: 'dry_run',
  REFUSED_MASTER_REPAIR_OFF: 'refused',
  SKIPPED_HOLD: 'skipped_budget',
  SKIPPED_COOLDOWN: 'skipped_cooldown',
  SKIPPED_BACKOFF: 'skipped_cooldown',
  SKIPPED_BUDGET: 'skipped_budget',
  BREAKER_OPEN: 'skipped_breaker',
  SKIPPED_SUSPENDED: 'skipped_suspended',
  SKIPPED_BLACKOUT: 'skipped_blackout',
};

/** Outcomes of an attempt stopped by an operator control: not the container's failure. */
const CONTROL_OUTCOMES: ReadonlySet<RepairOutcome> = new Set<RepairOutcome>(['skipped_breaker', 'skipped_suspended', 'skipped_blackout']);

/** The operator controls (src/controls/gates.ts) as gate checks, in force or not. */
const CONTROL_GATES = [
  { gate: 'breaker', code: 'BREAKER_OPEN', quiet: 'circuit breaker closed' },
  { gate: 'suspension', code: 'SKIPPED_SUSPENDED', quiet: 'not suspended' },
  { gate: 'blackout', code: 'SKIPPED_BLACKOUT', quiet: 'no blackout in force' },
] as const;

export interface Attempts {
  /** Consecutive failures (0 after a success). */
  readonly failures: number;
  /** No attempt before this time (ms). */
  readonly notBefore: number;
  /** The entry is forgotten after this time (ms): it has stopped mattering. */
  readonly expiresAt: number;
}

const HOUR_MS = 3_600_000;

/**
 * What the gate remembers across restarts (`<state.dir>/repair-gate.json`): the attempt history
 * (cooldowns, backoff) and the start times of the last hour's repairs, so that a daemon that
 * restarts, or crash-loops, neither repairs a container again before its cooldown nor spends
 * more than budgetPerHour. Times are epoch milliseconds.
 */
export interface GateSnapshot {
  readonly version: 1;
  readonly hourly: readonly number[];
  readonly attempts: readonly (readonly [cid: string, attempts: Attempts])[];
  /** The budget spent by the current (or last) sweep, so that resuming it gives nothing back. */
  readonly sweep?: { readonly id: string; readonly used: number };
  /** No repair at all before this time (ms): set when the history was found corrupt. */
  readonly noRepairsBefore?: number;
}

export interface RepairGateOptions {
  readonly now?: () => number;
  /** Called after every change of the history (an attempt started or ended): persist it. */
  readonly onChange?: () => void;
  /**
   * Writes the history durably; called after every change, its promise is what saved() returns.
   * Rejects when the history could not be written.
   */
  readonly persist?: (snapshot: GateSnapshot) => Promise<void>;
  /** The operator controls that hold repairs back now (breaker, suspension, blackout): src/controls/gates.ts. */
  readonly controls?: () => readonly ControlBlock[];
}

export class RepairGate {
  private current: RepairPolicy;
  private readonly now: () => number;
  /** Per-container attempt history. Only attempts create entries, and attempts are budgeted. */
  private readonly attempts = new Map<string, Attempts>();
  /** Start times of the attempts of the last hour, oldest first (at most maxPerHour). */
  private readonly hourly: number[] = [];
  private sweepUsed = 0;
  private sweepId: string | undefined;
  /** What the sweep that was running before a restart had spent, by sweep id (restored). */
  private restoredSweep: { readonly id: string; readonly used: number } | undefined;
  private noRepairsBefore = 0;
  private holdReason = '';
  /** Attempts reserved and not yet recorded: the history before each one. */
  private readonly pending = new Map<string, Attempts | undefined>();
  private readonly onChange: () => void;
  private readonly persist: ((snapshot: GateSnapshot) => Promise<void>) | undefined;
  private lastSave: Promise<void> = Promise.resolve();
  private readonly controls: (() => readonly ControlBlock[]) | undefined;

  constructor(policy: RepairPolicy, opts: RepairGateOptions | (() => number) = {}) {
    const o = typeof opts === 'function' ? { now: opts } : opts;
    this.current = policy;
    this.now = o.now ?? systemClock.now;
    this.onChange = o.onChange ?? (() => undefined);
    this.persist = o.persist;
    this.controls = o.controls;
  }

  /** The history to persist (expired entries left out). */
  snapshot(): GateSnapshot {
    this.prune();
    return {
      version: 1,
      hourly: [...this.hourly],
      attempts: [...this.attempts],
      ...(this.sweepId !== undefined ? { sweep: { id: this.sweepId, used: this.sweepUsed } } : {}),
      ...(this.noRepairsBefore > this.now() ? { noRepairsBefore: this.noRepairsBefore } : {}),
    };
  }

  /** Takes back a persisted history (at start-up); expired entries are dropped. */
  restore(snapshot: GateSnapshot): void {
    this.hourly.splice(0, this.hourly.length, ...[...snapshot.hourly].sort((a, b) => a - b));
    this.attempts.clear();
    for (const [cid, entry] of snapshot.attempts) this.attempts.set(cid, entry);
    this.restoredSweep = snapshot.sweep;
    if (snapshot.noRepairsBefore !== undefined && snapshot.noRepairsBefore > this.noRepairsBefore) {
      this.noRepairsBefore = snapshot.noRepairsBefore;
      this.holdReason = 'the repair history was found corrupt at an earlier start';
    }
    this.prune();
  }

  /**
   * The conservative state: no repair before `until` (ms), whatever the budget says, e.g. when
   * the history was lost and what the last hour spent is unknown. Persisted like the rest.
   */
  holdRepairsUntil(until: number, reason: string): void {
    if (until <= this.noRepairsBefore) return;
    this.noRepairsBefore = until;
    this.holdReason = reason;
    this.changed();
  }

  /**
   * Resolves once the history as of the last decision or outcome is durably saved; rejects if
   * that save failed. Await it after a 'repair' decision, before the first mutating request.
   */
  saved(): Promise<void> {
    return this.lastSave;
  }

  get policy(): RepairPolicy {
    return this.current;
  }

  /** A reloaded policy (SIGHUP): applies to the next decision; spent budget and history are kept. */
  setPolicy(policy: RepairPolicy): void {
    this.current = policy;
  }

  /** Resets the per-sweep budget and forgets expired attempt history. */
  beginSweep(sweepId?: string): void {
    this.sweepUsed = 0;
    this.sweepId = sweepId;
    this.prune();
  }

  /**
   * Restores what a resumed sweep had already spent before the restart: the larger of
   * `alreadyUsed` (from the sweep's checkpoint) and the reservations saved for that sweep id.
   */
  resumeSweep(alreadyUsed: number, sweepId?: string): void {
    const reserved = sweepId !== undefined && this.restoredSweep?.id === sweepId ? this.restoredSweep.used : 0;
    this.sweepUsed = Math.max(alreadyUsed, reserved);
    this.sweepId = sweepId;
    this.prune();
  }

  decide(report: ContainerReport): GateDecision {
    const verdict = report.verdict;
    if (verdict === 'healthy' || verdict === 'unknown') return { action: 'none' };
    if (verdict === 'unrepairable') {
      return { action: 'skip', outcome: 'refused', code: 'REFUSED_NO_QUORUM', reason: `unrepairable: ${report.reason}` };
    }
    const now = this.now();
    const cid = report.ref.cid;
    const history = this.lookup(cid, now);
    this.dropOlderThanAnHour(now);
    const blocking = this.checks(report).find((c) => c.blocks);
    if (blocking) {
      return { action: 'skip', outcome: SKIP_OUTCOME[blocking.code] ?? 'skipped_budget', code: blocking.code, reason: blocking.detail };
    }
    this.sweepUsed += 1;
    this.hourly.push(now);
    // Until the outcome is known the attempt counts as a failure: if the daemon dies now, the
    // container waits for its backoff (never less than the cooldown) before another attempt.
    this.pending.set(cid, history);
    this.record(cid, 'failed', history);
    this.changed();
    return { action: 'repair' };
  }

  /**
   * Every check of the gate for `report` as it stands now, in the order decide() applies them,
   * blocking or not; changes nothing. The verdict's own refusal (unrepairable) is not a gate.
   */
  checks(report: ContainerReport): GateCheck[] {
    const p = this.policy;
    const now = this.now();
    const out: GateCheck[] = [];
    if (report.verdict === 'master-damaged') {
      const off = p.repairMaster === false;
      out.push({ gate: 'repair-master', code: 'REFUSED_MASTER_REPAIR_OFF', blocks: off, detail: off ? `repair.repairMaster is off: ${report.reason}` : 'repair.repairMaster is on' });
    }
    const reportOnly = p.mode === 'report-only';
    out.push({ gate: 'mode', code: 'SKIPPED_REPORT_ONLY', blocks: reportOnly, detail: reportOnly ? `report-only mode: would repair (${report.verdict})` : `repair.mode is ${p.mode}` });
    if (this.controls) {
      const inForce = this.controls();
      for (const c of CONTROL_GATES) {
        const block = inForce.find((b) => b.code === c.code);
        out.push(block
          ? { gate: c.gate, code: c.code, blocks: true, detail: block.reason, ...(block.until !== null ? { until: block.until } : {}) }
          : { gate: c.gate, code: c.code, blocks: false, detail: c.quiet });
      }
    }
    const held = now < this.noRepairsBefore;
    out.push({
      gate: 'hold',
      code: 'SKIPPED_HOLD',
      blocks: held,
      detail: held ? `no repairs until ${new Date(this.noRepairsBefore).toISOString()}: ${this.holdReason}` : 'no hold on repairs',
      ...(held ? { until: this.noRepairsBefore } : {}),
    });
    out.push(this.cooldownCheck(report.ref.cid, now));
    const sweepFull = this.sweepUsed >= p.maxPerSweep;
    out.push({ gate: 'budget-sweep', code: 'SKIPPED_BUDGET', blocks: sweepFull, detail: sweepFull ? `per-sweep budget of ${p.maxPerSweep} spent` : `${this.sweepUsed} of ${p.maxPerSweep} repairs of this sweep used` });
    const lastHour = this.hourly.filter((t) => t > now - HOUR_MS);
    const hourFull = lastHour.length >= p.maxPerHour;
    const freed = (lastHour[lastHour.length - p.maxPerHour] ?? now) + HOUR_MS;
    out.push({
      gate: 'budget-hour',
      code: 'SKIPPED_BUDGET',
      blocks: hourFull,
      detail: hourFull ? `per-hour budget of ${p.maxPerHour} spent` : `${lastHour.length} of ${p.maxPerHour} repairs of the last hour used`,
      ...(hourFull ? { until: freed } : {}),
    });
    return out;
  }

  private cooldownCheck(cid: string, now: number): GateCheck {
    const entry = this.attempts.get(cid);
    const history = entry && now < entry.expiresAt ? entry : undefined;
    if (!history || now >= history.notBefore) {
      const failures = history?.failures ?? 0;
      return { gate: 'cooldown', code: 'SKIPPED_COOLDOWN', blocks: false, detail: failures > 0 ? `${failures} failed attempt(s), backoff over` : 'no recent attempt' };
    }
    const waitS = Math.ceil((history.notBefore - now) / 1000);
    const backoff = history.failures > 0;
    const why = backoff ? `${history.failures} failed attempt(s)` : 'repaired recently';
    return { gate: 'cooldown', code: backoff ? 'SKIPPED_BACKOFF' : 'SKIPPED_COOLDOWN', blocks: true, detail: `${why}, next attempt in ${waitS}s`, until: history.notBefore };
  }

  /**
   * Records how an attempt allowed by decide() ended. `succeeded` starts the cooldown. An attempt
   * an operator control stopped (a suspension, the breaker or a blackout that began while it ran:
   * STOPPED_BY_CONTROL) says nothing about the container: its history goes back to what it was
   * before the attempt, neither backoff nor cooldown (the budget it reserved stays spent: a step
   * may have been sent). Any other outcome (failed, or refused by the planner mid-way) counts as
   * a failure.
   */
  recordOutcome(cid: string, outcome: RepairOutcome): void {
    const before = this.pending.has(cid) ? this.pending.get(cid) : this.lookup(cid, this.now());
    this.pending.delete(cid);
    if (CONTROL_OUTCOMES.has(outcome)) {
      if (before) this.attempts.set(cid, before);
      else this.attempts.delete(cid);
    } else {
      this.record(cid, outcome, before);
    }
    this.changed();
  }

  private changed(): void {
    this.onChange();
    if (this.persist) {
      const save = this.persist(this.snapshot());
      save.catch(() => undefined); // observed through saved(); never an unhandled rejection
      this.lastSave = save;
    }
  }

  private record(cid: string, outcome: RepairOutcome, before: Attempts | undefined): void {
    const now = this.now();
    const p = this.policy;
    if (outcome === 'succeeded') {
      const notBefore = now + p.cooldownSeconds * 1000;
      this.attempts.set(cid, { failures: 0, notBefore, expiresAt: notBefore });
      return;
    }
    const failures = (before && now < before.expiresAt ? before.failures : 0) + 1;
    if (failures >= p.maxAttempts) {
      // Give up for the longest backoff, then start over with a clean history.
      const notBefore = now + p.backoffMaxSeconds * 1000;
      this.attempts.set(cid, { failures, notBefore, expiresAt: notBefore });
      return;
    }
    const backoffS = Math.min(p.backoffSeconds * 2 ** (failures - 1), p.backoffMaxSeconds);
    const notBefore = now + Math.max(backoffS, p.cooldownSeconds) * 1000;
    // Remember the failure count long enough for the next attempt to see it.
    this.attempts.set(cid, { failures, notBefore, expiresAt: notBefore + p.backoffMaxSeconds * 1000 });
  }

  /** Repairs still allowed now: the smaller of the per-sweep and per-hour remainders. */
  remaining(): number {
    if (this.now() < this.noRepairsBefore) return 0;
    this.dropOlderThanAnHour(this.now());
    const sweepLeft = this.policy.maxPerSweep - this.sweepUsed;
    const hourLeft = this.policy.maxPerHour - this.hourly.length;
    return Math.max(0, Math.min(sweepLeft, hourLeft));
  }

  /** Repairs started in the current sweep. */
  usedThisSweep(): number {
    return this.sweepUsed;
  }

  /** Containers with attempt history (bounded by the budget; for tests and debugging). */
  get tracked(): number {
    return this.attempts.size;
  }

  private lookup(cid: string, now: number): Attempts | undefined {
    const entry = this.attempts.get(cid);
    if (entry && now >= entry.expiresAt) {
      this.attempts.delete(cid);
      return undefined;
    }
    return entry;
  }

  private prune(): void {
    const now = this.now();
    for (const [cid, entry] of this.attempts) if (now >= entry.expiresAt) this.attempts.delete(cid);
    this.dropOlderThanAnHour(now);
  }

  private dropOlderThanAnHour(now: number): void {
    while (this.hourly.length > 0 && (this.hourly[0] ?? 0) <= now - HOUR_MS) this.hourly.shift();
  }
}
