// Every metric oio-repaird exports, declared once, with help text for operators.
// One Registry per daemon (never prom-client's global one), labels declared up front and
// zero-initialised so alert rules see a series before its first increment.
// The README's metrics reference and deploy/ (alerts, dashboard) are checked against this file.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_REASON_CODES, type ReasonCode } from '../decisions/codes.js';
import { BREAKER_REASONS } from '../controls/types.js';
import { DAMAGE_KINDS, REPLICA_HEALTHS, VERDICTS } from '../probe/types.js';
import { REPAIR_OUTCOMES } from '../repair/types.js';
import { PACE_REASONS } from '../schedule/pace.js';
import { createFleetMetrics, type FleetMetrics } from './fleet.js';

/** Values of oio_repaird_probes_total{result}: a replica health, or `error` for a probe that failed. */
export const PROBE_RESULTS = [...REPLICA_HEALTHS, 'error'] as const;
/** Values of oio_repaird_detections_total{kind}: damage kinds plus election problems and unseen replicas. */
export const DETECTION_KINDS = [...DAMAGE_KINDS, 'unreachable', 'timeout', 'no-master', 'multi-master'] as const;
export const PROXY_ROUTES = [
  'reference/show', 'admin/get_properties', 'admin/has', 'admin/status', 'admin/debug', 'admin/sync',
  'admin/leave', 'admin/set_properties', 'conscience/list', 'account/list', 'account/containers',
] as const;
export const CODE_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'] as const;
/** Values of the `file` label of the storage metrics: what the daemon writes to disk. */
export const STORAGE_FILES = ['journal', 'repair_history', 'sweep_position', 'controls', 'suspects'] as const;
export type StorageFile = (typeof STORAGE_FILES)[number];

export interface Metrics {
  readonly registry: Registry;
  readonly probes: Counter<'result'>;
  readonly detections: Counter<'kind'>;
  readonly damagedReplicas: Gauge<'kind'>;
  readonly unrepairableContainers: Gauge;
  readonly unknownContainers: Gauge;
  readonly sweepIncomplete: Gauge;
  readonly repairs: Counter<'outcome'>;
  readonly decisions: Counter<'code'>;
  readonly repairBudgetRemaining: Gauge;
  readonly repairStepDuration: Histogram<'step'>;
  readonly sweepDuration: Histogram;
  readonly sweepContainers: Counter;
  readonly sweepInProgress: Gauge;
  readonly sweepProgress: Gauge;
  readonly sweepsTotal: Counter<'result'>;
  readonly lastSweepSuccess: Gauge;
  readonly proxyRequestDuration: Histogram<'route' | 'code_class'>;
  readonly proxyUp: Gauge;
  readonly unsupportedProxy: Gauge;
  readonly proxyAnswersTooLarge: Counter<'route'>;
  readonly sweepStalled: Gauge;
  readonly sweepStalls: Counter;
  readonly stalledContainersSkipped: Counter;
  readonly configReloads: Counter<'result'>;
  readonly configLastReloadSuccessful: Gauge;
  readonly buildInfo: Gauge<'version' | 'node'>;
  readonly storageWritable: Gauge<'file'>;
  readonly storageWriteFailures: Counter<'file'>;
  readonly stateFileProblems: Counter<'file' | 'problem'>;
  readonly serviceDamagedReplicas: Gauge<'service'>;
  readonly serviceRepairs: Counter<'service'>;
  readonly probeRateAllowed: Gauge;
  readonly probePaceReason: Gauge<'reason'>;
  readonly probePaceP95: Gauge;
  /** Fleet mode (src/metrics/fleet.ts). */
  readonly fleet: FleetMetrics;
  readonly suspects: Gauge;
  readonly suspectChecks: Counter<'verdict'>;
  readonly circuitBreakerOpen: Gauge<'reason'>;
  readonly suspended: Gauge;
  readonly suspendedUntil: Gauge;
  readonly blackoutActive: Gauge;
}

export interface MetricsOptions {
  /** Collect prom-client's default process metrics (off in unit tests that compare exact output). */
  readonly defaultMetrics?: boolean;
  readonly version?: string;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const m: Metrics = {
    registry,
    probes: new Counter({
      name: 'oio_repaird_probes_total',
      help: 'Replicas probed, by the health found (ok, missing-keys, …) or error when the container probe itself failed.',
      labelNames: ['result'] as const,
      registers,
    }),
    detections: new Counter({
      name: 'oio_repaird_detections_total',
      help: 'Damaged or unseen replicas and election problems detected, by kind; counted each time a sweep sees them.',
      labelNames: ['kind'] as const,
      registers,
    }),
    damagedReplicas: new Gauge({
      name: 'oio_repaird_damaged_replicas',
      help: 'Replicas found damaged, by kind, as of the last completed sweep (after repairs and their verification).',
      labelNames: ['kind'] as const,
      registers,
    }),
    unrepairableContainers: new Gauge({
      name: 'oio_repaird_unrepairable_containers',
      help: 'Containers without a healthy quorum of replicas in the last completed sweep: never touched, need a human.',
      registers,
    }),
    unknownContainers: new Gauge({
      name: 'oio_repaird_unknown_containers',
      help: 'Containers that could not be judged (verdict unknown: a replica unseen, the probe failed, the election unclear) in the last sweep that walked through the namespace, completed or incomplete.',
      registers,
    }),
    sweepIncomplete: new Gauge({
      name: 'oio_repaird_sweep_incomplete',
      help: '1 when the last sweep that walked through the namespace was incomplete (more than probe.maxUnknownShare of its containers could not be judged), 0 otherwise.',
      registers,
    }),
    repairs: new Counter({
      name: 'oio_repaird_repairs_total',
      help: 'Container repairs by outcome: succeeded (verified), failed, refused (unsafe), skipped_budget, skipped_cooldown, dry_run, skipped_breaker, skipped_suspended, skipped_blackout (held back by an operator control).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    suspects: new Gauge({
      name: 'oio_repaird_suspects',
      help: 'Containers on the suspects list (found damaged, unreachable or flapping recently), re-checked first by the suspects lane between sweeps.',
      registers,
    }),
    suspectChecks: new Counter({
      name: 'oio_repaird_suspect_checks_total',
      help: 'Containers re-checked by the suspects lane, by the verdict of their probe.',
      labelNames: ['verdict'] as const,
      registers,
    }),
    serviceDamagedReplicas: new Gauge({
      name: 'oio_repaird_service_damaged_replicas',
      help: 'Replicas on this meta2 service found damaged when their containers were last probed (after repairs), for the meta2 services the conscience lists.',
      labelNames: ['service'] as const,
      registers,
    }),
    serviceRepairs: new Counter({
      name: 'oio_repaird_service_repairs_total',
      help: 'Repairs run (succeeded or failed) for a damaged replica on this meta2 service, for the meta2 services the conscience lists.',
      labelNames: ['service'] as const,
      registers,
    }),
    decisions: new Counter({
      name: 'oio_repaird_decisions_total',
      help: 'Decisions about containers (verdict, plan, refusal, wait, skip, escalation, outcome) by reason code; see the reason codes in the README.',
      labelNames: ['code'] as const,
      registers,
    }),
    repairBudgetRemaining: new Gauge({
      name: 'oio_repaird_repair_budget_remaining',
      help: 'Repairs still allowed now: the smaller of what is left of the per-sweep and the per-hour budget.',
      registers,
    }),
    repairStepDuration: new Histogram({
      name: 'oio_repaird_repair_step_duration_seconds',
      help: 'Time taken by each repair step (sync, leave, await-master, set-properties), verification included.',
      labelNames: ['step'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    sweepDuration: new Histogram({
      name: 'oio_repaird_sweep_duration_seconds',
      help: 'Duration of completed sweeps over the namespace.',
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers,
    }),
    sweepContainers: new Counter({
      name: 'oio_repaird_sweep_containers_total',
      help: 'Containers probed by sweeps since the daemon started.',
      registers,
    }),
    sweepInProgress: new Gauge({
      name: 'oio_repaird_sweep_in_progress',
      help: '1 while a sweep is running (or paused outside its time window), 0 otherwise.',
      registers,
    }),
    sweepProgress: new Gauge({
      name: 'oio_repaird_sweep_progress_containers',
      help: 'Containers probed so far by the running sweep (resumed sweeps count from where they resumed).',
      registers,
    }),
    sweepsTotal: new Counter({
      name: 'oio_repaird_sweeps_total',
      help: 'Sweeps ended, by result: completed, incomplete (walked through but more than probe.maxUnknownShare of the containers could not be judged: damage gauges and success timestamp not updated), failed (enumeration failed), interrupted (stopped).',
      labelNames: ['result'] as const,
      registers,
    }),
    lastSweepSuccess: new Gauge({
      name: 'oio_repaird_last_sweep_success_timestamp_seconds',
      help: 'Unix time at which the last sweep completed; 0 until one has.',
      registers,
    }),
    proxyRequestDuration: new Histogram({
      name: 'oio_repaird_proxy_request_duration_seconds',
      help: 'Duration of requests to the OpenIO proxy and account service, by route and HTTP code class (error: no answer).',
      labelNames: ['route', 'code_class'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    proxyUp: new Gauge({
      name: 'oio_repaird_proxy_up',
      help: '1 if the last request to the proxy got an HTTP answer, 0 if it could not connect or timed out.',
      registers,
    }),
    unsupportedProxy: new Gauge({
      name: 'oio_repaird_unsupported_proxy',
      help: '1 when the proxy does not honour service_id (an oio-sds 4.2.x/4.3.x proxy): sweeps stop, nothing is probed or repaired; re-checked at each sweep.',
      registers,
    }),
    proxyAnswersTooLarge: new Counter({
      name: 'oio_repaird_proxy_answers_too_large_total',
      help: 'Answers refused for being larger than their route can really be (OIO_ANSWER_TOO_LARGE), by route: a broken or hostile proxy.',
      labelNames: ['route'] as const,
      registers,
    }),
    sweepStalled: new Gauge({
      name: 'oio_repaird_sweep_stalled',
      help: '1 while the running sweep makes no progress (a container in flight longer than sweep.stallSeconds, none finished meanwhile): readiness is false and systemd watchdog pings are withheld.',
      registers,
    }),
    sweepStalls: new Counter({
      name: 'oio_repaird_sweep_stalls_total',
      help: 'Times a sweep was found stalled since the daemon started.',
      registers,
    }),
    stalledContainersSkipped: new Counter({
      name: 'oio_repaird_stalled_containers_skipped_total',
      help: 'Containers skipped (not probed, journaled as unknown) because they stalled sweep.stallSkipAfter sweeps in a row.',
      registers,
    }),
    configReloads: new Counter({
      name: 'oio_repaird_config_reloads_total',
      help: 'Configuration reloads (SIGHUP) by result: success, or failure (the old configuration was kept).',
      labelNames: ['result'] as const,
      registers,
    }),
    configLastReloadSuccessful: new Gauge({
      name: 'oio_repaird_config_last_reload_successful',
      help: '1 if the last configuration load or reload succeeded, 0 if it was refused.',
      registers,
    }),
    buildInfo: new Gauge({
      name: 'oio_repaird_build_info',
      help: 'Always 1; labels give the oio-repaird and Node.js versions.',
      labelNames: ['version', 'node'] as const,
      registers,
    }),
    storageWritable: new Gauge({
      name: 'oio_repaird_storage_writable',
      help: '1 if the last write of this file (journal, repair_history, sweep_position, controls) reached the disk, 0 if it failed (disk full, read-only): no repair is made while the journal or the repair history cannot be written; operator controls that cannot be saved hold in memory only.',
      labelNames: ['file'] as const,
      registers,
    }),
    storageWriteFailures: new Counter({
      name: 'oio_repaird_storage_write_failures_total',
      help: 'Writes of the journal or of a state file that failed (disk full, read-only, I/O error), by file.',
      labelNames: ['file'] as const,
      registers,
    }),
    stateFileProblems: new Counter({
      name: 'oio_repaird_state_file_problems_total',
      help: 'State files found unusable at start, by file and problem (corrupt: moved aside as <name>.corrupt-<time>; unreadable). A bad repair history holds repairs back for an hour.',
      labelNames: ['file', 'problem'] as const,
      registers,
    }),
    probeRateAllowed: new Gauge({
      name: 'oio_repaird_probe_rate_allowed',
      help: 'Container probes per second the sweep is allowed now: probe.probesPerSecond, or with probe.adaptive the rate the adaptive pace chose between its floor and that ceiling.',
      registers,
    }),
    probePaceReason: new Gauge({
      name: 'oio_repaird_probe_pace_reason',
      help: 'Why the allowed probe rate is what it is: 1 for the reason of the last decision (fixed = adaptive pacing off; latency-over-target, errors: backed off; under-target: sped up; near-target, too-few-samples: kept), 0 for the others.',
      labelNames: ['reason'] as const,
      registers,
    }),
    probePaceP95: new Gauge({
      name: 'oio_repaird_probe_pace_latency_seconds',
      help: 'p95 latency of admin/get_properties over the adaptive pace\'s last interval (what it compares with probe.adaptive.targetP95Ms); 0 when adaptive pacing is off or nothing was answered.',
      registers,
    }),
    fleet: createFleetMetrics(registers),
    circuitBreakerOpen: new Gauge({
      name: 'oio_repaird_circuit_breaker_open',
      help: '1 while the mass-damage circuit breaker is open, with the reason it opened (damaged_share, damaged_count, state_unreadable): no automatic repair until `oio-repaird breaker reset` (or breaker.coolOffMinutes); probing goes on.',
      labelNames: ['reason'] as const,
      registers,
    }),
    suspended: new Gauge({
      name: 'oio_repaird_suspended',
      help: '1 while repairs are suspended by `oio-repaird suspend` (no mutating request is sent), 0 otherwise.',
      registers,
    }),
    suspendedUntil: new Gauge({
      name: 'oio_repaird_suspended_until_timestamp_seconds',
      help: 'Unix time at which the current suspension ends by itself; 0 when not suspended.',
      registers,
    }),
    blackoutActive: new Gauge({
      name: 'oio_repaird_blackout_active',
      help: '1 while a blackout of schedule.blackouts is in force (no repair; probing goes on), 0 otherwise.',
      registers,
    }),
  };
  for (const reason of BREAKER_REASONS) m.circuitBreakerOpen.set({ reason }, 0);
  m.suspended.set(0);
  m.suspendedUntil.set(0);
  m.blackoutActive.set(0);

  for (const result of PROBE_RESULTS) m.probes.inc({ result }, 0);
  for (const kind of DETECTION_KINDS) m.detections.inc({ kind }, 0);
  for (const kind of DAMAGE_KINDS) m.damagedReplicas.set({ kind }, 0);
  for (const outcome of REPAIR_OUTCOMES) m.repairs.inc({ outcome }, 0);
  for (const code of ALL_REASON_CODES) m.decisions.inc({ code }, 0);
  for (const result of ['completed', 'incomplete', 'failed', 'interrupted']) m.sweepsTotal.inc({ result }, 0);
  for (const result of ['success', 'failure']) m.configReloads.inc({ result }, 0);
  for (const file of STORAGE_FILES) {
    m.storageWritable.set({ file }, 1);
    m.storageWriteFailures.inc({ file }, 0);
  }
  for (const file of ['repair_history', 'sweep_position', 'suspects', 'service_health']) for (const problem of ['corrupt', 'unreadable']) m.stateFileProblems.inc({ file, problem }, 0);
  for (const verdict of VERDICTS) m.suspectChecks.inc({ verdict }, 0);
  for (const route of PROXY_ROUTES) m.proxyAnswersTooLarge.inc({ route }, 0);
  for (const step of ['sync', 'leave', 'await-master', 'set-properties']) m.repairStepDuration.zero({ step });
  // Every route × code class, 5xx and error included: the error-ratio recording rules and the
  // dashboard's per-code panels then see a series (and its first increase) from the first scrape.
  for (const route of PROXY_ROUTES) for (const code_class of CODE_CLASSES) m.proxyRequestDuration.zero({ route, code_class });
  for (const reason of PACE_REASONS) m.probePaceReason.set({ reason }, reason === 'fixed' ? 1 : 0);
  m.probePaceP95.set(0);
  m.unrepairableContainers.set(0);
  m.unknownContainers.set(0);
  m.sweepIncomplete.set(0);
  m.sweepInProgress.set(0);
  m.sweepProgress.set(0);
  m.lastSweepSuccess.set(0);
  m.proxyUp.set(0);
  m.sweepStalled.set(0);
  m.unsupportedProxy.set(0);
  m.configLastReloadSuccessful.set(1);
  m.buildInfo.set({ version: opts.version ?? '0.0.0', node: process.version }, 1);
  return m;
}

/** `2xx`…`5xx` for an HTTP status, `error` when there was no answer. */
export function codeClass(httpStatus: number | undefined): (typeof CODE_CLASSES)[number] {
  if (httpStatus === undefined || httpStatus < 200 || httpStatus >= 600) return 'error';
  return `${Math.floor(httpStatus / 100)}xx` as (typeof CODE_CLASSES)[number];
}

/** Counts one decision by its reason code (oio_repaird_decisions_total{code}). */
export function countDecision(metrics: Metrics, code: ReasonCode): void {
  metrics.decisions.inc({ code });
}
