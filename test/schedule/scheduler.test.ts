import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ScheduleError, SweepScheduler, validateCron, type SweepTrigger } from '../../src/schedule/scheduler.js';

const MIN = 60_000;
/** The schedule's timing as the schema's defaults give it (schedule.timezone, jitterSeconds, runAtStart). */
const TIMING = { timezone: 'UTC', jitterSeconds: 0, runAtStart: false } as const;

/** A fake sweep taking `minutes` of (fake) time, recording its starts and overlaps. */
function fakeSweeps(minutes: number) {
  const rec = { starts: [] as Array<{ trigger: SweepTrigger; at: number }>, running: 0, maxRunning: 0 };
  const startSweep = async (trigger: SweepTrigger): Promise<void> => {
    rec.starts.push({ trigger, at: Date.now() });
    rec.running += 1;
    rec.maxRunning = Math.max(rec.maxRunning, rec.running);
    await new Promise((r) => setTimeout(r, minutes * MIN));
    rec.running -= 1;
  };
  return { rec, startSweep };
}

describe('SweepScheduler', () => {
  let scheduler: SweepScheduler | undefined;

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });

  afterEach(async () => {
    // Real timers first: node-cron's teardown waits on setTimeout (node-daemon-notes §5.3).
    vi.useRealTimers();
    await scheduler?.stop();
    scheduler = undefined;
  });

  it('runs on schedule and skips a fire while the previous sweep still runs', async () => {
    const { rec, startSweep } = fakeSweeps(7);
    scheduler = new SweepScheduler({ ...TIMING, cron: '*/5 * * * *', log: silentLogger(), startSweep });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(21 * MIN);
    // 00:05 starts (until 00:12), 00:10 is skipped, 00:15 starts (until 00:22), 00:20 is skipped.
    expect(rec.starts.map((s) => new Date(s.at).toISOString().slice(11, 16))).toEqual(['00:05', '00:15']);
    expect(rec.starts.every((s) => s.trigger === 'schedule')).toBe(true);
    expect(rec.maxRunning).toBe(1);
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-01T00:25:00.000Z');
  });

  it('starts a sweep at once with runAtStart, and refuses a second one while it runs', async () => {
    const { rec, startSweep } = fakeSweeps(3);
    scheduler = new SweepScheduler({ ...TIMING, cron: '0 3 * * *', runAtStart: true, log: silentLogger(), startSweep });
    await scheduler.start();
    expect(rec.starts.map((s) => s.trigger)).toEqual(['start']);
    expect(scheduler.isRunning()).toBe(true);
    expect(scheduler.trigger('manual')).toBe('busy');
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(scheduler.isRunning()).toBe(false);
    expect(scheduler.trigger('manual')).toBe('started');
    expect(rec.starts.map((s) => s.trigger)).toEqual(['start', 'manual']);
  });

  it('does not start a scheduled sweep while a manual one runs', async () => {
    const { rec, startSweep } = fakeSweeps(8);
    scheduler = new SweepScheduler({ ...TIMING, cron: '*/5 * * * *', log: silentLogger(), startSweep });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(1 * MIN);
    expect(scheduler.trigger('manual')).toBe('started');
    await vi.advanceTimersByTimeAsync(6 * MIN); // the 00:05 fire lands mid-sweep
    expect(rec.starts.map((s) => s.trigger)).toEqual(['manual']);
    expect(rec.maxRunning).toBe(1);
  });

  it('keeps scheduling after a sweep that threw', async () => {
    let calls = 0;
    scheduler = new SweepScheduler({
      ...TIMING,
      cron: '* * * * *',
      log: silentLogger(),
      startSweep: async () => {
        calls += 1;
        throw new Error('sweep blew up');
      },
    });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(calls).toBe(3);
    expect(scheduler.isRunning()).toBe(false);
  });

  it('reschedules to a new expression (SIGHUP) and stops for good on stop()', async () => {
    const { rec, startSweep } = fakeSweeps(1);
    scheduler = new SweepScheduler({ ...TIMING, cron: '0 * * * *', log: silentLogger(), startSweep });
    await scheduler.start();
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-01T01:00:00.000Z');
    await scheduler.reschedule('*/10 * * * *', TIMING);
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-01T00:10:00.000Z');
    await vi.advanceTimersByTimeAsync(25 * MIN);
    expect(rec.starts).toHaveLength(2);
    await scheduler.stop();
    expect(scheduler.trigger('manual')).toBe('stopped');
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(rec.starts).toHaveLength(2);
  });

  it('reschedules to a new time zone (SIGHUP) with the same expression', async () => {
    const { startSweep } = fakeSweeps(1);
    scheduler = new SweepScheduler({ ...TIMING, cron: '0 3 * * *', log: silentLogger(), startSweep });
    await scheduler.start();
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-01T03:00:00.000Z');
    await scheduler.reschedule('0 3 * * *', { ...TIMING, timezone: 'Europe/Paris' });
    // 03:00 in Paris (UTC+1 in January) is 02:00 UTC.
    expect(scheduler.nextRun()?.toISOString()).toBe('2026-01-01T02:00:00.000Z');
  });

  it('idle() resolves when the running sweep ends', async () => {
    const { startSweep } = fakeSweeps(2);
    scheduler = new SweepScheduler({ ...TIMING, cron: '0 3 * * *', log: silentLogger(), startSweep });
    await scheduler.start();
    scheduler.trigger('manual');
    let idle = false;
    void scheduler.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(1 * MIN);
    expect(idle).toBe(false);
    await vi.advanceTimersByTimeAsync(1 * MIN);
    expect(idle).toBe(true);
  });
});

describe('validateCron', () => {
  it('names the offending field of a bad expression', () => {
    expect(() => validateCron('61 * * * *')).toThrow(ScheduleError);
    try {
      validateCron('61 * * * *');
    } catch (err) {
      expect(err).toMatchObject({ code: 'REPAIRD_BAD_SCHEDULE', expression: '61 * * * *' });
      expect((err as ScheduleError).fields.join()).toMatch(/minute/);
    }
  });

  it('refuses to build a scheduler on a bad expression', () => {
    expect(() => new SweepScheduler({ ...TIMING, cron: 'nope', log: silentLogger(), startSweep: async () => undefined })).toThrow(ScheduleError);
  });
});
