// The configuration → runtime options of every component (src/config/runtime.ts): one pure
// function, called by the daemon at start and on reload and by the one-shot commands, so that
// `oio-repaird repair` and the daemon repair with the same settings.
import { describe, expect, it } from 'vitest';
import { openProxy } from '../../src/cli/proxy.js';
import { parseConfigText } from '../../src/config/load.js';
import { configAfterReload } from '../../src/config/reload.js';
import { accountFilter, defaultConfig, repairPolicy, runtimeOptions, type RuntimeOptions } from '../../src/config/runtime.js';
import type { Config } from '../../src/config/schema.js';

const PROXY = 'proxy: { url: http://127.0.0.1:6006, namespace: OPENIO }\n';

/** A file with `extra`, and PROXY unless `extra` names its own proxy. */
function config(extra = '', proxy = PROXY): Config {
  const result = parseConfigText(extra.startsWith('proxy:') ? extra : `${proxy}${extra}`, 'c.yaml', {});
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path} ${e.message}`).join('\n'));
  return result.config;
}

/** The part of `runtimeOptions(config(extra))` a case is about. */
type Pick = (rt: RuntimeOptions) => unknown;

describe('runtimeOptions: configuration in, every component’s options out', () => {
  it.each<[string, string, Pick, unknown]>([
    ['the repair executor takes the schema’s verification defaults', '', (rt) => rt.repair,
      { verifyAttempts: 10, verifyDelayMs: 500, awaitMasterTimeoutMs: 30_000, pollIntervalMs: 500, maxRounds: 3 }],
    ['… and the configured ones', 'repair: { verifyAttempts: 2, verifyDelayMs: 7, awaitMasterTimeoutMs: 9 }\n', (rt) => rt.repair,
      { verifyAttempts: 2, verifyDelayMs: 7, awaitMasterTimeoutMs: 9, pollIntervalMs: 500, maxRounds: 3 }],
    ['the repair gate: minutes become seconds, budgets keep their numbers', 'repair: { maxPerSweep: 4, budgetPerHour: 8, cooldownMinutes: 2, repairMaster: false }\n', (rt) => rt.policy,
      { mode: 'auto', maxPerSweep: 4, maxPerHour: 8, cooldownSeconds: 120, maxAttempts: 3, backoffSeconds: 60, backoffMaxSeconds: 3600, repairMaster: false }],
    ['report-only mode', 'repair: { mode: report-only }\n', (rt) => rt.policy.mode, 'report-only'],
    ['dryRun reads as report-only', 'repair: { dryRun: true }\n', (rt) => rt.policy.mode, 'report-only'],
    ['the fleet budget is the repair budget', 'repair: { maxPerSweep: 4, budgetPerHour: 8 }\n', (rt) => rt.fleetLimits, { maxPerSweep: 4, maxPerHour: 8 }],
    ['the proxy client: request timeout for headers and body, and the total deadline', 'proxy: { url: http://p:1/, namespace: NS, connectTimeoutMs: 100, requestTimeoutMs: 1000, connections: 3 }\n',
      (rt) => rt.http, { url: 'http://p:1', namespace: 'NS', accountUrl: null, connections: 3, connectTimeoutMs: 100, headersTimeoutMs: 1000, bodyTimeoutMs: 1000, deadlineMs: 2100 }],
    ['the native client: its limits, and perServiceConcurrency connections per service', 'probe: { perServiceConcurrency: 2, native: { requestTimeoutMs: 800 } }\n', (rt) => rt.native,
      { namespace: 'OPENIO', connectTimeoutMs: 1000, requestTimeoutMs: 800, maxFrameBytes: 4 * 1024 * 1024, connectionsPerService: 2 }],
    ['a sweep: limits, filter, progress in ms, no time limit by default', 'probe: { concurrency: 5, probesPerSecond: 9 }\nprogress: { intervalSeconds: 3 }\n', (rt) => rt.sweep,
      { filter: { include: 'all', exclude: [], excludePrefixes: [] }, concurrency: 5, probesPerSecond: 9, perServiceConcurrency: 4, maxUnknownShare: 0.01, progressIntervalMs: 3000, maxDurationMs: null }],
    ['sweep.maxDurationSeconds in ms', 'sweep: { maxDurationSeconds: 60 }\n', (rt) => rt.sweep.maxDurationMs, 60_000],
    ['the stall time by default: 3 request deadlines and the wait for a master', '', (rt) => rt.stall, { stallMs: 3 * 22_000 + 30_000, skipAfter: 2 }],
    ['the stall time when set', 'sweep: { stallSeconds: 5, stallSkipAfter: 4 }\n', (rt) => rt.stall, { stallMs: 5000, skipAfter: 4 }],
    ['the adaptive pace: its floor never above the ceiling', 'probe: { probesPerSecond: 5, adaptive: { enabled: true, floor: 10, intervalMs: 300 } }\n', (rt) => rt.pace,
      { enabled: true, intervalMs: 300, settings: { floor: 5, ceiling: 5, targetP95Ms: 250, maxErrorRate: 0.02, increaseStep: 10, decreaseFactor: 0.7, minSamples: 20 } }],
    ['the schedule', 'schedule: { cron: "*/5 * * * *", timezone: Europe/Paris, jitterSeconds: 3, runAtStart: false }\n', (rt) => rt.schedule,
      { cron: '*/5 * * * *', timezone: 'Europe/Paris', jitterSeconds: 3, runAtStart: false }],
    ['the suspects lane: seconds become ms', 'suspects: { intervalSeconds: 7, maxPerRun: 3 }\n', (rt) => rt.suspects,
      { intervalMs: 7000, maxPerRun: 3, concurrency: 2, maxEntries: 1000, clearAfterHealthy: 3 }],
    ['the metrics server', 'metrics: { listen: "127.0.0.1:0", maxConnections: 5 }\n', (rt) => rt.metricsServer, { listen: '127.0.0.1:0', maxConnections: 5 }],
    ['the journal: its path inside state.dir, rotation and evidence size', 'state: { dir: /s }\njournal: { keep: 2, evidenceMaxBytes: 10 }\n', (rt) => [rt.journal, rt.evidenceMaxBytes],
      [{ path: '/s/journal.jsonl', maxBytes: 64 * 1024 * 1024, keep: 2 }, 10]],
  ])('%s', (_what, extra, pick, expected) => {
    expect(pick(runtimeOptions(config(extra)))).toEqual(expected);
  });

  it('is pure: the same configuration gives equal options, and the configuration is left as it was', () => {
    const c = config('repair: { maxPerSweep: 4 }\n');
    const before = structuredClone(c);
    expect(runtimeOptions(c)).toEqual(runtimeOptions(c));
    expect(c).toEqual(before);
  });

  it('after a reload: the reloadable settings change the options, the others keep the running ones', () => {
    const running = config();
    const next = config('repair: { maxPerSweep: 1, verifyAttempts: 2, mode: report-only }\nschedule: { cron: "* * * * *", runAtStart: false }\n',
      'proxy: { url: http://other:6006, namespace: OPENIO, requestTimeoutMs: 1000 }\n');
    const rt = runtimeOptions(configAfterReload(running, next));
    expect(rt.policy).toMatchObject({ mode: 'report-only', maxPerSweep: 1 });
    expect(rt.fleetLimits.maxPerSweep).toBe(1);
    expect(rt.repair.verifyAttempts).toBe(2);
    expect(rt.schedule).toMatchObject({ cron: '* * * * *', runAtStart: true });
    expect(rt.http).toEqual(runtimeOptions(running).http);
  });
});

describe('`oio-repaird repair` and the daemon', () => {
  it('repair with the same settings: the schema’s defaults, whatever component asks', async () => {
    const daemon = runtimeOptions(config());
    const opened = openProxy('repair', { proxy: 'http://127.0.0.1:6006', ns: 'OPENIO' }, {});
    try {
      const cli = runtimeOptions(opened.config);
      expect(cli.repair).toEqual(daemon.repair);
      expect(cli.repair).toMatchObject({ verifyAttempts: 10, verifyDelayMs: 500, awaitMasterTimeoutMs: 30_000 });
      expect(cli.evidenceMaxBytes).toBe(daemon.evidenceMaxBytes);
    } finally {
      await opened.close();
    }
  });

  it('defaultConfig is a minimal file around the given proxy', () => {
    expect(defaultConfig({ url: 'http://127.0.0.1:6006', namespace: 'OPENIO' })).toEqual(config());
  });
});

describe('repairPolicy and accountFilter (also used by explain)', () => {
  it('pass includes and both kinds of excludes through', () => {
    expect(accountFilter(config('accounts: { exclude: { names: [x], prefixes: [tmp-] } }\n'))).toEqual({ include: 'all', exclude: ['x'], excludePrefixes: ['tmp-'] });
    expect(accountFilter(config('accounts: { include: { prefixes: [prod-] } }\n'))).toMatchObject({ prefixes: ['prod-'] });
    expect(accountFilter(config('accounts: { include: { names: [a, b] } }\n'))).toMatchObject({ names: ['a', 'b'] });
  });

  it('the policy is the options’ policy', () => {
    const c = config('repair: { cooldownMinutes: 2 }\n');
    expect(repairPolicy(c)).toEqual(runtimeOptions(c).policy);
  });
});
