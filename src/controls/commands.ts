// What each control command does to the control state, as a pure function: the new state, the
// event to journal (who, why, until) and the sentence to answer. Shared by the daemon (through
// its control socket) and the CLI when no daemon runs (it then applies the command to the state
// file itself, under the state directory's lock). Also the expiry rule (a suspension or a
// breaker's cool-off that ended) and the `--for` duration syntax. The event's journal entry is
// built with the others, in src/journal/entries.ts.
import { breakerInForce, iso, suspensionInForce } from './gates.js';
import type { ControlCommand, ControlEvent, ControlState } from './types.js';

export interface Applied {
  readonly state: ControlState;
  /** null: nothing changed (e.g. resume while not suspended). */
  readonly event: ControlEvent | null;
  readonly message: string;
}

export class ControlCommandError extends Error {
  readonly code = 'REPAIRD_CONTROL_REFUSED';
}

/** Applies `cmd` at `now`; throws ControlCommandError for a command that cannot be applied. */
export function applyCommand(state: ControlState, cmd: ControlCommand, now: number, limits: { readonly maxSuspendMs: number }): Applied {
  switch (cmd.op) {
    case 'status':
      return { state, event: null, message: describeControls(state, now) };
    case 'suspend': {
      if (!(Number.isInteger(cmd.forMs) && cmd.forMs > 0)) throw new ControlCommandError(`the suspension must last a positive whole number of milliseconds, got ${cmd.forMs}`);
      if (cmd.forMs > limits.maxSuspendMs) throw new ControlCommandError(`a suspension of ${formatDuration(cmd.forMs)} is longer than suspend.maxHours (${formatDuration(limits.maxSuspendMs)})`);
      if (cmd.reason.trim() === '') throw new ControlCommandError('a suspension needs a reason (--reason)');
      const suspension = { since: now, until: now + cmd.forMs, reason: cmd.reason, by: cmd.by };
      const previous = suspensionInForce(state.suspension, now);
      return {
        state: { ...state, suspension },
        event: { action: 'suspend', at: now, by: cmd.by, reason: cmd.reason, until: suspension.until, ...(previous ? { suspension: previous } : {}) },
        message: `repairs suspended until ${iso(suspension.until)} (${formatDuration(cmd.forMs)})${previous ? `, replacing the suspension until ${iso(previous.until)}` : ''}`,
      };
    }
    case 'resume': {
      const current = suspensionInForce(state.suspension, now);
      if (!current) return { state: { ...state, suspension: null }, event: null, message: 'repairs were not suspended' };
      return {
        state: { ...state, suspension: null },
        event: { action: 'resume', at: now, by: cmd.by, reason: cmd.reason, suspension: current },
        message: `repairs resumed (the suspension by ${current.by} would have lasted until ${iso(current.until)})`,
      };
    }
    case 'breaker-reset': {
      const open = breakerInForce(state.breaker, now);
      if (!open) return { state: { ...state, breaker: null }, event: null, message: 'the circuit breaker was not open' };
      return {
        state: { ...state, breaker: null },
        event: { action: 'breaker-reset', at: now, by: cmd.by, reason: cmd.reason, breaker: open },
        message: `circuit breaker closed (it was open since ${iso(open.openedAt)}: ${open.detail}); the damage counts start again from zero`,
      };
    }
  }
}

/** A suspension that ran out, or a breaker whose cool-off ended, at `now`: the state without them. */
export function expire(state: ControlState, now: number): { readonly state: ControlState; readonly events: readonly ControlEvent[] } {
  const events: ControlEvent[] = [];
  let next = state;
  if (state.suspension !== null && suspensionInForce(state.suspension, now) === null) {
    events.push({ action: 'suspension-expired', at: now, by: 'expiry', reason: `the suspension by ${state.suspension.by} reached its end (${iso(state.suspension.until)})`, suspension: state.suspension });
    next = { ...next, suspension: null };
  }
  if (state.breaker !== null && breakerInForce(state.breaker, now) === null) {
    events.push({ action: 'breaker-cool-off-ended', at: now, by: 'cool-off', reason: `breaker.coolOffMinutes passed since it opened at ${iso(state.breaker.openedAt)}`, breaker: state.breaker });
    next = { ...next, breaker: null };
  }
  return { state: next, events };
}

/** The next time (ms) a suspension or a cool-off ends, or null. */
export function nextExpiry(state: ControlState): number | null {
  const times = [state.suspension?.until, state.breaker?.coolOffUntil].filter((t): t is number => typeof t === 'number');
  return times.length > 0 ? Math.min(...times) : null;
}

/** Human summary of the controls in force. */
export function describeControls(state: ControlState, now: number): string {
  const breaker = breakerInForce(state.breaker, now);
  const suspension = suspensionInForce(state.suspension, now);
  return [
    breaker
      ? `circuit breaker: OPEN since ${iso(breaker.openedAt)} (${breaker.reason}: ${breaker.detail})${breaker.coolOffUntil !== null ? `, cool-off ends ${iso(breaker.coolOffUntil)}` : ', until `oio-repaird breaker reset`'}`
      : 'circuit breaker: closed',
    suspension ? `suspension: until ${iso(suspension.until)} by ${suspension.by}: ${suspension.reason}` : 'suspension: none',
  ].join('\n');
}

const UNITS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `90s`, `30m`, `2h`, `1d`, `1h30m` → milliseconds; null when not of that form or zero. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+[dhms])+$/.test(text)) return null;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) ms += Number(m[1]) * (UNITS[m[2] as string] ?? 0);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** 7200000 → `2h`, 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  let left = Math.round(ms / 1000) * 1000;
  const out: string[] = [];
  for (const [unit, size] of Object.entries(UNITS)) {
    const n = Math.floor(left / size);
    if (n > 0) out.push(`${n}${unit}`);
    left -= n * size;
  }
  return out.join('') || '0s';
}
