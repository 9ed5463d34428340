import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EX_CONFIG, formatIssues, type ConfigIssue } from '../../src/config/errors.js';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { DEFAULT_REQUIRED_KEYS } from '../../src/probe/types.js';

const MINIMAL = 'proxy: { url: http://127.0.0.1:6006, namespace: OPENIO }\n';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  const result = parseConfigText(text, 'config.yaml', env);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.errors;
}

function configOf(text: string, env: NodeJS.ProcessEnv = {}) {
  const result = parseConfigText(text, 'config.yaml', env);
  if (!result.ok) throw new Error(formatIssues(result.errors));
  return result.config;
}

describe('parseConfigText', () => {
  it('accepts a minimal file and fills every other setting with its default', () => {
    const config = configOf(MINIMAL);
    expect(config.proxy).toEqual({ oioVersion: 'auto', url: 'http://127.0.0.1:6006', namespace: 'OPENIO', connectTimeoutMs: 2000, requestTimeoutMs: 10000, connections: 16 });
    expect(config.account.url).toBeNull();
    expect(config.accounts).toEqual({ include: 'all', exclude: { names: [], prefixes: [] } });
    expect(config.probe).toEqual({
      requiredKeys: [...DEFAULT_REQUIRED_KEYS], concurrency: 16, probesPerSecond: 200, perServiceConcurrency: 4, maxUnknownShare: 0.01,
      transport: 'proxy', native: { connectTimeoutMs: 1000, requestTimeoutMs: 5000, maxFrameBytes: 4 * 1024 * 1024 },
      adaptive: { enabled: false, floor: 10, targetP95Ms: 250, maxErrorRate: 0.02, increaseStep: 10, decreaseFactor: 0.7, intervalMs: 2000, minSamples: 20 },
    });
    expect(config.schedule).toEqual({ cron: '0 */6 * * *', timezone: 'UTC', jitterSeconds: 0, runAtStart: true, windows: [], blackouts: [] });
    expect(config.repair.mode).toBe('auto');
    expect(config.repair.dryRun).toBe(false);
    expect(config.repair.maxPerSweep).toBe(50);
    expect(config.metrics.listen).toBe('127.0.0.1:9464');
    expect(config.state.dir).toBe('/var/lib/oio-repaird');
    expect(config.journal.path).toBe('/var/lib/oio-repaird/journal.jsonl');
    expect(config.log.level).toBe('info');
    expect(config.shutdown.graceSeconds).toBe(30);
    expect(config.progress.intervalSeconds).toBe(30);
  });

  it('takes probe.transport proxy or native, and bounds the native limits', () => {
    expect(configOf(`${MINIMAL}probe: { transport: native, native: { requestTimeoutMs: 2000 } }\n`).probe.native.requestTimeoutMs).toBe(2000);
    expect(issuesOf(`${MINIMAL}probe: { transport: tcp }\n`).map((i) => i.path)).toEqual(['probe.transport']);
    expect(issuesOf(`${MINIMAL}probe: { native: { maxFrameBytes: 10 } }\n`).map((i) => i.path)).toEqual(['probe.native.maxFrameBytes']);
  });

  it('takes proxy.oioVersion auto or a line, and refuses 4.2 with the proxy transport (a 4.2.x/4.3.x proxy ignores service_id)', () => {
    expect(configOf(MINIMAL).proxy.oioVersion).toBe('auto');
    expect(configOf(`proxy: { url: http://127.0.0.1:6006, namespace: OPENIO, oioVersion: '7' }\n`).proxy.oioVersion).toBe('7');
    expect(configOf(`proxy: { url: http://127.0.0.1:6006, namespace: OPENIO, oioVersion: '4.2' }\nprobe: { transport: native }\n`).proxy.oioVersion).toBe('4.2');
    expect(issuesOf(`proxy: { url: http://127.0.0.1:6006, namespace: OPENIO, oioVersion: '6' }\n`).map((i) => i.path)).toEqual(['proxy.oioVersion']);
    const refused = issuesOf(`proxy: { url: http://127.0.0.1:6006, namespace: OPENIO, oioVersion: '4.2' }\n`);
    expect(refused.map((i) => i.path)).toEqual(['probe.transport']);
    expect(formatIssues(refused)).toMatch(/must be native with proxy\.oioVersion 4\.2: an oio-sds 4\.2\.x\/4\.3\.x proxy ignores service_id/);
  });

  it('puts the journal inside state.dir unless journal.path is set', () => {
    expect(configOf(`${MINIMAL}state: { dir: /srv/repaird }\n`).journal.path).toBe('/srv/repaird/journal.jsonl');
    expect(configOf(`${MINIMAL}state: { dir: /srv/repaird }\njournal: { path: /log/j.jsonl }\n`).journal.path).toBe('/log/j.jsonl');
  });

  it('reports an invalid cron expression with file:line:col, the path, the value and node-cron’s reason', () => {
    const text = `${MINIMAL}schedule:\n  timezone: UTC\n  cron: "61 * * * *"\n`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'config.yaml', line: 4, col: 9, path: 'schedule.cron', value: '61 * * * *' });
    expect(formatIssues(issues)).toBe(
      'config.yaml:4:9 schedule.cron: "61 * * * *" is not a valid cron expression (minute: 61 is a invalid expression for minute)',
    );
  });

  it('rejects an unknown key at the key’s position and lists the keys the section knows', () => {
    const issues = issuesOf(`${MINIMAL}repair:\n  mode: auto\n  dryrun: true\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 4, col: 3, path: 'repair.dryrun' });
    expect(issues[0]?.message).toMatch(/^Unrecognized key "dryrun" \(known keys here: mode, dryRun,/);
  });

  it('refuses a renamed setting with its new name, at the old key’s position', () => {
    const issues = issuesOf(`${MINIMAL}repair:\n  mode: auto\n  budgetPerSweep: 20\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 4, col: 3, path: 'repair.budgetPerSweep' });
    expect(issues[0]?.message).toBe('"budgetPerSweep" was renamed: write repair.maxPerSweep instead (same meaning)');
  });

  it('rejects an unknown top-level section', () => {
    const issues = issuesOf(`${MINIMAL}metric: { listen: "127.0.0.1:1" }\n`);
    expect(issues.map((i) => i.path)).toEqual(['metric']);
    expect(issues[0]?.message).toContain('known keys here: proxy, account,');
  });

  it('reports every problem at once, each with its own location', () => {
    const text = [
      'proxy:',
      '  url: ftp://proxy:6006',
      '  namespace: OPENIO',
      '  connections: 0',
      'probe:',
      '  concurrency: "many"',
      'log: { level: verbose }',
      '',
    ].join('\n');
    const lines = formatIssues(issuesOf(text)).split('\n');
    expect(lines).toEqual([
      'config.yaml:2:8 proxy.url: "ftp://proxy:6006" must use http or https, not ftp',
      'config.yaml:4:16 proxy.connections: 0 is below the minimum of 1',
      'config.yaml:6:16 probe.concurrency: "many" is not a number',
      'config.yaml:7:15 log.level: "verbose" is not one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('says a required setting is missing and points at its section', () => {
    const issues = issuesOf('proxy:\n  url: http://p:6006\n');
    expect(issues).toEqual([{ file: 'config.yaml', line: 2, col: 3, path: 'proxy.namespace', message: 'is required' }]);
  });

  it('requires the proxy section', () => {
    expect(formatIssues(issuesOf('log: { level: info }\n'))).toBe('config.yaml:1:1 proxy: is required');
  });

  it('treats an empty file as an empty mapping (and so asks for the proxy)', () => {
    expect(issuesOf('').map((i) => `${i.path} ${i.message}`)).toEqual(['proxy is required']);
  });

  it('refuses a file that is not a mapping', () => {
    expect(issuesOf('- a\n- b\n')[0]?.message).toMatch(/must be a YAML mapping/);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('proxy:\n  url: "http://p:1\n');
    expect(issues[0]).toMatchObject({ file: 'config.yaml', path: '' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2);
    expect(issues[0]?.message).toMatch(/^YAML syntax error: /);
  });

  it('refuses duplicate keys instead of keeping the last one', () => {
    const issues = issuesOf(`${MINIMAL}log: { level: info }\nlog: { level: debug }\n`);
    expect(issues[0]?.message).toMatch(/YAML syntax error: .*unique/);
    expect(issues[0]?.line).toBe(3);
  });

  it('validates list entries with an indexed path', () => {
    const text = `${MINIMAL}schedule:\n  windows:\n    - { days: [mon, funday], start: "01:00", end: "25:00" }\n`;
    const rendered = formatIssues(issuesOf(text));
    expect(rendered).toContain('schedule.windows[0].days[1]: "funday" is not one of mon, tue, wed, thu, fri, sat, sun');
    expect(rendered).toContain('schedule.windows[0].end: "25:00" must be a time of day HH:MM (00:00-24:00)');
  });

  it('accepts windows, defaulting their days to the whole week', () => {
    const config = configOf(`${MINIMAL}schedule:\n  windows:\n    - { start: "22:00", end: "04:00" }\n`);
    expect(config.schedule.windows).toEqual([{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '22:00', end: '04:00' }]);
  });

  it('refuses an empty window', () => {
    expect(formatIssues(issuesOf(`${MINIMAL}schedule: { windows: [ { start: "01:00", end: "01:00" } ] }\n`))).toMatch(/schedule\.windows\[0\]: .*empty window/);
  });

  it('refuses an unknown time zone', () => {
    expect(formatIssues(issuesOf(`${MINIMAL}schedule: { timezone: Mars/Olympus }\n`))).toMatch(/schedule\.timezone: "Mars\/Olympus" is not an IANA time zone/);
  });

  it('accepts the three account selections and refuses anything else', () => {
    expect(configOf(`${MINIMAL}accounts: { include: { names: [a, b] } }\n`).accounts.include).toEqual({ names: ['a', 'b'] });
    expect(configOf(`${MINIMAL}accounts: { include: { prefixes: [t-] }, exclude: { names: [t-x] } }\n`).accounts).toEqual({
      include: { prefixes: ['t-'] },
      exclude: { names: ['t-x'], prefixes: [] },
    });
    expect(formatIssues(issuesOf(`${MINIMAL}accounts: { include: some }\n`))).toMatch(
      /accounts\.include: "some" must be "all", \{ names: \[\.\.\.\] \} or \{ prefixes: \[\.\.\.\] \}/,
    );
  });

  it('refuses a backoff ceiling below the initial backoff', () => {
    expect(formatIssues(issuesOf(`${MINIMAL}repair: { backoffSeconds: 600, backoffMaxSeconds: 60 }\n`))).toMatch(
      /repair\.backoffMaxSeconds: 60 must not be below repair\.backoffSeconds/,
    );
  });

  it('validates the listen address strictly', () => {
    expect(configOf(`${MINIMAL}metrics: { listen: "[::1]:0" }\n`).metrics.listen).toBe('[::1]:0');
    expect(formatIssues(issuesOf(`${MINIMAL}metrics: { listen: ":9464" }\n`))).toMatch(/metrics\.listen: ":9464" is not a listen address/);
    expect(formatIssues(issuesOf(`${MINIMAL}metrics: { listen: "127.0.0.1:70000" }\n`))).toMatch(/port 70000 is outside/);
  });

  it('refuses a listen address that is not loopback unless metrics.allowRemote says so', () => {
    expect(formatIssues(issuesOf(`${MINIMAL}metrics:\n  listen: "0.0.0.0:9464"\n`))).toBe(
      'config.yaml:3:11 metrics.listen: "0.0.0.0:9464" is not a loopback address: set metrics.allowRemote: true to serve /metrics, /healthz and /readyz to the network',
    );
    expect(formatIssues(issuesOf(`${MINIMAL}metrics: { listen: "[::]:9464" }\n`))).toMatch(/is not a loopback address/);
    expect(configOf(`${MINIMAL}metrics: { listen: "0.0.0.0:9464", allowRemote: true }\n`).metrics.listen).toBe('0.0.0.0:9464');
    expect(configOf(`${MINIMAL}metrics: { listen: "localhost:9464" }\n`).metrics.allowRemote).toBe(false);
  });

  it('refuses a NUL in state.dir and journal.path (node cannot open such a path)', () => {
    expect(formatIssues(issuesOf(`${MINIMAL}state: { dir: "/var/lib/a\\0b" }\njournal: { path: "/j\\0" }\n`)).split('\n')).toEqual([
      'config.yaml:3:18 journal.path: "/j\\u0000" must not contain a NUL character',
      'config.yaml:2:15 state.dir: "/var/lib/a\\u0000b" must not contain a NUL character',
    ]);
  });

  it('takes account.url as a URL or null, and strips trailing slashes from URLs', () => {
    const config = configOf('proxy: { url: "http://p:6006/", namespace: NS }\naccount: { url: "http://acct:6009/" }\n');
    expect(config.proxy.url).toBe('http://p:6006');
    expect(config.account.url).toBe('http://acct:6009');
  });
});

describe('environment overrides', () => {
  it('override the file and need no file value', () => {
    const config = configOf('proxy: { url: http://file:6006 }\n', {
      OIO_REPAIRD_PROXY_URL: 'http://env:6006',
      OIO_REPAIRD_NAMESPACE: 'ENVNS',
      OIO_REPAIRD_ACCOUNT_URL: 'http://acct:6009',
      OIO_REPAIRD_METRICS_LISTEN: '0.0.0.0:9100',
      OIO_REPAIRD_METRICS_ALLOW_REMOTE: 'yes',
      OIO_REPAIRD_LOG_LEVEL: 'debug',
      OIO_REPAIRD_DRY_RUN: 'true',
      OIO_REPAIRD_STATE_DIR: '/tmp/state',
    });
    expect(config.proxy.url).toBe('http://env:6006');
    expect(config.proxy.namespace).toBe('ENVNS');
    expect(config.account.url).toBe('http://acct:6009');
    expect(config.metrics.listen).toBe('0.0.0.0:9100');
    expect(config.metrics.allowRemote).toBe(true);
    expect(config.log.level).toBe('debug');
    expect(config.repair.dryRun).toBe(true);
    expect(config.state.dir).toBe('/tmp/state');
    expect(config.journal.path).toBe('/tmp/state/journal.jsonl');
  });

  it('read DRY_RUN as a boolean word and ACCOUNT_URL=discover as null', () => {
    expect(configOf(`${MINIMAL}repair: { dryRun: true }\n`, { OIO_REPAIRD_DRY_RUN: 'no' }).repair.dryRun).toBe(false);
    expect(configOf(`${MINIMAL}account: { url: http://a:1 }\n`, { OIO_REPAIRD_ACCOUNT_URL: 'discover' }).account.url).toBeNull();
  });

  it('ignore empty variables', () => {
    expect(configOf(MINIMAL, { OIO_REPAIRD_PROXY_URL: '', OIO_REPAIRD_LOG_LEVEL: '' }).proxy.url).toBe('http://127.0.0.1:6006');
  });

  it('report a bad value naming the variable and the setting, without a file position', () => {
    const issues = issuesOf(MINIMAL, { OIO_REPAIRD_PROXY_URL: 'not a url', OIO_REPAIRD_DRY_RUN: 'maybe' });
    expect(formatIssues(issues).split('\n')).toEqual([
      'env OIO_REPAIRD_PROXY_URL → proxy.url: "not a url" is not a URL (expected http://host:port)',
      'env OIO_REPAIRD_DRY_RUN → repair.dryRun: "maybe" is not a boolean (true or false)',
    ]);
    expect(issues[0]?.file).toBeUndefined();
  });

  it('leave a malformed file section to be reported as the file’s mistake', () => {
    const issues = issuesOf('proxy: oops\n', { OIO_REPAIRD_PROXY_URL: 'http://env:1', OIO_REPAIRD_NAMESPACE: 'NS' });
    expect(formatIssues(issues)).toBe('config.yaml:1:8 proxy: "oops" is not a mapping of settings');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'repaird-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the given file and returns it as the source', async () => {
    const file = join(dir, 'given.yaml');
    await writeFile(file, MINIMAL);
    const result = await loadConfig(file, {});
    expect(result).toMatchObject({ ok: true, source: file });
  });

  it('falls back to $OIO_REPAIRD_CONFIG when no path is given', async () => {
    const file = join(dir, 'from-env.yaml');
    await writeFile(file, 'proxy: { url: http://e:1, namespace: FROMENV }\n');
    const result = await loadConfig(undefined, { OIO_REPAIRD_CONFIG: file });
    expect(result.ok && result.config.proxy.namespace).toBe('FROMENV');
    expect(result.ok && result.source).toBe(file);
  });

  it('reports a missing file as one clear issue', async () => {
    const file = join(dir, 'absent.yaml');
    const result = await loadConfig(file, {});
    expect(result).toEqual({
      ok: false,
      errors: [{ file, path: '', message: 'cannot read the configuration file: it does not exist (pass --config or set OIO_REPAIRD_CONFIG)' }],
    });
    if (!result.ok) expect(formatIssues(result.errors)).toBe(`${file} cannot read the configuration file: it does not exist (pass --config or set OIO_REPAIRD_CONFIG)`);
  });

  it('uses the file name in every issue location', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `${MINIMAL}shutdown: { graceSeconds: -1 }\n`);
    const result = await loadConfig(file, {});
    expect(!result.ok && formatIssues(result.errors)).toBe(`${file}:2:27 shutdown.graceSeconds: -1 is below the minimum of 1`);
  });
});

describe('ConfigError', () => {
  it('carries the issues, a stable code, and the formatted lines in its message', () => {
    const issues: ConfigIssue[] = [{ path: 'log.level', value: 'x', message: 'is not one of info' }];
    const err = new ConfigError(issues);
    expect(err.code).toBe('REPAIRD_CONFIG');
    expect(err.issues).toBe(issues);
    expect(err.message).toContain('log.level: "x" is not one of info');
    expect(EX_CONFIG).toBe(78);
  });
});
