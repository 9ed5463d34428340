// The configuration schema: the single source of truth for the daemon's settings, their types,
// defaults and validation. Every object is strict (an unknown key is an error, so a typo never
// silently falls back to a default). Custom messages start with "is"/"must" because the error
// formatter prints them after the offending value: `schedule.cron: "61 * * * *" is not a …`.
import { join } from 'node:path';
import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { blackoutProblem, type BlackoutEntry } from '../controls/blackouts.js';
import { OIO_VERSION_SETTINGS } from '../oio/versions.js';
import { DEFAULT_REQUIRED_KEYS, PROBE_TRANSPORTS } from '../probe/types.js';
import { isLoopbackHost, parseListen } from './listen.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const REPAIR_MODES = ['auto', 'report-only'] as const;

/** Settings that were renamed: old dotted path → new one. The old name is refused with this hint. */
export const RENAMED_SETTINGS: Readonly<Record<string, string>> = {
  'repair.budgetPerSweep': 'repair.maxPerSweep',
};

export const DEFAULT_STATE_DIR = '/var/lib/oio-repaird';
export const JOURNAL_FILE_NAME = 'journal.jsonl';
/** suspend.maxHours' default (also the CLI's limit when it applies a command without a config). */
export const DEFAULT_SUSPEND_MAX_HOURS = 168;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * What a SIGHUP does with a setting. The safe default is a restart: a setting is applied by a
 * reload only when wrapped in reloadable() here, after checking that Daemon.reload or the next
 * sweep really reads its new value. A new setting nobody wired into the reload is then reported
 * as "waiting for a restart" (true), never as "applied" while the old value stays in use.
 * config/reload.ts reads these marks to diff, report and apply a reload.
 */
const RELOADABLE = new WeakSet<z.ZodType>();
const reloadable = <T extends z.ZodType>(schema: T): T => {
  RELOADABLE.add(schema);
  return schema;
};
/** True for a schema node marked reloadable() (the setting it defines is applied by SIGHUP). */
export const isReloadable = (schema: z.ZodType): boolean => RELOADABLE.has(schema);

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a URL (expected http://host:port)' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `must use http or https, not ${url.protocol.replace(':', '')}` });
  } else if (url.search || url.hash || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: 'must not carry a query, fragment or credentials' });
  }
}).transform((value) => value.replace(/\/+$/, ''));

const cronExpression = z.string().superRefine((value, ctx) => {
  const result = validateDetailed(value);
  if (result.valid) return;
  const details = (result.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
  ctx.addIssue({ code: 'custom', message: `is not a valid cron expression${details ? ` (${details})` : ''}` });
});

const timezone = z.string().superRefine((value, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not an IANA time zone (for example UTC or Europe/Paris)' });
  }
});

const listenAddress = z.string().superRefine((value, ctx) => {
  const parsed = parseListen(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `is not a listen address: ${parsed.reason}` });
});

const clockTime = (allowEndOfDay: boolean) =>
  z.string().regex(allowEndOfDay ? /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^(?:[01]\d|2[0-3]):[0-5]\d$/, {
    message: `must be a time of day HH:MM (00:00-${allowEndOfDay ? '24:00' : '23:59'})`,
  });

const nonEmptyNames = z.array(z.string().min(1)).min(1);

// A NUL cannot be in a file name: node's fs throws on it (a crash at start, not a config error).
const filePath = z.string().min(1).refine((value) => !value.includes('\0'), { message: 'must not contain a NUL character' });

// /metrics, /healthz and /readyz carry no secrets but tell who can reach them about the namespace
// and its damage: serving them beyond the host is an explicit choice (allowRemote).
const metricsSection = z
  .strictObject({
    listen: listenAddress.default('127.0.0.1:9464'),
    allowRemote: z.boolean().default(false),
    // Clients of /metrics held at once; more are closed on arrival. Part of the unit's LimitNOFILE sum.
    maxConnections: int(1, 1024).default(64),
  })
  .superRefine((m, ctx) => {
    const parsed = parseListen(m.listen);
    if (!parsed.ok || m.allowRemote || isLoopbackHost(parsed.address.host)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['listen'],
      message: 'is not a loopback address: set metrics.allowRemote: true to serve /metrics, /healthz and /readyz to the network',
    });
  });

const proxySection = z.strictObject({
  url: httpUrl,
  namespace: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'must be a namespace name (letters, digits, _ . -)' }),
  connectTimeoutMs: int(1, 600_000).default(2000),
  requestTimeoutMs: int(1, 3_600_000).default(10_000),
  connections: int(1, 1024).default(16),
  // The oio-sds line of the proxy and meta2 services (src/oio/versions.ts); auto: detected and logged.
  oioVersion: z.enum(OIO_VERSION_SETTINGS).default('auto'),
});

const accountsSection = z.strictObject({
  include: reloadable(z
    .union([z.literal('all'), z.strictObject({ names: nonEmptyNames }), z.strictObject({ prefixes: nonEmptyNames })], {
      error: 'must be "all", { names: [...] } or { prefixes: [...] }',
    })
    .default('all')),
  exclude: z
    .strictObject({
      names: reloadable(z.array(z.string().min(1)).default(() => [])),
      prefixes: reloadable(z.array(z.string().min(1)).default(() => [])),
    })
    .prefault({}),
});

const windowEntry = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).default(() => [...WEEKDAYS]),
    start: clockTime(false),
    end: clockTime(true),
  })
  .refine((w) => w.start !== w.end, { message: 'must not start and end at the same time (an empty window)' });

// A day `YYYY-MM-DD`, or {from, to, reason} with dates or local times `YYYY-MM-DDTHH:MM`.
const blackoutEntry = z
  .union([z.string(), z.strictObject({ from: z.string(), to: z.string(), reason: z.string().min(1).optional() })], {
    error: 'must be a date YYYY-MM-DD or { from, to, reason }',
  })
  .superRefine((entry, ctx) => {
    const problem = blackoutProblem(entry as BlackoutEntry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const scheduleSection = z.strictObject({
  cron: reloadable(cronExpression.default('0 */6 * * *')),
  timezone: reloadable(timezone.default('UTC')),
  jitterSeconds: reloadable(int(0, 86_400).default(0)),
  // Read once, at start: a new value matters only at the next start.
  runAtStart: z.boolean().default(true),
  windows: reloadable(z.array(windowEntry).default(() => [])),
  // Days or ranges (in `timezone`) when no repair is made; probing goes on.
  blackouts: reloadable(z.array(blackoutEntry).default(() => [])),
});

// The mass-damage circuit breaker: past these, automatic repair stops until an operator resets it.
const breakerSection = z.strictObject({
  maxDamagedShare: reloadable(z.number().min(0).max(1).nullable().default(0.2)),
  minContainers: reloadable(int(1, 100_000_000).default(1000)),
  maxDamagedContainers: reloadable(int(0, 100_000_000).nullable().default(null)),
  // null: count over the running sweep; else a sliding window of this many minutes.
  windowMinutes: reloadable(int(1, 10_080).nullable().default(null)),
  // null: open until `oio-repaird breaker reset`; else it closes by itself after this long.
  coolOffMinutes: reloadable(int(1, 525_600).nullable().default(null)),
});

const suspendSection = z.strictObject({
  // Keep probing (and reporting) while suspended; false also pauses the sweep.
  probe: reloadable(z.boolean().default(true)),
  // The longest suspension `oio-repaird suspend --for` may ask for.
  maxHours: reloadable(int(1, 8784).default(DEFAULT_SUSPEND_MAX_HOURS)),
});

const repairSection = z
  .strictObject({
    mode: reloadable(z.enum(REPAIR_MODES).default('auto')),
    dryRun: reloadable(z.boolean().default(false)),
    maxPerSweep: reloadable(int(0, 1_000_000).default(50)),
    budgetPerHour: reloadable(int(0, 1_000_000).default(100)),
    cooldownMinutes: reloadable(int(0, 525_600).default(360)),
    maxAttempts: reloadable(int(1, 100).default(3)),
    backoffSeconds: reloadable(int(0, 86_400).default(60)),
    backoffMaxSeconds: reloadable(int(0, 604_800).default(3600)),
    verifyAttempts: reloadable(int(1, 1000).default(10)),
    verifyDelayMs: reloadable(int(0, 600_000).default(500)),
    awaitMasterTimeoutMs: reloadable(int(1, 3_600_000).default(30_000)),
    repairMaster: reloadable(z.boolean().default(true)),
  })
  .refine((r) => r.backoffMaxSeconds >= r.backoffSeconds, {
    message: 'must not be below repair.backoffSeconds',
    path: ['backoffMaxSeconds'],
  });

// host:port[,host:port…] (ZooKeeper's connection string, without a chroot).
const zookeeperHosts = z.string().regex(/^[A-Za-z0-9_.-]+:\d{1,5}(,[A-Za-z0-9_.-]+:\d{1,5})*$/, {
  message: 'must be host:port[,host:port…] (the ZooKeeper ensemble)',
});

// Fleet mode (several daemons share the namespace through ZooKeeper): absent, the daemon is alone.
const fleetSection = z.strictObject({
  zookeeper: zookeeperHosts,
  // null: /oio-repaird/<proxy.namespace>
  root: z.string().regex(/^(\/[A-Za-z0-9_.-]+)+$/, { message: 'must be a ZooKeeper path such as /oio-repaird/OPENIO' }).nullable().default(null),
  // null: the host name. Unique in the fleet: it is the member's node and its rendezvous name.
  memberId: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'must be letters, digits, _ . -' }).nullable().default(null),
  sessionTimeoutMs: int(1000, 60_000).default(10_000),
  opTimeoutMs: int(100, 60_000).default(5000),
  // The members the fleet should have (the fleet-smaller-than-expected alert); null: no check.
  expectedMembers: int(1, 1000).nullable().default(null),
});

/** Every setting of the file. Sections default to `{}` so their own defaults apply. */
export const settingsSchema = z
  .strictObject({
    proxy: proxySection,
    account: z.strictObject({ url: httpUrl.nullable().default(null) }).prefault({}),
    accounts: accountsSection.prefault({}),
    probe: z
      .strictObject({
        requiredKeys: reloadable(z.array(z.string().min(1)).default(() => [...DEFAULT_REQUIRED_KEYS])),
        concurrency: reloadable(int(1, 1024).default(16)),
        probesPerSecond: reloadable(z.number().positive().max(100_000).default(200)),
        perServiceConcurrency: reloadable(int(1, 256).default(4)),
        // Adaptive pace (src/schedule/pace.ts): the probe rate moves between `floor` and
        // probesPerSecond (the ceiling), following get_properties' p95 against a target and the
        // share of failed requests. Off by default; applied from the next sweep on reload.
        adaptive: reloadable(
          z
            .strictObject({
              enabled: z.boolean().default(false),
              floor: z.number().positive().max(100_000).default(10),
              targetP95Ms: z.number().positive().max(600_000).default(250),
              maxErrorRate: z.number().min(0).max(0.99).default(0.02),
              increaseStep: z.number().positive().max(100_000).default(10),
              decreaseFactor: z.number().gt(0).lt(1).default(0.7),
              intervalMs: int(100, 600_000).default(2000),
              minSamples: int(1, 1_000_000).default(20),
            })
            .prefault({}),
        ),
        // Above this share of containers that could not be judged, a sweep is `incomplete`.
        maxUnknownShare: reloadable(z.number().min(0).max(1).default(0.01)),
        transport: reloadable(z.enum(PROBE_TRANSPORTS).default('proxy')),
        native: z
          .strictObject({
            connectTimeoutMs: int(10, 60_000).default(1000),
            requestTimeoutMs: int(100, 300_000).default(5000),
            maxFrameBytes: int(4096, 1 << 30).default(4 * 1024 * 1024),
          })
          .prefault({}),
      })
      .prefault({}),
    schedule: scheduleSection.prefault({}),
    repair: repairSection.prefault({}),
    breaker: breakerSection.prefault({}),
    suspend: suspendSection.prefault({}),
    metrics: metricsSection.prefault({}),
    journal: z
      .strictObject({
        path: filePath.nullable().default(null),
        // Past this size the journal is rotated (journal.jsonl → .1 → .2 …); read back as one.
        maxBytes: int(4096, 2 ** 40).default(64 * 1024 * 1024),
        // Rotated files kept; the oldest beyond them is deleted.
        keep: int(1, 1000).default(10),
        // Above this size (JSON bytes) a replica's admin table in an `evidence` entry is a
        // sha256 digest plus the keys in question, not the whole table.
        evidenceMaxBytes: reloadable(int(0, 16 * 1024 * 1024).default(65_536)),
      })
      .prefault({}),
    state: z.strictObject({ dir: filePath.default(DEFAULT_STATE_DIR) }).prefault({}),
    log: z.strictObject({ level: reloadable(z.enum(LOG_LEVELS).default('info')) }).prefault({}),
    shutdown: z.strictObject({ graceSeconds: int(1, 3600).default(30) }).prefault({}),
    progress: z.strictObject({ intervalSeconds: reloadable(int(1, 86_400).default(30)) }).prefault({}),
    fleet: fleetSection.nullable().default(null),
    suspects: z
      .strictObject({
        // Between full sweeps, re-check the suspects this often; 0 = no suspects lane.
        intervalSeconds: int(0, 86_400).default(300),
        // Containers re-checked per turn of the lane, the most urgent first.
        maxPerRun: int(1, 10_000).default(50),
        // Containers the lane checks at once.
        concurrency: int(1, 64).default(2),
        // Suspects kept at most (the least recently seen is dropped first).
        maxEntries: int(1, 1_000_000).default(1000),
        // Healthy checks in a row before a suspect leaves the list.
        clearAfterHealthy: int(1, 100).default(3),
      })
      .prefault({}),
    sweep: z
      .strictObject({
        // A container in flight this long with none finished meanwhile is a stalled sweep. null:
        // 3 request deadlines (connect + 2 x requestTimeoutMs each) + repair.awaitMasterTimeoutMs.
        stallSeconds: int(1, 86_400).nullable().default(null),
        // Sweeps a container may stall in a row before the next one skips it.
        stallSkipAfter: int(1, 100).default(2),
        // A sweep run that lasts this long stops (position saved) and resumes at the next slot; null: no limit.
        maxDurationSeconds: reloadable(int(1, 31_536_000).nullable().default(null)),
      })
      .prefault({}),
  });

/** The whole configuration file. */
export const configSchema = settingsSchema
  // A 4.2.x/4.3.x proxy ignores service_id: no replica can be read one by one through it.
  .refine((c) => !(c.proxy.oioVersion === '4.2' && c.probe.transport === 'proxy'), {
    path: ['probe', 'transport'],
    message: 'must be native with proxy.oioVersion 4.2: an oio-sds 4.2.x/4.3.x proxy ignores service_id, so no replica can be read one by one through it (set probe.transport: native)',
  })
  // journal.path: null means "inside state.dir", resolved here so consumers always get a path.
  .transform((c) => ({ ...c, journal: { ...c.journal, path: c.journal.path ?? join(c.state.dir, JOURNAL_FILE_NAME) } }));

export type Config = z.infer<typeof configSchema>;
