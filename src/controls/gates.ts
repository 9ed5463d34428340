// The operator controls as pure decisions: given the control state, the blackout in force and the
// time, which gates stop a repair now (breaker, suspension, blackout), each with its reason code,
// the repair outcome it is counted under and when it ends. The repair gate asks for the first
// one; `explain` can show them all. No I/O, no clock: `now` is an argument.
import type { ReasonCode } from '../decisions/codes.js';
import type { ActiveBlackout } from './blackouts.js';
import type { ControlState, OpenBreaker, Suspension } from './types.js';

/** Outcomes of oio_repaird_repairs_total{outcome} for a repair a control held back. */
export type ControlOutcome = 'skipped_breaker' | 'skipped_suspended' | 'skipped_blackout';
/** Their codes in the reason-code catalogue (src/decisions/codes.ts). */
export type ControlCode = Extract<ReasonCode, 'BREAKER_OPEN' | 'SKIPPED_SUSPENDED' | 'SKIPPED_BLACKOUT'>;

export interface ControlBlock {
  readonly code: ControlCode;
  readonly outcome: ControlOutcome;
  readonly reason: string;
  /** When the gate lifts by itself (ms), or null: it needs a human (breaker without cool-off). */
  readonly until: number | null;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The suspension still in force at `now`, or null (none, or its `until` has passed). */
export function suspensionInForce(s: Suspension | null, now: number): Suspension | null {
  return s !== null && now < s.until ? s : null;
}

/** The breaker still open at `now`, or null (closed, or its cool-off has ended). */
export function breakerInForce(b: OpenBreaker | null, now: number): OpenBreaker | null {
  return b !== null && (b.coolOffUntil === null || now < b.coolOffUntil) ? b : null;
}

/** Every control that stops a repair at `now`, most severe first (breaker, suspension, blackout). */
export function controlBlocks(state: ControlState, blackout: ActiveBlackout | null, now: number): ControlBlock[] {
  const blocks: ControlBlock[] = [];
  const breaker = breakerInForce(state.breaker, now);
  if (breaker) {
    const lifts = breaker.coolOffUntil === null ? 'until `oio-repaird breaker reset`' : `until ${iso(breaker.coolOffUntil)} (cool-off) or \`oio-repaird breaker reset\``;
    blocks.push({ code: 'BREAKER_OPEN', outcome: 'skipped_breaker', reason: `circuit breaker open since ${iso(breaker.openedAt)} (${breaker.detail}): no automatic repair ${lifts}`, until: breaker.coolOffUntil });
  }
  const suspension = suspensionInForce(state.suspension, now);
  if (suspension) {
    blocks.push({ code: 'SKIPPED_SUSPENDED', outcome: 'skipped_suspended', reason: `repairs suspended until ${iso(suspension.until)} by ${suspension.by}: ${suspension.reason}`, until: suspension.until });
  }
  if (blackout) blocks.push({ code: 'SKIPPED_BLACKOUT', outcome: 'skipped_blackout', reason: `blackout ${blackout.label}: no repair`, until: null });
  return blocks;
}

/** The gate the repair gate applies: the first of controlBlocks, or null when repairs may go on. */
export function controlBlock(state: ControlState, blackout: ActiveBlackout | null, now: number): ControlBlock | null {
  return controlBlocks(state, blackout, now)[0] ?? null;
}

/** Whether the sweep may probe at `now`: a suspension stops probing too when suspend.probe is off. */
export function probingAllowed(state: ControlState, now: number, probeWhileSuspended: boolean): boolean {
  return probeWhileSuspended || suspensionInForce(state.suspension, now) === null;
}
