// Every journal entry is built here, from what the sweep saw (a detection, a repair not made),
// from what the repair executor records (src/repair/types.ts RepairEvent): the replicas
// summarized (no admin tables: they can be large), the time and the container added; and from
// the operator controls' events (src/controls/types.ts ControlEvent: who, why, until).
import { systemClock } from '../clock.js';
import { iso } from '../controls/gates.js';
import type { ControlEvent } from '../controls/types.js';
import { verdictCode } from '../decisions/derive.js';
import type { ContainerRef } from '../oio/types.js';
import type { ContainerReport, ReplicaState } from '../probe/types.js';
import type { RepairEvent, RepairRecorder } from '../repair/types.js';
import { evidenceRecord } from './evidence.js';
import type { JournalEntry, JournalReplica, JournalSink } from './types.js';

/** The per-peer state recorded in the journal. */
export function journalReplica(replica: ReplicaState): JournalReplica {
  return {
    peer: replica.peer,
    health: replica.health,
    role: replica.role,
    ...(replica.missingKeys.length > 0 ? { missingKeys: replica.missingKeys } : {}),
    ...(replica.malformedKeys.length > 0 ? { malformedKeys: replica.malformedKeys } : {}),
    ...(replica.detail ? { detail: replica.detail } : {}),
  };
}

export function journalReplicas(report: ContainerReport): JournalReplica[] {
  return report.replicas.map(journalReplica);
}

function entryBase(ref: ContainerRef, reqId: string, nowMs: number) {
  const { cid, account, container } = ref;
  return {
    ts: new Date(nowMs).toISOString(),
    cid,
    ...(account !== undefined ? { account } : {}),
    ...(container !== undefined ? { container } : {}),
    reqId,
  };
}

/** What a probe found wrong with a container (written before any repair of it). */
export function detectionEntry(report: ContainerReport, reqId: string, nowMs: number): JournalEntry {
  return {
    ...entryBase(report.ref, reqId, nowMs),
    type: 'detection',
    code: verdictCode(report),
    verdict: report.verdict,
    reason: report.reason,
    replicas: journalReplicas(report),
  };
}

/**
 * One event of a repair (or of a repair not made: a `repair` event with its outcome). Admin
 * tables larger than `evidenceMaxBytes` (JSON, journal.evidenceMaxBytes: required for an
 * `evidence` event, unused by the others) go into `evidence` entries as a digest plus the keys in question.
 */
export function repairEntry(ref: ContainerRef, reqId: string, nowMs: number, event: RepairEvent, evidenceMaxBytes?: number): JournalEntry {
  const base = entryBase(ref, reqId, nowMs);
  switch (event.type) {
    case 'evidence':
      if (evidenceMaxBytes === undefined) throw new RangeError('an evidence entry needs evidenceMaxBytes (journal.evidenceMaxBytes)');
      return { ...base, type: 'evidence', ...evidenceRecord(event.before, event.round, event.step, evidenceMaxBytes) };
    case 'step-start':
      return { ...base, ...event, before: journalReplicas(event.before) };
    case 'verify':
      return { ...base, type: 'verify', code: verdictCode(event.after), round: event.round, verdict: event.after.verdict, reason: event.after.reason, after: journalReplicas(event.after) };
    default:
      return { ...base, ...event };
  }
}

export interface RepairJournalOptions {
  /** journal.evidenceMaxBytes. */
  readonly evidenceMaxBytes: number;
  readonly now?: () => number;
}

/** The executor's recorder writing to `sink`: each event becomes one journal entry. */
export function repairJournal(sink: JournalSink, opts: RepairJournalOptions): RepairRecorder {
  const now = opts.now ?? systemClock.now;
  return { record: (ref, reqId, event) => sink.append(repairEntry(ref, reqId, now(), event, opts.evidenceMaxBytes)) };
}

/** The journal entry of an operator control's event: namespace-wide, so its `cid` is `*`. */
export function controlEntry(e: ControlEvent): JournalEntry {
  return {
    ts: iso(e.at),
    cid: '*',
    reqId: `control-${e.at.toString(36)}`,
    type: 'control',
    action: e.action,
    by: e.by,
    reason: e.reason,
    ...(e.until !== undefined ? { until: iso(e.until) } : {}),
    ...(e.breaker ? { breaker: e.breaker } : {}),
  };
}
