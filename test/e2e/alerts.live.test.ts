// The alert rules and the dashboard, proven live: a real Prometheus scrapes the real daemon
// (dist/) sweeping the simulator and sends to a real Alertmanager, and the tests assert through
// their HTTP APIs that each alert fires for what it is about, carries its labels and runbook
// link to Alertmanager, and resolves when it should; that every panel query of the dashboard
// and every recording rule returns data; and that the same checks fail on copies of an alert
// broken on purpose (metric name, label, expression).
//
// The rules are the shipped file with time scaled down in a test copy only (testCopyOfRules):
// every `for:` is 2 s, and the stale-sweep alert's "2 days" are seconds. Everything else
// (expressions, metric names, labels, annotations) is what operators install.
// Needs Prometheus and Alertmanager (`bash .ci/test-tools.sh`); skipped LOUDLY without them,
// except in CI where it fails.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { DaemonProcess, REPO_ROOT, cleanEnv, testConfig, waitUntil, writeYaml } from '../helpers/daemon-process.js';
import {
  alertmanagerAlerts, alertRuleEvaluations, brokenCopies, emptyPanels, findMonitoringTools, firing, freePort, liveToolsRequired, loudSkip,
  panelQueries, prometheusAlerts, query, rulesIn, startAlertmanager, startPrometheus, testCopyOfRules, TEST_FOR, waitFiring,
  waitInAlertmanager, waitResolved, type ToolProcess,
} from '../helpers/monitoring.js';

const RULES = readFileSync(join(REPO_ROOT, 'deploy/prometheus/oio-repaird.rules.yml'), 'utf8');
const DASHBOARD = readFileSync(join(REPO_ROOT, 'deploy/grafana/oio-repaird.json'), 'utf8');
const JOB = 'oio-repaird';
const S = ['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103'] as const;
const CORRUPTION = 'OioRepairdCorruptionDetected';
const UNREPAIRABLE = 'OioRepairdUnrepairableContainers';
/** What breaks an alert on purpose; each must make the live check fail. */
const BREAKAGES = [
  { name: 'MetricName', from: 'oio_repaird_damaged_replicas', to: 'oio_repaird_damaged_replica' },
  { name: 'Label', from: `job="${JOB}"`, to: 'job="oio_repaird"' },
  { name: 'Expression', from: '> 0', to: '< 0' },
] as const;

const tools = findMonitoringTools();
/** Measured times, printed at the end (they go into the closing note). */
const measured: Record<string, number> = {};

function live(fn: () => void): void {
  if (tools.ok) {
    describe('alerts, live (Prometheus + Alertmanager + the daemon + the simulator)', fn);
    return;
  }
  if (liveToolsRequired()) {
    describe('alerts, live', () => {
      it('has Prometheus and Alertmanager to run against', () => {
        throw new Error(`live alert tests cannot run: ${tools.reason}`);
      });
    });
    return;
  }
  loudSkip('the live alert tests (test/e2e/alerts.live.test.ts)', tools.reason);
  describe.skip('alerts, live', fn);
}

live(() => {
  let sim: Simulator;
  let am: ToolProcess;
  let prom: ToolProcess;
  let daemon: DaemonProcess;
  let configPath: string;
  let config: Record<string, unknown>;
  let instance: string;
  let dir: string | undefined;
  const started = Date.now();

  beforeAll(async () => {
    if (!tools.ok) return;
    sim = await startSimulator({
      scenario: {
        namespace: 'OPENIO',
        services: S,
        containers: [
          { account: 'acme', name: 'target', peers: S, master: S[0] },
          { account: 'acme', name: 'lost', peers: S, master: S[0] },
          ...['a', 'b', 'c', 'd', 'e'].map((n) => ({ account: 'acme', name: `healthy-${n}`, peers: S })),
        ],
        // No healthy quorum from the start: unrepairable, and of its own damage kind, so the
        // corruption alert for the injected missing-keys can resolve while this one stays.
        faults: [
          { kind: 'corrupt-base', account: 'acme', container: 'lost', peer: S[1] },
          { kind: 'corrupt-base', account: 'acme', container: 'lost', peer: S[2] },
        ],
      },
    });
    const port = await freePort();
    instance = `127.0.0.1:${port}`;
    am = await startAlertmanager(tools.alertmanager);
    const testRules = testCopyOfRules(RULES);
    prom = await startPrometheus({
      bin: tools.prometheus,
      rules: { 'oio-repaird.rules.yml': testRules, 'broken.rules.yml': brokenCopies(testRules, CORRUPTION, BREAKAGES) },
      target: instance,
      alertmanager: am.url.replace('http://', ''),
    });
    dir = await mkdtemp(join(tmpdir(), 'oio-repaird-live-'));
    configPath = join(dir, 'config.yaml');
    // report-only first: the injected damage stays until the repair is switched on (SIGHUP).
    config = testConfig({ proxyUrl: sim.url, namespace: sim.namespace, stateDir: dir }, {
      schedule: { cron: '*/2 * * * * *', runAtStart: true },
      repair: { mode: 'report-only' },
      metrics: { listen: instance },
    });
    await writeYaml(configPath, config);
    daemon = new DaemonProcess(['run', '--config', configPath], cleanEnv());
    await daemon.waitForLog((l) => l.msg === 'ready', { what: 'the ready line' });
    await waitUntil('up == 1 for the daemon', async () => (await query(prom, `up{job="${JOB}"} == 1`)).length === 1, { timeoutMs: 20_000, intervalMs: 100 });
    measured['startup_to_first_scrape_s'] = (Date.now() - started) / 1000;
  }, 60_000);

  afterAll(async () => {
    daemon?.kill();
    await Promise.all([prom?.stop(), am?.stop(), sim?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (Object.keys(measured).length > 0) console.log(`LIVE ALERT TIMES ${JSON.stringify({ ...measured, total_s: (Date.now() - started) / 1000 })}`);
  });

  it('uses the shipped rules with only time scaled down', () => {
    const shipped = rulesIn(RULES);
    const copy = rulesIn(testCopyOfRules(RULES));
    // Only the stale-sweep threshold and guard differ in the expressions, besides `for:`.
    const timeless = (expr: string): string => expr.replace(/> (?:2 \* 86400|\d+)$/m, '> THRESHOLD').replace(/offset \w+/g, 'offset GUARD');
    expect(copy.map((r) => ({ ...r, for: undefined, expr: timeless(r.expr) }))).toEqual(shipped.map((r) => ({ ...r, for: undefined, expr: timeless(r.expr) })));
    expect(copy.filter((r, i) => r.expr !== shipped[i]?.expr).map((r) => r.alert)).toEqual(['OioRepairdSweepOverdue']);
    // Alerts that fire at once (no `for:`, e.g. OioRepairdStateFileCorrupt) keep none.
    expect(new Set(copy.filter((r) => r.alert && r.for !== undefined).map((r) => r.for))).toEqual(new Set([TEST_FOR]));
    expect(copy.map((r) => r.for === undefined)).toEqual(shipped.map((r) => r.for === undefined));
  });

  it('the unrepairable (no quorum) alert fires, critical, and reaches Alertmanager with its runbook link', { timeout: 60_000 }, async () => {
    const alert = await waitFiring(prom, UNREPAIRABLE, { job: JOB, instance });
    measured['unrepairable_firing_after_start_s'] = (Date.now() - started) / 1000;
    expect(alert.labels['severity']).toBe('critical');
    const inAm = await waitInAlertmanager(am, UNREPAIRABLE, { instance });
    expect(inAm.labels).toMatchObject({ severity: 'critical', job: JOB, instance });
    expect(inAm.annotations['runbook_url']).toMatch(/#oiorepairdunrepairablecontainers$/);
    expect(inAm.annotations['description']).toContain('1 container(s)');
  });

  it('the corruption alert fires for injected damage and reaches Alertmanager with its labels and annotations', { timeout: 60_000 }, async () => {
    expect(await firing(prom, CORRUPTION, { kind: 'missing-keys' }), 'nothing is missing keys yet').toBeUndefined();
    const injectedAt = Date.now();
    sim.inject({ kind: 'drop-keys', account: 'acme', container: 'target', peer: S[1], keys: ['sys.m2.ctime'] });
    const alert = await waitFiring(prom, CORRUPTION, { kind: 'missing-keys', job: JOB, instance });
    measured['damage_to_firing_s'] = (Date.now() - injectedAt) / 1000;
    expect(alert.labels['severity']).toBe('warning');
    const inAm = await waitInAlertmanager(am, CORRUPTION, { kind: 'missing-keys' });
    measured['damage_to_alertmanager_s'] = (Date.now() - injectedAt) / 1000;
    expect(inAm.labels).toMatchObject({ alertname: CORRUPTION, severity: 'warning', kind: 'missing-keys', job: JOB, instance });
    expect(inAm.annotations).toMatchObject({
      summary: expect.stringContaining('damaged meta2 replicas'),
      description: expect.stringMatching(/^1 meta2 replica\(s\) of kind missing-keys were still damaged at the end of the last sweep of 127\.0\.0\.1:\d+\./),
      runbook_url: `http://${instance}/runbook#oiorepairdcorruptiondetected`,
    });
    // The link leads somewhere: the daemon's runbook page, with the alert's section at that anchor.
    const page = await fetch(inAm.annotations['runbook_url'] as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h3 id="oiorepairdcorruptiondetected">OioRepairdCorruptionDetected</h3>');
  });

  it('the same check fails on copies of the corruption alert broken on purpose (metric name, label, expression)', { timeout: 30_000 }, async () => {
    // The real alert fires (previous test); give the broken copies a few more evaluations.
    await waitFiring(prom, CORRUPTION, { kind: 'missing-keys' });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (const b of BREAKAGES) {
      await expect(waitFiring(prom, `Broken${b.name}_${CORRUPTION}`, {}, 1000), b.name).rejects.toThrow(/timed out waiting for Broken/);
    }
  });

  it('the corruption alert resolves, in Prometheus and Alertmanager, after the daemon repaired the damage', { timeout: 60_000 }, async () => {
    await writeYaml(configPath, { ...config, repair: { ...(config['repair'] as object), mode: 'auto' } });
    const from = daemon.lines.length;
    const reloadAt = Date.now();
    daemon.signal('SIGHUP');
    await daemon.waitForLog((l) => l.msg.startsWith('configuration reloaded'), { from, what: 'the reload' });
    await daemon.waitForLog((l) => l.msg === 'repair finished' && l['outcome'] === 'succeeded', { from, timeoutMs: 30_000, what: 'the verified repair' });
    const repairedAt = Date.now();
    await waitResolved(prom, am, CORRUPTION, { kind: 'missing-keys' });
    measured['repair_to_resolved_s'] = (Date.now() - repairedAt) / 1000;
    measured['reload_to_resolved_s'] = (Date.now() - reloadAt) / 1000;
  });

  it('the unrepairable alert is still firing after all that: nothing resolved it', async () => {
    expect(await firing(prom, UNREPAIRABLE, { instance })).toBeDefined();
    expect((await alertmanagerAlerts(am)).some((a) => a.labels['alertname'] === UNREPAIRABLE)).toBe(true);
  });

  it('the fleet alerts stay quiet on a daemon alone, whose fleet series all exist', async () => {
    for (const series of ['oio_repaird_fleet_enabled', 'oio_repaird_fleet_members', 'oio_repaird_fleet_expected_members', 'oio_repaird_fleet_owned_buckets', 'oio_repaird_fleet_session_up']) {
      expect(await query(prom, `${series}{job="${JOB}",instance="${instance}"}`), series).toHaveLength(1);
    }
    // Every fleet rule evaluated on those series (a `for:` of 2 s would show it pending at least).
    const fleetRules = rulesIn(RULES).flatMap((r) => (r.alert?.startsWith('OioRepairdFleet') ? [r.alert] : []));
    expect(fleetRules).toHaveLength(3);
    const seen = Date.now();
    await waitUntil('the fleet rules evaluated since', async () => {
      const evaluated = await alertRuleEvaluations(prom);
      return fleetRules.every((a) => (evaluated.get(a) ?? 0) > seen);
    }, { timeoutMs: 10_000, intervalMs: 100 });
    const fleetAlerts = (await prometheusAlerts(prom)).filter((a) => a.labels['alertname']?.startsWith('OioRepairdFleet'));
    expect(fleetAlerts).toEqual([]);
  });

  it('every recording rule produces series', async () => {
    const records = rulesIn(RULES).flatMap((r) => (r.record ? [r.record] : []));
    expect(records.length).toBeGreaterThan(0);
    const empty: string[] = [];
    for (const record of records) if ((await query(prom, `${record}{job="${JOB}"}`)).length === 0) empty.push(record);
    expect(empty).toEqual([]);
  });

  it('every panel query of the Grafana dashboard returns data', { timeout: 30_000 }, async () => {
    const queries = panelQueries(DASHBOARD, { job: JOB, instance, rateInterval: '5m' });
    expect(queries.length).toBeGreaterThan(15);
    expect(await emptyPanels(prom, queries)).toEqual([]);
    // The variables' own queries (label_values) find the job and the instance.
    expect(await query(prom, 'oio_repaird_build_info')).toEqual([expect.objectContaining({ metric: expect.objectContaining({ job: JOB, instance }) })]);
  });

  it('the same panel check reports panels broken on purpose (metric name, label value)', async () => {
    const broken = DASHBOARD
      .replace('oio_repaird_unrepairable_containers{', 'oio_repaird_unrepairable_container{')
      .replace('sum by (kind) (oio_repaird_damaged_replicas{job=~\\"$job\\"', 'sum by (kind) (oio_repaird_damaged_replicas{job=~\\"oio_repaird\\"');
    expect(broken).not.toBe(DASHBOARD);
    const empty = await emptyPanels(prom, panelQueries(broken, { job: JOB, instance, rateInterval: '5m' }));
    expect(empty.map((e) => e.split(':')[0])).toEqual(['Unrepairable containers', 'Damaged replicas by kind']);
  });

  it('a stuck daemon (SIGSTOP) fires the daemon-down and the stale-sweep alerts; they resolve when it runs again', { timeout: 60_000 }, async () => {
    const stoppedAt = Date.now();
    daemon.signal('SIGSTOP');
    try {
      const down = await waitFiring(prom, 'OioRepairdDown', { instance });
      measured['stuck_to_down_firing_s'] = (Date.now() - stoppedAt) / 1000;
      expect(down.labels['severity']).toBe('warning');
      await waitFiring(prom, 'OioRepairdSweepOverdue', { instance });
      measured['stuck_to_sweep_overdue_firing_s'] = (Date.now() - stoppedAt) / 1000;
      const inAm = await waitInAlertmanager(am, 'OioRepairdSweepOverdue');
      expect(inAm.annotations['runbook_url']).toMatch(/#oiorepairdsweepoverdue$/);
      await waitInAlertmanager(am, 'OioRepairdDown');
    } finally {
      daemon.signal('SIGCONT');
    }
    await waitResolved(prom, am, 'OioRepairdDown', { instance });
    await waitResolved(prom, am, 'OioRepairdSweepOverdue', { instance });
  });

  it('a stopped daemon fires the daemon-down alert', { timeout: 60_000 }, async () => {
    const exit = await daemon.stop();
    expect(exit.code).toBe(0);
    const stoppedAt = Date.now();
    await waitFiring(prom, 'OioRepairdDown', { instance });
    measured['stopped_to_down_firing_s'] = (Date.now() - stoppedAt) / 1000;
  });
});
