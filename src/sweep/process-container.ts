// What the sweep does with ONE container once it holds its slots: probe, count, journal the
// detection, ask the repair gate, repair (or record why not), and report the final state.
// Never throws: a failed probe becomes an 'unknown' report, a failed repair a 'failed' outcome,
// so one bad container cannot stop a sweep.
import { errorInfo, errorMessage } from '../errors.js';
import { outcomeCode, verdictCode } from '../decisions/derive.js';
import { detectionEntry, repairEntry } from '../journal/entries.js';
import type { JournalEntry, JournalSink } from '../journal/types.js';
import type { Logger } from '../log.js';
import { countDecision, type Metrics } from '../metrics/metrics.js';
import type { ContainerRef, PeerId } from '../oio/types.js';
import type { ContainerReport } from '../probe/types.js';
import type { RepairOutcome, RepairResult } from '../repair/types.js';
import type { RepairGate } from './repair-gate.js';

/** Passed to the injected probe. `peers` is set when the sweep already located the container. */
export interface ProbeContext {
  readonly reqId: string;
  readonly peers?: readonly PeerId[];
}

export interface RepairContext {
  readonly reqId: string;
  /** Awaited right before the first mutating request; if it throws, nothing is sent. */
  readonly beforeFirstMutation?: () => Promise<void>;
}

export type ProbeFn = (ref: ContainerRef, ctx: ProbeContext) => Promise<ContainerReport>;
export type RepairFn = (report: ContainerReport, ctx: RepairContext) => Promise<RepairResult>;

export interface ContainerStepDeps {
  readonly probe: ProbeFn;
  readonly repair: RepairFn;
  /**
   * Report-only mode: plans and journals what a repair would do without mutating anything
   * (the executor's dry run). Without it the sweep journals a bare `dry_run` repair entry.
   */
  readonly previewRepair?: RepairFn;
  readonly journal: JournalSink;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly gate: RepairGate;
  readonly now: () => number;
}

export interface ContainerOutcome {
  /** The probe's report. */
  readonly report: ContainerReport;
  /** The state after the repair when one succeeded or was verified, else the probe's report. */
  readonly final: ContainerReport;
  /** Set when a repair was attempted or deliberately not made. */
  readonly repairOutcome?: RepairOutcome;
}

export async function processContainer(
  deps: ContainerStepDeps,
  ref: ContainerRef,
  ctx: ProbeContext,
): Promise<ContainerOutcome> {
  // The container's logger is made only when something is logged: a healthy container logs nothing.
  const childLog = (): Logger => deps.log.child({ cid: ref.cid, reqId: ctx.reqId });
  let report: ContainerReport;
  try {
    report = await deps.probe(ref, ctx);
  } catch (err) {
    childLog().warn({ err }, 'probe failed');
    report = failedProbeReport(ref, ctx.peers ?? [], err);
  }
  countProbe(deps.metrics, report);
  const verdict = verdictCode(report);
  countDecision(deps.metrics, verdict);
  if (report.verdict === 'healthy') return { report, final: report };

  const log = childLog();
  log.info({ verdict: report.verdict, code: verdict, reason: report.reason, account: ref.account, container: ref.container }, 'container not healthy');
  const journaled = await appendSafely(deps, detectionEntry(report, ctx.reqId, deps.now()), log);
  if (!journaled) {
    // No repair without a record of what was seen before it.
    countDecision(deps.metrics, 'SKIPPED_NOT_JOURNALED');
    log.error({ code: 'SKIPPED_NOT_JOURNALED' }, 'detection not journaled, repair skipped');
    return { report, final: report };
  }

  const decision = deps.gate.decide(report);
  if (decision.action === 'none') return { report, final: report };
  if (decision.action === 'skip' && decision.outcome === 'dry_run' && deps.previewRepair) {
    countDecision(deps.metrics, decision.code);
    const preview = await repairSafely(deps.previewRepair, deps, report, ctx, log);
    deps.metrics.repairs.inc({ outcome: preview.outcome });
    countResult(deps.metrics, preview);
    log.info({ outcome: preview.outcome, code: outcomeCode(preview), gate: decision.code, reason: preview.reason }, 'repair previewed (report-only)');
    return { report, final: report, repairOutcome: preview.outcome };
  }
  if (decision.action === 'skip') {
    deps.metrics.repairs.inc({ outcome: decision.outcome });
    countDecision(deps.metrics, decision.code);
    log.info({ outcome: decision.outcome, code: decision.code, reason: decision.reason }, 'repair not attempted');
    await appendSafely(deps, repairEntry(report.ref, ctx.reqId, deps.now(), { type: 'repair', code: decision.code, outcome: decision.outcome, reason: decision.reason }), log);
    return { report, final: report, repairOutcome: decision.outcome };
  }

  // decide() reserved the budget and the cooldown; they must be on disk before the first
  // mutating request (a crash from then on must not give them back), or nothing is sent.
  const result = await repairSafely(deps.repair, deps, report, { ...ctx, beforeFirstMutation: () => reservationSaved(deps.gate) }, log);
  deps.gate.recordOutcome(ref.cid, result.outcome);
  deps.metrics.repairs.inc({ outcome: result.outcome });
  countResult(deps.metrics, result);
  log.info({ outcome: result.outcome, code: outcomeCode(result), reason: result.reason }, 'repair finished');
  return { report, final: result.after ?? report, repairOutcome: result.outcome };
}

/** decisions_total for what a repair decided: each round's plan, its escalations, the outcome. */
function countResult(metrics: Metrics, result: RepairResult): void {
  for (const { plan } of result.rounds) {
    countDecision(metrics, plan.code);
    if ((plan.escalatedFrom ?? []).length > 0) countDecision(metrics, 'ESCALATED');
  }
  countDecision(metrics, outcomeCode(result));
}

/** Resolves once the gate's reservation is on disk; otherwise throws why nothing may be sent. */
async function reservationSaved(gate: RepairGate): Promise<void> {
  try {
    await gate.saved();
  } catch (err) {
    throw new Error(`the repair budget and cooldown could not be saved, nothing sent: ${errorMessage(err)}`, { cause: err });
  }
}

async function repairSafely(
  repair: RepairFn,
  deps: ContainerStepDeps,
  report: ContainerReport,
  ctx: RepairContext,
  log: Logger,
): Promise<RepairResult> {
  try {
    return await repair(report, ctx);
  } catch (err) {
    const reason = `repair threw: ${errorMessage(err)}`;
    log.error({ err }, 'repair threw');
    await appendSafely(deps, repairEntry(report.ref, ctx.reqId, deps.now(), { type: 'repair', code: 'REPAIR_FAILED', outcome: 'failed', reason }), log);
    return { outcome: 'failed', code: 'REPAIR_FAILED', before: report, rounds: [], reason };
  }
}

async function appendSafely(deps: ContainerStepDeps, entry: JournalEntry, log: Logger): Promise<boolean> {
  try {
    await deps.journal.append(entry);
    return true;
  } catch (err) {
    log.error({ err, type: entry.type }, 'journal append failed');
    return false;
  }
}

/** The report of a probe that threw instead of reporting (it should not, but may). */
export function failedProbeReport(ref: ContainerRef, peers: readonly PeerId[], err: unknown): ContainerReport {
  const error = errorInfo(err);
  return { ref, peers, replicas: [], verdict: 'unknown', code: 'PROBE_FAILED', reason: `probe failed: ${error.message}`, error, requests: 0 };
}


/** probes_total per replica health (or one `error`), detections_total per unseen/damaged replica and election problem. */
export function countProbe(metrics: Metrics, report: ContainerReport): void {
  if (report.error) metrics.probes.inc({ result: 'error' });
  else {
    // The healthy replicas in one increment (most containers have only those).
    let ok = 0;
    for (const replica of report.replicas) {
      if (replica.health === 'ok') ok += 1;
      else metrics.probes.inc({ result: replica.health });
    }
    if (ok > 0) metrics.probes.inc({ result: 'ok' }, ok);
  }
  for (const replica of report.replicas) if (replica.health !== 'ok') metrics.detections.inc({ kind: replica.health });
  const problem = report.election?.problem;
  if (problem) metrics.detections.inc({ kind: problem });
}
