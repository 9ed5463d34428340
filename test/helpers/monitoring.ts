// Real Prometheus and Alertmanager for the live alert tests: finds the binaries (.ci/test-tools.sh
// extracts them from Debian's packages), starts each on 127.0.0.1 with a throwaway directory and
// 1 s intervals, talks to their HTTP APIs, and stops them by PID. Also builds the test copy of
// the rules (only `for:` and the stale-sweep thresholds shortened) and the dashboard's queries
// with Grafana's variables filled in. Never installs or starts anything as a system service.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { waitUntil } from './daemon-process.js';
import { stopChild } from './stop-child.js';

// ---------------------------------------------------------------------------------------------
// Finding the programs

export type MonitoringTools =
  | { readonly ok: true; readonly prometheus: string; readonly alertmanager: string }
  | { readonly ok: false; readonly reason: string };

/** Alertmanager 0.25 exits at start unless these exist (a fixed path no flag changes). */
export const ALERTMANAGER_TEMPLATES = ['/usr/share/prometheus/alertmanager/default.tmpl', '/usr/share/prometheus/alertmanager/email.tmpl'];

function ciCache(): string {
  return process.env['OIO_CI_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'oio-repaird-ci');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function firstExisting(candidates: ReadonlyArray<string | undefined>): string | undefined {
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

export function findMonitoringTools(): MonitoringTools {
  const cache = ciCache();
  const prometheus = firstExisting([process.env['OIO_PROMETHEUS'], join(cache, 'prometheus/usr/bin/prometheus'), onPath('prometheus')]);
  const alertmanager = firstExisting([
    process.env['OIO_ALERTMANAGER'], join(cache, 'prometheus-alertmanager/usr/bin/prometheus-alertmanager'), onPath('prometheus-alertmanager'), onPath('alertmanager'),
  ]);
  const missing = [
    ...(prometheus ? [] : ['prometheus']),
    ...(alertmanager ? [] : ['prometheus-alertmanager']),
    ...ALERTMANAGER_TEMPLATES.filter((t) => !existsSync(t)),
  ];
  if (!prometheus || !alertmanager || missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')} (run \`bash .ci/test-tools.sh\` as root, or set OIO_PROMETHEUS / OIO_ALERTMANAGER)` };
  }
  return { ok: true, prometheus, alertmanager };
}

export { liveToolsRequired, loudSkip } from './live-tools.js';

// ---------------------------------------------------------------------------------------------
// Processes

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A program started by a test, stopped by its PID. */
export class ToolProcess {
  readonly child: ChildProcess;
  output = '';

  constructor(readonly name: string, readonly url: string, bin: string, args: readonly string[], readonly dir: string) {
    this.child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    await waitUntil(`${this.name} /-/ready`, async () => {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited ${this.child.exitCode}:\n${this.output.slice(-3000)}`);
      const res = await fetch(`${this.url}/-/ready`);
      await res.arrayBuffer();
      return res.status === 200;
    }, { timeoutMs, intervalMs: 50 });
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface StartPrometheusOptions {
  readonly bin: string;
  /** Rule files' contents by file name. */
  readonly rules: Readonly<Record<string, string>>;
  /** `host:port` of the daemon's metrics listener. */
  readonly target: string;
  readonly alertmanager: string;
}

/** Prometheus scraping `target` as job "oio-repaird" and evaluating every 1 s. */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<ToolProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'oio-repaird-prometheus-'));
  for (const [name, text] of Object.entries(opts.rules)) await writeFile(join(dir, name), text);
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: Object.keys(opts.rules),
    alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager] }] }] },
    scrape_configs: [{ job_name: 'oio-repaird', static_configs: [{ targets: [opts.target] }] }],
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const p = new ToolProcess('prometheus', `http://127.0.0.1:${port}`, opts.bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], dir);
  await p.waitReady();
  return p;
}

/** Alertmanager with one receiver that sends nothing: the tests read its API. */
export async function startAlertmanager(bin: string): Promise<ToolProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'oio-repaird-alertmanager-'));
  const config = {
    route: { receiver: 'nowhere', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'nowhere' }],
  };
  await writeFile(join(dir, 'alertmanager.yml'), stringify(config));
  const port = await freePort();
  const am = new ToolProcess('alertmanager', `http://127.0.0.1:${port}`, bin, [
    `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn',
  ], dir);
  await am.waitReady();
  return am;
}

// ---------------------------------------------------------------------------------------------
// APIs

export interface PromAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
  readonly value: string;
}

export interface AmAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: { readonly state: string };
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: readonly [number, string];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}

/** Prometheus's active (pending or firing) alerts. */
export async function prometheusAlerts(prom: ToolProcess): Promise<PromAlert[]> {
  return (await getJson<{ data: { alerts: PromAlert[] } }>(`${prom.url}/api/v1/alerts`)).data.alerts;
}

/** When Prometheus last evaluated each alerting rule (ms since the epoch), by alert name. */
export async function alertRuleEvaluations(prom: ToolProcess): Promise<Map<string, number>> {
  const body = await getJson<{ data: { groups: Array<{ rules: Array<{ name: string; lastEvaluation: string }> }> } }>(`${prom.url}/api/v1/rules?type=alert`);
  return new Map(body.data.groups.flatMap((g) => g.rules.map((r) => [r.name, Date.parse(r.lastEvaluation)] as const)));
}

/** Alertmanager's active alerts. */
export async function alertmanagerAlerts(am: ToolProcess): Promise<AmAlert[]> {
  return getJson<AmAlert[]>(`${am.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
}

/** An instant query; throws on a PromQL error (a broken expression is an error, not "no data"). */
export async function query(prom: ToolProcess, expr: string): Promise<PromSample[]> {
  const r = await getJson<{ data: { resultType: string; result: PromSample[] } }>(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (r.data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${r.data.resultType}`);
  return r.data.result;
}

/** Samples with a finite value: what a panel can draw. */
export function finite(samples: readonly PromSample[]): PromSample[] {
  return samples.filter((s) => Number.isFinite(Number(s.value[1])));
}

const matches = (labels: Record<string, string>, want: Record<string, string>): boolean => Object.entries(want).every(([k, v]) => labels[k] === v);

/** The firing Prometheus alert `name` with these labels, or undefined. */
export async function firing(prom: ToolProcess, name: string, labels: Record<string, string> = {}): Promise<PromAlert | undefined> {
  return (await prometheusAlerts(prom)).find((a) => a.state === 'firing' && matches(a.labels, { alertname: name, ...labels }));
}

export async function waitFiring(prom: ToolProcess, name: string, labels: Record<string, string> = {}, timeoutMs = 30_000): Promise<PromAlert> {
  return waitUntil(`${name}${JSON.stringify(labels)} firing in Prometheus`, () => firing(prom, name, labels), { timeoutMs, intervalMs: 100 });
}

/** Waits until Alertmanager has the alert; returns it. */
export async function waitInAlertmanager(am: ToolProcess, name: string, labels: Record<string, string> = {}, timeoutMs = 15_000): Promise<AmAlert> {
  return waitUntil(`${name}${JSON.stringify(labels)} in Alertmanager`, async () => (await alertmanagerAlerts(am)).find((a) => matches(a.labels, { alertname: name, ...labels })), { timeoutMs, intervalMs: 100 });
}

/** Waits until neither Prometheus (pending or firing) nor Alertmanager has the alert any more. */
export async function waitResolved(prom: ToolProcess, am: ToolProcess, name: string, labels: Record<string, string> = {}, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`${name}${JSON.stringify(labels)} resolved in Prometheus and Alertmanager`, async () => {
    const inProm = (await prometheusAlerts(prom)).some((a) => matches(a.labels, { alertname: name, ...labels }));
    const inAm = (await alertmanagerAlerts(am)).some((a) => matches(a.labels, { alertname: name, ...labels }));
    return !inProm && !inAm;
  }, { timeoutMs, intervalMs: 100 });
}

// ---------------------------------------------------------------------------------------------
// The rules and the dashboard, as the live test uses them

/** The `for:` every alert gets in the test copy (the real ones are 5 to 30 minutes). */
export const TEST_FOR = '2s';
/** The stale-sweep threshold in the test copy, in seconds (the real one is 2 days). */
export const TEST_SWEEP_OVERDUE_SECONDS = 8;

function replaceCounted(text: string, pattern: RegExp, replacement: string, what: string): string {
  const n = [...text.matchAll(pattern)].length;
  const out = text.replace(pattern, replacement);
  if (n === 0) throw new Error(`test copy of the rules: ${what} not found; the live test's time scaling must be updated with the rules`);
  return out;
}

/**
 * The shipped rules with time scaled down, and nothing else changed: every `for:` becomes
 * TEST_FOR, and the stale-sweep alert's "2 days" (its threshold and the `up offset 2d` guard)
 * becomes seconds. Expressions, metric names, labels and annotations are the shipped ones.
 */
export function testCopyOfRules(rulesText: string): string {
  let text = replaceCounted(rulesText, /^([ \t]+for:[ \t]*)\S+[ \t]*$/gm, `$1${TEST_FOR}`, '`for:` durations');
  text = replaceCounted(text, /> 2 \* 86400/g, `> ${TEST_SWEEP_OVERDUE_SECONDS}`, 'the stale-sweep threshold `> 2 * 86400`');
  text = replaceCounted(text, /offset 2d/g, 'offset 5s', 'the stale-sweep guard `offset 2d`');
  return text;
}

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleFile { groups: Array<{ name: string; rules: Rule[] }> }

export function rulesIn(text: string): Rule[] {
  return (parse(text) as RuleFile).groups.flatMap((g) => g.rules);
}

/** Ways to break an alert on purpose: each must make the live check fail. */
export interface Breakage {
  readonly name: string;
  readonly from: string | RegExp;
  readonly to: string;
}

/** A rule file whose alerts are copies of `alert` (renamed `Broken<How>_<alert>`), each with one breakage. */
export function brokenCopies(rulesText: string, alert: string, breakages: readonly Breakage[]): string {
  const original = rulesIn(rulesText).find((r) => r.alert === alert);
  if (!original) throw new Error(`no alert ${alert} in the rules`);
  const rules = breakages.map((b) => {
    const expr = original.expr.replace(b.from, b.to);
    if (expr === original.expr) throw new Error(`breakage ${b.name} does not change ${alert}'s expression`);
    return { ...original, alert: `Broken${b.name}_${alert}`, expr };
  });
  return stringify({ groups: [{ name: 'broken-on-purpose', rules }] });
}

export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

interface Dashboard { panels: Array<{ title?: string; targets?: Array<{ expr?: string }> }> }

/**
 * Every panel query of the dashboard with Grafana's variables filled in as Grafana would for
 * this job and instance; `$__rate_interval` becomes `rateInterval` (the test's time range).
 */
export function panelQueries(dashboardJson: string, vars: { job: string; instance: string; rateInterval: string }): PanelQuery[] {
  const dashboard = JSON.parse(dashboardJson) as Dashboard;
  const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
  return dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [{
    panel: p.title ?? '(untitled)',
    expr: t.expr
      .replaceAll('$__rate_interval', vars.rateInterval)
      .replaceAll('$job', escapeRegex(vars.job))
      .replaceAll('$instance', escapeRegex(vars.instance)),
  }] : [])));
}

/** The queries that draw nothing (no sample with a finite value), with why. */
export async function emptyPanels(prom: ToolProcess, queries: readonly PanelQuery[]): Promise<string[]> {
  const empty: string[] = [];
  for (const q of queries) {
    try {
      if (finite(await query(prom, q.expr)).length === 0) empty.push(`${q.panel}: ${q.expr}`);
    } catch (err) {
      empty.push(`${q.panel}: ${q.expr} (${(err as Error).message})`);
    }
  }
  return empty;
}
