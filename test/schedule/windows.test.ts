import { describe, expect, it } from 'vitest';
import { isWithinWindows, localTime, parseHhmm, validateWindows, windowGate, type TimeWindow } from '../../src/schedule/windows.js';

const nights: TimeWindow[] = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '22:00', end: '06:00' }];
const weekend: TimeWindow[] = [{ days: ['sat', 'sun'], start: '00:00', end: '00:00' }];
const office: TimeWindow[] = [{ start: '09:00', end: '17:30' }];

// 2026-01-05 is a Monday.
describe('isWithinWindows', () => {
  it.each<[string, TimeWindow[], string, boolean]>([
    ['no windows means always', [], '2026-01-05T12:00:00Z', true],
    ['inside a same-day range', office, '2026-01-05T09:00:00Z', true],
    ['end is exclusive', office, '2026-01-05T17:30:00Z', false],
    ['before a same-day range', office, '2026-01-05T08:59:00Z', false],
    ['Monday evening, night window starting Monday', nights, '2026-01-05T23:00:00Z', true],
    ['Tuesday early morning, from Monday night', nights, '2026-01-06T05:59:00Z', true],
    ['Tuesday 06:00, window over', nights, '2026-01-06T06:00:00Z', false],
    ['Monday early morning: Sunday night has no window', nights, '2026-01-05T03:00:00Z', false],
    ['Saturday early morning: from Friday night', nights, '2026-01-10T03:00:00Z', true],
    ['Saturday evening: no window starts Saturday', nights, '2026-01-10T23:00:00Z', false],
    ['start == end is a whole day', weekend, '2026-01-11T13:00:00Z', true],
    ['whole-day window not on a weekday', weekend, '2026-01-07T13:00:00Z', false],
    ['any of several windows', [...office, ...weekend], '2026-01-10T20:00:00Z', true],
  ])('%s', (_name, windows, iso, expected) => {
    expect(isWithinWindows(new Date(iso), windows, 'UTC')).toBe(expected);
  });

  it('reads the windows in the given time zone', () => {
    // 21:30 UTC on Monday is 22:30 in Paris (winter, UTC+1): inside the night window there.
    const date = new Date('2026-01-05T21:30:00Z');
    expect(isWithinWindows(date, nights, 'UTC')).toBe(false);
    expect(isWithinWindows(date, nights, 'Europe/Paris')).toBe(true);
    expect(localTime(date, 'Asia/Tokyo')).toEqual({ day: 2, minutes: 6 * 60 + 30 });
  });

  it('windowGate evaluates at the injected time', () => {
    let now = Date.parse('2026-01-05T10:00:00Z');
    const allowed = windowGate(office, 'UTC', () => now);
    expect(allowed()).toBe(true);
    now = Date.parse('2026-01-05T18:00:00Z');
    expect(allowed()).toBe(false);
  });
});

describe('validateWindows', () => {
  it.each([
    [[{ start: '25:00', end: '01:00' }], 'UTC', /windows\[0\].*HH:MM/],
    [[{ start: '9:00', end: '10:00' }], 'UTC', /HH:MM/],
    [[{ days: ['monday'], start: '09:00', end: '10:00' }], 'UTC', /unknown day/],
    [[], 'Mars/Olympus', /time ?zone/i],
  ])('rejects %j in %s', (windows, tz, message) => {
    expect(() => validateWindows(windows as TimeWindow[], tz)).toThrow(message);
  });

  it('accepts 24:00 as an end', () => {
    expect(parseHhmm('24:00')).toBe(1440);
    expect(() => validateWindows([{ start: '18:00', end: '24:00' }], 'UTC')).not.toThrow();
  });
});
