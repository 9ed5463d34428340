// The operator controls inside the running daemon: holds the control state (suspension, circuit
// breaker), restores it at start, counts verdicts for the breaker and opens it, serves the local
// control socket (`oio-repaird suspend|resume|breaker`), ends suspensions and cool-offs on time,
// and makes every change visible: metrics, a log line, a journal entry (who, why, until), the
// /readyz body and the status page. The decisions themselves are the pure functions of
// src/controls/; this class only keeps state, persists it and tells.
import { systemClock } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { Config } from '../config/schema.js';
import { activeBlackout, type ActiveBlackout } from '../controls/blackouts.js';
import { BreakerTally, breakerTrip, type BreakerThresholds, type Trip } from '../controls/breaker.js';
import { controlSocketPath, listenControl, type ControlReply, type ControlServer } from '../controls/channel.js';
import { applyCommand, describeControls, expire } from '../controls/commands.js';
import { breakerInForce, controlBlock, controlBlocks, iso, probingAllowed, suspensionInForce, type ControlBlock } from '../controls/gates.js';
import { ControlStore } from '../controls/store.js';
import { controlEntry } from '../journal/entries.js';
import { BREAKER_REASONS, NO_CONTROLS, type ControlCommand, type ControlEvent, type ControlState } from '../controls/types.js';
import type { ReasonCode } from '../decisions/codes.js';
import type { JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ContainerReport } from '../probe/types.js';

export interface ControlServiceOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly journal: JournalSink;
  /** The running configuration (read at each use: the settings are reloadable). */
  readonly config: () => Config;
  readonly now?: () => number;
  /** How often expiries and blackouts are checked (default 1 s). */
  readonly tickMs?: number;
  /** Told whether each save of controls.json reached the disk (storage health, /readyz). */
  readonly storage?: { ok(): void; failed(err: unknown): void };
  /** How long after a failed save it is tried again (default 5 s). */
  readonly retrySaveMs?: number;
  /** Writes the state file (tests inject a failing one); default: controls.json, atomically. */
  readonly save?: (state: ControlState) => Promise<void>;
}

/**
 * Thrown before a mutating request of a repair under way while a control holds repairs back; read
 * by the executor: the outcome is the control's (skipped_suspended…), the code STOPPED_BY_CONTROL
 * (the gate had let the attempt through: it is not a failure of the container, no backoff).
 */
export class HeldByControlError extends Error {
  readonly code = 'REPAIRD_HELD_BY_CONTROL';
  readonly outcome: ControlBlock['outcome'];
  readonly reasonCode = 'STOPPED_BY_CONTROL' satisfies ReasonCode;
  constructor(readonly block: ControlBlock) {
    super(block.reason);
    this.outcome = block.outcome;
  }
}

export class ControlService {
  private state: ControlState = NO_CONTROLS;
  private readonly opts: ControlServiceOptions;
  private readonly now: () => number;
  private readonly store: ControlStore;
  private readonly tally: BreakerTally;
  private server: ControlServer | null = null;
  private ticker: NodeJS.Timeout | undefined;
  /** Writes and commands, one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** When the last save failed (ms), or null: what is in memory is on disk. */
  private unsavedSince: number | null = null;

  constructor(opts: ControlServiceOptions) {
    this.opts = opts;
    this.now = opts.now ?? systemClock.now;
    this.store = new ControlStore(opts.stateDir, opts.log);
    this.tally = new BreakerTally(windowMs(opts.config()));
  }

  get socketPath(): string {
    return controlSocketPath(this.opts.stateDir);
  }

  /** Restores the saved state (an unusable file opens the breaker), then serves the socket. */
  async start(): Promise<void> {
    const { log } = this.opts;
    const loaded = await this.store.load();
    if (loaded.kind === 'restored') {
      this.state = loaded.state;
      if (loaded.state.suspension || loaded.state.breaker) log.warn({ controls: describeControls(loaded.state, this.now()) }, 'operator controls restored');
    } else if (loaded.kind === 'bad') {
      const where = loaded.bad.keptAs ? `, kept as ${loaded.bad.keptAs}` : '';
      this.openBreaker({ reason: 'state_unreadable', detail: `${loaded.bad.path} was ${loaded.bad.problem} at start${where}: whether repairs were suspended or the breaker open is unknown` }, 0, 0);
    }
    this.tick();
    this.publish();
    this.server = await listenControl(this.socketPath, (cmd) => this.command(cmd), log.child({ component: 'control' }));
    this.ticker = setInterval(() => this.tick(), this.opts.tickMs ?? 1000);
    this.ticker.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.server?.close();
    await this.queue.catch(() => undefined);
  }

  /** The control that holds repairs back now, or null (the repair gate's hook). */
  block(): ControlBlock | null {
    return controlBlock(this.state, this.blackout(), this.now());
  }

  /** Every control in force now (for `explain` and the status page). */
  blocks(): ControlBlock[] {
    return controlBlocks(this.state, this.blackout(), this.now());
  }

  /** Throws HeldByControlError when a control holds repairs back (right before a mutation). */
  assertMayMutate(): void {
    const block = this.block();
    if (block) throw new HeldByControlError(block);
  }

  /** False while suspended with suspend.probe off: the sweep pauses. */
  probingAllowed(): boolean {
    return probingAllowed(this.state, this.now(), this.opts.config().suspend.probe);
  }

  /** A new sweep starts: the breaker counts afresh unless it counts over a sliding window. */
  sweepStarted(): void {
    this.tally.setWindow(windowMs(this.opts.config()));
    if (this.tally.perSweep) this.tally.reset();
  }

  /** Counts a probed container; opens the breaker when the counts go past a threshold. */
  observe(report: ContainerReport): void {
    const now = this.now();
    this.tally.observe(report.verdict, now);
    if (breakerInForce(this.state.breaker, now)) return;
    const counts = this.tally.tally(now);
    const trip = breakerTrip(counts, thresholds(this.opts.config()));
    if (trip) this.openBreaker(trip, counts.damaged, counts.judged);
  }

  /** Lines for /readyz's body (readiness stays true: the daemon works as asked). */
  readinessNotes(): string[] {
    return this.blocks().map((b) => b.reason);
  }

  /** Lines for the status page's "Circuit breakers and suspensions" section. */
  statusLines(): string[] {
    const lines = this.readinessNotes();
    if (!breakerInForce(this.state.breaker, this.now())) {
      const c = this.tally.tally(this.now());
      const t = thresholds(this.opts.config());
      const limits = [
        t.maxDamagedShare !== null ? `share ${(100 * t.maxDamagedShare).toFixed(1)} % once ${t.minContainers} judged` : null,
        t.maxDamagedContainers !== null ? `${t.maxDamagedContainers} containers` : null,
      ].filter(Boolean).join(' or ');
      lines.push(`circuit breaker closed: ${c.damaged} damaged of ${c.judged} judged ${this.tally.perSweep ? 'in this sweep' : 'in its window'}; opens past ${limits || 'nothing (no threshold set)'}`);
    }
    if (!suspensionInForce(this.state.suspension, this.now())) lines.push('not suspended');
    return lines;
  }

  /** The state as it stands (tests, status). */
  current(): ControlState {
    return this.state;
  }

  private blackout(): ActiveBlackout | null {
    const c = this.opts.config();
    return activeBlackout(c.schedule.blackouts, c.schedule.timezone, this.now());
  }

  private command(cmd: ControlCommand): Promise<ControlReply> {
    return this.serially<ControlReply>(async () => {
      const now = this.now();
      const maxSuspendMs = this.opts.config().suspend.maxHours * 3_600_000;
      const applied = applyCommand(this.state, cmd, now, { maxSuspendMs });
      if (applied.event === null) return { ok: true, message: applied.message, state: this.state };
      // Written and fsynced before it is acted on (and before the operator is told it is done).
      const touched = cmd.op === 'breaker-reset' ? 'breaker' : 'suspension';
      const next: ControlState = { ...this.state, [touched]: applied.state[touched] };
      await this.persist(next);
      this.state = { ...this.state, [touched]: applied.state[touched] };
      if (cmd.op === 'breaker-reset') this.tally.reset();
      await this.changed([applied.event]);
      return { ok: true, message: applied.message, state: this.state };
    }).catch((err: unknown): ControlReply => ({ ok: false, error: errorMessage(err) }));
  }

  /** Opens the breaker at once (in memory: repairs stop now), then saves and tells. */
  private openBreaker(trip: Trip, damaged: number, judged: number): void {
    const now = this.now();
    const cool = this.opts.config().breaker.coolOffMinutes;
    const breaker = { openedAt: now, reason: trip.reason, detail: trip.detail, damaged, judged, coolOffUntil: cool === null ? null : now + cool * 60_000 };
    this.state = { ...this.state, breaker };
    this.opts.log.error({ breaker: { ...breaker, openedAt: iso(now), coolOffUntil: breaker.coolOffUntil === null ? null : iso(breaker.coolOffUntil) } }, `circuit breaker open: ${trip.detail}; no automatic repair until an operator runs \`oio-repaird breaker reset\`${cool === null ? '' : ` or ${cool} min have passed`}`);
    const event: ControlEvent = { action: 'breaker-open', at: now, by: 'oio-repaird', reason: trip.detail, breaker };
    void this.serially(async () => {
      await this.saveCurrent();
      await this.changed([event], false);
    });
    this.publish();
  }

  /** Ends suspensions and cool-offs that ran out; follows blackouts (gauge); saves again after a failed save. */
  private tick(): void {
    const now = this.now();
    if (this.unsavedSince !== null && now - this.unsavedSince >= (this.opts.retrySaveMs ?? 5000)) {
      this.unsavedSince = now;
      void this.serially(() => this.saveCurrent());
    }
    const { events } = expire(this.state, now);
    if (events.length > 0) {
      this.state = expire(this.state, now).state;
      void this.serially(async () => {
        await this.saveCurrent();
        await this.changed(events, false);
      });
    }
    this.publish();
  }

  /** Saves the state in memory; a failure is reported (storage health) and retried by tick(). */
  private async saveCurrent(): Promise<void> {
    try {
      await this.persist(this.state);
    } catch (err) {
      this.opts.log.error({ err, path: this.store.path }, 'saving the operator controls failed: the change holds in memory but would not survive a restart');
    }
  }

  /** Writes `state` and tells storage health how it went; rejects when it could not be written. */
  private async persist(state: ControlState): Promise<void> {
    try {
      await (this.opts.save ?? ((s: ControlState) => this.store.save(s)))(state);
    } catch (err) {
      // A failed command changed nothing in memory: a retry then saves what is in force.
      this.unsavedSince = this.now();
      this.opts.storage?.failed(err);
      throw err;
    }
    this.unsavedSince = null;
    this.opts.storage?.ok();
  }

  /** Publishes, logs and journals events (already applied and saved). */
  private async changed(events: readonly ControlEvent[], log = true): Promise<void> {
    this.publish();
    for (const e of events) {
      const fields = { action: e.action, by: e.by, reason: e.reason, ...(e.until !== undefined ? { until: iso(e.until) } : {}) };
      if (log) this.opts.log.warn(fields, `operator control: ${e.action}`);
      else if (e.action !== 'breaker-open') this.opts.log.info(fields, `operator control: ${e.action}`);
      try {
        await this.opts.journal.append(controlEntry(e));
      } catch (err) {
        this.opts.log.error({ err, action: e.action }, 'journaling an operator control failed');
      }
    }
  }

  private publish(): void {
    const { metrics } = this.opts;
    const now = this.now();
    const breaker = breakerInForce(this.state.breaker, now);
    for (const reason of BREAKER_REASONS) metrics.circuitBreakerOpen.set({ reason }, breaker?.reason === reason ? 1 : 0);
    const suspension = suspensionInForce(this.state.suspension, now);
    metrics.suspended.set(suspension ? 1 : 0);
    metrics.suspendedUntil.set(suspension ? suspension.until / 1000 : 0);
    metrics.blackoutActive.set(this.blackout() ? 1 : 0);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function thresholds(c: Config): BreakerThresholds {
  return { maxDamagedShare: c.breaker.maxDamagedShare, minContainers: c.breaker.minContainers, maxDamagedContainers: c.breaker.maxDamagedContainers };
}

function windowMs(c: Config): number | null {
  return c.breaker.windowMinutes === null ? null : c.breaker.windowMinutes * 60_000;
}
