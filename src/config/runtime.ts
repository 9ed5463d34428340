// The loaded configuration turned into the runtime options of every component, by one pure
// function. The daemon calls it at start and after each reload; the one-shot commands (check,
// repair, explain) call it on a configuration the schema completed, so a command and the daemon
// run with the same values. No default lives here: every one is in the schema (schema.ts).
import type { AccountFilter } from '../discover/enumerate.js';
import type { FleetBudgetLimits } from '../fleet/budget.js';
import type { PaceSettings } from '../schedule/pace.js';
import type { RepairSettings } from '../repair/execute.js';
import type { RepairPolicy } from '../sweep/repair-gate.js';
import { configSchema, type Config } from './schema.js';

/**
 * How often a repair polls admin/status while it waits for a new master, and the rounds of steps
 * one repair may take (e.g. leave + await-master, then sync, then a spare). Fixed properties of
 * the executor, not settings: they are here so that every caller passes the same.
 */
export const AWAIT_MASTER_POLL_MS = 500;
export const REPAIR_MAX_ROUNDS = 3;

export interface RuntimeOptions {
  /** The proxy and account-service HTTP clients (the account service: `account.url`, or discovered). */
  readonly http: {
    readonly url: string;
    readonly namespace: string;
    readonly accountUrl: string | null;
    readonly connections: number;
    readonly connectTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly bodyTimeoutMs: number;
    /** The total deadline of one request (requestDeadlineMs). */
    readonly deadlineMs: number;
  };
  /** The native transport's client (probe.transport: native). */
  readonly native: {
    readonly namespace: string;
    readonly connectTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxFrameBytes: number;
    readonly connectionsPerService: number;
  };
  /** The repair gate: mode, budgets, cooldown, backoff. */
  readonly policy: RepairPolicy;
  /** The repair executor: verification, waiting for a master, rounds. */
  readonly repair: RepairSettings;
  /** journal.evidenceMaxBytes: past this, an evidence entry holds a digest. */
  readonly evidenceMaxBytes: number;
  /** What one sweep reads from the configuration (src/sweep SweepOptions). */
  readonly sweep: {
    readonly filter: AccountFilter;
    readonly concurrency: number;
    readonly probesPerSecond: number;
    readonly perServiceConcurrency: number;
    readonly maxUnknownShare: number;
    readonly progressIntervalMs: number;
    /** sweep.maxDurationSeconds in ms; null: no limit. */
    readonly maxDurationMs: number | null;
  };
  /** The adaptive pace (probe.adaptive); settings also computed when it is off. */
  readonly pace: { readonly enabled: boolean; readonly intervalMs: number; readonly settings: PaceSettings };
  readonly schedule: { readonly cron: string; readonly timezone: string; readonly jitterSeconds: number; readonly runAtStart: boolean };
  /** The stall watch: a container in flight this long is stalled; skipped after this many stalls. */
  readonly stall: { readonly stallMs: number; readonly skipAfter: number };
  readonly suspects: {
    readonly intervalMs: number;
    readonly maxPerRun: number;
    readonly concurrency: number;
    readonly maxEntries: number;
    readonly clearAfterHealthy: number;
  };
  /** The fleet-wide budget (per hour, and per epoch). */
  readonly fleetLimits: FleetBudgetLimits;
  /** /metrics, /healthz, /readyz. */
  readonly metricsServer: { readonly listen: string; readonly maxConnections: number };
  readonly journal: { readonly path: string; readonly maxBytes: number; readonly keep: number };
}

/** Every component's options from `config` (pure: same configuration, same options). */
export function runtimeOptions(config: Config): RuntimeOptions {
  const { proxy, probe, repair } = config;
  return {
    http: {
      url: proxy.url,
      namespace: proxy.namespace,
      accountUrl: config.account.url,
      connections: proxy.connections,
      connectTimeoutMs: proxy.connectTimeoutMs,
      headersTimeoutMs: proxy.requestTimeoutMs,
      bodyTimeoutMs: proxy.requestTimeoutMs,
      deadlineMs: requestDeadlineMs(config),
    },
    native: {
      namespace: proxy.namespace,
      connectTimeoutMs: probe.native.connectTimeoutMs,
      requestTimeoutMs: probe.native.requestTimeoutMs,
      maxFrameBytes: probe.native.maxFrameBytes,
      connectionsPerService: probe.perServiceConcurrency,
    },
    policy: repairPolicy(config),
    repair: {
      verifyAttempts: repair.verifyAttempts,
      verifyDelayMs: repair.verifyDelayMs,
      awaitMasterTimeoutMs: repair.awaitMasterTimeoutMs,
      pollIntervalMs: AWAIT_MASTER_POLL_MS,
      maxRounds: REPAIR_MAX_ROUNDS,
    },
    evidenceMaxBytes: config.journal.evidenceMaxBytes,
    sweep: {
      filter: accountFilter(config),
      concurrency: probe.concurrency,
      probesPerSecond: probe.probesPerSecond,
      perServiceConcurrency: probe.perServiceConcurrency,
      maxUnknownShare: probe.maxUnknownShare,
      progressIntervalMs: config.progress.intervalSeconds * 1000,
      maxDurationMs: config.sweep.maxDurationSeconds === null ? null : config.sweep.maxDurationSeconds * 1000,
    },
    pace: { enabled: probe.adaptive.enabled, intervalMs: probe.adaptive.intervalMs, settings: paceSettings(config) },
    schedule: {
      cron: config.schedule.cron,
      timezone: config.schedule.timezone,
      jitterSeconds: config.schedule.jitterSeconds,
      runAtStart: config.schedule.runAtStart,
    },
    stall: { stallMs: stallTimeoutMs(config), skipAfter: config.sweep.stallSkipAfter },
    suspects: {
      intervalMs: config.suspects.intervalSeconds * 1000,
      maxPerRun: config.suspects.maxPerRun,
      concurrency: config.suspects.concurrency,
      maxEntries: config.suspects.maxEntries,
      clearAfterHealthy: config.suspects.clearAfterHealthy,
    },
    fleetLimits: { maxPerHour: repair.budgetPerHour, maxPerSweep: repair.maxPerSweep },
    metricsServer: { listen: config.metrics.listen, maxConnections: config.metrics.maxConnections },
    journal: { path: config.journal.path, maxBytes: config.journal.maxBytes, keep: config.journal.keep },
  };
}

/**
 * The configuration a one-shot command runs with when it is given no file: the schema's defaults
 * around the proxy it names (check, repair). `explain` reads the real file instead.
 */
export function defaultConfig(proxy: { readonly url: string; readonly namespace: string }): Config {
  return configSchema.parse({ proxy: { url: proxy.url, namespace: proxy.namespace } });
}

export function repairPolicy(config: Pick<Config, 'repair'>): RepairPolicy {
  const r = config.repair;
  return {
    mode: r.mode === 'report-only' || r.dryRun ? 'report-only' : 'auto',
    maxPerSweep: r.maxPerSweep,
    maxPerHour: r.budgetPerHour,
    cooldownSeconds: r.cooldownMinutes * 60,
    maxAttempts: r.maxAttempts,
    backoffSeconds: r.backoffSeconds,
    backoffMaxSeconds: r.backoffMaxSeconds,
    repairMaster: r.repairMaster,
  };
}

/**
 * The total deadline of one proxy or account-service request: no headers within
 * proxy.requestTimeoutMs, or a body stalled that long, fail earlier; this bounds the whole call
 * even when the answer drips byte by byte (22 s by default).
 */
export function requestDeadlineMs(config: Pick<Config, 'proxy'>): number {
  return config.proxy.connectTimeoutMs + 2 * config.proxy.requestTimeoutMs;
}

/** sweep.stallSeconds, or by default a few request deadlines plus the longest wait for a master (96 s). */
export function stallTimeoutMs(config: Pick<Config, 'proxy' | 'repair' | 'sweep'>): number {
  if (config.sweep.stallSeconds !== null) return config.sweep.stallSeconds * 1000;
  return 3 * requestDeadlineMs(config) + config.repair.awaitMasterTimeoutMs;
}

export function accountFilter(config: Pick<Config, 'accounts'>): AccountFilter {
  const include = config.accounts.include;
  const exclude = { exclude: config.accounts.exclude.names, excludePrefixes: config.accounts.exclude.prefixes };
  if (include === 'all') return { include: 'all', ...exclude };
  if ('names' in include) return { names: include.names, ...exclude };
  return { prefixes: include.prefixes, ...exclude };
}

export function paceSettings(config: Pick<Config, 'probe'>): PaceSettings {
  const a = config.probe.adaptive;
  const ceiling = config.probe.probesPerSecond;
  return {
    floor: Math.min(a.floor, ceiling),
    ceiling,
    targetP95Ms: a.targetP95Ms,
    maxErrorRate: a.maxErrorRate,
    increaseStep: a.increaseStep,
    decreaseFactor: a.decreaseFactor,
    minSamples: a.minSamples,
  };
}
