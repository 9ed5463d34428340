// Time windows during which sweeps may run ("weeknights 22:00-06:00"), evaluated in a given
// IANA time zone. Pure functions: the sweep polls isWithinWindows() to pause and resume.
// A range whose end is not after its start crosses midnight and belongs to the day it starts.
import { systemClock } from '../clock.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeWindow {
  /** Days on which the window STARTS (default: every day). */
  readonly days?: readonly Weekday[];
  /** `HH:MM`, inclusive. */
  readonly start: string;
  /** `HH:MM`, exclusive; `<= start` means the window ends the next day (equal: 24 hours). */
  readonly end: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of an `HH:MM` string (`24:00` allowed as an end); throws a RangeError otherwise. */
export function parseHhmm(value: string): number {
  if (value === '24:00') return 24 * 60;
  const m = HHMM.exec(value);
  if (!m) throw new RangeError(`not a HH:MM time: ${JSON.stringify(value)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    // Throws a RangeError for an unknown zone: config validation should call this once.
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timezone, f);
  }
  return f;
}

/** Day of week (0 = Sunday) and minutes since midnight of `date` in `timezone`. */
export function localTime(date: Date, timezone: string): { readonly day: number; readonly minutes: number } {
  let weekday = '';
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timezone).formatToParts(date)) {
    if (part.type === 'weekday') weekday = part.value.toLowerCase().slice(0, 3);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  const day = WEEKDAYS.indexOf(weekday as Weekday);
  if (day < 0) throw new RangeError(`unexpected weekday ${JSON.stringify(weekday)} for zone ${timezone}`);
  return { day, minutes: hour * 60 + minute };
}

/** True when `date` falls in at least one window; an empty list means "always". */
export function isWithinWindows(date: Date, windows: readonly TimeWindow[], timezone: string): boolean {
  if (windows.length === 0) return true;
  const { day, minutes } = localTime(date, timezone);
  return windows.some((w) => inWindow(w, day, minutes));
}

function inWindow(window: TimeWindow, day: number, minutes: number): boolean {
  const start = parseHhmm(window.start);
  const end = parseHhmm(window.end);
  const startsOn = (d: number): boolean => !window.days || window.days.includes(WEEKDAYS[(d + 7) % 7] as Weekday);
  if (start < end) return startsOn(day) && minutes >= start && minutes < end;
  // Crosses midnight: the evening part today, or the morning part of a window that started yesterday.
  return (startsOn(day) && minutes >= start) || (startsOn(day - 1) && minutes < end);
}

/** Checks every window's times once (for config validation); throws a RangeError naming the bad one. */
export function validateWindows(windows: readonly TimeWindow[], timezone: string): void {
  formatter(timezone);
  windows.forEach((w, i) => {
    try {
      parseHhmm(w.start);
      parseHhmm(w.end);
      for (const d of w.days ?? []) if (!WEEKDAYS.includes(d)) throw new RangeError(`unknown day ${JSON.stringify(d)}`);
    } catch (err) {
      throw new RangeError(`windows[${i}]: ${(err as Error).message}`);
    }
  });
}

/** The sweep's `isAllowedNow` for a set of windows. */
export function windowGate(windows: readonly TimeWindow[], timezone: string, now: () => number = systemClock.now): () => boolean {
  return () => isWithinWindows(new Date(now()), windows, timezone);
}
