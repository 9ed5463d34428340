// Blackout dates (schedule.blackouts): days or ranges, in schedule.timezone, when no repair is
// made (a change freeze, a migration). Pure: the time is an argument. An entry is a date
// `YYYY-MM-DD` (that whole day) or `{from, to, reason}` whose ends are dates or `YYYY-MM-DDTHH:MM`
// local times: a date `from` starts at 00:00, a date `to` includes that whole day, a time `to`
// is exclusive. Probing goes on during a blackout; only repairs wait.

export type BlackoutEntry = string | { readonly from: string; readonly to: string; readonly reason?: string | undefined };

export interface ActiveBlackout {
  /** e.g. `2026-12-24..2026-12-26 (Christmas freeze)`. */
  readonly label: string;
}

export const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/;

/** `YYYY-MM-DDTHH:MM` of `date` in `timezone` (throws a RangeError for an unknown zone). */
export function localStamp(date: Date, timezone: string): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  for (const p of f.formatToParts(date)) parts[p.type] = p.value;
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}`;
}

/** The entry's bounds as comparable local stamps: [start inclusive, end exclusive]. */
function bounds(entry: BlackoutEntry): { start: string; end: string; label: string } {
  if (typeof entry === 'string') return { start: `${entry}T00:00`, end: `${entry}T24:00`, label: entry };
  const start = DATE.test(entry.from) ? `${entry.from}T00:00` : entry.from;
  // A whole day `to` runs to its end; "T24:00" sorts after every time of that day.
  const end = DATE.test(entry.to) ? `${entry.to}T24:00` : entry.to;
  return { start, end, label: `${entry.from}..${entry.to}${entry.reason ? ` (${entry.reason})` : ''}` };
}

/** The first blackout in force at `now`, or null. */
export function activeBlackout(entries: readonly BlackoutEntry[], timezone: string, now: number): ActiveBlackout | null {
  if (entries.length === 0) return null;
  const stamp = localStamp(new Date(now), timezone);
  for (const entry of entries) {
    const b = bounds(entry);
    if (stamp >= b.start && stamp < b.end) return { label: b.label };
  }
  return null;
}

/** A problem with one entry (for the configuration's validation), or null. */
export function blackoutProblem(entry: BlackoutEntry): string | null {
  if (typeof entry === 'string') return DATE.test(entry) ? null : 'must be a date YYYY-MM-DD or {from, to, reason}';
  for (const end of [entry.from, entry.to]) {
    if (!DATE.test(end) && !DATE_TIME.test(end)) return `${JSON.stringify(end)} is not a date YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM`;
  }
  const b = bounds(entry);
  return b.start < b.end ? null : 'must not end before it starts';
}
