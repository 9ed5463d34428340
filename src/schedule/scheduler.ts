// Starts sweeps: on a cron schedule (node-cron 4), at daemon start, or on demand, and never two
// at once. node-cron's own `noOverlap` only covers its scheduled fires (task.execute() bypasses
// it, node-cron#611), so every trigger goes through this module's "sweep running" guard.
// Knows nothing about what a sweep does: the daemon passes `startSweep`.
import cron, { type ScheduledTask, type Logger as CronLogger, type TaskContext } from 'node-cron';
import type { Logger } from '../log.js';

export type SweepTrigger = 'schedule' | 'start' | 'manual';

export interface SchedulerOptions {
  /** Cron expression (5 fields, or 6 with seconds first). */
  readonly cron: string;
  /** IANA zone the expression is read in (schedule.timezone). */
  readonly timezone: string;
  /** Random delay added to each scheduled fire, in seconds (spreads a fleet's sweeps). */
  readonly jitterSeconds: number;
  /** Start a sweep as soon as the scheduler starts. */
  readonly runAtStart: boolean;
  readonly log: Logger;
  /** Runs one sweep; resolves when it has ended. Its errors are logged, never rethrown to node-cron. */
  readonly startSweep: (trigger: SweepTrigger) => Promise<unknown>;
}

export type TriggerResult = 'started' | 'busy' | 'stopped';

/** A cron expression node-cron refuses, with its per-field explanations. */
export class ScheduleError extends Error {
  readonly code = 'REPAIRD_BAD_SCHEDULE';
  readonly expression: string;
  readonly fields: readonly string[];

  constructor(expression: string, fields: readonly string[]) {
    super(`invalid cron expression ${JSON.stringify(expression)}${fields.length ? `: ${fields.join('; ')}` : ''}`);
    this.name = 'ScheduleError';
    this.expression = expression;
    this.fields = fields;
  }
}

/** Throws a ScheduleError unless node-cron accepts the expression. */
export function validateCron(expression: string): void {
  const result = cron.validateDetailed(expression);
  if (!result.valid) throw new ScheduleError(expression, result.errors.map((e) => `${e.field}: ${e.message}`));
}

/** node-cron's logger interface on top of pino, so its warnings are structured JSON lines. */
export function cronLogger(log: Logger): CronLogger {
  return {
    info: (message) => log.info({ source: 'node-cron' }, message),
    warn: (message) => log.warn({ source: 'node-cron' }, message),
    error: (message, err) => log.error({ source: 'node-cron', err: err ?? (message instanceof Error ? message : undefined) }, String(message instanceof Error ? message.message : message)),
    debug: (message, err) => log.debug({ source: 'node-cron', err }, String(message instanceof Error ? message.message : message)),
  };
}

export class SweepScheduler {
  private opts: SchedulerOptions;
  private readonly log: Logger;
  private task: ScheduledTask | null = null;
  private expression: string;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(opts: SchedulerOptions) {
    validateCron(opts.cron);
    this.opts = opts;
    this.expression = opts.cron;
    this.log = opts.log.child({ component: 'scheduler' });
  }

  /** Creates and starts the cron task; then, with runAtStart, starts a first sweep. */
  async start(): Promise<void> {
    this.stopped = false;
    this.task = this.createTask(this.expression);
    await this.task.start();
    this.log.info({ cron: this.expression, nextRun: this.nextRun()?.toISOString() ?? null }, 'sweep schedule started');
    if (this.opts.runAtStart) this.trigger('start');
  }

  /**
   * Starts a sweep unless one is running (or the scheduler is stopped). Returns at once: await
   * idle() for the end. This is the only way sweeps start, scheduled ones included.
   */
  trigger(trigger: SweepTrigger): TriggerResult {
    if (this.stopped) return 'stopped';
    if (this.running) {
      this.log.info({ trigger }, 'sweep already running, trigger ignored');
      return 'busy';
    }
    const run = this.runOne(trigger);
    this.running = run;
    // Registered before anyone else awaits `run`, so idle() sees the flag cleared.
    void run.finally(() => {
      if (this.running === run) this.running = null;
    });
    return 'started';
  }

  isRunning(): boolean {
    return this.running !== null;
  }

  /** Resolves when no sweep is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  nextRun(): Date | null {
    return this.task?.getNextRun() ?? null;
  }

  /**
   * Replaces the schedule (SIGHUP with a new expression, time zone or jitter); a running sweep
   * is left alone.
   */
  async reschedule(expression: string, timing: { readonly timezone: string; readonly jitterSeconds: number }): Promise<void> {
    validateCron(expression);
    const { timezone, jitterSeconds } = timing;
    const same = expression === this.expression && timezone === this.opts.timezone && jitterSeconds === this.opts.jitterSeconds;
    if (same && this.task) return;
    this.expression = expression;
    this.opts = { ...this.opts, timezone, jitterSeconds };
    if (this.stopped || !this.task) return;
    await this.destroyTask();
    this.task = this.createTask(expression);
    await this.task.start();
    this.log.info({ cron: expression, timezone: this.opts.timezone, jitterSeconds: this.opts.jitterSeconds, nextRun: this.nextRun()?.toISOString() ?? null }, 'sweep schedule changed');
  }

  /**
   * No further sweeps start. A running sweep is NOT stopped here (the daemon aborts it through
   * its signal); await idle() to wait for it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.destroyTask();
  }

  private createTask(expression: string): ScheduledTask {
    const jitterMs = Math.max(0, Math.round(this.opts.jitterSeconds * 1000));
    const task = cron.createTask(expression, () => this.onFire(), {
      name: 'sweep',
      timezone: this.opts.timezone,
      noOverlap: true,
      ...(jitterMs > 0 ? { maxRandomDelay: jitterMs } : {}),
      logger: cronLogger(this.log),
    });
    task.on('execution:overlap', (ctx: TaskContext) => {
      this.log.info({ scheduledFor: ctx.date.toISOString() }, 'scheduled sweep skipped: previous one still running');
    });
    task.on('execution:missed', (ctx: TaskContext) => {
      this.log.warn({ scheduledFor: ctx.date.toISOString() }, 'scheduled sweep missed');
    });
    return task;
  }

  /** A cron fire: start through the guard and hand node-cron the sweep's promise (its noOverlap). */
  private async onFire(): Promise<void> {
    this.trigger('schedule');
    await this.running;
  }

  private async runOne(trigger: SweepTrigger): Promise<void> {
    try {
      await this.opts.startSweep(trigger);
    } catch (err) {
      this.log.error({ err, trigger }, 'sweep ended with an error');
    }
  }

  private async destroyTask(): Promise<void> {
    const task = this.task;
    this.task = null;
    if (task) await task.destroy();
  }
}
