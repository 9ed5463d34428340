// What a sweep is given (its dependencies and options) and what it returns (its summary).
// The walk itself is src/sweep/execution.ts; runSweep (src/sweep/sweep.ts) is the entry point.
import type { ReasonCode } from '../decisions/codes.js';
import type { AccountFilter, SweepPosition } from '../discover/enumerate.js';
import type { AccountApi, ContainerRef } from '../oio/types.js';
import type { AdmissionLimits, LocateFn } from './admission.js';
import type { Clock } from '../clock.js';
import type { ContainerOutcome, ContainerStepDeps } from './process-container.js';
import type { ProgressFields } from './progress.js';
import type { SweepResult } from './result.js';
import type { SweepCounts, SweepStateStore } from './state.js';

/** What one container needs (probe, repair, journal, metrics, gate…) plus what the walk needs. */
export interface SweepDeps extends Omit<ContainerStepDeps, 'now'> {
  readonly accounts: AccountApi;
  /** The container's meta2 peers, for per-service gating (e.g. `(ref, c) => proxy.locate(ref, c)`). */
  readonly locate?: LocateFn;
  readonly state: SweepStateStore;
  readonly clock?: Clock;
  /** Sweep ids (default: random UUIDs). */
  readonly newId?: () => string;
}

export interface SweepOptions extends AdmissionLimits {
  readonly filter: AccountFilter;
  readonly progressIntervalMs: number;
  /** Stop: take no new container, let in-flight probes and repairs finish, save the position. */
  readonly signal: AbortSignal;
  /** Time windows: while false the sweep pauses (takes no new container) and keeps its position. */
  readonly isAllowedNow?: () => boolean;
  /** Why the sweep pauses, for its log line (default: outside its time windows). */
  readonly pauseReason?: () => SweepPause;
  /** How often a paused sweep checks its window again (default 30 s). */
  readonly pauseCheckMs?: number;
  /** Account-service page size. */
  readonly pageSize?: number;
  /** Save the position every this many finished containers (default 500)… */
  readonly checkpointEvery?: number;
  /** …or this often (default 10 s), whichever comes first. */
  readonly checkpointIntervalMs?: number;
  /** Consecutive enumeration failures retried before the sweep fails (default 5). */
  readonly enumerationRetries?: number;
  /** First retry delay, doubled each time (default 1 s). */
  readonly enumerationBackoffMs?: number;
  /** Containers expected (e.g. the previous sweep's count), for the ETA in progress lines. */
  readonly expectedTotal?: number;
  /**
   * Share (0..1) of the containers that may end `unknown` (could not be judged: a replica unseen,
   * the probe failed, the election unclear) before a walked-through sweep is `incomplete`
   * (configuration: probe.maxUnknownShare).
   */
  readonly maxUnknownShare: number;
  /** Called with each progress line's fields (the daemon forwards them to systemd's STATUS=). */
  readonly onProgress?: (fields: ProgressFields) => void;
  /** Fleet mode: whether to probe this container (its bucket is this member's); others are passed over. */
  readonly select?: (cid: string) => boolean;
  /** Called when a container's probe/repair has ended, whatever the outcome (the stall watch). */
  readonly onContainerDone?: (ref: ContainerRef) => void;
  /** Called with each finished container's outcome (per-service health, suspects). Must not throw. */
  readonly onContainerOutcome?: (outcome: ContainerOutcome) => void;
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly result: SweepResult;
  readonly resumed: boolean;
  /** When the sweep first started (before any restart). */
  readonly startedAt: string;
  readonly endedAt: string;
  /** Containers finished by this run (a resumed sweep's earlier runs excluded). */
  readonly doneThisRun: number;
  /** Counts over the whole sweep, earlier runs included. */
  readonly counts: SweepCounts;
  /** Saved resume position (null when completed or nothing was done). */
  readonly position: SweepPosition | null;
  /** Why the sweep failed (enumeration); `permanent` when no retry can fix it (configuration). */
  readonly error?: SweepError;
}

export interface SweepError {
  readonly code: string;
  readonly message: string;
  readonly permanent?: boolean;
}

/** Why a sweep paused: its reason code and the words of its log lines. */
export interface SweepPause {
  readonly code: ReasonCode;
  /** Ends "sweep paused: …" (for example "outside its time windows"). */
  readonly why: string;
}
