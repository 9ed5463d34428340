// The operator controls' state and vocabulary: a suspension (who, why, until when), the
// mass-damage circuit breaker (why it opened, on what counts), and the commands that change them.
// Pure data shared by the gates (gates.ts), the state file (store.ts), the control socket
// (channel.ts), the daemon (src/daemon/controls.ts) and the CLI. Times are epoch milliseconds.

/** A suspension of repairs, set by `oio-repaird suspend`; in force until `until`. */
export interface Suspension {
  readonly since: number;
  readonly until: number;
  readonly reason: string;
  /** Who asked (the CLI's user, or --by). */
  readonly by: string;
}

/** Why the breaker opened: values of oio_repaird_circuit_breaker_open{reason}. */
export const BREAKER_REASONS = ['damaged_share', 'damaged_count', 'state_unreadable'] as const;
export type BreakerReason = (typeof BREAKER_REASONS)[number];

/** An open circuit breaker: no automatic repair until an operator resets it (or its cool-off ends). */
export interface OpenBreaker {
  readonly openedAt: number;
  readonly reason: BreakerReason;
  /** One sentence: the counts and the threshold that opened it. */
  readonly detail: string;
  /** Damaged and judged containers counted when it opened (0 for state_unreadable). */
  readonly damaged: number;
  readonly judged: number;
  /** Closes by itself at this time (breaker.coolOffMinutes), or null: only a reset closes it. */
  readonly coolOffUntil: number | null;
}

/** What `<state.dir>/controls.json` holds; null members are "not in force". */
export interface ControlState {
  readonly version: 1;
  readonly suspension: Suspension | null;
  readonly breaker: OpenBreaker | null;
}

export const NO_CONTROLS: ControlState = { version: 1, suspension: null, breaker: null };

/** What the control socket accepts (and `suspend`, `resume`, `breaker` send). */
export type ControlCommand =
  | { readonly op: 'status' }
  | { readonly op: 'suspend'; readonly forMs: number; readonly reason: string; readonly by: string }
  | { readonly op: 'resume'; readonly reason: string; readonly by: string }
  | { readonly op: 'breaker-reset'; readonly reason: string; readonly by: string };

/** What happened, for the journal and the log (who, why, until). */
export type ControlAction = 'suspend' | 'resume' | 'suspension-expired' | 'breaker-open' | 'breaker-reset' | 'breaker-cool-off-ended';

export interface ControlEvent {
  readonly action: ControlAction;
  readonly at: number;
  readonly by: string;
  readonly reason: string;
  /** suspend: when it ends. */
  readonly until?: number;
  /** breaker-open: the counts; breaker-reset / cool-off: the breaker that was open. */
  readonly breaker?: OpenBreaker;
  /** resume / reset / expiry: the suspension that ended. */
  readonly suspension?: Suspension;
}
