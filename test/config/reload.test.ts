// What a SIGHUP does with each setting: the schema's reloadable() marks, read by config/reload.ts.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { configAfterReload, describeReload, diffSettings, SETTINGS_ON_RELOAD } from '../../src/config/reload.js';
import type { Config } from '../../src/config/schema.js';

function config(extra = ''): Config {
  const result = parseConfigText(`proxy: { url: http://p:1, namespace: NS }\n${extra}`, 'c.yaml', {});
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}

/** Dotted paths of every leaf of a value (arrays count as one setting). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

describe('diffSettings: what a reload applies and what waits for a restart', () => {
  it.each<[string, string, string[], string[]]>([
    ['nothing changed', '', [], []],
    ['the schedule and the repair policy', 'schedule: { cron: "* * * * *", timezone: Europe/Paris, jitterSeconds: 5, windows: [{ start: "01:00", end: "02:00" }] }\nrepair: { mode: report-only, maxPerSweep: 1, cooldownMinutes: 1 }\n',
      ['schedule.cron', 'schedule.timezone', 'schedule.jitterSeconds', 'schedule.windows', 'repair.mode', 'repair.maxPerSweep', 'repair.cooldownMinutes'], []],
    ['probing, accounts, verification, log level and progress', 'probe: { concurrency: 2, requiredKeys: [a] }\naccounts: { include: { names: [x] }, exclude: { prefixes: [t] } }\nrepair: { verifyAttempts: 2 }\nlog: { level: debug }\nprogress: { intervalSeconds: 5 }\n',
      ['accounts.include', 'accounts.exclude.prefixes', 'probe.requiredKeys', 'probe.concurrency', 'repair.verifyAttempts', 'log.level', 'progress.intervalSeconds'], []],
    ['the proxy: URL, namespace, timeouts and connections', 'proxy: { url: http://q:2, namespace: NS2, connectTimeoutMs: 1, requestTimeoutMs: 2, connections: 3 }\n',
      [], ['proxy.url', 'proxy.namespace', 'proxy.connectTimeoutMs', 'proxy.requestTimeoutMs', 'proxy.connections']],
    ['the account service URL', 'account: { url: http://a:1 }\n', [], ['account.url']],
    ['the listen address and its permission', 'metrics: { listen: "0.0.0.0:1", allowRemote: true }\n', [], ['metrics.listen', 'metrics.allowRemote']],
    ['the state directory (and so the journal inside it)', 'state: { dir: /elsewhere }\n', [], ['journal.path', 'state.dir']],
    ['an explicit journal path', 'journal: { path: /j.jsonl }\n', [], ['journal.path']],
    ['the grace period and the start-up sweep', 'shutdown: { graceSeconds: 5 }\nschedule: { runAtStart: false }\n', [], ['schedule.runAtStart', 'shutdown.graceSeconds']],
    ['both kinds at once', 'proxy: { url: http://p:1, namespace: NS, requestTimeoutMs: 99 }\nrepair: { dryRun: true }\n', ['repair.dryRun'], ['proxy.requestTimeoutMs']],
  ])('%s', (_what, change, applied, restartNeeded) => {
    const running = config();
    const text = change.startsWith('proxy:') ? change : `proxy: { url: http://p:1, namespace: NS }\n${change}`;
    const parsed = parseConfigText(text, 'c.yaml', {});
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.path} ${e.message}`).join('\n'));
    const diff = diffSettings(running, parsed.config);
    expect([...diff.applied].sort()).toEqual([...applied].sort());
    expect([...diff.restartNeeded].sort()).toEqual([...restartNeeded].sort());
  });
});

describe('the schema marks', () => {
  it('classify every setting a configuration holds, and only those', () => {
    expect([...SETTINGS_ON_RELOAD.keys()].sort()).toEqual(leafPaths(config()).sort());
  });

  it('leave every setting not marked reloadable waiting for a restart (the safe default)', () => {
    const restart = [...SETTINGS_ON_RELOAD].filter(([, onReload]) => onReload === 'restart').map(([path]) => path);
    expect(restart).toEqual(expect.arrayContaining([
      'proxy.url', 'proxy.namespace', 'proxy.connectTimeoutMs', 'proxy.requestTimeoutMs', 'proxy.connections',
      'account.url', 'metrics.listen', 'state.dir', 'journal.path', 'shutdown.graceSeconds',
    ]));
  });
});

describe('configAfterReload', () => {
  it('takes the applied settings from the new file and keeps the running value of the others', () => {
    const running = config();
    const next = config('repair: { mode: report-only }\nstate: { dir: /elsewhere }\nmetrics: { listen: "127.0.0.1:1" }\nshutdown: { graceSeconds: 5 }\n');
    const after = configAfterReload(running, { ...next, proxy: { ...next.proxy, url: 'http://q:2' } });
    expect(after.repair.mode).toBe('report-only');
    expect(after.proxy.url).toBe(running.proxy.url);
    expect(after.state.dir).toBe(running.state.dir);
    expect(after.journal.path).toBe(running.journal.path);
    expect(after.metrics.listen).toBe(running.metrics.listen);
    expect(after.shutdown.graceSeconds).toBe(running.shutdown.graceSeconds);
    expect(diffSettings(running, after)).toEqual({ applied: ['repair.mode'], restartNeeded: [] });
  });

  it('shares no object with either input', () => {
    const running = config();
    const after = configAfterReload(running, config('probe: { requiredKeys: [a] }\n'));
    after.probe.requiredKeys.push('b');
    after.state.dir = 'x';
    expect(running.state.dir).not.toBe('x');
    expect(config().probe.requiredKeys).not.toContain('b');
  });
});

describe('describeReload', () => {
  it('names both groups, or says nothing changed', () => {
    expect(describeReload({ applied: ['repair.mode'], restartNeeded: ['proxy.url', 'state.dir'] })).toBe('applied: repair.mode; waiting for a restart: proxy.url, state.dir');
    expect(describeReload({ applied: [], restartNeeded: ['proxy.url'] })).toBe('applied: none; waiting for a restart: proxy.url');
    expect(describeReload({ applied: [], restartNeeded: [] })).toBe('nothing changed');
  });
});
