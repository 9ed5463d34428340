// The journal's record types: one JSON line per detection and per repair step, with the
// per-peer state before and after. Written by src/journal/journal.ts, read back by
// `oio-repaird journal`. A sink's append() resolves only once the line is on disk.
import type { ReasonCode } from '../decisions/codes.js';
import type { ControlAction, OpenBreaker } from '../controls/types.js';
import type { PeerId } from '../oio/types.js';
import type { ReplicaHealth, Role, Verdict } from '../probe/types.js';
import type { IneffectiveAction, PeerEvidence, RepairOutcome, RepairStep, StepResultStatus } from '../repair/types.js';
import type { EvidenceRecord } from './evidence.js';

/** The per-peer state recorded in the journal (no admin tables: they can be large). */
export interface JournalReplica {
  readonly peer: PeerId;
  readonly health: ReplicaHealth;
  readonly role: Role;
  readonly missingKeys?: readonly string[];
  readonly malformedKeys?: readonly string[];
  readonly detail?: string;
}

interface EntryBase {
  /** ISO-8601 time of the event. */
  readonly ts: string;
  readonly cid: string;
  readonly account?: string;
  readonly container?: string;
  /** Request id shared by every entry (and proxy call) of one operation. */
  readonly reqId: string;
}

/**
 * The decision's reason code (src/decisions/codes.ts): written on every detection, escalate, verify
 * and repair entry; absent only from lines written before codes existed.
 */
interface Coded {
  readonly code?: ReasonCode;
}

export type JournalEntry =
  | (EntryBase & Coded & { readonly type: 'detection'; readonly verdict: Verdict; readonly reason: string; readonly replicas: readonly JournalReplica[] })
  /** What every replica held (admin table or its digest, base, role), on disk before a step that overwrites one. */
  | (EntryBase & { readonly type: 'evidence' } & EvidenceRecord)
  | (EntryBase & {
      readonly type: 'step-start';
      readonly round: number;
      readonly step: RepairStep;
      readonly dryRun: boolean;
      readonly before: readonly JournalReplica[];
      /** 2 and up for a retry of the same request within the step (e.g. a sync after 511). */
      readonly attempt?: number;
      /** Why this attempt is sent (retries only). */
      readonly why?: string;
    })
  | (EntryBase & {
      readonly type: 'step-end';
      readonly round: number;
      readonly step: RepairStep;
      /** done only when re-reading the replicas proved the effect; no-effect: accepted, nothing changed. */
      readonly status: StepResultStatus;
      readonly detail: string;
      readonly answers?: readonly { readonly peer: PeerId; readonly status: number; readonly message: string }[];
      /** Per replica: what it held before the step and when re-read after it (keys in question, role). */
      readonly evidence?: readonly PeerEvidence[];
    })
  | (EntryBase & Coded & {
      /** The plan of this round skips actions that had no effect: why, and what it does instead. */
      readonly type: 'escalate';
      readonly round: number;
      readonly from: readonly IneffectiveAction[];
      /** The new plan's steps (empty when the repair stops). */
      readonly to: readonly RepairStep[];
      readonly reason: string;
    })
  | (EntryBase & Coded & { readonly type: 'verify'; readonly round: number; readonly verdict: Verdict; readonly reason: string; readonly after: readonly JournalReplica[] })
  | (EntryBase & Coded & { readonly type: 'repair'; readonly outcome: RepairOutcome; readonly reason: string })
  | (EntryBase & {
      /**
       * An operator control changed (suspend, resume, expiry, breaker open/reset/cool-off): it
       * concerns the whole namespace, so `cid` is `*`. `by` says who, `reason` why, `until` (ISO)
       * when a suspension ends; `breaker` the counts that opened it.
       */
      readonly type: 'control';
      readonly action: ControlAction;
      readonly by: string;
      readonly reason: string;
      readonly until?: string;
      readonly breaker?: OpenBreaker;
    });

export type JournalEntryType = JournalEntry['type'];

/** Where repair code writes. append() resolves after the entry is flushed to stable storage. */
export interface JournalSink {
  append(entry: JournalEntry): Promise<void>;
}
